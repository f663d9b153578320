"""The schema's versions: a first release's database upgrades keeping every row, and nothing drifts.

A first-release database here is made the way the first release made it:
migrations/0001 is byte for byte its schema.sql (checked against git), and
its rows are written with plain SQL of that schema, not with today's code.
"""

from __future__ import annotations

import asyncio
import collections
import difflib
import hashlib
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest

from booking import api_tokens, jobs, passwords, salons, users
from db import Database, backups, migrations, scratch
from tests.conftest import ROOT, upgrade
from tests.processes import clean_env
from tests.snapshots import table_rows

SERVER = str(ROOT / "server.py")
FIRST_RELEASE_COMMIT = "75cb372"
# A released migration never changes: a database that ran it must stay equal to one that runs it now.
RELEASED = {
    "0001_first_release.sql": "1f3cb6dfc23c58baf7c77ab974f14f97b6d3bd00e383fa8fdc4bb5bbc35b5753",
    "0002_clients_erased_at.sql": "90fcf2af16c5a3f75719b1d7921b2dd9991ba08c94ae303e49354ed09bf3ae92",
    "0003_record_every_send.sql": "ae1aad5ca42a71daa75d7e13d236fb124eec794ac533f63fc2d393cc32a8a2fa",
    "0004_sessions.sql": "3f4cb980b9fe99ca7e42f97ccc161fc8ecbfd8347c67a072b5c7f2fbbf105ad2",
    "0005_salon_settings.sql": "6e0f4bdfda61ac93f88b9778400e4f73ad78a0465ff3df518849879c8b325f42",
    "0006_team.sql": "1f5539dc8096e6366fef31f6bbf69891f4c1009eb2d55b24682f464bb79618c3",
    "0007_client_search.sql": "ecab32e1fc7e4848cbccb224a8a06f10991472ba27599b2dad6f1fb662753e12",
    "0008_fair_claims.sql": "45a4a22d5f4be2e5ac876e32f08c8539f3ad4c542af848aa26cb63a853ab4616",
    "0009_clients_act.sql": "bfe0d5c286d4bf058c31f8306f66948d17d52fb11495c36375021e4625effcce",
    "0010_two_way_sms.sql": "e6974b0f9dc5f4b7166d91d05a5527668d66226dcbaf79cb3c29596ca55aa189",
    "0011_chain_size.sql": "1cb55abd066fd5f69e99266aee243bc88c61b88a77ac53653f3c29ab24480c38",
    "0012_status_tallies.sql": "da9ca2c0370d33592932ae86dce79813c6787da346eb8b972254e2ab8376491e",
    "0013_abuse_limits.sql": "038e6bebdea044271e7038e326798e3d7391ca755f85d678c5ec0668fc3082cd",
    "0014_secrets_forgotten.sql": "8829ba4c6c5ea297d753c22ddaf8255838139db7d5ee839506cf449049cad910",
    "0015_message_facts.sql": "4ddb361a5f45869e2d1fed059c297b733880f1047a2f91fca594abd9023cd745",
    "0016_export_pages.sql": "1700568c9de501edd7faeb5f49da77d7387d572b40a35ec71fe89e0304668eda",
    "0017_failures_seen.sql": "63a3a8d9ca453e0638f5fc404711136e73a74fcb2788c4717d198dce88ad1265",
    "0018_client_history.sql": "5a4e6914834ae82645355e2feb0e41767ab220d12f4e3e17c76937d5f6df5990",
    "0019_message_outcomes.sql": "b58ad34ae5172dfdb3a87dee667ec8bceb5d6b62084eaa350dd02063c7dd1956",
    "0020_schedule.sql": "5009a0c8cab70c69177882ccbdc3d2955a8ebcb86286ebe13c8f5dd5ca61475a",
    "0021_stylists.sql": "7910929858912961ac93f3b8a426d401efa1391a054708e9a87b9b418abbacd3",
    "0022_waitlist.sql": "5bde724f51e69e11a78ed7dadca7869f025ac07457576ab04623094393f33c5b",
    "0023_shared_limits.sql": "114ef78e98824d78db9de5421535a7251961962058ba507b6bfb1ff1b130ec07",
    "0024_salon_messages.sql": "0f5af2eb3a98ebb3b90d19e52d610c4c04a8e1bcffe0528e69e7e667f65681ad",
    "0025_user_language.sql": "c517a8d6929fd38f0fcfcbe192b17da72c2335569116e48f5c1ed8ab7df4be00",
    "0026_payments.sql": "9f4691bfdcfb76ec562f3a7220b750ca570240b14a61e21b12ca72069561e759",
    "0027_queue_flat.sql": "b5479227f03da840e8215d1ebc33df633ae0dcf22ff7d96d145a138aba39620f",
    "0028_card_on_file.sql": "cbf43ef022c8ea4695abe7cc92744248fcc2cf7ad9770393ea98823d9b7a261a",
    "0029_payment_jobs.sql": "a9f841a4996a9119ada51325183516c826e115f8196529b2a0d00cc254af3e9b",
    "0030_stranded_payments.sql": "7d6043c6032554774e8392b1b1cb632879e45e7ba82806c751a89fafb0adf39d",
    "0031_finish_jobs.sql": "c03e7a6ada0f390dfb4777a65d04f5382ea9f934ed8a58a0e1051b35c73fcd60",
    "0032_outcomes_when_due.sql": "828e682400e1886294339605cf09820c7d10abc57961b9f6384b208e3c07d9af",
}
SECOND_RELEASE = 12  # the schema version of the last release: every migration since is tested on its rows
LATEST = len(migrations.known())
# by migrations after the first release
TABLES_ADDED_SINCE = {
    "sessions",
    "invitations",
    "holds",
    "sms_opt_outs",
    "sms_deliveries",
    "inbound_texts",
    "code_sends",
    "client_notes",
    "time_off",
    "service_staff",
    "calendar_feeds",
    "waitlist_entries",
    "waitlist_offers",
    "rate_buckets",
    "login_tallies",
    "salon_messages",
    "stripe_accounts",
    "payments",
    "saved_cards",
}
OWNER_PASSWORD = "first release owner"
API_TOKEN = "first-release-token"

