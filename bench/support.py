"""What the benchmarks share: a PostgreSQL to run on, a salon to book in, servers, numbers."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

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
