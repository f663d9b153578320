"""The schema's versions: the numbered SQL files in migrations/, applied at start-up, one process at a time.

Each file runs once and is recorded in ``schema_migrations``; a released file is never edited. An upgrade
is one transaction that holds the start-up lock (a transaction-level advisory lock, so it works through
PgBouncer in transaction mode), each file in a savepoint: a failing file is taken back, the ones before it
are committed. A database made by the first release has its tables but no ``schema_migrations``: it is
version 1. Code that meets a database newer than itself refuses it (``SchemaTooNew``).
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiopg
import psycopg2

from db.database import Database

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS_PATH = ROOT / "migrations"
SCHEMA_PATH = ROOT / "schema.sql"  # the current schema for people to read; tests keep it equal to the migrations

# The first release took this key with pg_advisory_xact_lock at every start, so
# an old and a new process starting together still wait for each other.
LOCK = 7_424_613_001

# The first release created all of these in one transaction: their presence
# without schema_migrations is what makes a database "version 1".
FIRST_RELEASE_TABLES = (
    "salons", "users", "api_tokens", "staff", "working_hours", "services", "clients", "appointments",
    "notification_jobs", "notification_attempts", "workers", "outbox_messages", "secrets"
)  # fmt: skip
VERSIONS_TABLE = "schema_migrations"
# A migration may build indexes on millions of rows (0011 takes about 15 s at a chain's size) and every other
# process starting meanwhile waits for the lock as long: the pool's timeout is a request's, not an upgrade's.
UPGRADE_TIMEOUT = 3600.0

_FILE_NAME = re.compile(r"(\d{4})_(\w+)\.sql")


@dataclass(frozen=True, order=True)
class Migration:
    version: int
    name: str
    path: Path


class SchemaTooNew(Exception):
    """The database was upgraded by a newer Salonbook than this one."""

    def __init__(self, database_version: int, code_version: int) -> None:
        super().__init__(
            f"the database is at schema version {database_version}, "
            f"this Salonbook knows up to {code_version}: upgrade Salonbook"
        )


class NotSalonbook(Exception):
    """Some, not all, of the first release's tables: not a database Salonbook made."""


def known(folder: Path = MIGRATIONS_PATH) -> list[Migration]:
    """The migrations in ``folder``, numbered 1, 2, 3 ... without gaps."""
    found = sorted(
        Migration(int(match[1]), match[2], path)
        for path in folder.iterdir()
        if (match := _FILE_NAME.fullmatch(path.name))
    )
    if [m.version for m in found] != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migrations in {folder} must be numbered 0001, 0002, ... without gaps")
    return found


async def salonbook_tables(cur: aiopg.Cursor) -> list[str]:
    """Which of Salonbook's tables (the first release's and schema_migrations) the database has."""
    await cur.execute(
        "SELECT name FROM unnest(%s::text[]) AS t(name) WHERE to_regclass(name) IS NOT NULL",
        ([*FIRST_RELEASE_TABLES, VERSIONS_TABLE],),
    )
    return [row[0] for row in await cur.fetchall()]


async def database_version(cur: aiopg.Cursor) -> int:
    """0 for a database without Salonbook, 1 for one the first release made, else the newest migration applied."""
    tables = await salonbook_tables(cur)
    if VERSIONS_TABLE in tables:
        await cur.execute("SELECT coalesce(max(version), 0) FROM schema_migrations")
        version: int = (await cur.fetchone())[0]
        return version
    if not tables:
        return 0
    if len(tables) == len(FIRST_RELEASE_TABLES):
        return 1
    raise NotSalonbook(f"the database has some of Salonbook's tables but not all ({', '.join(tables)})")


@contextlib.asynccontextmanager
async def transaction_on(cur: aiopg.Cursor) -> AsyncIterator[None]:
    """BEGIN ... COMMIT on a cursor the caller holds; an exception rolls back."""
    await cur.execute("BEGIN")
    try:
        yield
    except BaseException:
        if not cur.connection.closed:
            await cur.execute("ROLLBACK")
        raise
    await cur.execute("COMMIT")


async def upgrade(db: Database, migrations: list[Migration] | None = None) -> tuple[int, int]:
    """Brings the database to the newest migration; returns (version before, version after).

    A migration that fails is raised after the ones before it are committed.
    """
    migrations = known() if migrations is None else migrations
    failed: Exception | None = None
    async with db.pool.acquire() as conn:
        cur = await conn.cursor(timeout=UPGRADE_TIMEOUT)
        async with transaction_on(cur):
            await cur.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK,))
            before = await database_version(cur)
            if before > len(migrations):
                raise SchemaTooNew(before, len(migrations))
            if VERSIONS_TABLE not in await salonbook_tables(cur):
                await _record_versions(cur, before, migrations[0])
            for migration in migrations[before:]:
                log.info("upgrading the database to schema version %d (%s)", migration.version, migration.name)
                await cur.execute("SAVEPOINT migration")
                try:
                    await cur.execute(migration.path.read_text())
                    await cur.execute(
                        "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                        (migration.version, migration.name),
                    )
                except psycopg2.Error as exc:
                    await cur.execute("ROLLBACK TO SAVEPOINT migration")
                    failed = exc
                    break
    if failed is not None:
        raise failed
    if before < len(migrations):
        log.info("database upgraded from schema version %d to %d", before, len(migrations))
    return before, len(migrations)


async def _record_versions(cur: aiopg.Cursor, version: int, first: Migration) -> None:
    """Makes schema_migrations; a database of the first release gets its version 1 in it."""
    await cur.execute(
        """CREATE TABLE schema_migrations (
                version     integer PRIMARY KEY,
                name        text NOT NULL,
                applied_at  timestamptz NOT NULL DEFAULT now())"""
    )
    if version == 1:
        log.info("a database of Salonbook's first release: recorded as schema version 1")
        await cur.execute("INSERT INTO schema_migrations (version, name) VALUES (1, %s)", (first.name,))
