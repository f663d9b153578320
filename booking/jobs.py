"""The salon's view of its notification jobs: lists, one job's history, counts, retry and cancel.

The workers' side of the same tables is ``jobqueue.claims``; this module is
what the front desk and the API see and may do.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gettext
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiopg
import psycopg2.errors

from booking.errors import Conflict, Invalid, NotFound, Said
from booking.models import AppointmentStatus, display_name
from booking.notice_types import MOVES_MONEY, N_, TYPES
from booking.paging import Page
from db import Database, Row, tallies
from db.rows import reader
from jobqueue import queue
from providers import twilio

Reader = Database | aiopg.Cursor  # a pool, or the cursor of a transaction under way
STATUSES = queue.STATUSES  # what a salon can filter its jobs by
TIMELINE_LIMIT = 500  # an appointment's notices; far more than any real one has


@dataclass(frozen=True)
class Attempt:
    """One channel of one attempt. ``outcome`` is started (being sent), sent, transient, permanent, skipped,
    or unconfirmed (the worker stopped while sending: it may have gone out). A text the provider took has its
    ``delivery_status`` as the provider last reported it (booking.deliveries), when, and any error code."""

    attempt: int
    channel: str
    outcome: queue.Outcome
    detail: str
    worker_id: str
    created_at: dt.datetime
    finished_at: dt.datetime | None
    claim_lost: bool  # recorded after the job was cancelled, retried or taken over: its state stayed
    delivery_status: str | None = None  # queued, sent, delivered, undelivered, failed ...; None: no report
    error_code: int | None = None
    status_at: dt.datetime | None = None  # when the provider reported it

    @property
    def problem(self) -> str:
        """Why the text did not arrive, in words with the provider's code."""
        return twilio.problem(self.error_code)


_read_attempt = reader(Attempt)


# What an attempt came to, in a receptionist's words (a failure that may be tried again: Job.attempt_words).
OUTCOME_WORDS = {
    queue.Outcome.STARTED: N_("being sent"),
    queue.Outcome.SENT: N_("sent"),
    queue.Outcome.TRANSIENT: N_("failed"),
    queue.Outcome.PERMANENT: N_("failed (will not try again)"),
    queue.Outcome.SKIPPED: N_("skipped"),
    queue.Outcome.UNCONFIRMED: N_("sent, unconfirmed"),
}
ENGLISH = gettext.NullTranslations()  # the words as written here: the API's and the tests' reader

# Why a job cannot be sent again or cancelled, a whole sentence for each status (a catalogue translates each).
NOT_AGAIN_WHILE = {
    queue.JobStatus.PENDING: N_("this notification cannot be sent again: it is still waiting to go out"),
    queue.JobStatus.PROCESSING: N_("this notification cannot be sent again: it is being sent now"),
    queue.JobStatus.COMPLETED: N_("this notification cannot be sent again: it was sent"),
}
NOT_AGAIN_AFTER = {
    AppointmentStatus.HELD: N_("this notification cannot be sent again: its appointment is only held"),
    AppointmentStatus.BOOKED: N_("this notification cannot be sent again: its appointment is booked"),
    AppointmentStatus.CANCELLED: N_("this notification cannot be sent again: its appointment is cancelled"),
    AppointmentStatus.COMPLETED: N_("this notification cannot be sent again: its appointment is completed"),
    AppointmentStatus.NO_SHOW: N_("this notification cannot be sent again: its appointment is marked no show"),
}
NOT_AGAIN_CHANGED = N_("this notification cannot be sent again: its appointment has changed")
ONLY_WAITING_CANCELLED = N_("only a waiting job can be cancelled")
PAYMENT_NOT_CANCELLED = N_("a payment cannot be cancelled: it may have been charged or refunded already")
NOT_CANCELLED = {
    queue.JobStatus.PROCESSING: N_("a processing job cannot be cancelled"),
    queue.JobStatus.COMPLETED: N_("a completed job cannot be cancelled"),
    queue.JobStatus.FAILED: N_("a failed job cannot be cancelled"),
    queue.JobStatus.CANCELLED: N_("a cancelled job cannot be cancelled"),
}


