"""The workers' side of the queue: claim due jobs, record what happened, free what was left behind.

A claim is fenced: every later write of a claimed job repeats who holds it,
which attempt and since when, so a worker that lost its claim (rescued,
cancelled, retried) changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from db import Database, Queries, Row


@dataclass(frozen=True)
class ClaimedJob:
    """A job this worker holds; (id, locked_by, attempts, locked_at) is the fence.

    ``facts`` is the job's row of the domain's ``message_facts`` view, as the claim read it: what rendering and
    the send-time check need (the queue does not look inside).
    """

    id: uuid.UUID
    salon_id: uuid.UUID
    client_id: uuid.UUID | None
    appointment_id: uuid.UUID | None
    type: str
    payload: dict[str, Any]
    channels: tuple[str, ...]
    channels_done: tuple[str, ...]
    attempts: int
    max_attempts: int
    locked_by: str
    locked_at: dt.datetime
    created_at: dt.datetime
    facts: Row = field(default_factory=dict, compare=False, repr=False)


class ChannelAttempt(Protocol):
    """What one channel did in one attempt: a row of notification_attempts."""

    @property
    def channel(self) -> str: ...
    @property
    def outcome(self) -> str: ...  # sent, transient, permanent, skipped
    @property
    def detail(self) -> str: ...
    @property
    def provider_id(self) -> str | None: ...  # the far end's name for what was sent (an SMS's id)


class Finished(Protocol):
    """The state a claimed job leaves in, as the worker decided it."""

    @property
    def status(self) -> str: ...  # completed, pending, failed, cancelled
    @property
    def channels_done(self) -> tuple[str, ...]: ...
    @property
    def error(self) -> str | None: ...
    @property
    def retry_in(self) -> float: ...  # seconds until a pending job is due again
    @property
    def results(self) -> Sequence[ChannelAttempt]: ...
    @property
    def held_until(self) -> dt.datetime | None: ...  # nothing was tried: the attempt and its rows are taken back


# The claim: see claim_due. Its query is the function claim_jobs (migrations/0018, schema.sql): PL/pgSQL keeps
# a query's plan per server connection, as a session's PREPARE did, without a session of its own, so the claim
# works through PgBouncer in transaction mode. What a message needs beside the job comes from the view
# ``message_facts`` (one row per job, its id as job_id), which the domain defines over its own tables
# (schema.sql): the queue names no table but its own. The function hands it over as one value of the view's
# row type, spread into columns here.
CLAIM = """SELECT c.id, c.salon_id, c.client_id, c.appointment_id, c.type, c.payload, c.channels, c.channels_done,
                  c.attempts, c.max_attempts, c.locked_by, c.locked_at, c.created_at, (c.facts).*
             FROM claim_jobs(%(limit)s, %(worker)s) c
            ORDER BY c.claim_order"""


async def claim_due(db: Queries, worker_id: str, limit: int) -> list[ClaimedJob]:
    """Takes up to ``limit`` due jobs for ``worker_id``, salons taking turns, writes an attempt row ('started')
    for each channel they still need and reads their facts: one statement, one round trip.

    Each salon's oldest due job comes first, then each one's second, and so on,
    so one salon's backlog delays another salon's due job by one batch at most,
    and a batch is full whenever ``limit`` jobs are due. Several workers never
    wait for each other nor take the same job: each row is locked FOR UPDATE
    SKIP LOCKED, and a row another claim holds is passed over.

    Every read is an ordered walk of ``notification_jobs_due_per_salon``
    (salon_id, run_at, id): from one salon with due jobs to the next (a backlog
    of any size is one step), then, for the ``limit`` salons whose oldest due
    job is oldest, from each job to the salon's next one, ``limit`` deep. Each
    step is a LIMIT 1 probe, whose plan no skew in the statistics can turn into
    reading a whole backlog. MATERIALIZED pins the claimed ids; ``WHERE id IN
    (subselect)`` may be re-run by the planner and claim more than LIMIT rows
    (PostgreSQL bug #15715).

    The 'started' rows mean no message can leave without a row saying so: ``finish`` writes its outcome
    into that row, and if the worker dies first, ``rescue`` marks it 'unconfirmed' (it may have gone out).
    """
    rows = await db.fetch_all(CLAIM, {"limit": limit, "worker": worker_id})
    return [_claimed(row) for row in rows]


_JOB_COLUMNS = (
    "id",
    "salon_id",
    "client_id",
    "appointment_id",
    "type",
    "payload",
    "channels",
    "channels_done",
    "attempts",
    "max_attempts",
    "locked_by",
    "locked_at",
    "created_at",
)


def _claimed(row: Row) -> ClaimedJob:
    """The job's own columns make the ClaimedJob, the rest its facts."""
    job = {name: row.pop(name) for name in _JOB_COLUMNS}
    return ClaimedJob(
        **job | {"channels": tuple(job["channels"]), "channels_done": tuple(job["channels_done"])}, facts=row
    )


async def finish(db: Queries, worker_id: str, finished: Sequence[tuple[ClaimedJob, Finished]]) -> list[ClaimedJob]:
    """Records many attempts in one statement; returns the jobs whose claim was lost meanwhile.

    Each job's new state is fenced on its claim: a job cancelled, retried or rescued meanwhile keeps its
    newer state. What was sent is recorded whatever happened to the claim: the attempt rows get their
    outcome (marked ``claim_lost``), and a channel that went out joins ``channels_done`` so it is not sent again.
    A job ``held_until`` a time (nothing was tried) gets its attempt back, its attempt rows are taken back,
    and it is due at that time.

    The statement is the function finish_jobs (migrations/0031, schema.sql): parsed once per server connection
    and its plan kept, as the claim's is.
    """
    if not finished:
        return []
    rows = await db.fetch_all(
        "SELECT id FROM finish_jobs(%s, %s::jsonb) AS id",
        (worker_id, json.dumps([_outcome_record(job, outcome) for job, outcome in finished])),
    )
    lost = {row["id"] for row in rows}
    return [job for job, _ in finished if job.id in lost]


def _outcome_record(job: ClaimedJob, outcome: Finished) -> dict[str, Any]:
    return {
        "id": str(job.id),
        "attempt": job.attempts,
        "locked_at": job.locked_at.isoformat(),
        "status": outcome.status,
        "done": list(outcome.channels_done),
        "error": outcome.error,
        "retry_in": outcome.retry_in,
        "results": [
            {"channel": r.channel, "outcome": r.outcome, "detail": r.detail, "provider_id": r.provider_id}
            for r in outcome.results
        ],
        "held_until": outcome.held_until.isoformat() if outcome.held_until else None,
    }


async def still_held(db: Queries, jobs: Sequence[ClaimedJob]) -> list[str | None]:
    """For each of ``jobs``: None while it is still its worker's to send; otherwise why not, in the salon's words.

    A job is taken from its worker by a cancel (the domain's cancel or move of its appointment cancels its
    notices), a retry or a rescue; the worker asks just before each message leaves, so nothing goes out once
    that has committed. One statement for all of them, the function jobs_not_held (migrations/0031): probes of
    the primary key, answered with the jobs no longer held by their claim, mostly none.
    """
    rows = await db.fetch_all(
        "SELECT id, status, error FROM jobs_not_held(%s::uuid[], %s::text[], %s::integer[], %s::timestamptz[])",
        (  # ids and times as text: psycopg2 quotes a string in C, a UUID or a datetime in Python
            [str(job.id) for job in jobs],
            [job.locked_by for job in jobs],
            [job.attempts for job in jobs],
            [job.locked_at.isoformat() for job in jobs],
        ),
    )
    taken = {row["id"]: row for row in rows}
    return [_why_not_held(taken[job.id]) if job.id in taken else None for job in jobs]


def _why_not_held(row: Row) -> str:
    if row["status"] is None:
        return "the notification was deleted"
    if row["status"] == "cancelled" and row["error"]:
        return str(row["error"])  # the cancel's own words: "appointment was cancelled by the salon"
    return f"the notification was {_TAKEN.get(row['status'], 'taken by another worker')} meanwhile"


_TAKEN = {"cancelled": "cancelled", "pending": "put back in the queue", "failed": "given up", "completed": "sent"}


async def release(db: Database, worker_id: str, *, begun: Sequence[uuid.UUID] = ()) -> int:
    """Puts a worker's unfinished jobs back to pending and resolves every attempt row it left 'started'.

    A job whose sending had ``begun`` and was not recorded may have gone out: its attempt counts and
    its rows say 'unconfirmed'. Any other job was never tried: its attempt and its rows are taken back.
    Rows of jobs taken from the worker meanwhile (cancelled, retried, rescued) are resolved the same way,
    their job's newer state left alone. Returns how many jobs went back to pending.
    """
    row = await db.fetch_row(
        """WITH mine AS MATERIALIZED (
               SELECT id, attempts, id = ANY(%(begun)s::uuid[]) AS begun FROM notification_jobs
                WHERE status = 'processing' AND locked_by = %(worker)s
                  FOR UPDATE
           ), released AS (
               UPDATE notification_jobs j
                  SET status = 'pending', attempts = CASE WHEN mine.begun THEN j.attempts
                                                          ELSE greatest(j.attempts - 1, 0) END,
                      run_at = now(), locked_by = NULL, locked_at = NULL, updated_at = now()
                 FROM mine WHERE j.id = mine.id
           ), left_over AS MATERIALIZED (  -- every row this worker left 'started', whoever holds its job now
               SELECT a.id, a.job_id = ANY(%(begun)s::uuid[]) AS begun, a.job_id NOT IN (SELECT id FROM mine) AS lost
                 FROM notification_attempts a
                WHERE a.worker_id = %(worker)s AND a.outcome = 'started'
           ), untried AS (
               DELETE FROM notification_attempts a USING left_over
                WHERE a.id = left_over.id AND NOT left_over.begun
           ), unconfirmed AS (
               UPDATE notification_attempts a
                  SET outcome = 'unconfirmed', finished_at = now(), claim_lost = left_over.lost,
                      detail = 'the worker stopped while sending: this message may have gone out'
                 FROM left_over
                WHERE a.id = left_over.id AND left_over.begun
           )
           SELECT count(*) AS n FROM mine""",
        {"worker": worker_id, "begun": list(begun)},
    )
    released: int = row["n"]
    return released


async def rescue(db: Database, dead_after: float, stale_after: float) -> list[Row]:
    """Frees jobs held by a worker that stopped heart-beating, or held too long.

    A job with attempts left goes back to pending; one without fails. Its attempt rows still 'started'
    become 'unconfirmed': the message may have gone out. Returns (id, status, error) of each rescued job.
    """
    return await db.fetch_all(
        """WITH r AS MATERIALIZED (
               SELECT j.id,
                      CASE WHEN w.id IS NULL OR w.heartbeat_at < now() - %(dead)s * interval '1 second'
                           THEN 'worker ' || j.locked_by || ' stopped during attempt ' || j.attempts
                           ELSE 'attempt ' || j.attempts || ' was still running after ' || %(stale_text)s
                      END AS why
                 FROM notification_jobs j LEFT JOIN workers w ON w.id = j.locked_by
                WHERE j.status = 'processing'
                  AND (w.id IS NULL OR w.heartbeat_at < now() - %(dead)s * interval '1 second'
                       OR j.locked_at < now() - %(stale)s * interval '1 second')
                  FOR UPDATE OF j SKIP LOCKED)
           , unconfirmed AS (
               UPDATE notification_attempts a
                  SET outcome = 'unconfirmed', finished_at = now(),
                      detail = r.why || ': this message may have gone out'
                 FROM r JOIN notification_jobs j ON j.id = r.id
                WHERE a.job_id = r.id AND a.attempt = j.attempts AND a.outcome = 'started'
           )
           UPDATE notification_jobs j
              SET status = CASE WHEN j.attempts >= j.max_attempts THEN 'failed' ELSE 'pending' END,
                  error = r.why || CASE WHEN j.attempts >= j.max_attempts
                                        THEN '; no attempts left' ELSE '; will try again' END,
                  processed_at = CASE WHEN j.attempts >= j.max_attempts THEN now() END,
                  run_at = now(), locked_by = NULL, locked_at = NULL, updated_at = now()
             FROM r WHERE j.id = r.id
           RETURNING j.id, j.status, j.error""",
        {"dead": dead_after, "stale": stale_after, "stale_text": f"{stale_after:g} s"},
    )


async def resolve_orphans(db: Database) -> int:
    """Marks 'unconfirmed' the attempt rows that workers no longer registered left 'started' on jobs taken from
    them mid-send; returns how many.

    ``rescue`` resolves the rows of jobs still processing. A job cancelled, moved or retried while its worker
    was sending is no longer that worker's, so once the worker is gone (killed, or stopped before it could
    record) only this finds its rows: the message may have gone out. It reads every 'started' row, so it is
    asked when dead workers have just been forgotten, and daily. A worker that was only slow and comes back
    still records its outcome over 'unconfirmed' (``finish``).
    """
    return await db.execute(
        """UPDATE notification_attempts a
              SET outcome = 'unconfirmed', finished_at = now(), claim_lost = true,
                  detail = 'worker ' || a.worker_id || ' stopped during attempt ' || a.attempt
                           || ': this message may have gone out'
            WHERE a.outcome = 'started'
              AND NOT EXISTS (SELECT FROM workers w WHERE w.id = a.worker_id)
              AND NOT EXISTS (SELECT FROM notification_jobs j  -- still its worker's: rescue's to resolve
                               WHERE j.id = a.job_id AND j.status = 'processing' AND j.locked_by = a.worker_id)"""
    )


async def delete_completed(db: Database, older_than_days: float, batch: int = 1000) -> int:
    """Deletes old completed jobs in small batches so no lock is held for long."""
    deleted = 0
    while True:
        count = await db.execute(
            """DELETE FROM notification_jobs WHERE id IN (
                   SELECT id FROM notification_jobs
                    WHERE status = 'completed' AND processed_at < now() - %s * interval '1 day'
                    LIMIT %s FOR UPDATE SKIP LOCKED)""",
            (older_than_days, batch),
        )
        deleted += count
        if count < batch:
            return deleted
