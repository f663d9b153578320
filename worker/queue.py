"""All SQL for notification_jobs and notification_attempts.

Enqueue helpers run on the caller's cursor, inside the caller's transaction:
a booking and its jobs commit together or not at all. The worker's writes
(claim, finish, release, rescue, clean-up) and the salon-scoped reads and
actions of the HTTP layer follow.

A claim is fenced: every later write of a claimed job repeats who holds it,
which attempt and since when, so a worker that lost its claim (rescued,
cancelled, retried) changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiopg
import psycopg2.errors

from booking.errors import Conflict, Invalid, NotFound
from db import Database, Row

NOTIFY_CHANNEL = "salonbook_jobs"

JOB_TYPES = ("booking_confirmation", "reminder_24h", "reminder_2h", "cancellation", "rescheduled")
JOB_STATUSES = ("pending", "processing", "completed", "failed", "cancelled")
LIVE_STATUSES = ("pending", "processing")


@dataclass(frozen=True)
class NewJob:
    """A notification the domain wants sent, not yet stored."""

    type: str
    channels: tuple[str, ...]
    run_at: dt.datetime
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class QueuedJob:
    id: uuid.UUID
    type: str
    status: str
    run_at: dt.datetime


async def enqueue(
    cur: aiopg.Cursor,
    *,
    salon_id: uuid.UUID,
    client_id: uuid.UUID,
    appointment_id: uuid.UUID | None,
    jobs: Sequence[NewJob],
    max_attempts: int,
) -> list[QueuedJob]:
    """Inserts ``jobs`` and signals the workers, both on commit of the caller's transaction."""
    if not jobs:
        return []
    rows = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * len(jobs))
    params: list[Any] = []
    for job in jobs:
        params += [
            salon_id,
            client_id,
            appointment_id,
            job.type,
            json.dumps(job.payload),
            list(job.channels),
            job.run_at,
            max_attempts,
        ]
    # NOTIFY rides in the same round trip; like the rows, PostgreSQL delivers it only on commit.
    await cur.execute(
        f"""NOTIFY {NOTIFY_CHANNEL};
            INSERT INTO notification_jobs
                (salon_id, client_id, appointment_id, type, payload, channels, run_at, max_attempts)
            VALUES {rows}
            RETURNING id, type, status, run_at""",
        params,
    )
    return [QueuedJob(**row) for row in await cur.fetchall()]


async def cancel_live(
    cur: aiopg.Cursor, appointment_id: uuid.UUID, types: Iterable[str], reason: str
) -> list[QueuedJob]:
    """Cancels the pending or in-flight jobs of ``types`` for an appointment.

    A worker holding one of them loses its claim: its fenced updates find the
    job no longer processing and change nothing.
    """
    await cur.execute(
        """UPDATE notification_jobs
              SET status = 'cancelled', error = %s, updated_at = now(),
                  locked_by = NULL, locked_at = NULL
            WHERE appointment_id = %s AND type = ANY(%s) AND status IN ('pending', 'processing')
        RETURNING id, type, status, run_at""",
        (reason, appointment_id, list(types)),
    )
    return [QueuedJob(**row) for row in await cur.fetchall()]


async def for_appointment(cur: aiopg.Cursor, appointment_id: uuid.UUID) -> list[QueuedJob]:
    await cur.execute(
        """SELECT id, type, status, run_at FROM notification_jobs
            WHERE appointment_id = %s ORDER BY created_at, run_at""",
        (appointment_id,),
    )
    return [QueuedJob(**row) for row in await cur.fetchall()]


async def for_appointments(db: Database, appointment_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[QueuedJob]]:
    """The jobs of many appointments in one read (a day's page), per appointment."""
    rows = await db.fetch_all(
        """SELECT appointment_id, id, type, status, run_at FROM notification_jobs
            WHERE appointment_id = ANY(%s) ORDER BY created_at, run_at""",
        (list(appointment_ids),),
    )
    jobs: dict[uuid.UUID, list[QueuedJob]] = {}
    for row in rows:
        jobs.setdefault(row.pop("appointment_id"), []).append(QueuedJob(**row))
    return jobs


# --- the worker's side --------------------------------------------------------

_JOB_COLUMNS = """j.id, j.salon_id, j.client_id, j.appointment_id, j.type, j.payload, j.channels,
                  j.channels_done, j.status, j.attempts, j.max_attempts, j.error, j.run_at,
                  j.locked_by, j.locked_at, j.created_at, j.updated_at, j.processed_at"""


