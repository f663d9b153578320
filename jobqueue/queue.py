"""The domain's side of the queue: jobs written, cancelled and read on the caller's transaction.

``enqueue`` runs on the caller's cursor, inside the caller's transaction: a
booking and its jobs commit together or not at all, and the workers hear of
them (NOTIFY) only then.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import aiopg

from db import Database
from db.rows import reader

NOTIFY_CHANNEL = "salonbook_jobs"  # what workers LISTEN on; the NOTIFY statements below name it


class JobStatus(StrEnum):
    PENDING = "pending"  # waiting for its run_at, or for a worker
    PROCESSING = "processing"  # claimed: a worker is sending it
    COMPLETED = "completed"
    FAILED = "failed"  # permanently, or its attempts are used up
    CANCELLED = "cancelled"


class Outcome(StrEnum):
    """What one channel's attempt came to: a row of notification_attempts."""

    STARTED = "started"  # written before the send: no message leaves without a row saying so
    SENT = "sent"
    TRANSIENT = "transient"  # tried again later
    PERMANENT = "permanent"
    SKIPPED = "skipped"  # not sent, and not a failure (opted out, quiet hours, no longer true)
    UNCONFIRMED = "unconfirmed"  # the worker stopped while sending: it may have gone out


STATUSES = tuple(JobStatus)


@dataclass(frozen=True)
class QueueSettings:
    """The queue's policy, the same for every job: set once at start-up (``configure``)."""

    max_attempts: int = 3


_settings = QueueSettings()


def configure(settings: QueueSettings) -> None:
    """One policy per process, set by server.py before any job is written."""
    global _settings
    _settings = settings


# The payload's key for what only the message itself may carry (a booking code, an invitation's link): a
# trigger forgets it when the job ends, whichever way (migration 0014), and no reader outside the worker
# selects it.
ONE_TIME = "secret"


@dataclass(frozen=True)
class NewJob:
    """A notification the domain wants sent, not yet stored; ``payload[ONE_TIME]`` is forgotten once it ends."""

    type: str
    channels: tuple[str, ...]
    run_at: dt.datetime
    payload: dict[str, Any] = field(default_factory=dict)
    minutes_before: int | None = None  # a reminder's moment, before the appointment's start


@dataclass(frozen=True)
class QueuedJob:
    id: uuid.UUID
    type: str
    status: JobStatus
    run_at: dt.datetime
    minutes_before: int | None = None  # a reminder's: how long before the start it goes


read_queued = reader(QueuedJob)


async def enqueue(
    cur: aiopg.Cursor,
    *,
    salon_id: uuid.UUID,
    client_id: uuid.UUID | None,
    appointment_id: uuid.UUID | None,
    jobs: Sequence[NewJob],
) -> list[QueuedJob]:
    """Inserts ``jobs`` and signals the workers, both on commit of the caller's transaction."""
    if not jobs:
        return []
    # NOTIFY rides in the same round trip; like the rows, PostgreSQL delivers it only on commit.
    await cur.execute(
        """NOTIFY salonbook_jobs;
           INSERT INTO notification_jobs
               (salon_id, client_id, appointment_id, type, payload, channels, run_at, max_attempts, minutes_before)
           SELECT %(salon)s, %(client)s, %(appointment)s, job.type, job.payload, job.channels, job.run_at,
                  %(max_attempts)s, job.minutes_before
             FROM jsonb_to_recordset(%(jobs)s::jsonb)
                  AS job (type text, payload jsonb, channels text[], run_at timestamptz, n int, minutes_before int)
            ORDER BY job.n
        RETURNING id, type, status, run_at, minutes_before""",
        {
            "salon": salon_id,
            "client": client_id,
            "appointment": appointment_id,
            "max_attempts": _settings.max_attempts,
            "jobs": json.dumps(
                [
                    {
                        "type": job.type,
                        "payload": job.payload,
                        "channels": job.channels,
                        "run_at": job.run_at,
                        "n": n,
                        "minutes_before": job.minutes_before,
                    }
                    for n, job in enumerate(jobs)
                ],
                default=dt.datetime.isoformat,
            ),
        },
    )
    return [read_queued(row) for row in await cur.fetchall()]


async def notify_workers(cur: aiopg.Cursor) -> None:
    """Wakes every worker once the caller's transaction commits (after a job became due again)."""
    await cur.execute("NOTIFY salonbook_jobs")


async def cancel_live(cur: aiopg.Cursor, appointment_id: uuid.UUID, types: Iterable[str], reason: str) -> None:
    """Cancels the pending or in-flight jobs of ``types`` for an appointment.

    A worker holding one of them loses its claim: its fenced updates find the
    job no longer processing and change nothing.
    """
    await cur.execute(
        """UPDATE notification_jobs
              SET status = 'cancelled', error = %s, updated_at = now(),
                  locked_by = NULL, locked_at = NULL
            WHERE appointment_id = %s AND type = ANY(%s) AND status IN ('pending', 'processing')""",
        (reason, appointment_id, list(types)),
    )


