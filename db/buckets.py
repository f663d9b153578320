"""Token buckets in PostgreSQL, one per key, shared by every process of the installation (``rate_buckets``).

A bucket holds up to ``burst`` tokens and gains ``rate`` a second; a request takes one. The row keeps only
when the bucket is full again (``full_at``): a request at ``now`` may go while full_at is at most
(burst - 1) / rate seconds ahead, and then pushes full_at 1 / rate seconds further. So a count is one
INSERT ... ON CONFLICT DO UPDATE: the row's lock puts the processes' requests in a line, and together they
allow what one allows. A row whose full_at has passed is a full bucket, the same as no row (``expire``).
"""

from __future__ import annotations

from enum import StrEnum

from db.database import Database


class Kind(StrEnum):
    """Whose buckets (rate_buckets.kind, CHECKed there): keys of one kind never meet another's."""

    API = "api"  # per API token
    PUBLIC = "public"  # per client address, online booking's API and pages


# The DO UPDATE's WHERE refuses: a refused request changes nothing and returns no row.
_TAKE = """INSERT INTO rate_buckets AS b (kind, key, full_at)
           VALUES (%(kind)s, %(key)s, to_timestamp(%(now)s + %(step)s))
           ON CONFLICT (kind, key) DO UPDATE
              SET full_at = greatest(b.full_at, to_timestamp(%(now)s)) + make_interval(secs => %(step)s)
            WHERE b.full_at <= to_timestamp(%(now)s + %(room)s)
           RETURNING true AS taken"""


async def take(db: Database, kind: Kind, key: bytes, *, rate: float, burst: float, now: float) -> float:
    """0 when a request of ``key`` may go ahead at ``now`` (seconds since 1970), its token taken; else the
    seconds until one may (more than 0), and nothing is counted. ``burst`` is at least 1."""
    room = (max(burst, 1.0) - 1) / rate
    params = {"kind": kind, "key": key, "now": now, "step": 1 / rate, "room": room}
    if await db.fetch_one(_TAKE, params) is not None:
        return 0.0
    row = await db.fetch_one(
        "SELECT extract(epoch FROM full_at)::float8 AS full_at FROM rate_buckets WHERE kind = %s AND key = %s",
        (kind, key),
    )  # the refusal's own wait: full_at only grows while the bucket is not full
    # At most one token's time: more would only mean that a request with a later clock was counted meanwhile.
    return min(max(row["full_at"] - now - room, 1e-6), 1 / rate) if row else 1 / rate


async def expire(db: Database) -> int:
    """Deletes the buckets that are full again (a periodic chore); returns how many."""
    return await db.execute("DELETE FROM rate_buckets WHERE full_at < now()")