# One of everything, as the first release stored it.
FIRST_RELEASE_ROWS = """
INSERT INTO salons (id, slug, name, address, timezone, email, phone) VALUES
    ('5a10a000-0000-4000-8000-000000000001', 'hair-by-ann', 'Hair by Ann', '1 High Street, Bath', 'Europe/London',
     'ann@example.com', '+441225000000');
INSERT INTO users (id, salon_id, email, password_hash, role) VALUES
    ('05e20000-0000-4000-8000-000000000001', '5a10a000-0000-4000-8000-000000000001', 'ann@example.com',
     %(password_hash)s, 'owner'),
    ('05e20000-0000-4000-8000-000000000002', '5a10a000-0000-4000-8000-000000000001', 'desk@example.com',
     %(password_hash)s, 'receptionist');
INSERT INTO api_tokens (salon_id, token_hash, name) VALUES
    ('5a10a000-0000-4000-8000-000000000001', %(token_hash)s, 'website');
INSERT INTO staff (id, salon_id, first_name, last_name, email) VALUES
    ('57aff000-0000-4000-8000-000000000001', '5a10a000-0000-4000-8000-000000000001', 'Bea', 'Cutter',
     'bea@example.com');
INSERT INTO working_hours (staff_id, weekday, starts, ends) VALUES
    ('57aff000-0000-4000-8000-000000000001', 0, '09:00', '17:00'),
    ('57aff000-0000-4000-8000-000000000001', 5, '10:00', '14:00');
INSERT INTO services (id, salon_id, name, duration_minutes, price_cents) VALUES
    ('5e6f1ce0-0000-4000-8000-000000000001', '5a10a000-0000-4000-8000-000000000001', 'Cut & colour', 45, 6500);
INSERT INTO clients (id, salon_id, first_name, last_name, email, phone, opted_in_reminders) VALUES
    ('c1e00000-0000-4000-8000-000000000001', '5a10a000-0000-4000-8000-000000000001', 'Cy', 'Client',
     'cy@example.com', '+447400900123', true),
    ('c1e00000-0000-4000-8000-000000000002', '5a10a000-0000-4000-8000-000000000001', 'Di', '', NULL, NULL, false);
INSERT INTO appointments (id, salon_id, client_id, staff_id, service_id, start_time, end_time, status, notes) VALUES
    ('a0000000-0000-4000-8000-000000000001', '5a10a000-0000-4000-8000-000000000001',
     'c1e00000-0000-4000-8000-000000000001', '57aff000-0000-4000-8000-000000000001',
     '5e6f1ce0-0000-4000-8000-000000000001', '2030-05-06 09:00+00', '2030-05-06 09:45+00', 'booked', 'fringe only'),
    ('a0000000-0000-4000-8000-000000000002', '5a10a000-0000-4000-8000-000000000001',
     'c1e00000-0000-4000-8000-000000000002', '57aff000-0000-4000-8000-000000000001',
     '5e6f1ce0-0000-4000-8000-000000000001', '2024-01-08 10:00+00', '2024-01-08 10:45+00', 'completed', '');
INSERT INTO notification_jobs (id, salon_id, client_id, appointment_id, type, payload, channels, channels_done,
                               status, attempts, error, run_at, processed_at) VALUES
    ('10b00000-0000-4000-8000-000000000001', '5a10a000-0000-4000-8000-000000000001',
     'c1e00000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000001', 'booking_confirmation',
     '{"startTime": "2030-05-06T10:00:00+01:00"}', '{email,sms}', '{sms}', 'pending', 1, 'connection refused',
     '2024-01-01 00:00+00', NULL),
    ('10b00000-0000-4000-8000-000000000002', '5a10a000-0000-4000-8000-000000000001',
     'c1e00000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000001', 'reminder_24h',
     '{"startTime": "2030-05-06T10:00:00+01:00"}', '{email,sms}', '{}', 'pending', 0, NULL,
     '2030-05-05 09:00+00', NULL),
    ('10b00000-0000-4000-8000-000000000003', '5a10a000-0000-4000-8000-000000000001',
     'c1e00000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000002', 'booking_confirmation',
     '{}', '{email}', '{email}', 'completed', 1, NULL, '2024-01-01 00:00+00', '2024-01-01 00:00:02+00');
INSERT INTO notification_attempts (job_id, attempt, channel, outcome, detail, worker_id) VALUES
    ('10b00000-0000-4000-8000-000000000001', 1, 'email', 'transient', 'connection refused', 'w-front-desk'),
    ('10b00000-0000-4000-8000-000000000001', 1, 'sms', 'sent', 'SM123', 'w-front-desk'),
    ('10b00000-0000-4000-8000-000000000003', 1, 'email', 'sent', '250 OK', 'w-front-desk');
INSERT INTO workers (id, hostname, pid) VALUES ('w-front-desk', 'front-desk', 4242);
INSERT INTO outbox_messages (salon_id, channel, sender, recipients, subject, message_id, body) VALUES
    ('5a10a000-0000-4000-8000-000000000001', 'email', 'bookings@example.com', '{cy@example.com}',
     'Your booking', '<10b00000-0000-4000-8000-000000000003.email@example.com>', 'Subject: Your booking');
INSERT INTO secrets (name, value) VALUES ('cookie_secret', 'the first release''s cookie secret');
"""


# What the second release stored that later migrations change: a code and an invitation's link at the top of
# their jobs' payloads (kept after sending), and an API token that belongs to no user.
SECOND_RELEASE_ROWS = """
INSERT INTO salons (id, slug, name, timezone, country, locale, currency) VALUES
    ('5a10a000-0000-4000-8000-000000000002', 'cuts-in-ny', 'Cuts in NY', 'America/New_York', 'US', 'en-US', 'USD');
INSERT INTO users (id, salon_id, email, password_hash, role) VALUES
    ('05e20000-0000-4000-8000-000000000003', '5a10a000-0000-4000-8000-000000000002', 'owner@cuts.example',
     'scrypt$...', 'owner');
INSERT INTO api_tokens (salon_id, token_hash, name) VALUES
    ('5a10a000-0000-4000-8000-000000000002', '\\x00', 'website');
INSERT INTO notification_jobs (id, salon_id, type, payload, channels, status) VALUES
    ('10b00000-0000-4000-8000-000000000011', '5a10a000-0000-4000-8000-000000000002', 'booking_code',
     '{"email": "dee@example.com", "name": "Dee", "code": "123456", "minutes": 15}', '{email}', 'pending'),
    ('10b00000-0000-4000-8000-000000000012', '5a10a000-0000-4000-8000-000000000002', 'team_invite',
     '{"email": "desk@cuts.example", "link": "https://x/invite/t", "invited_by": "owner@cuts.example"}',
     '{email}', 'completed');
"""