@dataclass(frozen=True)
class ClaimedJob:
    """A job this worker holds; (id, locked_by, attempts, locked_at) is the fence."""

    id: uuid.UUID
    salon_id: uuid.UUID
    client_id: uuid.UUID
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

    @classmethod
    def from_row(cls, row: Row) -> ClaimedJob:
        names = cls.__dataclass_fields__
        values = {k: v for k, v in row.items() if k in names}
        return cls(**values | {"channels": tuple(row["channels"]), "channels_done": tuple(row["channels_done"])})


@dataclass(frozen=True)
class ChannelResult:
    """What one channel did in one attempt: a row of notification_attempts."""

    channel: str
    outcome: str  # sent, transient, permanent, skipped
    detail: str


@dataclass(frozen=True)
class Outcome:
    """The state a claimed job leaves in, decided by the runner."""

    status: str  # completed, pending, failed, cancelled
    channels_done: tuple[str, ...]
    error: str | None
    results: tuple[ChannelResult, ...]
    retry_in: float = 0.0


async def claim_due(db: Database, worker_id: str, limit: int) -> list[ClaimedJob]:
    """Takes up to ``limit`` due jobs for ``worker_id`` in one statement.

    MATERIALIZED pins the locked id list; ``WHERE id IN (subselect)`` may be
    re-run by the planner and claim more than LIMIT rows (PostgreSQL bug #15715).
    """
    rows = await db.fetch_all(
        f"""WITH c AS MATERIALIZED (
                SELECT id FROM notification_jobs
                 WHERE status = 'pending' AND run_at <= now() AND attempts < max_attempts
                 ORDER BY run_at LIMIT %s FOR UPDATE SKIP LOCKED)
            UPDATE notification_jobs j
               SET status = 'processing', locked_by = %s, locked_at = now(),
                   attempts = j.attempts + 1, updated_at = now()
              FROM c WHERE j.id = c.id
            RETURNING {_JOB_COLUMNS}""",
        (limit, worker_id),
    )
    return [ClaimedJob.from_row(row) for row in rows]


async def load_deliveries(db: Database, job_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Row]:
    """What rendering and the send-time check need, for a batch, in one read."""
    rows = await db.fetch_all(
        """SELECT j.id AS job_id,
                  s.name AS salon_name, s.address AS salon_address, s.timezone AS salon_timezone,
                  s.email AS salon_email, s.phone AS salon_phone,
                  c.first_name AS client_first_name, c.last_name AS client_last_name,
                  c.email AS client_email, c.phone AS client_phone,
                  a.status AS appointment_status, a.start_time, a.end_time,
                  a.created_at AS appointment_created_at,
                  concat_ws(' ', st.first_name, NULLIF(st.last_name, '')) AS staff_name,
                  sv.name AS service_name
             FROM notification_jobs j
             JOIN salons s ON s.id = j.salon_id
             JOIN clients c ON c.id = j.client_id
             LEFT JOIN appointments a ON a.id = j.appointment_id
             LEFT JOIN staff st ON st.id = a.staff_id
             LEFT JOIN services sv ON sv.id = a.service_id
            WHERE j.id = ANY(%s)""",
        (list(job_ids),),
    )
    return {row["job_id"]: row for row in rows}


async def finish(db: Database, worker_id: str, finished: Sequence[tuple[ClaimedJob, Outcome]]) -> list[ClaimedJob]:
    """Stores the outcomes and history of many attempts in one statement; returns the jobs whose claim was lost.

    Each job is fenced on its own claim: a lost one is left as it is, and gets no history rows.
    """
    if not finished:
        return []
    rows = await db.fetch_all(
        """WITH o AS (
               SELECT * FROM jsonb_to_recordset(%(outcomes)s::jsonb)
                   AS o (id uuid, attempt int, locked_at timestamptz, status text, done text[], error text,
                         retry_in float8, results jsonb)
           ), job AS (
               UPDATE notification_jobs j
                  SET status = o.status, channels_done = o.done, error = o.error,
                      run_at = CASE WHEN o.status = 'pending'
                                    THEN now() + o.retry_in * interval '1 second' ELSE j.run_at END,
                      processed_at = CASE WHEN o.status = 'pending' THEN NULL ELSE now() END,
                      locked_by = NULL, locked_at = NULL, updated_at = now()
                 FROM o
                WHERE j.id = o.id AND j.status = 'processing' AND j.locked_by = %(worker)s
                  AND j.attempts = o.attempt AND j.locked_at = o.locked_at
            RETURNING j.id, o.attempt, o.results
           ), history AS (
               INSERT INTO notification_attempts (job_id, attempt, channel, outcome, detail, worker_id)
               SELECT job.id, job.attempt, r.channel, r.outcome, r.detail, %(worker)s
                 FROM job, ROWS FROM (jsonb_to_recordset(job.results) AS (channel text, outcome text, detail text))
                           WITH ORDINALITY AS r (channel, outcome, detail, n)
                ORDER BY job.id, r.n
           )
           SELECT id FROM job""",
        {"worker": worker_id, "outcomes": json.dumps([_outcome_record(job, outcome) for job, outcome in finished])},
    )
    kept = {row["id"] for row in rows}
    return [job for job, _ in finished if job.id not in kept]


