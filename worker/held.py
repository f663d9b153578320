"""The check just before a message leaves, many sends to one statement.

Every send asks, at its last moment, whether its job is still this worker's
(``claims.still_held``). The sends of one batch start together, so their
questions come together: the checks asked while one is under way wait for it
and go, all of them, in the next statement. Each answer is still read after
its send asked, so nothing goes out once a cancel, retry or rescue of its job
has committed. A batch of ten costs one round trip when its channel has a
connection free for each, one per wave of connections when it has fewer.
"""

from __future__ import annotations

import asyncio

from db import Queries
from jobqueue import claims
from jobqueue.claims import ClaimedJob


class HeldChecks:
    """``await checks.ask(job)``: None while ``job`` is still this worker's to send, else why not."""

    def __init__(self, db: Queries) -> None:
        self.db = db
        self._waiting: list[tuple[ClaimedJob, asyncio.Future[str | None]]] = []
        self._asking: asyncio.Task[None] | None = None

    async def ask(self, job: ClaimedJob) -> str | None:
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[str | None] = loop.create_future()
        self._waiting.append((job, answer))
        if self._asking is None or self._asking.done():
            # A task, not a call here: it runs once this turn of the loop is over, with every check asked in it.
            self._asking = loop.create_task(self._ask_waiting())
        return await answer

    async def _ask_waiting(self) -> None:
        while self._waiting:
            asked, self._waiting = self._waiting, []
            try:
                reasons = await claims.still_held(self.db, [job for job, _ in asked])
            except asyncio.CancelledError:
                for _, answer in [*asked, *self._waiting]:
                    answer.cancel()
                raise
            except Exception as exc:  # the database unavailable: each send hears it and decides
                for _, answer in asked:
                    if not answer.done():
                        answer.set_exception(exc)
                continue
            for (_, answer), reason in zip(asked, reasons, strict=True):
                if not answer.done():  # its send may have been cancelled meanwhile (a stop)
                    answer.set_result(reason)
