"""What the benchmarks share: a PostgreSQL to run on, a salon to book in, servers, numbers."""

from __future__ import annotations

import asyncio
import configparser
import contextlib
import os
import pwd
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

import psycopg2
import psycopg2.extensions
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from db import scratch

ROOT = Path(__file__).resolve().parent.parent


def postgres_server() -> contextlib.AbstractContextManager[str]:
    """BENCH_DATABASE_URL / TEST_DATABASE_URL if set, else an embedded server in a temporary folder."""
    return scratch.server(("BENCH_DATABASE_URL", "TEST_DATABASE_URL"))


def fresh_database(server_url: str) -> contextlib.AbstractContextManager[str]:
    """A new, empty database on the server, dropped afterwards."""
    return scratch.database(server_url, "salonbook_bench")


@contextlib.contextmanager
def pgbouncer(server_url: str, *, pool_size: int | None = None, run_as: str | None = None) -> Iterator[str]:
    """Debian's PgBouncer in transaction pooling mode in front of ``server_url``'s server, configured as
    deploy/pgbouncer/pgbouncer.ini (its pool sizes, or ``pool_size`` server sessions per database); yields the URL
    of ``server_url``'s database through it (any other database name may be put in its place). As root, PgBouncer
    runs as ``run_as``, else the server socket's owner, else postgres. PGBOUNCER names the program if it is
    elsewhere."""
    program = os.environ.get("PGBOUNCER", "/usr/sbin/pgbouncer")
    if not shutil.which(program):
        raise SystemExit(f"pgbouncer not found at {program}: `apt-get install pgbouncer` (or PGBOUNCER=path)")
    server = psycopg2.extensions.parse_dsn(server_url)
    host, user = server.get("host") or "127.0.0.1", server.get("user") or "postgres"
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="salonbook-pgbouncer-") as name:
        folder = Path(name)
        (folder / "userlist.txt").write_text(f'"{user}" ""\n')
        config = configparser.ConfigParser(comment_prefixes=(";",), interpolation=None)
        config.read(ROOT / "deploy" / "pgbouncer" / "pgbouncer.ini")
        config.remove_option("databases", "salonbook")
        config["databases"]["*"] = f"host={host} port={server.get('port') or 5432}"
        config["pgbouncer"].update(
            listen_port=str(port),
            unix_socket_dir="",
            auth_type="trust",
            auth_file=str(folder / "userlist.txt"),
            logfile=str(folder / "pgbouncer.log"),
            pidfile=str(folder / "pgbouncer.pid"),
        )
        if pool_size is not None:
            config["pgbouncer"]["default_pool_size"] = str(pool_size)
        assert config["pgbouncer"]["pool_mode"] == "transaction"
        with (folder / "pgbouncer.ini").open("w") as ini:
            config.write(ini)
        as_user: list[str] = []
        if os.getuid() == 0:  # PgBouncer will not run as root: as the socket's owner (embedded), else postgres
            owner = run_as or (pwd.getpwuid(os.stat(host).st_uid).pw_name if host.startswith("/") else "postgres")
            entry = pwd.getpwnam(owner)
            for path in (folder, *folder.iterdir()):
                os.chown(path, entry.pw_uid, entry.pw_gid)
            as_user = ["-u", owner]
        child = subprocess.Popen([program, "-q", *as_user, str(folder / "pgbouncer.ini")])
        url = f"postgresql://{user}@127.0.0.1:{port}/{server.get('dbname') or user}"
        deadline = time.monotonic() + 10
        while True:
            try:
                psycopg2.connect(url).close()
                break
            except psycopg2.OperationalError:
                if time.monotonic() > deadline:
                    raise RuntimeError((folder / "pgbouncer.log").read_text()) from None
                time.sleep(0.1)
        try:
            yield url
        finally:
            child.terminate()
            child.wait(timeout=10)


def through_pgbouncer(database_url: str, pgbouncer_url: str) -> str:
    """``database_url``'s database, reached through the PgBouncer of ``pgbouncer_url``."""
    return psycopg2.extensions.make_dsn(
        database_url, **{key: psycopg2.extensions.parse_dsn(pgbouncer_url)[key] for key in ("host", "port")}
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def process(args: Sequence[str], health_url: str, *, log_name: str) -> Iterator[subprocess.Popen]:
    """Runs a Python program until the block ends (SIGTERM), once ``health_url`` answers."""
    log = open(Path(tempfile.gettempdir()) / f"salonbook-bench-{log_name}.log", "w")  # noqa: SIM115
    child = subprocess.Popen([sys.executable, *args], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            if child.poll() is not None:
                raise RuntimeError(f"{log_name} exited with {child.returncode}; see {log.name}")
            with contextlib.suppress(OSError):
                urllib.request.urlopen(health_url, timeout=1).close()
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{log_name} did not start; see {log.name}")
            time.sleep(0.1)
        yield child
    finally:
        child.terminate()
        try:
            child.wait(30)
        except subprocess.TimeoutExpired:
            child.kill()
        log.close()


class SlowMailbox:
    """An aiosmtpd handler that takes ``delay`` seconds per message, like a slow provider."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.received = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        await asyncio.sleep(self.delay)
        self.received += 1
        return "250 OK"


@contextlib.contextmanager
def smtp_server(handler: object) -> Iterator[int]:
    """An aiosmtpd server on its own thread (so the benchmark may block), yielding its port."""
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def summary(latencies: Sequence[float], elapsed: float) -> dict[str, float]:
    return {
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "mean_ms": statistics.fmean(latencies) * 1000,
        "per_s": len(latencies) / elapsed,
    }


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table, so the output can go into docs/performance.md as it is."""
    cells = [[f"{c:,.1f}" if isinstance(c, float) else str(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)) + " |"

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in cells)])