@pytest.fixture
def second_release_url(postgres_url: str) -> Iterator[str]:
    """A database as the second release left it (schema version 12), with its rows."""
    with scratch.database(postgres_url, "salonbook_second_release") as url:
        asyncio.run(upgrade_to(url, SECOND_RELEASE))
        conn = psycopg2.connect(url)
        with conn, conn.cursor() as cur:
            cur.execute(SECOND_RELEASE_ROWS)
        conn.close()
        yield url


async def upgrade_to(url: str, version: int) -> None:
    db = await Database.connect(url, maxsize=1)
    try:
        await migrations.upgrade(db, migrations.known()[:version])
    finally:
        await db.close()


def first_release_database(url: str) -> None:
    """Makes the database at ``url`` what the first release left: its schema, rows in every table, no versions."""
    values = {
        "password_hash": passwords.hash_password_sync(OWNER_PASSWORD),
        "token_hash": hashlib.sha256(API_TOKEN.encode()).digest(),
    }
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute((migrations.MIGRATIONS_PATH / "0001_first_release.sql").read_text())
            cur.execute(FIRST_RELEASE_ROWS, values)
    finally:
        conn.close()


@pytest.fixture
def empty_database_url(postgres_url: str) -> Iterator[str]:
    with scratch.database(postgres_url, "salonbook_empty") as url:
        yield url


@pytest.fixture
def first_release_url(postgres_url: str) -> Iterator[str]:
    with scratch.database(postgres_url, "salonbook_first_release") as url:
        first_release_database(url)
        yield url


def versions(url: str) -> list[tuple[int, str]]:
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT version, name FROM schema_migrations ORDER BY version")
            return cur.fetchall()
    finally:
        conn.close()


def test_released_migrations_never_change_and_0001_is_the_first_release_schema() -> None:
    for name, digest in RELEASED.items():
        content = (migrations.MIGRATIONS_PATH / name).read_bytes()
        assert hashlib.sha256(content).hexdigest() == digest, f"{name} was released: add a new migration instead"
    if shutil.which("git") is None:
        pytest.skip("no git here: 0001 is checked by its checksum only")
    shown = subprocess.run(
        ["git", "show", f"{FIRST_RELEASE_COMMIT}:schema.sql"], cwd=ROOT, capture_output=True, check=False
    )
    if shown.returncode != 0:
        pytest.skip(f"no history of {FIRST_RELEASE_COMMIT} here (a shallow clone?): checked by its checksum only")
    assert (migrations.MIGRATIONS_PATH / "0001_first_release.sql").read_bytes() == shown.stdout


async def test_a_first_release_database_upgrades_keeping_every_row(first_release_url: str) -> None:
    before = table_rows(first_release_url)
    assert len(before) == len(migrations.FIRST_RELEASE_TABLES) and all(before.values()), "every table has rows"

    assert await upgrade(first_release_url) == (1, LATEST)

    after = table_rows(first_release_url, without=("schema_migrations",))
    assert after.keys() == before.keys() | TABLES_ADDED_SINCE | {"status_tallies", "message_outcomes"}
    assert all(after[table] == [] for table in TABLES_ADDED_SINCE), "a new table starts empty"
    sent = {(row["job_id"], row["channel"]) for row in before["notification_attempts"] if row["outcome"] == "sent"}
    assert {(row["job_id"], row["channel"]) for row in after["message_outcomes"]} >= sent, "what was sent is kept"
    statuses = collections.Counter(row["status"] for row in before["notification_jobs"])
    assert {(row["tally"], row["status"]): row["n"] for row in after["status_tallies"]} == {
        ("notification_jobs", status): n for status, n in statuses.items()
    }, "the tallies start at what the jobs were"
    for table, rows in before.items():
        added = {key for row in after[table] for key in row} - {key for row in rows for key in row}
        assert [{k: v for k, v in row.items() if k not in added} for row in after[table]] == rows, table
    assert {row["erased_at"] for row in after["clients"]} == {None}
    assert versions(first_release_url) == [(m.version, m.name) for m in migrations.known()]

    db = await Database.connect(first_release_url, maxsize=2)
    try:  # today's code works on what the first release wrote
        assert await users.authenticate(db, "ann@example.com", OWNER_PASSWORD) is not None
        salon = await api_tokens.salon_for_token(db, API_TOKEN)
        assert salon is not None and salon.slug == "hair-by-ann"
        assert await migrations.upgrade(db) == (LATEST, LATEST), "a second start changes nothing"
    finally:
        await db.close()