def _outcome_record(job: ClaimedJob, outcome: Outcome) -> dict[str, Any]:
    return {
        "id": str(job.id),
        "attempt": job.attempts,
        "locked_at": job.locked_at.isoformat(),
        "status": outcome.status,
        "done": list(outcome.channels_done),
        "error": outcome.error,
        "retry_in": outcome.retry_in,
        "results": [{"channel": r.channel, "outcome": r.outcome, "detail": r.detail} for r in outcome.results],
    }


async def release_claims(db: Database, worker_id: str, job_ids: Sequence[uuid.UUID] | None = None) -> int:
    """Puts a worker's unfinished jobs back (only ``job_ids`` when given), without counting the attempt."""
    return await db.execute(
        """UPDATE notification_jobs
              SET status = 'pending', attempts = greatest(attempts - 1, 0), run_at = now(),
                  locked_by = NULL, locked_at = NULL, updated_at = now()
            WHERE status = 'processing' AND locked_by = %(worker)s
              AND (%(ids)s::uuid[] IS NULL OR id = ANY(%(ids)s::uuid[]))""",
        {"worker": worker_id, "ids": None if job_ids is None else list(job_ids)},
    )


async def rescue(db: Database, dead_after: float, stale_after: float) -> list[Row]:
    """Frees jobs held by a worker that stopped heart-beating, or held too long.

    A job with attempts left goes back to pending; one without fails. Returns
    (id, status, error) of each rescued job.
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


async def count_by_status(db: Database) -> dict[str, int]:
    """Jobs per status over all salons (for /metrics), every status present."""
    rows = await db.fetch_all("SELECT status, count(*) AS n FROM notification_jobs GROUP BY status")
    return dict.fromkeys(JOB_STATUSES, 0) | {row["status"]: row["n"] for row in rows}


# --- the salon's side (pages and API) ----------------------------------------


@dataclass(frozen=True)
class Attempt:
    attempt: int
    channel: str
    outcome: str
    detail: str
    worker_id: str
    created_at: dt.datetime


@dataclass(frozen=True)
class Job:
    """A job as a salon sees it; ``history`` is filled by ``get_job`` only."""

    id: uuid.UUID
    salon_id: uuid.UUID
    client_id: uuid.UUID
    appointment_id: uuid.UUID | None
    type: str
    payload: dict[str, Any]
    channels: tuple[str, ...]
    channels_done: tuple[str, ...]
    status: str
    attempts: int
    max_attempts: int
    error: str | None
    run_at: dt.datetime
    locked_by: str | None
    locked_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    processed_at: dt.datetime | None
    client_name: str
    appointment_start: dt.datetime | None
    history: tuple[Attempt, ...] = ()

    @property
    def next_try(self) -> dt.datetime | None:
        """When a pending job will be tried; None for any other status."""
        return self.run_at if self.status == "pending" else None

    @classmethod
    def from_row(cls, row: Row, history: tuple[Attempt, ...] = ()) -> Job:
        return cls(
            **row
            | {"channels": tuple(row["channels"]), "channels_done": tuple(row["channels_done"]), "history": history}
        )


_SALON_JOB_SELECT = f"""
    SELECT {_JOB_COLUMNS},
           concat_ws(' ', c.first_name, NULLIF(c.last_name, '')) AS client_name,
           a.start_time AS appointment_start
      FROM notification_jobs j
      JOIN clients c ON c.id = j.client_id
      LEFT JOIN appointments a ON a.id = j.appointment_id"""


async def list_jobs(
    db: Database,
    salon_id: uuid.UUID,
    status: str | None = None,
    type: str | None = None,
    appointment_id: uuid.UUID | None = None,
    day: dt.date | None = None,
    limit: int = 50,
) -> list[Job]:
    """A salon's jobs, newest first. ``day`` is a salon-local date matched against run_at.

    A status or type that does not exist is Invalid, naming the filter.
    """
    for name, value, allowed in (("status", status, JOB_STATUSES), ("type", type, JOB_TYPES)):
        if value is not None and value not in allowed:
            raise Invalid(f"{name} must be one of {', '.join(allowed)}", name)
    rows = await db.fetch_all(
        f"""{_SALON_JOB_SELECT}
             JOIN salons s ON s.id = j.salon_id
            WHERE j.salon_id = %(salon)s
              AND (%(status)s::text IS NULL OR j.status = %(status)s)
              AND (%(type)s::text IS NULL OR j.type = %(type)s)
              AND (%(appointment)s::uuid IS NULL OR j.appointment_id = %(appointment)s)
              AND (%(day)s::date IS NULL OR (j.run_at AT TIME ZONE s.timezone)::date = %(day)s)
            ORDER BY j.created_at DESC, j.id
            LIMIT %(limit)s""",
        {"salon": salon_id, "status": status, "type": type, "appointment": appointment_id, "day": day, "limit": limit},
    )
    return [Job.from_row(row) for row in rows]


async def get_job(db: Database, salon_id: uuid.UUID, job_id: uuid.UUID) -> Job:
    """One of the salon's jobs with its attempt history, oldest first; NotFound otherwise."""
    row = await db.fetch_one(f"{_SALON_JOB_SELECT} WHERE j.id = %s AND j.salon_id = %s", (job_id, salon_id))
    if row is None:
        raise NotFound(f"no notification job {job_id}", "id")
    attempts = await db.fetch_all(
        """SELECT attempt, channel, outcome, detail, worker_id, created_at
             FROM notification_attempts WHERE job_id = %s ORDER BY id""",
        (job_id,),
    )
    return Job.from_row(row, tuple(Attempt(**a) for a in attempts))


