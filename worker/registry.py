"""All SQL for the workers table: who is alive, by heartbeat."""

from __future__ import annotations

from db import Database


async def heartbeat(db: Database, worker_id: str, hostname: str, pid: int) -> None:
    """Registers the worker or refreshes its heartbeat.

    An upsert rather than an update: a worker paused long enough to be deleted
    as dead comes back by itself.
    """
    await db.execute(
        """INSERT INTO workers (id, hostname, pid) VALUES (%s, %s, %s)
           ON CONFLICT (id) DO UPDATE SET heartbeat_at = now()""",
        (worker_id, hostname, pid),
    )


async def deregister(db: Database, worker_id: str) -> None:
    await db.execute("DELETE FROM workers WHERE id = %s", (worker_id,))


async def forget_dead(db: Database, older_than: float) -> int:
    """Deletes workers silent for ``older_than`` seconds (their jobs are rescued first)."""
    return await db.execute("DELETE FROM workers WHERE heartbeat_at < now() - %s * interval '1 second'", (older_than,))
