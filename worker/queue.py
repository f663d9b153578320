"""All SQL for notification_jobs and notification_attempts.

Enqueue helpers run on the caller's cursor, inside the caller's transaction:
a booking and its jobs commit together or not at all.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiopg

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
        params += [salon_id, client_id, appointment_id, job.type, json.dumps(job.payload),
                   list(job.channels), job.run_at, max_attempts]
    await cur.execute(
        f"""INSERT INTO notification_jobs
                (salon_id, client_id, appointment_id, type, payload, channels, run_at, max_attempts)
            VALUES {rows}
            RETURNING id, type, status, run_at""",  # noqa: S608 - placeholders only
        params,
    )
    queued = [QueuedJob(**row) for row in await cur.fetchall()]
    await cur.execute(f"NOTIFY {NOTIFY_CHANNEL}")
    return queued


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
