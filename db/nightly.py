"""The nightly backup of the embedded database: at --backup_hour, keeping the newest --keep_backups.

A backup is due when none was tried since the last time the clock passed
that hour (machine-local), so a salon's computer that is switched off at
night makes it at its next start instead of never. A failed try is not
repeated until the next night; it shows in /healthz and /metrics.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from db import backups
from db.database import Database

log = logging.getLogger(__name__)

# Processes sharing one embedded database (e.g. a web and a worker process on
# one data folder) each run this schedule; the lock lets one of them make it.
_LOCK = 7_424_613_002


def last_slot(now: dt.datetime, hour: int) -> dt.datetime:
    """The latest moment at or before ``now`` when the machine's clock read ``hour``:00 (UTC, aware)."""
    local = now.astimezone().replace(tzinfo=None)  # naive machine-local time
    slot = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if slot > local:
        slot -= dt.timedelta(days=1)
    return slot.astimezone(dt.UTC)  # a naive time is read as machine-local, DST included


class NightlyBackups:
    """Makes the backups in ``folder``; ``start()`` runs the schedule on the IOLoop until ``stop()``."""

    def __init__(
        self,
        db: Database,
        url: str,
        folder: Path,
        *,
        hour: int = 3,
        keep: int = 14,
        check_every: float = 60.0,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.db = db
        self.url = url
        self.folder = folder
        self.hour = hour
        self.keep = keep
        self.check_every = check_every
        self.clock = clock
        self.last: backups.BackupFile | None = None
        self.error: str | None = None
        self.failures = 0
        self.last_try: dt.datetime | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Reads the newest backup already in the folder (it survives restarts), then runs the schedule."""
        self.last = await backups.in_executor(backups.newest, self.folder)
        self.last_try = self.last.made_at if self.last else None
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stops the schedule; a backup being made is abandoned and its partial file deleted."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def due(self) -> bool:
        return self.last_try is None or self.last_try < last_slot(self.clock(), self.hour)

    async def back_up(self) -> backups.BackupFile | None:
        """Makes a backup now and prunes old ones; records the outcome. None when another process was making it."""
        self.last_try = self.clock()
        try:
            async with self.db.pool.acquire() as conn, conn.cursor() as cur:
                await cur.execute("SELECT pg_try_advisory_lock(%s)", (_LOCK,))
                if not (await cur.fetchone())[0]:
                    return None
                try:
                    made = await backups.dump(self.url, backups.default_path(self.folder))
                finally:
                    await cur.execute("SELECT pg_advisory_unlock(%s)", (_LOCK,))
            removed = await backups.in_executor(backups.prune, self.folder, self.keep)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.error = str(exc) or type(exc).__name__
            self.failures += 1
            log.error("nightly backup failed: %s", self.error)
            return None
        self.last, self.error = made, None
        log.info("backup made: %s (%d bytes); %d old one(s) removed", made.path, made.bytes, len(removed))
        return made

    def status(self) -> dict[str, Any]:
        """What /healthz shows anyone: when the newest backup was made (null until one exists), its size, and
        the last failure; not where the installation keeps its files."""
        last = self.last
        return {
            "lastAt": last.made_at.isoformat() if last else None,
            "bytes": last.bytes if last else None,
            "error": self.error,
        }

    async def _run(self) -> None:
        while True:
            if self.due():
                await self.back_up()
            await asyncio.sleep(self.check_every)
