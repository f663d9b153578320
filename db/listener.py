"""LISTEN on a dedicated connection, so a commit wakes the worker at once.

The pool's connections come and go; a listener needs one connection that
stays. When it drops (restart, pg_terminate_backend) we reconnect with a
growing pause; the poll keeps the queue moving meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import aiopg

log = logging.getLogger(__name__)

_FIRST_PAUSE, _LONGEST_PAUSE = 0.2, 30.0


class Listener:
    """Calls ``on_notify`` for every NOTIFY on ``channel``, and once after each (re)connect."""

    def __init__(self, dsn: str, channel: str, on_notify: Callable[[], None]) -> None:
        self.dsn = dsn
        self.channel = channel
        self.on_notify = on_notify
        self.listening = False
        self._task: asyncio.Task[None] | None = None
        self._conn: aiopg.Connection | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        pause = _FIRST_PAUSE
        while True:
            try:
                await self._listen()
            except Exception as exc:  # whatever broke it, reconnect
                if self.listening:
                    log.warning("LISTEN connection lost (%s); polling until it is back", str(exc).strip())
                    pause = _FIRST_PAUSE
                else:
                    log.debug("LISTEN connection failed again: %s", str(exc).strip())
            finally:
                self.listening = False
                if self._conn is not None:
                    await self._conn.close()
                    self._conn = None
            await asyncio.sleep(pause)
            pause = min(pause * 2, _LONGEST_PAUSE)

    async def _listen(self) -> None:
        self._conn = await aiopg.connect(self.dsn, timeout=10, enable_hstore=False)
        async with self._conn.cursor() as cur:
            await cur.execute(f"LISTEN {self.channel}")
        self.listening = True
        log.info("listening for new jobs on %s", self.channel)
        self.on_notify()  # anything committed while we were not listening
        while True:
            await self._conn.notifies.get()
            self.on_notify()