async def cancel_unstarted(
    cur: aiopg.Cursor, appointment_id: uuid.UUID, type_: str, key: str, value: str, reason: str
) -> bool:
    """Cancels the appointment's job of ``type_`` whose payload's ``key`` is ``value`` if no worker has ever taken
    it (pending, no attempt): whether it was. One claimed meanwhile is left to its worker (the claim waits for this
    lock, or this for the claim's, and sees it processing)."""
    await cur.execute(
        """UPDATE notification_jobs SET status = 'cancelled', error = %s, updated_at = now()
            WHERE appointment_id = %s AND type = %s AND payload->>%s = %s AND status = 'pending' AND attempts = 0
        RETURNING id""",
        (reason, appointment_id, type_, key, value),
    )
    return await cur.fetchone() is not None


async def ever_queued(cur: aiopg.Cursor, appointment_id: uuid.UUID, type_: str) -> bool:
    """Whether the appointment has had a job of ``type_`` that was not cancelled: a notice that goes once only."""
    await cur.execute(
        """SELECT EXISTS (SELECT FROM notification_jobs WHERE appointment_id = %s AND type = %s
                                                          AND status <> 'cancelled') AS queued""",
        (appointment_id, type_),
    )
    queued: bool = (await cur.fetchone())["queued"]
    return queued


async def cancel_about(cur: aiopg.Cursor, salon_id: uuid.UUID, kind: str, key: str, value: str, reason: str) -> None:
    """Cancels a salon's pending or in-flight jobs of ``kind`` whose payload's ``key`` is ``value``: a notice about
    something that is no longer so (an invitation withdrawn)."""
    await cur.execute(
        """UPDATE notification_jobs
              SET status = 'cancelled', error = %s, updated_at = now(), locked_by = NULL, locked_at = NULL
            WHERE salon_id = %s AND type = %s AND payload->>%s = %s AND status IN ('pending', 'processing')""",
        (reason, salon_id, kind, key, value),
    )


async def cancel_client(
    cur: aiopg.Cursor, client_id: uuid.UUID, reason: str, types: Iterable[str] | None = None
) -> None:
    """Cancels every pending or in-flight job of a client, whatever it is about (or of ``types`` only)."""
    await cur.execute(
        """UPDATE notification_jobs
              SET status = 'cancelled', error = %(reason)s, updated_at = now(), locked_by = NULL, locked_at = NULL
            WHERE client_id = %(client)s AND status IN ('pending', 'processing')
              AND (%(types)s::text[] IS NULL OR type = ANY(%(types)s::text[]))""",
        {"reason": reason, "client": client_id, "types": None if types is None else list(types)},
    )


async def cancel_by_channel(
    cur: aiopg.Cursor, channel: str, client_ids: Sequence[uuid.UUID], addressed: dict[str, str], reason: str
) -> None:
    """Cancels the pending or in-flight jobs that go by ``channel`` alone to these clients, or whose payload
    holds ``addressed`` (a notice to someone who is not a client). A worker holding one loses its claim, as
    with ``cancel_live``."""
    await cur.execute(
        """UPDATE notification_jobs
              SET status = 'cancelled', error = %s, updated_at = now(), locked_by = NULL, locked_at = NULL
            WHERE status IN ('pending', 'processing') AND channels = ARRAY[%s]
              AND (client_id = ANY(%s::uuid[]) OR payload @> %s::jsonb)""",
        (reason, channel, list(client_ids), json.dumps(addressed)),
    )


async def for_appointment(cur: aiopg.Cursor, appointment_id: uuid.UUID) -> list[QueuedJob]:
    await cur.execute(
        """SELECT id, type, status, run_at, minutes_before FROM notification_jobs
            WHERE appointment_id = %s ORDER BY created_at, run_at""",
        (appointment_id,),
    )
    return [read_queued(row) for row in await cur.fetchall()]


async def for_appointments(db: Database, appointment_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[QueuedJob]]:
    """The jobs of many appointments in one read (a day's page), per appointment."""
    rows = await db.fetch_all(
        """SELECT appointment_id, id, type, status, run_at, minutes_before FROM notification_jobs
            WHERE appointment_id = ANY(%s) ORDER BY created_at, run_at""",
        (list(appointment_ids),),
    )
    jobs: dict[uuid.UUID, list[QueuedJob]] = {}
    for row in rows:
        jobs.setdefault(row.pop("appointment_id"), []).append(read_queued(row))
    return jobs
