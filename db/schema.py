"""Applies schema.sql at start-up, one process at a time."""

from pathlib import Path

from db.database import Database

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schema.sql"

# Any constant shared by every Salonbook process: they queue on this lock, so
# two processes starting together never run CREATE ... IF NOT EXISTS at once
# (which can fail with a unique violation in the catalog).
_SCHEMA_LOCK = 7_424_613_001


async def apply_schema(db: Database) -> None:
    sql = SCHEMA_PATH.read_text()
    async with db.transaction() as cur:
        await cur.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
        await cur.execute(sql)