def _schema(url: str) -> list[str]:
    """pg_dump --schema-only without comments, blank lines, psql's per-dump keys or the versions table."""
    pg_dump = asyncio.run(backups.program("pg_dump", url))
    dumped = subprocess.run(
        [pg_dump, "--schema-only", "--no-owner", "--no-privileges", "--exclude-table=schema_migrations", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [
        line
        for line in dumped.splitlines()
        if line.strip() and not line.startswith("--") and not re.match(r"\\(un)?restrict ", line)
    ]


def test_migrating_from_nothing_gives_exactly_schema_sql(postgres_url: str, empty_database_url: str) -> None:
    asyncio.run(upgrade(empty_database_url))
    with scratch.database(postgres_url, "salonbook_schema_sql") as from_schema_sql:
        conn = psycopg2.connect(from_schema_sql)
        with conn, conn.cursor() as cur:
            cur.execute(migrations.SCHEMA_PATH.read_text())
        conn.close()
        expected, migrated = _schema(from_schema_sql), _schema(empty_database_url)
    diff = "\n".join(difflib.unified_diff(expected, migrated, "schema.sql", "migrations/", lineterm=""))
    assert migrated == expected, f"schema.sql and migrations/ disagree:\n{diff}"
    assert any("erased_at timestamp with time zone" in line for line in migrated)


async def test_a_fresh_database_is_migrated_once_when_several_start_at_once(empty_database_url: str) -> None:
    pools = [await Database.connect(empty_database_url) for _ in range(4)]
    try:
        results = await asyncio.gather(*(migrations.upgrade(pool) for pool in pools))
        assert sorted(results) == [(0, LATEST)] + [(LATEST, LATEST)] * 3
        assert await migrations.upgrade(pools[0]) == (LATEST, LATEST)  # and again, as every restart does
    finally:
        for pool in pools:
            await pool.close()
    assert [version for version, _ in versions(empty_database_url)] == list(range(1, LATEST + 1))


def test_three_processes_starting_at_once_upgrade_a_first_release_database_once(first_release_url: str) -> None:
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                SERVER,
                f"--database_url={first_release_url}",
                "create-salon",
                f"--name=Salon {n}",
                f"--owner_email=owner{n}@example.com",
                "--owner_password=long enough",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(3)
    ]
    outputs = [process.communicate(timeout=60) for process in processes]
    for process, (_, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err
        assert "Traceback" not in err and "[E " not in err, err
    logs = "".join(err for _, err in outputs)
    assert logs.count("recorded as schema version 1") == 1, logs
    assert logs.count(f"upgrading the database to schema version {LATEST}") == 1, logs
    assert versions(first_release_url) == [(m.version, m.name) for m in migrations.known()]
    rows = table_rows(first_release_url)
    assert sorted(salon["slug"] for salon in rows["salons"]) == ["hair-by-ann", "salon-0", "salon-1", "salon-2"]


def test_code_refuses_a_database_newer_than_itself(empty_database_url: str) -> None:
    asyncio.run(upgrade(empty_database_url))
    conn = psycopg2.connect(empty_database_url)
    with conn, conn.cursor() as cur:
        cur.execute("INSERT INTO schema_migrations (version, name) VALUES (%s, 'from_the_future')", (LATEST + 3,))
    conn.close()
    before = table_rows(empty_database_url)
    for command in ([], ["create-salon", "--name=Too Old", "--owner_email=o@example.com", "--owner_password=long one"]):
        result = subprocess.run(
            [sys.executable, SERVER, "--port=0", *command],
            env=clean_env() | {"DATABASE_URL": empty_database_url},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert f"the database is at schema version {LATEST + 3}" in result.stderr
        assert f"this Salonbook knows up to {LATEST}" in result.stderr
        assert "Traceback" not in result.stderr
    assert table_rows(empty_database_url) == before, "nothing was touched"


async def test_a_failing_migration_changes_nothing_and_stops_the_start(first_release_url: str, tmp_path: Path) -> None:
    for migration in migrations.known():
        shutil.copy(migration.path, tmp_path / migration.path.name)
    (tmp_path / f"{LATEST + 1:04d}_broken.sql").write_text(
        "ALTER TABLE clients ADD COLUMN nickname text;\nSELECT 1 / 0;\n"
    )
    db = await Database.connect(first_release_url, maxsize=1)
    try:
        with pytest.raises(psycopg2.errors.DivisionByZero):
            await migrations.upgrade(db, migrations.known(tmp_path))
        assert await migrations.upgrade(db) == (LATEST, LATEST), "the good ones stayed applied"
    finally:
        await db.close()
    assert "nickname" not in table_rows(first_release_url)["clients"][0]


async def test_a_migration_may_take_longer_than_a_request(first_release_url: str, tmp_path: Path) -> None:
    for migration in migrations.known():
        shutil.copy(migration.path, tmp_path / migration.path.name)
    (tmp_path / f"{LATEST + 1:04d}_slow.sql").write_text("SELECT pg_sleep(1.5);\n")
    db = await Database.connect(first_release_url, maxsize=1, timeout=1)  # as a chain's index builds outlast 10 s
    try:
        assert await migrations.upgrade(db, migrations.known(tmp_path)) == (1, LATEST + 1)
    finally:
        await db.close()


def test_migration_files_must_be_numbered_without_gaps(tmp_path: Path) -> None:
    (tmp_path / "0001_a.sql").write_text("SELECT 1;")
    (tmp_path / "0003_c.sql").write_text("SELECT 1;")
    with pytest.raises(RuntimeError, match="without gaps"):
        migrations.known(tmp_path)


async def test_a_database_with_only_some_salonbook_tables_is_refused(empty_database_url: str) -> None:
    conn = psycopg2.connect(empty_database_url)
    with conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE salons (id int); CREATE TABLE clients (id int)")
    conn.close()
    db = await Database.connect(empty_database_url, maxsize=1)
    try:
        with pytest.raises(migrations.NotSalonbook, match="some of Salonbook's tables"):
            await migrations.upgrade(db)
    finally:
        await db.close()


async def test_a_second_release_database_upgrades_texting_its_own_country_its_codes_and_tokens_kept_safe(
    second_release_url: str,
) -> None:
    assert await upgrade(second_release_url) == (SECOND_RELEASE, LATEST)
    rows = table_rows(second_release_url)
    assert [salon["sms_countries"] for salon in rows["salons"]] == [["US"]], "texts to its own country, as before"
    assert rows["code_sends"] == [], "a new table starts empty"
    jobs = {row["type"]: row["payload"] for row in rows["notification_jobs"]}
    code = {"email": "dee@example.com", "name": "Dee", "minutes": 15, "secret": {"code": "123456"}}
    assert jobs["booking_code"] == code, "a code waiting to go is kept, as a secret"
    assert jobs["team_invite"] == {"email": "desk@cuts.example", "invited_by": "owner@cuts.example"}, "sent: gone"
    [token] = rows["api_tokens"]
    assert token["user_id"] == "05e20000-0000-4000-8000-000000000003", "the salon's owner's"


# Appointments as the second release stored them, for migration 0018: a priced service and an unpriced one.
SECOND_RELEASE_APPOINTMENTS = """
INSERT INTO staff (id, salon_id, first_name) VALUES
    ('57af0000-0000-4000-8000-000000000011', '5a10a000-0000-4000-8000-000000000002', 'Sam');
INSERT INTO services (id, salon_id, name, duration_minutes, price_cents) VALUES
    ('5e200000-0000-4000-8000-000000000011', '5a10a000-0000-4000-8000-000000000002', 'Colour', 90, 8500),
    ('5e200000-0000-4000-8000-000000000012', '5a10a000-0000-4000-8000-000000000002', 'Fringe', 10, NULL);
INSERT INTO clients (id, salon_id, first_name) VALUES
    ('c1e00000-0000-4000-8000-000000000011', '5a10a000-0000-4000-8000-000000000002', 'Dee');
INSERT INTO appointments (id, salon_id, client_id, staff_id, service_id, start_time, end_time, status,
                          updated_at, cancelled_by) VALUES
    ('a0000000-0000-4000-8000-000000000011', '5a10a000-0000-4000-8000-000000000002',
     'c1e00000-0000-4000-8000-000000000011', '57af0000-0000-4000-8000-000000000011',
     '5e200000-0000-4000-8000-000000000011', '2026-03-02 15:00+00', '2026-03-02 16:30+00', 'completed',
     '2026-03-02 17:00+00', NULL),
    ('a0000000-0000-4000-8000-000000000012', '5a10a000-0000-4000-8000-000000000002',
     'c1e00000-0000-4000-8000-000000000011', '57af0000-0000-4000-8000-000000000011',
     '5e200000-0000-4000-8000-000000000012', '2026-03-09 15:00+00', '2026-03-09 15:10+00', 'cancelled',
     '2026-03-09 09:00+00', 'client');
"""


async def test_a_second_release_database_upgrades_its_appointments_keeping_their_services_prices(
    second_release_url: str,
) -> None:
    conn = psycopg2.connect(second_release_url)
    with conn, conn.cursor() as cur:
        cur.execute(SECOND_RELEASE_APPOINTMENTS)
    conn.close()
    before = table_rows(second_release_url)["appointments"]

    await upgrade(second_release_url)

    after = table_rows(second_release_url)["appointments"]
    added = {"price_cents", "series_id", "cancelled_at", "buffer_minutes"}
    assert [{k: v for k, v in row.items() if k not in added} for row in after] == before, "every row kept"
    by_id = {row["id"][-2:]: row for row in after}
    assert by_id["11"]["price_cents"] == 8500, "its service's price"
    assert by_id["12"]["price_cents"] == 0, "a service without a price: nothing spent"
    assert [row["series_id"] for row in after] == [None, None]
    assert by_id["11"]["cancelled_at"] is None
    assert by_id["12"]["cancelled_at"] == by_id["12"]["updated_at"], "dated by its last change"


# Messages the second release sent, failed and heard delivered, for migration 0019: reports keep their outcomes.
SECOND_RELEASE_MESSAGES = """
INSERT INTO notification_jobs (id, salon_id, type, payload, channels, channels_done, status, processed_at) VALUES
    ('10b00000-0000-4000-8000-000000000021', '5a10a000-0000-4000-8000-000000000002', 'salon_notice',
     '{"email": "owner@cuts.example", "phone": "+12125550100"}', '{email,sms}', '{email,sms}', 'completed',
     '2026-03-02 12:00+00'),
    ('10b00000-0000-4000-8000-000000000022', '5a10a000-0000-4000-8000-000000000002', 'salon_notice',
     '{"phone": "+12125550100"}', '{sms}', '{}', 'failed', '2026-03-03 12:00+00');
INSERT INTO notification_attempts (job_id, attempt, channel, outcome, worker_id, finished_at, provider_id) VALUES
    ('10b00000-0000-4000-8000-000000000021', 1, 'email', 'sent', 'w', '2026-03-02 12:00+00', NULL),
    ('10b00000-0000-4000-8000-000000000021', 1, 'sms', 'sent', 'w', '2026-03-02 12:00+00', 'SMold'),
    ('10b00000-0000-4000-8000-000000000022', 3, 'sms', 'permanent', 'w', '2026-03-03 12:00+00', NULL);
INSERT INTO sms_deliveries (message_sid, status, rank) VALUES ('SMold', 'delivered', 5);
"""


async def test_a_second_release_database_keeps_what_became_of_its_messages_for_reports(
    second_release_url: str,
) -> None:
    conn = psycopg2.connect(second_release_url)
    with conn, conn.cursor() as cur:
        cur.execute(SECOND_RELEASE_MESSAGES)
    conn.close()

    await upgrade(second_release_url)

    outcomes = {
        (row["job_id"][-2:], row["channel"]): (row["outcome"], row["delivered"], row["decided_at"][:10])
        for row in table_rows(second_release_url)["message_outcomes"]
    }
    assert outcomes == {
        ("21", "email"): ("sent", False, "2026-03-02"),
        ("21", "sms"): ("sent", True, "2026-03-02"),
        ("22", "sms"): ("failed", False, "2026-03-03"),
    }


async def test_the_schedules_migration_keeps_every_row_with_no_buffer_and_everyone_performing(
    first_release_url: str,
) -> None:
    """0020 on a database of the last release with rows: services stay everyone's with no buffer, booked
    appointments keep their times and hold their stylists as before, and time off starts empty."""
    await upgrade_to(first_release_url, 17)
    before = table_rows(first_release_url, without=("schema_migrations",))
    assert await upgrade(first_release_url) == (17, LATEST)
    after = table_rows(first_release_url, without=("schema_migrations",))
    assert after["time_off"] == [] and after["service_staff"] == []
    for table, rows in before.items():
        added = {key for row in after[table] for key in row} - {key for row in rows for key in row}
        assert [{k: v for k, v in row.items() if k not in added} for row in after[table]] == rows, table
    assert {(row["buffer_minutes"], row["all_staff"]) for row in after["services"]} == {(0, True)}
    assert {row["buffer_minutes"] for row in after["appointments"]} == {0}

    db = await Database.connect(first_release_url, maxsize=2)
    try:  # the booked appointment still holds its stylist, by the new constraint
        with pytest.raises(psycopg2.errors.ExclusionViolation):
            await db.execute(
                """INSERT INTO appointments (salon_id, client_id, staff_id, service_id, start_time, end_time)
                   SELECT salon_id, client_id, staff_id, service_id, start_time + interval '30 minutes',
                          end_time + interval '30 minutes'
                     FROM appointments WHERE id = 'a0000000-0000-4000-8000-000000000001'"""
            )
    finally:
        await db.close()


async def test_a_second_release_database_upgrades_to_stylists_keeping_its_team(second_release_url: str) -> None:
    """0021: users and invitations gain a staff member only for stylists; everyone already there keeps their role,
    a waiting invitation still invites a receptionist, and no salon has a calendar feed yet."""
    conn = psycopg2.connect(second_release_url)
    with conn, conn.cursor() as cur:
        cur.execute(
            """INSERT INTO users (id, salon_id, email, password_hash, role) VALUES
                   ('05e20000-0000-4000-8000-000000000004', '5a10a000-0000-4000-8000-000000000002',
                    'desk@cuts.example', 'scrypt$...', 'receptionist');
               INSERT INTO staff (id, salon_id, first_name) VALUES
                   ('57aff000-0000-4000-8000-000000000002', '5a10a000-0000-4000-8000-000000000002', 'Cy');
               INSERT INTO invitations (salon_id, email, token_hash, expires_at) VALUES
                   ('5a10a000-0000-4000-8000-000000000002', 'late@cuts.example', '\\x01', '2030-01-01')"""
        )
    conn.close()
    before = table_rows(second_release_url)
    assert await upgrade(second_release_url) == (SECOND_RELEASE, LATEST)
    after = table_rows(second_release_url)
    assert [{**user, "staff_id": None, "locale": None} for user in before["users"]] == after["users"], (
        "every user, as they were"
    )
    [invitation] = after["invitations"]
    assert (invitation["role"], invitation["staff_id"]) == ("receptionist", None)
    assert after["calendar_feeds"] == []
    conn = psycopg2.connect(second_release_url)
    with conn, conn.cursor() as cur:  # and the new role works on the upgraded rows
        cur.execute(
            """INSERT INTO users (salon_id, email, password_hash, role, staff_id) VALUES
                   ('5a10a000-0000-4000-8000-000000000002', 'cy@cuts.example', 'x', 'stylist',
                    '57aff000-0000-4000-8000-000000000002')"""
        )
    conn.close()


# What a database just before the waitlist (0022) holds that the waitlist touches: an online booking's hold and its
# held time, a booked appointment and its confirmation, waiting to be sent.
BEFORE_WAITLIST_ROWS = """
INSERT INTO staff (id, salon_id, first_name) VALUES
    ('57aff000-0000-4000-8000-000000000011', '5a10a000-0000-4000-8000-000000000002', 'Bea');
INSERT INTO services (id, salon_id, name, duration_minutes) VALUES
    ('5e6f1ce0-0000-4000-8000-000000000011', '5a10a000-0000-4000-8000-000000000002', 'Cut', 45);
INSERT INTO clients (id, salon_id, first_name, email) VALUES
    ('c1e00000-0000-4000-8000-000000000011', '5a10a000-0000-4000-8000-000000000002', 'Cy', 'cy@example.com');
INSERT INTO appointments (id, salon_id, client_id, staff_id, service_id, start_time, end_time, status) VALUES
    ('a0000000-0000-4000-8000-000000000011', '5a10a000-0000-4000-8000-000000000002', NULL,
     '57aff000-0000-4000-8000-000000000011', '5e6f1ce0-0000-4000-8000-000000000011', '2030-05-06 14:00+00',
     '2030-05-06 14:45+00', 'held'),
    ('a0000000-0000-4000-8000-000000000012', '5a10a000-0000-4000-8000-000000000002',
     'c1e00000-0000-4000-8000-000000000011', '57aff000-0000-4000-8000-000000000011',
     '5e6f1ce0-0000-4000-8000-000000000011', '2030-05-06 09:00+00', '2030-05-06 09:45+00', 'booked');
INSERT INTO holds (salon_id, appointment_id, code_hash, expires_at, first_name, email, client_address) VALUES
    ('5a10a000-0000-4000-8000-000000000002', 'a0000000-0000-4000-8000-000000000011', '\\x00', '2030-05-01 00:00+00',
     'Dee', 'dee@example.com', '10.0.0.1');
INSERT INTO notification_jobs (salon_id, client_id, appointment_id, type, payload, channels) VALUES
    ('5a10a000-0000-4000-8000-000000000002', 'c1e00000-0000-4000-8000-000000000011',
     'a0000000-0000-4000-8000-000000000012', 'booking_confirmation', '{}', '{email}');
"""


async def test_the_waitlist_keeps_every_row_of_a_database_before_it_and_what_its_messages_read(
    second_release_url: str,
) -> None:
    before = next(m.version for m in migrations.known() if m.name == "waitlist") - 1
    await upgrade_to(second_release_url, before)
    conn = psycopg2.connect(second_release_url)
    with conn, conn.cursor() as cur:
        cur.execute(BEFORE_WAITLIST_ROWS)
        cur.execute("SELECT * FROM message_facts ORDER BY job_id")
        facts_before = cur.fetchall()
    conn.close()
    rows_before = table_rows(second_release_url, without=("schema_migrations",))
    assert await upgrade(second_release_url) == (before, LATEST)
    rows = table_rows(second_release_url, without=("schema_migrations",))
    assert rows.pop("waitlist_entries") == [] and rows.pop("waitlist_offers") == [], "new tables start empty"
    [hold] = rows["holds"]
    assert hold.pop("waitlist_entry_id") is None, "a booking's hold, as before"
    later = rows.keys() - rows_before.keys()  # tables of the migrations after the waitlist's
    assert all(rows.pop(table) == [] for table in later), "tables added later start empty"
    for table, kept in rows_before.items():  # columns added later aside
        added = {key for row in rows[table] for key in row} - {key for row in kept for key in row}
        assert [{k: v for k, v in row.items() if k not in added} for row in rows[table]] == kept, table
    conn = psycopg2.connect(second_release_url)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT * FROM message_facts ORDER BY job_id")
        facts = cur.fetchall()
    conn.close()
    assert [row[: len(facts_before[0])] for row in facts] == facts_before, "each job's facts read as before"
    conn = psycopg2.connect(second_release_url)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT waitlist_status, offer_still_free, online_min_notice_minutes FROM message_facts")
        offers = set(cur.fetchall())
    conn.close()
    assert offers == {(None, None, 120)}, "no waitlist offer among them"


async def test_a_second_release_database_upgrades_to_shared_limits_keeping_every_row(second_release_url: str) -> None:
    """The limits' tables start empty (everyone has a full allowance, as after a restart) and nothing else moves."""
    before = table_rows(second_release_url)
    assert await upgrade(second_release_url) == (SECOND_RELEASE, LATEST)
    after = table_rows(second_release_url)
    assert after["rate_buckets"] == [] and after["login_tallies"] == []
    for table in ("salons", "users", "notification_jobs"):
        assert len(after[table]) == len(before[table]), f"{table} keeps its rows"
    conn = psycopg2.connect(second_release_url)
    try:
        with conn.cursor() as cur:
            cur.execute(
                """SELECT relname FROM pg_class WHERE relname IN ('rate_buckets', 'login_tallies')
                    AND relpersistence = 'u' ORDER BY relname"""
            )
            assert [row[0] for row in cur.fetchall()] == ["login_tallies", "rate_buckets"], "unlogged"
    finally:
        conn.close()


# Reminders the second release queued for an appointment of its own: they must go as they would have.
SECOND_RELEASE_REMINDERS = """
INSERT INTO clients (id, salon_id, first_name, email, opted_in_reminders) VALUES
    ('c1e00000-0000-4000-8000-000000000021', '5a10a000-0000-4000-8000-000000000002', 'Eve', 'eve@example.com', true);
INSERT INTO staff (id, salon_id, first_name) VALUES
    ('57a00000-0000-4000-8000-000000000021', '5a10a000-0000-4000-8000-000000000002', 'Flo');
INSERT INTO services (id, salon_id, name, duration_minutes) VALUES
    ('5e200000-0000-4000-8000-000000000021', '5a10a000-0000-4000-8000-000000000002', 'Trim', 30);
INSERT INTO appointments (id, salon_id, client_id, staff_id, service_id, start_time, end_time) VALUES
    ('a0000000-0000-4000-8000-000000000021', '5a10a000-0000-4000-8000-000000000002',
     'c1e00000-0000-4000-8000-000000000021', '57a00000-0000-4000-8000-000000000021',
     '5e200000-0000-4000-8000-000000000021', '2030-05-06 14:00+00', '2030-05-06 14:30+00');
INSERT INTO notification_jobs (id, salon_id, client_id, appointment_id, type, payload, channels, run_at) VALUES
    ('10b00000-0000-4000-8000-000000000021', '5a10a000-0000-4000-8000-000000000002',
     'c1e00000-0000-4000-8000-000000000021', 'a0000000-0000-4000-8000-000000000021', 'reminder_24h',
     '{"startTime": "2030-05-06T14:00:00+00:00", "endTime": "2030-05-06T14:30:00+00:00"}', '{email}',
     '2030-05-05 14:00+00'),
    ('10b00000-0000-4000-8000-000000000022', '5a10a000-0000-4000-8000-000000000002',
     'c1e00000-0000-4000-8000-000000000021', 'a0000000-0000-4000-8000-000000000021', 'reminder_2h',
     '{"startTime": "2030-05-06T14:00:00+00:00", "endTime": "2030-05-06T14:30:00+00:00"}', '{email}',
     '2030-05-06 12:00+00');
"""


async def test_a_second_release_database_upgrades_to_the_reminder_plan_it_had_its_queued_reminders_kept(
    second_release_url: str,
) -> None:
    conn = psycopg2.connect(second_release_url)
    with conn, conn.cursor() as cur:
        cur.execute(SECOND_RELEASE_REMINDERS)
    conn.close()
    before = table_rows(second_release_url)

    assert await upgrade(second_release_url) == (SECOND_RELEASE, LATEST)

    after = table_rows(second_release_url)
    for table in ("salons", "clients", "staff", "services", "appointments", "notification_jobs"):
        rows = [row for row in before[table] if table != "notification_jobs" or row["type"].startswith("reminder")]
        added = {key for row in after[table] for key in row} - {key for row in rows for key in row}
        kept = [{k: v for k, v in row.items() if k not in added} for row in after[table]]
        assert all(row in kept for row in rows), f"{table}: every row kept as it was"
    [salon] = after["salons"]
    assert salon["reminder_minutes"] == [1440, 120], "every salon keeps the plan it had: 24 h and 2 h"
    assert salon["thank_you_enabled"] is False, "no thank-you until the salon asks for one"
    minutes = {row["type"]: row["minutes_before"] for row in after["notification_jobs"]}
    assert minutes == {"reminder_24h": 1440, "reminder_2h": 120, "booking_code": None, "team_invite": None}
    assert after["salon_messages"] == [], "every salon starts with the product's words"

    db = await Database.connect(second_release_url, maxsize=2)
    try:  # the queued reminders still read, and would go, as the released version made them
        salon_id = uuid.UUID("5a10a000-0000-4000-8000-000000000002")
        assert (await salons.get_salon(db, salon_id)).reminder_plan == (1440, 120)
        job = await jobs.get_job(db, salon_id, uuid.UUID("10b00000-0000-4000-8000-000000000021"))
        assert (job.type, job.minutes_before, job.label) == ("reminder_24h", 1440, "Reminder, 24 h before")
        row = await db.fetch_one(
            "SELECT own_text, own_sms FROM message_facts WHERE job_id = '10b00000-0000-4000-8000-000000000022'"
        )
        assert row == {"own_text": None, "own_sms": None}, "the product's words, as before"
    finally:
        await db.close()


async def test_a_second_release_database_upgrades_to_users_languages_everyone_reading_the_salons(
    second_release_url: str,
) -> None:
    """0025: every user keeps their row and reads the salon's language (NULL) until they choose one."""
    before = table_rows(second_release_url, without=("schema_migrations",))
    assert await upgrade(second_release_url) == (SECOND_RELEASE, LATEST)
    after = table_rows(second_release_url, without=("schema_migrations",))
    assert before["users"], "a user to keep"
    assert [{**user, "staff_id": None, "locale": None} for user in before["users"]] == after["users"]
    for table in before.keys() - {"users"}:
        assert len(after[table]) == len(before[table]), f"{table} keeps its rows"
    conn = psycopg2.connect(second_release_url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("UPDATE users SET locale = 'es-MX'")
        with pytest.raises(psycopg2.errors.CheckViolation), conn, conn.cursor() as cur:
            cur.execute("UPDATE users SET locale = 'not a tag'")
    finally:
        conn.close()


def _without_later_columns(rows: dict[str, list[dict[str, object]]], before: dict[str, list[dict[str, object]]]):
    """``rows`` with only the tables and columns there were ``before`` (later migrations add some, tested on their
    own)."""
    return {
        table: [{column: row[column] for column in (before[table][0] if before[table] else row)} for row in found]
        for table, found in rows.items()
        if table in before
    }


async def test_payments_keep_every_row_and_ask_no_deposit_of_any_service_until_the_salon_says(
    second_release_url: str,
) -> None:
    """Before 0026 (payments): a service, a held time and its hold, a booked appointment. After it, every row is
    as it was, no service asks a deposit, no hold waits for one, and no salon takes payments."""
    before = next(m.version for m in migrations.known() if m.name == "payments") - 1
    await upgrade_to(second_release_url, before)
    conn = psycopg2.connect(second_release_url)
    with conn, conn.cursor() as cur:
        cur.execute(BEFORE_WAITLIST_ROWS)
    conn.close()
    rows_before = table_rows(second_release_url, without=("schema_migrations",))
    assert await upgrade(second_release_url) == (before, LATEST)
    rows = table_rows(second_release_url, without=("schema_migrations",))
    assert rows.pop("stripe_accounts") == [] and rows.pop("payments") == [], "no salon takes payments yet"
    assert [(s["deposit_percent"], s["deposit_cents"]) for s in rows["services"]] == [(None, None)]
    assert [hold["code_typed_at"] for hold in rows["holds"]] == [None], "the hold waits for its code, as before"
    assert _without_later_columns(rows, rows_before) == rows_before, "every row kept as it was"
    assert len(rows["appointments"]) == 2


# Attempts of the second release's jobs as a worker left them: one sent, one sent after its claim was lost, one
# under way.
BEFORE_QUEUE_FLAT_ATTEMPTS = """
INSERT INTO notification_attempts (job_id, attempt, channel, outcome, detail, worker_id, claim_lost) VALUES
    ('10b00000-0000-4000-8000-000000000012', 1, 'email', 'sent', '250 OK', 'w1', false),
    ('10b00000-0000-4000-8000-000000000012', 2, 'email', 'sent', '250 OK', 'w2', true),
    ('10b00000-0000-4000-8000-000000000011', 1, 'email', 'started', '', 'w1', false);
"""


async def test_the_flat_queue_keeps_every_row_and_still_counts_sends_after_a_lost_claim(
    second_release_url: str,
) -> None:
    """Before 0027 (the queue's indexes made again, its attempts' pages given room): every job and attempt is kept
    as it was, /metrics still counts the one send after a lost claim, and an outcome no longer touches an index."""
    before = next(m.version for m in migrations.known() if m.name == "queue_flat") - 1
    await upgrade_to(second_release_url, before)
    conn = psycopg2.connect(second_release_url)
    with conn, conn.cursor() as cur:
        cur.execute(BEFORE_QUEUE_FLAT_ATTEMPTS)
    conn.close()
    rows_before = table_rows(second_release_url, without=("schema_migrations",))
    assert await upgrade(second_release_url) == (before, LATEST)
    rows = table_rows(second_release_url, without=("schema_migrations",))
    assert _without_later_columns(rows, rows_before) == rows_before, "every row kept"
    assert len(rows_before["notification_attempts"]) == 3
    db = await Database.connect(second_release_url, maxsize=1)
    try:
        assert await jobs.sent_after_claim_lost(db) == 1
        row = await db.fetch_row(
            """SELECT c.reloptions, pg_get_indexdef(i.indexrelid) AS lost
                 FROM pg_class c JOIN pg_index i ON i.indrelid = c.oid
                WHERE c.relname = 'notification_attempts'
                  AND i.indexrelid = 'notification_attempts_sent_after_claim_lost'::regclass"""
        )
    finally:
        await db.close()
    assert row["reloptions"] == ["fillfactor=80"]
    assert row["lost"].endswith("WHERE claim_lost"), "no outcome in any index of the attempts"


# Payments as 0026 kept them: a deposit paid on the booked appointment, the owner's refund of part of it, and a
# deposit paid after its hold had lapsed, given back whole.
BEFORE_CARDS_PAYMENTS = """
INSERT INTO payments (salon_id, appointment_id, kind, amount_cents, currency, stripe_payment_intent_id, status,
                      idempotency_key) VALUES
    ('5a10a000-0000-4000-8000-000000000002', 'a0000000-0000-4000-8000-000000000012', 'deposit', 1000, 'GBP',
     'pi_booked', 'succeeded', NULL),
    ('5a10a000-0000-4000-8000-000000000002', 'a0000000-0000-4000-8000-000000000012', 'refund', 400, 'GBP',
     'pi_booked', 'succeeded', 'salonbook-refund-a0000000-0000-4000-8000-000000000012-owner-1'),
    ('5a10a000-0000-4000-8000-000000000002', NULL, 'deposit', 900, 'GBP', 'pi_late', 'succeeded', NULL),
    ('5a10a000-0000-4000-8000-000000000002', NULL, 'refund', 900, 'GBP', 'pi_late', 'pending',
     'salonbook-refund-pi_late-unbooked');
"""


async def test_cards_on_file_keep_every_payment_with_its_reason_and_charge_no_salon_a_fee_until_it_says(
    second_release_url: str,
) -> None:
    """Before 0028 (cards on file, fees): every payment is kept and says why it moved money, no salon charges a fee,
    no card is saved, and a fee's row may wait for Stripe's answer while a deposit's may not."""
    before = next(m.version for m in migrations.known() if m.name == "card_on_file") - 1
    await upgrade_to(second_release_url, before)
    conn = psycopg2.connect(second_release_url)
    with conn, conn.cursor() as cur:
        cur.execute(BEFORE_WAITLIST_ROWS + BEFORE_CARDS_PAYMENTS)
    conn.close()
    rows_before = table_rows(second_release_url, without=("schema_migrations",))
    assert await upgrade(second_release_url) == (before, LATEST)
    rows = table_rows(second_release_url, without=("schema_migrations",))
    assert rows.pop("saved_cards") == [], "no card saved yet"
    assert {(s["no_show_fee_percent"], s["late_cancellation_fee_percent"]) for s in rows["salons"]} == {(0, 0)}
    # sorted: table_rows orders rows by their JSON, where the two pi_late rows differ first by their random ids
    assert sorted((p["stripe_payment_intent_id"], p["kind"], p["reason"]) for p in rows["payments"]) == [
        ("pi_booked", "deposit", "deposit"),
        ("pi_booked", "refund", "owner"),
        ("pi_late", "deposit", "deposit"),
        ("pi_late", "refund", "unbooked"),
    ]
    assert _without_later_columns(rows, rows_before) == rows_before, "every row kept as it was"
    conn = psycopg2.connect(second_release_url)
    try:
        with conn, conn.cursor() as cur:  # a fee waiting for Stripe's answer
            cur.execute(
                """INSERT INTO payments (salon_id, appointment_id, kind, reason, amount_cents, currency, status,
                                         idempotency_key)
                   VALUES ('5a10a000-0000-4000-8000-000000000002', 'a0000000-0000-4000-8000-000000000012', 'fee',
                           'no_show', 2000, 'GBP', 'pending', 'salonbook-fee-a0000000-no_show')"""
            )
        with pytest.raises(psycopg2.errors.CheckViolation), conn, conn.cursor() as cur:
            cur.execute(
                """INSERT INTO payments (salon_id, kind, reason, amount_cents, currency, status)
                   VALUES ('5a10a000-0000-4000-8000-000000000002', 'deposit', 'deposit', 100, 'GBP', 'pending')"""
            )
    finally:
        conn.close()