@dataclass(frozen=True)
class Job:
    """A job as a salon sees it; ``history`` is filled by ``get_job`` and ``appointment_timeline`` only."""

    id: uuid.UUID
    salon_id: uuid.UUID
    client_id: uuid.UUID | None  # None: a notice to someone who is not a client (an invitation)
    appointment_id: uuid.UUID | None
    type: str
    payload: dict[str, Any]
    channels: tuple[str, ...]
    channels_done: tuple[str, ...]
    status: queue.JobStatus
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
    appointment_status: AppointmentStatus | None
    history: tuple[Attempt, ...] = ()
    # Its latest text, as the provider last reported it: None when it sent no text, or no report came.
    delivery_status: str | None = None
    delivery_error_code: int | None = None
    delivery_status_at: dt.datetime | None = None
    minutes_before: int | None = None  # a reminder's: how long before the start it goes (the salon's plan)

    @property
    def label(self) -> str:
        return self.label_in(ENGLISH)

    def label_in(self, words: gettext.NullTranslations) -> str:
        """How the front desk names it, in its reader's ``words``; a reminder of the salon's plan says when it goes
        ("Reminder, 2 days before")."""
        kind = TYPES.get(self.type)
        if kind is None:
            return self.type
        if kind.lead is None and self.minutes_before is not None:
            lead = lead_words(self.minutes_before, words)
            return words.gettext("%(label)s, %(lead)s before") % {"label": words.gettext(kind.label), "lead": lead}
        return words.gettext(kind.label_for(self.payload))

    @property
    def delivery_problem(self) -> str:
        return twilio.problem(self.delivery_error_code)

    @property
    def next_try(self) -> dt.datetime | None:
        """When a pending job will be tried; None for any other status."""
        return self.run_at if self.status == queue.JobStatus.PENDING else None

    def attempt_words(self, attempt: Attempt, words: gettext.NullTranslations = ENGLISH) -> str:
        """What ``attempt`` came to, truthfully, in the reader's ``words``: a failure is "will try again" only while
        the job waits for it."""
        outcome = words.gettext(OUTCOME_WORDS[attempt.outcome])
        if attempt.outcome != queue.Outcome.TRANSIENT:
            return outcome
        if any(later.attempt > attempt.attempt for later in self.history):
            return words.gettext("failed, then tried again")
        if self.status in (queue.JobStatus.PENDING, queue.JobStatus.PROCESSING):
            return words.gettext("failed (will try again)")
        return words.gettext("failed (no attempts left)") if self.status == queue.JobStatus.FAILED else outcome

    @property
    def can_cancel(self) -> bool:
        """A pending notice may be cancelled; a payment may not (its money may have moved on an earlier attempt)."""
        kind = TYPES.get(self.type)
        return self.status == queue.JobStatus.PENDING and not (kind and kind.moves_money)

    @property
    def can_retry(self) -> bool:
        return self.retry_refusal(dt.datetime.now(dt.UTC)) is None

    def retry_refusal(self, now: dt.datetime) -> Conflict | None:
        """Why sending this job again cannot work, as the error to raise (one whole sentence for each reason, so a
        catalogue translates it); None when it can."""
        if self.status not in (queue.JobStatus.FAILED, queue.JobStatus.CANCELLED):
            return Conflict(NOT_AGAIN_WHILE[self.status])
        kind = TYPES[self.type]
        if one_time := kind.one_time_for(self.payload):
            return Conflict(one_time)
        if not kind.checked_at_send or self.appointment_id is None:
            return None
        if self.appointment_status is None:
            return Conflict(N_("this notification cannot be sent again: its appointment no longer exists"))
        if self.appointment_status != kind.sent_while:
            return Conflict(NOT_AGAIN_AFTER.get(self.appointment_status, NOT_AGAIN_CHANGED))
        planned = self.payload.get("startTime")
        if planned and self.appointment_start and dt.datetime.fromisoformat(planned) != self.appointment_start:
            return Conflict(
                N_(
                    "this notification cannot be sent again: its appointment has moved since, "
                    "and the client was told the new time"
                )
            )
        if kind.is_reminder and self.appointment_start and self.appointment_start <= now:
            return Conflict(N_("this notification cannot be sent again: its appointment has already started"))
        return None

    def planned_run_at(self, now: dt.datetime) -> dt.datetime:
        """When a retry should go: a reminder at its own moment if that is still ahead (never early), else now."""
        if self.minutes_before is not None and self.appointment_start is not None:
            return max(now, self.appointment_start - dt.timedelta(minutes=self.minutes_before))
        return now

    @classmethod
    def from_row(cls, row: Row, history: tuple[Attempt, ...] = ()) -> Job:
        """From the jobs view's row, its client's name made one (the typed reader does the rest)."""
        name = display_name(row.pop("client_first_name"), row.pop("client_last_name"))
        return _read_job(row | {"client_name": name, "history": history})