async def appointment_timeline(db: Database, salon_id: uuid.UUID, appointment_id: uuid.UUID) -> list[Job]:
    """An appointment's jobs, oldest first, each with its attempt history: two reads for the whole page."""
    rows = await db.fetch_all(
        f"{_SALON_JOB_SELECT} WHERE j.appointment_id = %s AND j.salon_id = %s ORDER BY j.created_at, j.run_at",
        (appointment_id, salon_id),
    )
    attempts = await db.fetch_all(
        """SELECT job_id, attempt, channel, outcome, detail, worker_id, created_at
             FROM notification_attempts WHERE job_id = ANY(%s) ORDER BY id""",
        ([row["id"] for row in rows],),
    )
    history: dict[uuid.UUID, list[Attempt]] = {}
    for attempt in attempts:
        history.setdefault(attempt.pop("job_id"), []).append(Attempt(**attempt))
    return [Job.from_row(row, tuple(history.get(row["id"], ()))) for row in rows]


async def stats(db: Database, salon_id: uuid.UUID) -> dict[str, int]:
    """The salon's jobs per status, every status present."""
    rows = await db.fetch_all(
        "SELECT status, count(*) AS n FROM notification_jobs WHERE salon_id = %s GROUP BY status",
        (salon_id,),
    )
    return dict.fromkeys(JOB_STATUSES, 0) | {row["status"]: row["n"] for row in rows}


async def retry_job(db: Database, salon_id: uuid.UUID, job_id: uuid.UUID) -> Job:
    """Sends a failed or cancelled job again, with all its attempts, skipping channels already done.

    The last error stays until the next attempt replaces it.
    """
    try:
        async with db.transaction() as cur:
            await cur.execute(
                """UPDATE notification_jobs
                      SET status = 'pending', attempts = 0, run_at = now(), processed_at = NULL,
                          locked_by = NULL, locked_at = NULL, updated_at = now()
                    WHERE id = %s AND salon_id = %s AND status IN ('failed', 'cancelled')
                RETURNING id""",
                (job_id, salon_id),
            )
            if await cur.fetchone() is None:
                await _explain_refusal(cur, salon_id, job_id, "retried")
            await cur.execute(f"NOTIFY {NOTIFY_CHANNEL}")
    except psycopg2.errors.UniqueViolation:
        raise Conflict("another notification of this type is already waiting for this appointment") from None
    return await get_job(db, salon_id, job_id)


async def cancel_job(db: Database, salon_id: uuid.UUID, job_id: uuid.UUID) -> Job:
    """Cancels a pending job; one being sent or already finished cannot be."""
    async with db.transaction() as cur:
        await cur.execute(
            """UPDATE notification_jobs
                  SET status = 'cancelled', error = 'cancelled by the salon', processed_at = now(),
                      updated_at = now()
                WHERE id = %s AND salon_id = %s AND status = 'pending'
            RETURNING id""",
            (job_id, salon_id),
        )
        if await cur.fetchone() is None:
            await _explain_refusal(cur, salon_id, job_id, "cancelled")
    return await get_job(db, salon_id, job_id)


async def _explain_refusal(cur: aiopg.Cursor, salon_id: uuid.UUID, job_id: uuid.UUID, action: str) -> None:
    await cur.execute("SELECT status FROM notification_jobs WHERE id = %s AND salon_id = %s", (job_id, salon_id))
    row = await cur.fetchone()
    if row is None:
        raise NotFound(f"no notification job {job_id}", "id")
    raise Conflict(f"a {row['status']} job cannot be {action}")
