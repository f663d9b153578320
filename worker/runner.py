"""The worker on the IOLoop: claims due jobs, sends them, records what happened.

One drain loop at a time per process: NOTIFY, ``wake()`` and the poll only ask
for one, and a request that arrives while it runs makes it go round again.
The loop claims the next batch while the last one is still sending, up to a
window of two batches sending (and three not yet recorded), so one slow
message holds one place in the window rather than the whole queue; two claims
may be under way at once within it, each reserving its places as it starts.
A claimed job starts at once: each channel keeps to its own connections.
Outcomes are written many per statement: a batch's worth, or what has come
once every claimed job has its outcome or 20 ms have passed, and whatever
finished while the previous write ran. The checks just before each send go
many to a statement too (worker/held.py). A failing database or mail server
never stops it; the next tick tries again.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import Any

from tornado.ioloop import PeriodicCallback

from booking import code_sends, deliveries, installation, logins, online, payment_jobs, reasons, waitlist
from booking.links import Links
from db import Database, DatabaseUnavailable, KeptConnection, buckets, tallies
from db.listener import Listener
from jobqueue import claims
from jobqueue.claims import ClaimedJob
from jobqueue.queue import NOTIFY_CHANNEL
from worker import registry
from worker.channels import Channels, Gate, Permanent, Skipped, Stopping, Transient, Withdrawn
from worker.delivery import Delivery, held_until, stale_reason
from worker.held import HeldChecks
from worker.outcome import ChannelResult, Outcome, cancelled, decide, held, withdrawn
from worker.settings import WorkerSettings

log = logging.getLogger(__name__)

_DAY = 24 * 3600.0
_LIMITS_INTERVAL = 60.0  # seconds between deletions of the limits' spent rows: their tables stay small
_RECORD_RETRY = 1.0  # seconds between tries to record outcomes while the database is away
_RECORD_LINGER = 0.02  # seconds an outcome waits at most for its batch's others, to go in one statement
_CLAIMERS = 2  # claims under way at once: one's round trip (its commit's flush to disk too) overlaps the other's


class Worker:
    """Owns ``channels`` once started: ``stop()`` closes them."""

    def __init__(self, db: Database, listen_dsn: str, settings: WorkerSettings, channels: Channels) -> None:
        """``listen_dsn`` is a direct connection's URL for LISTEN, or "": then NOTIFY never reaches this worker
        (``db`` may go through PgBouncer in transaction mode) and it polls every ``poll_interval``."""
        self.id = uuid.uuid4().hex
        self.db = db
        self.settings = settings
        self.channels = channels
        self._listener = Listener(listen_dsn, NOTIFY_CHANNEL, self.wake) if listen_dsn else None
        self._running = False
        self._stopping = False
        self._wanted = False
        self._rescue_due = True
        self._drain_task: asyncio.Task[None] | None = None
        self._chores: dict[str, asyncio.Task[None]] = {}
        self._in_flight: set[asyncio.Task[None]] = set()
        self._unsettled = 0  # claimed jobs whose outcome is not recorded yet
        self._sending = 0  # claimed jobs without an outcome yet
        self._begun: set[uuid.UUID] = set()  # jobs past their gate whose outcome is not recorded (may have gone)
        self._settled = asyncio.Event()
        self._more = asyncio.Event()  # an outcome came, or a job settled without one
        self._outcomes: list[tuple[ClaimedJob, Outcome]] = []
        self._recorder: asyncio.Task[None] | None = None
        # The claims, the checks and the records each on connections of their own: through the pool each
        # statement would also pay for its acquire and release (db.KeptConnection).
        self._claimers = [db.kept_connection() for _ in range(_CLAIMERS)]
        self._recording = db.kept_connection()
        checking = db.kept_connection()
        self._kept = (*self._claimers, self._recording, checking)
        self._held = HeldChecks(checking)
        self._timers: list[PeriodicCallback] = []
        self._last_poll_at: dt.datetime | None = None
        self._links: Links | None = None  # read at start: the link secret lives in the database

    # --- life cycle ----------------------------------------------------------

    async def start(self) -> None:
        await registry.heartbeat(self.db, self.id, socket.gethostname(), os.getpid())
        self._links = Links(self.settings.public_url, await installation.link_secret(self.db))
        await asyncio.gather(*(connection.connect() for connection in self._kept))  # the first batch waits for none
        self._running = True
        if self._listener is not None:
            self._listener.start()
        chores = self.settings.holds_interval * 1000
        self._timers = [
            PeriodicCallback(self._tick, self.settings.poll_interval * 1000),
            PeriodicCallback(lambda: self._chore("heartbeat", self._beat), self.settings.heartbeat_interval * 1000),
            PeriodicCallback(lambda: self._chore("cleanup", self._clean_up), _DAY * 1000),
            PeriodicCallback(lambda: self._chore("holds", self._release_holds), chores),
            PeriodicCallback(lambda: self._chore("payments", self._requeue_payments), chores),
            PeriodicCallback(lambda: self._chore("limits", self._forget_limits), _LIMITS_INTERVAL * 1000),
        ]
        for timer in self._timers:
            timer.start()
        self._chore("cleanup", self._clean_up)
        self._tick()
        log.info("worker %s started", self.id)

    def wake(self) -> None:
        """Asks for a drain now; cheap, and a no-op while one is already asked for."""
        if not self._running or self._stopping:
            return
        self._wanted = True
        if self._drain_task is None or self._drain_task.done():
            self._drain_task = asyncio.get_running_loop().create_task(self._drain())

    async def stop(self) -> None:
        """No new claims; sends under way get shutdown_timeout to finish; the rest go back to pending."""
        if not self._running or self._stopping:
            return
        self._stopping = True
        for timer in self._timers:
            timer.stop()
        if self._listener is not None:
            await self._listener.stop()
        await self._finish_in_flight(self.settings.shutdown_timeout)
        await _cancel(self._chores.values())
        with _logged("put unsent jobs back"):
            released = await claims.release(self.db, self.id, begun=list(self._begun))
            if released:
                log.info("worker %s: %d claimed jobs put back to pending", self.id, released)
        with _logged("deregister"):
            await registry.deregister(self.db, self.id)
        for connection in self._kept:
            await connection.close()
        await self.channels.close()
        self._running = False
        log.info("worker %s stopped", self.id)

    def status(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "running": self._running and not self._stopping,
            "lastPollAt": self._last_poll_at.isoformat() if self._last_poll_at else None,
            "inFlight": self._unsettled,
            "listening": self._listener is not None and self._listener.listening,
        }

    # --- the drain loop ------------------------------------------------------

    def _tick(self) -> None:
        self._rescue_due = True
        self.wake()

    async def _drain(self) -> None:
        while self._wanted and not self._stopping:
            self._wanted = False
            self._last_poll_at = dt.datetime.now(dt.UTC)
            if self._rescue_due:
                self._rescue_due = False
                with _logged("rescue jobs of dead workers"):
                    await self._rescue()
            with _logged("claim jobs"):
                await self._claim_all()

    async def _claim_all(self) -> None:
        """Claims until nothing is due, ``_CLAIMERS`` claims under way at once. A failure waits for the other
        claims to end, then is raised: one cut off may have committed, its jobs claimed and unknown here."""
        ended = await asyncio.gather(*map(self._claim_until_empty, self._claimers), return_exceptions=True)
        for result in ended:
            if isinstance(result, BaseException):
                raise result

    async def _claim_until_empty(self, connection: KeptConnection) -> None:
        """Claims batch after batch until one comes back short (nothing else due now). A claim reserves its
        places in the window before it starts, so claims under way at once keep to it."""
        batch_size = self.settings.batch_size
        while True:
            await self._until_room(batch_size)
            if self._stopping:
                return
            self._unsettled += batch_size
            self._sending += batch_size
            try:
                jobs = await claims.claim_due(connection, self.id, batch_size)
            finally:  # the places go back; the claimed jobs take theirs
                self._sending -= batch_size
                self._settle(batch_size)
            self._start_batch(jobs)
            if len(jobs) < batch_size:
                return

    async def _until_room(self, batch_size: int) -> None:
        """Until at most one batch is still sending and two are not recorded: at most two batches send at once
        (one slow message holds one place, not the queue) and three wait for their outcomes to be written,
        so the next batch is claimed while the last one's outcomes are being written, not after."""
        while self._sending > batch_size or self._unsettled > 2 * batch_size:
            self._settled.clear()
            await self._settled.wait()

    def _settle(self, count: int) -> None:
        self._unsettled -= count
        self._settled.set()
        self._more.set()

    def _start_batch(self, jobs: list[ClaimedJob]) -> None:
        """Starts sending ``jobs`` without waiting for them."""
        self._unsettled += len(jobs)
        self._sending += len(jobs)
        loop = asyncio.get_running_loop()
        for job in jobs:
            task = loop.create_task(self._deliver(job))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)

    async def _deliver(self, job: ClaimedJob) -> None:
        """Sends a claimed job at once: each channel keeps to its own connections, and the window of batches
        (``_until_room``) bounds how many jobs are under way."""
        outcome = None
        try:
            if self._stopping:
                return  # stop() puts it back
            # A failure leaves it claimed (the rescue frees it); Stopping: nothing went, stop() puts it back.
            with _logged(f"attempt job {job.id}"), contextlib.suppress(Stopping):
                outcome = await self._attempt(Delivery.from_job(job, self._links))
        finally:
            self._sending -= 1
            if outcome is None:
                self._settle(1)
            else:
                self._record(job, outcome)
                self._settled.set()

    def _record(self, job: ClaimedJob, outcome: Outcome) -> None:
        """Queues an outcome for the writer, starting it unless it is already writing."""
        self._outcomes.append((job, outcome))
        self._more.set()
        if self._recorder is None or self._recorder.done():
            self._recorder = asyncio.get_running_loop().create_task(self._write_outcomes())

    async def _write_outcomes(self) -> None:
        """Writes outcomes until none wait. A failed write (PostgreSQL restarting) is tried again, also
        while stopping (stop() gives it shutdown_timeout): forgetting it would re-send what went out.
        Should it never get through, the attempt rows written before sending still say 'started', and
        the rescue marks them 'unconfirmed'."""
        while self._outcomes:
            await self._until_worth_writing()
            finished, self._outcomes = self._outcomes, []
            try:
                lost = await claims.finish(self._recording, self.id, finished)
            except Exception:
                log.exception("worker could not record %d outcomes; trying again", len(finished))
                self._outcomes[:0] = finished
                await asyncio.sleep(_RECORD_RETRY)
                continue
            for job in lost:
                log.warning(
                    "job %s: claim lost during attempt %d (cancelled, retried or rescued meanwhile); "
                    "what was sent is recorded, its newer state stays",
                    job.id,
                    job.attempts,
                )
            self._begun.difference_update(job.id for job, _ in finished)
            self._settle(len(finished))

    async def _until_worth_writing(self) -> None:
        """Outcomes wait a little for the others of their batch, so that a batch is recorded in one statement:
        until a batch's worth has come, every claimed job has its outcome, the worker stops, or _RECORD_LINGER
        has passed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _RECORD_LINGER
        while (
            len(self._outcomes) < min(self.settings.batch_size, self._unsettled)
            and not self._stopping
            and (left := deadline - loop.time()) > 0
        ):
            self._more.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._more.wait(), left)

    async def _finish_in_flight(self, timeout: float) -> None:
        """Lets the drain, the sends under way and the writing of their outcomes end, then cancels what is left."""
        deadline = asyncio.get_running_loop().time() + timeout
        while busy := [
            task
            for task in (self._drain_task, self._recorder, *self._in_flight)
            if task is not None and not task.done()
        ]:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                log.warning(
                    "worker %s: %d sends still running at shutdown; cancelling them", self.id, len(self._in_flight)
                )
                await _cancel(busy)
                return
            await asyncio.wait(busy, timeout=left)

    async def _attempt(self, delivery: Delivery) -> Outcome:
        job = delivery.job
        now = dt.datetime.now(dt.UTC)
        reason = stale_reason(delivery, now)
        if reason is not None:
            return cancelled(job, reason)
        until = held_until(delivery, now)
        if until is not None:
            return held(job, until, reasons.said(reasons.QUIET_HELD, when=delivery.local(until)))
        todo = [channel for channel in job.channels if channel not in job.channels_done]
        gate = self._gate(job)
        if len(todo) == 1:  # the common case: no task per channel
            results = [await self._send(todo[0], delivery, gate)]
        else:
            results = await asyncio.gather(*(self._send(channel, delivery, gate) for channel in todo))
        if any(result.withdrawn for result in results):
            return withdrawn(job, results)
        return decide(job, results, self.settings.retry_base_delay)

    def _gate(self, job: ClaimedJob) -> Gate:
        """What a channel awaits just before its message leaves: the check "at send time" is made then, not at
        the claim, because a claimed job may wait seconds for a free connection while its appointment is
        cancelled or moved (which cancels its notices and so takes the job from this worker). Past it the job
        has begun: stopping, it counts as perhaps sent. Before it, a stop gives the job back untried."""

        async def gate() -> None:
            if self._stopping and job.id not in self._begun:
                raise Stopping
            try:
                reason = await self._held.ask(job)
            except DatabaseUnavailable:
                raise Transient(reasons.NOT_SENT_UNASKED) from None
            if reason is not None:
                raise Withdrawn(reasons.said(reasons.NOT_SENT, reason=reason))
            self._begun.add(job.id)

        return gate

    async def _send(self, channel: str, delivery: Delivery, gate: Gate) -> ChannelResult:
        try:
            sent = await self.channels.get(channel).send(delivery, gate)
            return ChannelResult(channel, "sent", sent.detail, sent.provider_id)
        except Stopping:
            raise
        except Withdrawn as exc:
            return ChannelResult(channel, "skipped", str(exc), withdrawn=True)
        except Skipped as exc:
            return ChannelResult(channel, "skipped", str(exc))
        except Transient as exc:
            return ChannelResult(channel, "transient", str(exc))
        except Permanent as exc:
            return ChannelResult(channel, "permanent", str(exc))
        except Exception as exc:  # a bug or an unforeseen error: keep the loop, try again later
            log.exception("job %s: %s channel failed unexpectedly", delivery.job.id, channel)
            return ChannelResult(channel, "transient", f"unexpected error: {exc!r}")

    # --- chores --------------------------------------------------------------

    def _chore(self, name: str, work: Callable[[], Awaitable[None]]) -> None:
        """Runs ``work`` in the background unless the previous run is still going."""
        if self._stopping or (name in self._chores and not self._chores[name].done()):
            return

        async def run() -> None:
            with _logged(name):
                await work()

        self._chores[name] = asyncio.get_running_loop().create_task(run())

    async def _beat(self) -> None:
        await registry.heartbeat(self.db, self.id, socket.gethostname(), os.getpid())

    async def _rescue(self) -> None:
        settings = self.settings
        for row in await claims.rescue(self.db, settings.dead_after, settings.stale_after):
            log.warning("job %s rescued: %s -> %s", row["id"], row["error"], row["status"])
        if await registry.forget_dead(self.db, settings.dead_after):  # after their jobs were rescued
            await self._resolve_orphans()

    async def _resolve_orphans(self) -> None:
        orphans = await claims.resolve_orphans(self.db)
        if orphans:
            log.warning("%d attempts left 'started' by stopped workers on jobs taken from them: unconfirmed", orphans)

    async def _release_holds(self) -> None:
        released = await online.release_lapsed(self.db, api_base=self.settings.stripe_api_base)
        if released.lapsed:
            log.info("released %d online booking holds whose code or deposit never came", released.lapsed)
        for problem in released.not_canceled:  # a card could still pay it: refunded whole if it does
            log.warning("a lapsed hold's deposit: %s", problem)

    async def _requeue_payments(self) -> None:
        queued = await payment_jobs.requeue_stranded(self.db)
        if queued:
            log.warning("%d fees or refunds left pending by a payment job that ended: asked about again", queued)

    async def _forget_limits(self) -> None:
        """The buckets full again and the login tallies an hour has wiped count for nothing: they go."""
        await buckets.expire(self.db)
        await logins.forget_old(self.db)

    async def _clean_up(self) -> None:
        days = self.settings.keep_completed_days
        deleted = await claims.delete_completed(self.db, days)
        if deleted:
            log.info("deleted %d completed jobs older than %g days", deleted, days)
        forgotten = await deliveries.forget_old(self.db, days)  # their attempts went with those jobs
        if forgotten:
            log.info("deleted %d SMS delivery reports older than %g days", forgotten, days)
        codes = await code_sends.forget_old(self.db)
        if codes:
            log.info("forgot %d codes sent over a day ago", codes)
        expired = await waitlist.end_past(self.db, dt.datetime.now(dt.UTC))  # never matched meanwhile (their dates)
        if expired:
            log.info("%d waitlist entries past their last day ended", expired)
        await self._resolve_orphans()  # should a forgotten worker's rows have been missed
        await tallies.fold(self.db)  # however long /metrics goes unread, its tallies stay a row per status


@contextlib.contextmanager
def _logged(what: str) -> Iterator[None]:
    """Logs and swallows a failure so the loop lives on to the next tick; a database that cannot be reached
    (restarting, or a pooler waiting to log in again) is a line, not a traceback."""
    try:
        yield
    except DatabaseUnavailable as exc:
        log.warning("worker could not %s: the database is unavailable (%s); trying again later", what, exc)
    except Exception:
        log.exception("worker could not %s; trying again later", what)


async def _cancel(tasks: Iterable[asyncio.Task[None]]) -> None:
    running = [task for task in tasks if not task.done()]
    for task in running:
        task.cancel()
    await asyncio.gather(*running, return_exceptions=True)