_read_job = reader(Job)


def lead_words(minutes: int, words: gettext.NullTranslations = ENGLISH) -> str:
    """A reminder's lead as the desk reads it: "2 days", "3 h", "90 min"."""
    if minutes % 1440 == 0:
        days = minutes // 1440
        return words.ngettext("%(num)d day", "%(num)d days", days) % {"num": days}
    if minutes % 60 == 0:
        return words.gettext("%(hours)d h") % {"hours": minutes // 60}
    return words.gettext("%(minutes)d min") % {"minutes": minutes}


def _checked_filter(name: str, value: str | None, allowed: tuple[str, ...]) -> str | None:
    if value is not None and value not in allowed:
        raise Invalid("{field} must be one of {choices}", name, choices=", ".join(allowed))
    return value


async def list_jobs(
    db: Database,
    salon_id: uuid.UUID,
    *,
    status: str | None = None,
    type: str | None = None,
    appointment_id: uuid.UUID | None = None,
    day: dt.date | None = None,
    after: uuid.UUID | None = None,
    limit: int = 100,
) -> list[Job]:
    """A salon's jobs, newest first; the page after the job ``after``. ``day`` is a salon-local date
    matched against run_at. A status or type that does not exist is Invalid, naming the filter.
    """
    return await _select(
        db,
        salon_id,
        status=_checked_filter("status", status, STATUSES),
        type=_checked_filter("type", type, tuple(TYPES)),
        appointment_id=appointment_id,
        day=day,
        after=after,
        limit=limit,
    )


async def get_job(db: Reader, salon_id: uuid.UUID, job_id: uuid.UUID) -> Job:
    """One of the salon's jobs with its attempt history, oldest first; NotFound otherwise."""
    found = await _select(db, salon_id, job_id=job_id, limit=1)
    if not found:
        raise NotFound("no notification job {id}", "id", id=str(job_id))
    history = await _history(db, [job_id])
    return dataclasses.replace(found[0], history=history.get(job_id, ()))


async def appointment_timeline(db: Database, salon_id: uuid.UUID, appointment_id: uuid.UUID) -> list[Job]:
    """An appointment's jobs, oldest first, each with its attempt history: two reads for the whole page."""
    found = await _select(db, salon_id, appointment_id=appointment_id, limit=TIMELINE_LIMIT)
    history = await _history(db, [job.id for job in found])
    return [dataclasses.replace(job, history=history.get(job.id, ())) for job in reversed(found)]


async def _select(
    db: Reader,
    salon_id: uuid.UUID,
    *,
    job_id: uuid.UUID | None = None,
    ids: list[uuid.UUID] | None = None,
    status: str | None = None,
    type: str | None = None,
    appointment_id: uuid.UUID | None = None,
    client_id: uuid.UUID | None = None,
    phone: str | None = None,
    day: dt.date | None = None,
    after: uuid.UUID | None = None,
    limit: int,
    histories: dict[uuid.UUID, tuple[Attempt, ...]] | None = None,
) -> list[Job]:
    """The salon's jobs that pass every filter given, newest first (the jobs of one booking: last due first);
    with their attempts when ``histories`` has them."""
    rows = await _fetch_all(
        db,
        """SELECT j.id, j.salon_id, j.client_id, j.appointment_id, j.type, j.payload - %(one_time)s AS payload,
                  j.channels, j.channels_done, j.status, j.attempts, j.max_attempts, j.error, j.run_at,
                  j.locked_by, j.locked_at, j.created_at, j.updated_at, j.processed_at, j.minutes_before,
                  coalesce(c.first_name, j.payload->>'email', j.payload->>'phone', '') AS client_first_name,
                  coalesce(c.last_name, '') AS client_last_name,
                  a.start_time AS appointment_start, a.status AS appointment_status,
                  d.status AS delivery_status, d.error_code AS delivery_error_code,
                  d.reported_at AS delivery_status_at
             FROM notification_jobs j
             LEFT JOIN clients c ON c.id = j.client_id
             JOIN salons s ON s.id = j.salon_id
             LEFT JOIN appointments a ON a.id = j.appointment_id
             LEFT JOIN LATERAL (  -- what the provider said of the job's latest text
                  SELECT d.status, d.error_code, d.reported_at
                    FROM notification_attempts t JOIN sms_deliveries d ON d.message_sid = t.provider_id
                   WHERE t.job_id = j.id ORDER BY t.id DESC LIMIT 1) d ON true
            WHERE j.salon_id = %(salon)s
              AND (%(job)s::uuid IS NULL OR j.id = %(job)s)
              AND (%(ids)s::uuid[] IS NULL OR j.id = ANY(%(ids)s))
              AND (%(phone)s::text IS NULL  -- what texted the number, or tried; one addressed to it from the start
                   OR ('sms' = ANY(j.channels) AND coalesce(j.payload->>'phone', c.phone) = %(phone)s
                       AND (j.payload ? 'phone' OR EXISTS (SELECT FROM notification_attempts t
                                                            WHERE t.job_id = j.id AND t.channel = 'sms'))))
              AND (%(status)s::text IS NULL OR j.status = %(status)s)
              AND (%(type)s::text IS NULL OR j.type = %(type)s)
              AND (%(appointment)s::uuid IS NULL OR j.appointment_id = %(appointment)s)
              AND (%(client)s::uuid IS NULL OR j.client_id = %(client)s)
              AND (%(day)s::date IS NULL  -- run_at on the salon's day, as a range the index can walk
                   OR (j.run_at >= (SELECT %(day)s::timestamp AT TIME ZONE timezone FROM salons WHERE id = %(salon)s)
                       AND j.run_at < (SELECT (%(day)s::date + 1)::timestamp AT TIME ZONE timezone
                                         FROM salons WHERE id = %(salon)s)))
              AND (%(after)s::uuid IS NULL OR (j.created_at, j.run_at, j.id) <
                   (SELECT created_at, run_at, id FROM notification_jobs WHERE id = %(after)s AND salon_id = %(salon)s))
            ORDER BY j.created_at DESC, j.run_at DESC, j.id DESC
            LIMIT %(limit)s""",
        {
            "one_time": queue.ONE_TIME,  # never read outside the worker
            "salon": salon_id,
            "job": job_id,
            "ids": ids,
            "status": status,
            "type": type,
            "appointment": appointment_id,
            "client": client_id,
            "phone": phone,
            "day": day,
            "after": after,
            "limit": limit,
        },
    )
    return [Job.from_row(row, histories.get(row["id"], ()) if histories else ()) for row in rows]


# An export's page: the ids of the salon's jobs (or one client's) after an id, in id order.
PAGE_BY_ID = """
    SELECT id FROM notification_jobs
     WHERE salon_id = %(salon)s
       AND (%(client)s::uuid IS NULL OR client_id = %(client)s)
       AND (%(after)s::uuid IS NULL OR id > %(after)s)
     ORDER BY id LIMIT %(limit)s"""


async def page_by_id(
    db: Database, salon_id: uuid.UUID, *, client_id: uuid.UUID | None = None, after: uuid.UUID | None, limit: int
) -> Page[Job, uuid.UUID]:
    """The salon's notifications, or one client's, after ``after`` in id order, each with its attempts (and, as
    every read here, without its payload's one-time secret): an export's page (booking.paging), in three reads."""
    params = {"salon": salon_id, "client": client_id, "after": after, "limit": limit}
    ids = [row["id"] for row in await db.fetch_all(PAGE_BY_ID, params)]
    if not ids:
        return Page((), None)
    histories = await _history(db, ids)
    found = await _select(db, salon_id, ids=ids, limit=limit, histories=histories)
    return Page(sorted(found, key=lambda job: job.id), ids[-1] if len(ids) == limit else None)


async def texts_to(db: Database, salon_id: uuid.UUID, phone: str, limit: int = 200) -> list[Job]:
    """The salon's jobs that texted ``phone`` (its clients' number), or tried to, and those addressed to it (a
    reply, from the moment it is queued); newest first."""
    return await _select(db, salon_id, phone=phone, limit=limit)


async def forget_addresses(cur: aiopg.Cursor, client_id: uuid.UUID, email: str, phone: str) -> None:
    """Blanks a client's addresses out of their jobs' errors and attempt details (the servers' words quote them)."""
    await cur.execute(
        """WITH theirs AS (SELECT id FROM notification_jobs WHERE client_id = %(client)s),
           errors AS (
               UPDATE notification_jobs
                  SET error = replace(replace(error, %(email)s, '[erased]'), %(phone)s, '[erased]')
                WHERE id IN (SELECT id FROM theirs) AND error IS NOT NULL)
           UPDATE notification_attempts
              SET detail = replace(replace(detail, %(email)s, '[erased]'), %(phone)s, '[erased]')
            WHERE job_id IN (SELECT id FROM theirs)""",
        {"client": client_id, "email": email, "phone": phone},
    )


async def _history(db: Reader, job_ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[Attempt, ...]]:
    """The attempts of each job, oldest first."""
    rows = await _fetch_all(
        db,
        """SELECT a.job_id, a.attempt, a.channel, a.outcome, a.detail, a.worker_id, a.created_at, a.finished_at,
                  a.claim_lost, d.status AS delivery_status, d.error_code, d.reported_at AS status_at
             FROM notification_attempts a LEFT JOIN sms_deliveries d ON d.message_sid = a.provider_id
            WHERE a.job_id = ANY(%s) ORDER BY a.id""",
        (job_ids,),
    )
    history: dict[uuid.UUID, list[Attempt]] = {}
    for row in rows:
        history.setdefault(row.pop("job_id"), []).append(_read_attempt(row))
    return {job_id: tuple(attempts) for job_id, attempts in history.items()}


async def sent_after_claim_lost(db: Database) -> int:
    """Messages that went out while their job was cancelled, retried or taken over meanwhile (for /metrics)."""
    row = await db.fetch_row("SELECT count(*) AS n FROM notification_attempts WHERE claim_lost AND outcome = 'sent'")
    count: int = row["n"]
    return count


async def stats(db: Database, salon_id: uuid.UUID) -> dict[str, int]:
    """The salon's jobs per status, every status present."""
    rows = await db.fetch_all(
        "SELECT status, count(*) AS n FROM notification_jobs WHERE salon_id = %s GROUP BY status", (salon_id,)
    )
    return dict.fromkeys(STATUSES, 0) | {row["status"]: row["n"] for row in rows}


async def totals(db: Database) -> dict[str, int]:
    """Every salon's jobs per status, every status present (for /metrics: the same cost at any size)."""
    return dict.fromkeys(STATUSES, 0) | await tallies.counts(db, "notification_jobs")


async def retry_job(db: Database, salon_id: uuid.UUID, job_id: uuid.UUID) -> Job:
    """Sends a failed or cancelled job again, with all its attempts, skipping channels already done:
    now, or a reminder at its own moment if that is still ahead. Conflict, in plain words, where it
    cannot work (its appointment moved, was cancelled, or has started).

    The last error stays until the next attempt replaces it.
    """
    try:
        async with db.transaction() as cur:
            await cur.execute(
                "SELECT FROM notification_jobs WHERE id = %s AND salon_id = %s FOR UPDATE", (job_id, salon_id)
            )
            job = await get_job(cur, salon_id, job_id)
            now = dt.datetime.now(dt.UTC)
            if refusal := job.retry_refusal(now):
                raise refusal
            await cur.execute(
                """UPDATE notification_jobs
                      SET status = 'pending', attempts = 0, run_at = %s, processed_at = NULL,
                          locked_by = NULL, locked_at = NULL, updated_at = now(), failure_seen_at = NULL
                    WHERE id = %s""",
                (job.planned_run_at(now), job_id),
            )
            await queue.notify_workers(cur)
            return await get_job(cur, salon_id, job_id)  # as retried: a worker may take it the moment we commit
    except psycopg2.errors.UniqueViolation:
        label = Said(TYPES[job.type].label_for(job.payload))
        raise Conflict(
            "a newer notification of this kind ({label}) is already waiting to go out", label=label
        ) from None


async def cancel_job(db: Database, salon_id: uuid.UUID, job_id: uuid.UUID) -> Job:
    """Cancels a pending job; one being sent or already finished cannot be, nor a payment: an earlier attempt
    may have moved its money (a worker killed after Stripe's answer), which only the job's next run records."""
    async with db.transaction() as cur:
        await cur.execute(
            """UPDATE notification_jobs
                  SET status = 'cancelled', error = %s, processed_at = now(),
                      updated_at = now()
                WHERE id = %s AND salon_id = %s AND status = 'pending' AND type <> ALL(%s)
            RETURNING id""",
            (N_("cancelled by the salon"), job_id, salon_id, list(MOVES_MONEY)),
        )
        if await cur.fetchone() is None:
            await _explain_refusal(cur, salon_id, job_id)
        return await get_job(cur, salon_id, job_id)


async def _fetch_all(reader: Reader, sql: str, params: dict[str, object] | tuple[object, ...]) -> list[Row]:
    if isinstance(reader, Database):
        return await reader.fetch_all(sql, params)
    await reader.execute(sql, params)
    return list(await reader.fetchall())


async def _explain_refusal(cur: aiopg.Cursor, salon_id: uuid.UUID, job_id: uuid.UUID) -> None:
    await cur.execute("SELECT status FROM notification_jobs WHERE id = %s AND salon_id = %s", (job_id, salon_id))
    row = await cur.fetchone()
    if row is None:
        raise NotFound("no notification job {id}", "id", id=str(job_id))
    if row["status"] == queue.JobStatus.PENDING:  # refused above only as a payment
        raise Conflict(PAYMENT_NOT_CANCELLED)
    raise Conflict(NOT_CANCELLED.get(row["status"], ONLY_WAITING_CANCELLED))


# --- failures someone at the desk has not looked at yet -------------------------------------------------------


async def unseen_failures(db: Database, salon_id: uuid.UUID) -> int:
    """How many of the salon's notifications failed and nobody at the front desk has looked at since: the number
    beside Notifications in the menu."""
    row = await db.fetch_row(
        """SELECT count(*) AS n FROM notification_jobs
            WHERE salon_id = %s AND status = 'failed' AND failure_seen_at IS NULL""",
        (salon_id,),
    )
    count: int = row["n"]
    return count


async def unseen_failures_of(db: Database, salon_id: uuid.UUID, appointment_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these appointments have a failed notification nobody has looked at (the calendar marks them)."""
    rows = await db.fetch_all(
        """SELECT DISTINCT appointment_id FROM notification_jobs
            WHERE salon_id = %s AND appointment_id = ANY(%s) AND status = 'failed' AND failure_seen_at IS NULL""",
        (salon_id, list(appointment_ids)),
    )
    return {row["appointment_id"] for row in rows}


async def failures_seen(
    db: Database, salon_id: uuid.UUID, *, job_ids: Sequence[uuid.UUID] = (), appointment_id: uuid.UUID | None = None
) -> None:
    """Someone at the front desk has looked at these failed notifications (shown on a page): no longer counted."""
    await db.execute(
        """UPDATE notification_jobs SET failure_seen_at = now()
            WHERE salon_id = %s AND status = 'failed' AND failure_seen_at IS NULL
              AND (id = ANY(%s) OR appointment_id = %s)""",
        (salon_id, list(job_ids), appointment_id),
    )
