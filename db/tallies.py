"""Rows per status of the tables /metrics counts, kept by triggers as the rows change (migration 0012).

Counting 3,000,000 jobs on every scrape took half a second and grew with the table; the tallies cost
the same at any size. Each statement that changes a counted table adds a row of its net change per
status; reading folds those rows into one per status, so what is summed stays short.
"""

from __future__ import annotations

from db.database import Database

# Correct whoever folds at the same time: a fold deletes only rows it sees and adds back exactly their sum.
_FOLD = """WITH folded AS (
               DELETE FROM status_tallies WHERE %(tally)s::text IS NULL OR tally = %(tally)s RETURNING tally, status, n
           )
           INSERT INTO status_tallies (tally, status, n)
           SELECT tally, status, sum(n) FROM folded GROUP BY tally, status HAVING sum(n) <> 0"""


async def fold(db: Database, table: str | None = None) -> None:
    """Folds the changes added since the last fold into one row per status: of ``table``, or of all."""
    await db.execute(_FOLD, {"tally": table})


async def counts(db: Database, table: str) -> dict[str, int]:
    """Rows of ``table`` per status; a status with none is absent."""
    await fold(db, table)
    rows = await db.fetch_all(
        "SELECT status, sum(n)::bigint AS n FROM status_tallies WHERE tally = %s GROUP BY status", (table,)
    )
    return {row["status"]: row["n"] for row in rows if row["n"]}
