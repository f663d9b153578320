"""The process as a newcomer meets it: `python server.py`, create-salon, several at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import psycopg2
import pytest

from booking import api_tokens, salons
from booking.salons import NewSalon
from db import Database
from tests.processes import SERVER, clean_env, serving

pytestmark = pytest.mark.db  # each test starts a PostgreSQL of its own


def _postgres_running(pgdata: Path) -> bool:
    pid_file = pgdata / "postmaster.pid"
    if not pid_file.exists():
        return False
    pid = int(pid_file.read_text().split()[0])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_server_runs_with_no_configuration_and_stops_cleanly(tmp_path: Path) -> None:
    os.chmod(tmp_path, 0o755)  # noqa: S103 - the embedded server runs as its own user when we are root
    pgdata = tmp_path / "data" / "postgres"
    with serving(cwd=tmp_path) as served:
        assert served.health["database"] == "ok"
        assert served.health["worker"]["running"] is True
        assert _postgres_running(pgdata), "the embedded PostgreSQL should run under ./data"
    assert served.returncode == 0, served.output
    assert f"http://127.0.0.1:{served.port}/" in served.output
    assert not _postgres_running(pgdata), "SIGTERM must stop the embedded PostgreSQL"


def _health(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
        return json.loads(response.read())


def test_backup_and_restore_join_a_running_embedded_server_and_leave_it_running(tmp_path: Path) -> None:
    os.chmod(tmp_path, 0o755)  # noqa: S103 - the embedded server runs as its own user when we are root
    pgdata = tmp_path / "data" / "postgres"

    def command(*arguments: str) -> dict:
        result = subprocess.run(
            [sys.executable, SERVER, *arguments],
            cwd=tmp_path,
            env=clean_env(),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert "embedded PostgreSQL left running for another process" in result.stderr
        assert _postgres_running(pgdata), f"{arguments[0]} must not stop the server it joined"
        assert _health(served.port)["database"] == "ok"
        return json.loads(result.stdout)

    with serving(cwd=tmp_path) as served:
        assert set(served.health["backup"]) == {"lastAt", "bytes", "error"}, "not where the files are"
        made = command("backup")
        assert Path(made["backup"]).parent == tmp_path / "data" / "backups"
        assert Path(made["backup"]).stat().st_size == made["bytes"]
        restored = command("restore", "--force", made["backup"])
        assert restored["restored"] == made["backup"] and restored["schema_version"] >= 2
    assert served.returncode == 0, served.output
    assert not _postgres_running(pgdata), "the last one out stops the embedded PostgreSQL"


def test_create_salon_prints_one_json_line_with_a_working_token(database_url: str, io_loop) -> None:
    result = subprocess.run(
        [
            sys.executable,
            SERVER,
            f"--database_url={database_url}",
            "create-salon",
            "--name=Curl Up & Dye",
            "--timezone=Europe/Dublin",
            "--owner_email=owner@curl.example",
            "--owner_password=long enough",
        ],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, result.stdout
    created = json.loads(lines[0])
    assert set(created) == {"salon_id", "slug", "api_token"}
    assert created["slug"] == "curl-up-dye"

    async def check() -> None:
        db = await Database.connect(database_url)
        try:
            salon = await api_tokens.salon_for_token(db, created["api_token"])
        finally:
            await db.close()
        assert salon is not None and str(salon.id) == created["salon_id"]
        assert salon.timezone == "Europe/Dublin"

    io_loop.run_sync(check)


def test_create_salon_with_a_bad_timezone_says_so(database_url: str) -> None:
    """Options before or after the command, or in the environment (DATABASE_URL here), all count."""
    result = subprocess.run(
        [
            sys.executable,
            SERVER,
            "create-salon",
            "--name=X",
            "--timezone=Mars/Olympus",
            "--owner_email=x@example.com",
            "--owner_password=long enough",
        ],
        env=clean_env() | {"DATABASE_URL": database_url, "DATA_DIR": "/nonexistent/never-used"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "timezone" in result.stderr and "Traceback" not in result.stderr


def test_a_web_only_process_runs_no_worker(database_url: str) -> None:
    with serving(f"--database_url={database_url}", "--worker=false", "--smtp_host=127.0.0.1") as served:
        assert served.health == {"database": "ok", "worker": {"running": False}}
    assert served.returncode == 0, served.output


def test_a_revoked_token_stops_working_at_once_in_every_process(database_url: str, io_loop) -> None:
    async def new_salon() -> tuple[NewSalon, uuid.UUID]:
        db = await Database.connect(database_url)
        try:
            tag = uuid.uuid4().hex[:8]
            made = await salons.create_salon(
                db, name=f"Two {tag}", timezone="UTC", owner_email=f"{tag}@example.com", owner_password="long enough"
            )
            [token] = await api_tokens.list_api_tokens(db, made.salon.id)
        finally:
            await db.close()
        return made, token.id

    async def revoke(salon_id: uuid.UUID, token_id: uuid.UUID) -> None:
        db = await Database.connect(database_url)
        try:
            await api_tokens.revoke_api_token(db, salon_id, token_id)
        finally:
            await db.close()

    def status(port: int, token: str) -> int:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/staff", headers={"Authorization": f"Bearer {token}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310 - our own http:// URL
                return answer.status
        except urllib.error.HTTPError as refused:
            return refused.code

    made, token_id = io_loop.run_sync(new_salon)
    web_only = (f"--database_url={database_url}", "--worker=false", "--smtp_host=127.0.0.1")
    with serving(*web_only) as first, serving(*web_only) as second:
        assert [status(first.port, made.api_token), status(second.port, made.api_token)] == [200, 200]  # remembered
        io_loop.run_sync(lambda: revoke(made.salon.id, token_id))
        deadline = time.monotonic() + 5
        while {status(first.port, made.api_token), status(second.port, made.api_token)} != {401}:
            assert time.monotonic() < deadline, "a process still honours the revoked token"
            time.sleep(0.05)


def listening_sessions(database_url: str) -> list[str]:
    """The LISTEN statements that sessions of the database are waiting in."""
    conn = psycopg2.connect(database_url)
    try:
        with conn.cursor() as cur:
            cur.execute(
                """SELECT query FROM pg_stat_activity
                    WHERE datname = current_database() AND query LIKE 'LISTEN %%' ORDER BY query"""
            )
            return [row[0] for row in cur.fetchall()]
    finally:
        conn.close()


def test_listen_goes_only_through_the_direct_database_url(database_url: str) -> None:
    """--database_url may name PgBouncer in transaction mode, which cannot carry LISTEN: without
    --direct_database_url nothing listens (the worker polls); with it, the worker and the token cache do."""
    options = (f"--database_url={database_url}", "--smtp_host=127.0.0.1", "--poll_interval=0.2")
    with serving(*options) as served:
        time.sleep(1)  # a listener would have connected by now
        assert listening_sessions(database_url) == []
        assert served.health["worker"]["listening"] is False
    with serving(*options, f"--direct_database_url={database_url}"):
        deadline = time.monotonic() + 10
        while len(listening_sessions(database_url)) < 2:
            assert time.monotonic() < deadline, listening_sessions(database_url)
            time.sleep(0.1)
        assert listening_sessions(database_url) == ["LISTEN salonbook_jobs", "LISTEN salonbook_tokens"]


def test_a_direct_database_url_without_a_database_url_is_refused() -> None:
    result = subprocess.run(
        [sys.executable, SERVER, "--direct_database_url=postgresql://127.0.0.1/salonbook"],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "--direct_database_url goes with --database_url" in result.stderr and "Traceback" not in result.stderr
