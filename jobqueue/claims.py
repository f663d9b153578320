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
from dataclasses import dataclass
from typing import Any, Protocol

from db import Database, Row


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
        return cls(**row | {"channels": tuple(row["channels"]), "channels_done": tuple(row["channels_done"])})


class ChannelAttempt(Protocol):
    """What one channel did in one attempt: a row of notification_attempts."""

    @property
    def channel(self) -> str: ...
    @property
    def outcome(self) -> str: ...  # sent, transient, permanent, skipped
    @property
    def detail(self) -> str: ...


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


async def claim_due(db: Database, worker_id: str, limit: int) -> list[ClaimedJob]:
    """Takes up to ``limit`` due jobs for ``worker_id`` in one statement.

    MATERIALIZED pins the locked id list; ``WHERE id IN (subselect)`` may be
    re-run by the planner and claim more than LIMIT rows (PostgreSQL bug #15715).
    """
    rows = await db.fetch_all(
        """WITH c AS MATERIALIZED (
               SELECT id FROM notification_jobs
                WHERE status = 'pending' AND run_at <= now() AND attempts < max_attempts
                ORDER BY run_at LIMIT %s FOR UPDATE SKIP LOCKED)
           UPDATE notification_jobs j
              SET status = 'processing', locked_by = %s, locked_at = now(),
                  attempts = j.attempts + 1, updated_at = now()
             FROM c WHERE j.id = c.id
           RETURNING j.id, j.salon_id, j.client_id, j.appointment_id, j.type, j.payload, j.channels,
                     j.channels_done, j.attempts, j.max_attempts, j.locked_by, j.locked_at, j.created_at""",
        (limit, worker_id),
    )
    return [ClaimedJob.from_row(row) for row in rows]


async def load_deliveries(db: Database, job_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Row]:
    """What rendering and the send-time check need, for a batch, in one read; by job id."""
    rows = await db.fetch_all(
        """SELECT j.id AS job_id,
                  s.name AS salon_name, s.address AS salon_address, s.timezone AS salon_timezone,
                  s.email AS salon_email, s.phone AS salon_phone,
                  c.first_name AS client_first_name, c.last_name AS client_last_name,
                  c.email AS client_email, c.phone AS client_phone,
                  a.status AS appointment_status, a.start_time, a.end_time,
                  a.created_at AS appointment_created_at,
                  st.first_name AS staff_first_name, st.last_name AS staff_last_name,
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
    return {row.pop("job_id"): row for row in rows}


async def finish(db: Database, worker_id: str, finished: Sequence[tuple[ClaimedJob, Finished]]) -> list[ClaimedJob]:
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


def _outcome_record(job: ClaimedJob, outcome: Finished) -> dict[str, Any]:
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


async def release(db: Database, worker_id: str, job_ids: Sequence[uuid.UUID] | None = None) -> int:
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
