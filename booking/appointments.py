"""Booking, cancelling and moving appointments: all SQL for appointments.

Each change writes the appointment and its notification jobs in one
transaction, so a booking never exists without its jobs nor jobs without
their booking. Overlaps are refused by the database's exclusion constraint,
which makes two racing requests for one slot impossible to both win.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import aiopg
import psycopg2.errors

from booking import (
    availability,
    clients,
    fields,
    notifications,
    payment_jobs,
    reasons,
    salons,
    saved_cards,
    staff,
    waitlist,
)
from booking.clients import ERASED
from booking.errors import (
    BookingError,
    Conflict,
    Invalid,
    NotFound,
    NotOffered,
    OnTimeOff,
    OutsideHours,
    Said,
    SlotTaken,
    TooLate,
)
from booking.locales import clock_time, day_name, wall_clock, weekday_names
from booking.models import (
    Actor,
    Appointment,
    AppointmentStatus,
    CalendarEntry,
    Change,
    Client,
    ClientHistory,
    Outcome,
    Revision,
    Salon,
    Source,
    display_name,
    read_calendar_entry,
)
from booking.notice_types import ABOUT_BOOKING, N_, SALON_NOTICE, THANK_YOU
from booking.paging import Page
from booking.payments import PaymentReason
from db import Database, Row
from db.rows import reader
from jobqueue import queue

# How far in the past a start may be: a booking typed a minute late still goes in.
PAST_GRACE = dt.timedelta(minutes=5)
# A later occurrence of a series that cannot move with it: its day, and why (the error's own sentence, read too).
ON_OCCURRENCE = N_("{occurrence}: {why}")
# The salon's cut-off for a client's change online, as a whole sentence per change; "h" and "min" need no plural.
CUT_OFF_HOURS = {
    Change.CANCEL: N_("online, an appointment can be cancelled until {hours} h before it starts"),
    Change.MOVE: N_("online, an appointment can be moved until {hours} h before it starts"),
}
CUT_OFF_MINUTES = {
    Change.CANCEL: N_("online, an appointment can be cancelled until {minutes} min before it starts"),
    Change.MOVE: N_("online, an appointment can be moved until {minutes} min before it starts"),
}
MAX_NOTES = 2000
DAY_LIMIT = 5000  # a day's appointments on one page: 200 staff with 25 each
# Why an appointment no longer changes, one whole sentence per status (a status glued in would stay English).
NOT_BOOKED = {
    AppointmentStatus.HELD: N_("the appointment is held; only booked ones can change"),
    AppointmentStatus.CANCELLED: N_("the appointment is cancelled; only booked ones can change"),
    AppointmentStatus.COMPLETED: N_("the appointment is completed; only booked ones can change"),
    AppointmentStatus.NO_SHOW: N_("the appointment is no show; only booked ones can change"),
}


def _now(given: dt.datetime | None) -> dt.datetime:
    """The instant a change is made at: the one its caller read the clock at, else the clock's now."""
    return given or dt.datetime.now(dt.UTC)


def _checked_start(start_time: dt.datetime, now: dt.datetime) -> dt.datetime:
    """The start in UTC, where adding a duration adds real time (not wall-clock time)."""
    if start_time.tzinfo is None:
        raise Invalid("{field} needs a UTC offset, e.g. 2030-05-01T10:00:00+01:00", "start_time")
    if start_time < now - PAST_GRACE:
        raise Invalid("{field} is in the past", "start_time")
    return start_time.astimezone(dt.UTC)


read_appointment = reader(Appointment)


def _named(row: Row) -> Appointment:
    """An appointment from a row that carries the names of its client, staff member and service."""
    client = display_name(row.pop("client_first_name"), row.pop("client_last_name"))
    staff_first_name = row.pop("staff_first_name")
    staff = display_name(staff_first_name, row.pop("staff_last_name"))
    return read_appointment(row | {"client_name": client, "staff_name": staff, "staff_first_name": staff_first_name})


async def _one(cur: aiopg.Cursor, sql: str, params: tuple[object, ...], not_found: NotFound) -> Row:
    await cur.execute(sql, params)
    row: Row | None = await cur.fetchone()
    if row is None:
        raise not_found
    return row


@dataclass(frozen=True)
class Terms:
    """A member's terms for a service: whether they perform it, their length for it, the buffer after it."""

    offered: bool
    length: dt.timedelta
    buffer_minutes: int


async def _parts(
    cur: aiopg.Cursor, salon_id: uuid.UUID, client_id: uuid.UUID, staff_id: uuid.UUID, service_id: uuid.UUID
) -> tuple[Client, Terms]:
    """The client and the member's terms for the service, checking all three ids belong to the salon, in one
    round trip."""
    await cur.execute(
        """SELECT c.id, c.first_name, c.last_name, c.email, c.phone, c.opted_in_reminders,
                  EXISTS (SELECT FROM sms_opt_outs o WHERE o.phone = c.phone) AS sms_opt_out,
                  t.offered, (SELECT duration_minutes FROM services WHERE id = %(service)s AND salon_id = %(salon)s)
                      AS service_minutes, t.duration_minutes, t.buffer_minutes,
                  EXISTS (SELECT FROM staff WHERE id = %(staff)s AND salon_id = %(salon)s) AS staff_found
             FROM (VALUES (1)) AS one
             LEFT JOIN clients c ON c.id = %(client)s AND c.salon_id = %(salon)s
             LEFT JOIN service_terms t ON t.salon_id = %(salon)s AND t.service_id = %(service)s
                                      AND t.staff_id = %(staff)s""",
        {"salon": salon_id, "client": client_id, "staff": staff_id, "service": service_id},
    )
    row = await cur.fetchone()
    offered, duration, buffer = row.pop("offered"), row.pop("duration_minutes"), row.pop("buffer_minutes")
    staff_found, service_found = row.pop("staff_found"), row.pop("service_minutes") is not None
    if row["id"] is None:
        raise NotFound("no such client", "client_id")
    if not staff_found:
        raise NotFound("no such staff member", "staff_id")
    if not service_found:
        raise NotFound("no such service", "service_id")
    return clients.read_client(row), Terms(offered, dt.timedelta(minutes=duration), buffer)


async def _why_not(cur: aiopg.Cursor, salon_id: uuid.UUID, staff_id: uuid.UUID, service_id: uuid.UUID) -> BookingError:
    """Why a service could not be booked with a member: it is not the salon's, nor the member, or they do not
    perform it."""
    await cur.execute(
        """SELECT EXISTS (SELECT FROM services WHERE id = %(service)s AND salon_id = %(salon)s) AS service_found,
                  EXISTS (SELECT FROM staff WHERE id = %(staff)s AND salon_id = %(salon)s) AS staff_found""",
        {"salon": salon_id, "staff": staff_id, "service": service_id},
    )
    row = await cur.fetchone()
    if not row["service_found"]:
        return NotFound("no such service", "service_id")
    if not row["staff_found"]:
        return NotFound("no such staff member", "staff_id")
    return not_offered()


def not_offered() -> NotOffered:
    return NotOffered("that staff member does not perform this service", "staff_id")


# A foreign key that refuses an id names the field: the database checks it belongs to the salon.
_NOT_FOUND_BY_CONSTRAINT = {
    "appointments_client_fkey": NotFound("no such client", "client_id"),
    "appointments_staff_fkey": NotFound("no such staff member", "staff_id"),
    "appointments_service_fkey": NotFound("no such service", "service_id"),
}


async def _write(cur: aiopg.Cursor, sql: str, params: dict[str, object]) -> Row | None:
    """Runs a statement that writes one appointment; the constraints' refusals become domain errors."""
    try:
        await cur.execute(sql, params)
    except psycopg2.errors.ExclusionViolation:
        raise SlotTaken("that time is already taken for this staff member", "start_time") from None
    except psycopg2.errors.CheckViolation as exc:
        if exc.diag.constraint_name != "appointments_not_in_time_off":
            raise
        raise OnTimeOff("the staff member has time off then", "start_time") from None
    except psycopg2.errors.ForeignKeyViolation as exc:
        raise _NOT_FOUND_BY_CONSTRAINT[exc.diag.constraint_name or ""] from None
    row: Row | None = await cur.fetchone() if cur.description else None
    return row


# Every change makes a new revision: its number and time are the .ics SEQUENCE and DTSTAMP of the notice it
# sends, so both grow strictly, even for changes within one second (DTSTAMP counts whole seconds).


async def _set_status(
    cur: aiopg.Cursor,
    appointment_id: uuid.UUID,
    status: AppointmentStatus,
    cancelled_by: Actor | None = None,
    *,
    at: dt.datetime,
) -> Revision:
    """``at``: when the change is made; a cancellation keeps it, to be late or not by the salon's cut-off."""
    await cur.execute(
        """UPDATE appointments
              SET status = %(status)s, cancelled_by = %(by)s, updated_at = now(), revision = revision + 1,
                  cancelled_at = CASE WHEN %(status)s = 'cancelled' THEN %(at)s::timestamptz END,
                  revised_at = greatest(date_trunc('second', clock_timestamp()), revised_at + interval '1 second')
            WHERE id = %(id)s
        RETURNING revision, revised_at""",
        {"status": status, "by": cancelled_by, "at": at, "id": appointment_id},
    )
    row: Row = await cur.fetchone()
    return Revision(row["revision"], row["revised_at"])


async def _move(
    cur: aiopg.Cursor,
    appointment_id: uuid.UUID,
    start: dt.datetime,
    end: dt.datetime,
    staff_id: uuid.UUID,
    buffer_minutes: int,
    moved_by: Actor,
) -> Revision:
    row = await _write(
        cur,
        """UPDATE appointments
              SET start_time = %(start)s, end_time = %(end)s, staff_id = %(staff)s, buffer_minutes = %(buffer)s,
                  updated_at = now(),
                  moved_by = %(by)s, client_confirmed_at = NULL,
                  revision = revision + 1,
                  revised_at = greatest(date_trunc('second', clock_timestamp()), revised_at + interval '1 second')
            WHERE id = %(id)s
        RETURNING revision, revised_at""",
        {"id": appointment_id, "start": start, "end": end, "staff": staff_id, "buffer": buffer_minutes, "by": moved_by},
    )
    assert row is not None, "the caller holds the row locked"
    return Revision(row["revision"], row["revised_at"])


async def book(
    db: Database,
    salon: Salon,
    *,
    client_id: uuid.UUID,
    staff_id: uuid.UUID,
    service_id: uuid.UUID,
    start_time: dt.datetime,
    notes: str = "",
    source: Source = Source.FRONT_DESK,
    now: dt.datetime | None = None,
) -> Appointment:
    """Books an appointment and queues its confirmation and reminders; ``source`` says where it was booked."""
    now = _now(now)
    start_time = _checked_start(start_time, now)
    notes = fields.text(notes, "notes", required=False, max_length=MAX_NOTES)
    async with db.transaction() as cur:
        return await book_in(
            cur, salon, client_id=client_id, staff_id=staff_id, service_id=service_id, start_time=start_time,
            notes=notes, source=source, now=now,
        )  # fmt: skip


async def book_in(
    cur: aiopg.Cursor,
    salon: Salon,
    *,
    client_id: uuid.UUID,
    staff_id: uuid.UUID,
    service_id: uuid.UUID,
    start_time: dt.datetime,
    notes: str,
    source: Source,
    now: dt.datetime,
) -> Appointment:
    """``book`` on the caller's transaction, its values checked (a waitlist offer's claim books this way). Booked
    ``online``, the confirmation goes to the client's contact whether or not they opted in to reminders."""
    booked = _Booking(salon, client_id, staff_id, service_id, notes, source, now)
    return await _read(cur, salon.id, await booked.at(cur, start_time))


@dataclasses.dataclass(frozen=True)
class _Booking:
    """What one booking, or each occurrence of a repeat booking, is made of."""

    salon: Salon
    client_id: uuid.UUID
    staff_id: uuid.UUID
    service_id: uuid.UUID
    notes: str
    source: Source
    now: dt.datetime
    series_id: uuid.UUID | None = None

    async def at(self, cur: aiopg.Cursor, start_time: dt.datetime) -> uuid.UUID:
        """Books it at ``start_time`` on the caller's transaction with its notifications; returns its id."""
        salon = self.salon
        # One round trip: the member's terms for the service, the insert, and the client the notifications are for.
        row = await _write(
            cur,
            """WITH terms AS (
                   SELECT duration_minutes, buffer_minutes FROM service_terms
                    WHERE salon_id = %(salon)s AND service_id = %(service)s AND staff_id = %(staff)s AND offered),
               booked AS (
                   INSERT INTO appointments
                          (salon_id, client_id, staff_id, service_id, start_time, end_time, buffer_minutes, notes,
                           source, series_id)
                   SELECT %(salon)s, %(client)s, %(staff)s, %(service)s, %(start)s,
                          %(start)s::timestamptz + make_interval(mins => duration_minutes), buffer_minutes, %(notes)s,
                          %(source)s, %(series)s
                     FROM terms
                   RETURNING id, client_id, end_time, revision, revised_at)
               SELECT booked.id, booked.end_time, booked.revision, booked.revised_at,
                      c.first_name, c.last_name, c.email, c.phone, c.opted_in_reminders, c.erased_at,
                      EXISTS (SELECT FROM sms_opt_outs o WHERE o.phone = c.phone) AS sms_opt_out
                 FROM booked JOIN clients c ON c.id = booked.client_id""",
            {
                "salon": salon.id,
                "client": self.client_id,
                "staff": self.staff_id,
                "service": self.service_id,
                "start": start_time,
                "notes": self.notes,
                "source": self.source,
                "series": self.series_id,
            },
        )
        if row is None:
            raise await _why_not(cur, salon.id, self.staff_id, self.service_id)
        client = clients.read_client({name: row.pop(name) for name in _CLIENT_COLUMNS} | {"id": self.client_id})
        if client.erased_at is not None:
            raise Conflict(ERASED, "client_id")
        await queue.enqueue(
            cur,
            salon_id=salon.id,
            client_id=self.client_id,
            appointment_id=row["id"],
            jobs=notifications.for_booking(
                client,
                start_time,
                row["end_time"],
                Revision(row["revision"], row["revised_at"]),
                self.now,
                quiet_hours=salon.quiet_hours,
                zone=salon.zone,
                sms_countries=salon.sms_countries,
                online=self.source == Source.ONLINE,
                plan=salon.reminder_plan,
            ),
        )
        booked: uuid.UUID = row["id"]
        return booked


# --- repeat bookings -------------------------------------------------------------------------------------------

EVERY_WEEKS = (1, 12)  # a repeat booking's weeks between occurrences, at least and at most
OCCURRENCES = (2, 26)  # and how many there are, the first included
NEAREST_SHOWN = 3  # free times offered for an occurrence that is taken


@dataclasses.dataclass(frozen=True)
class Repeat:
    every_weeks: int
    count: int

    def __post_init__(self) -> None:
        for name, value, (least, most) in (("every_weeks", self.every_weeks, EVERY_WEEKS),
                                           ("count", self.count, OCCURRENCES)):  # fmt: skip
            if not least <= value <= most:
                raise Invalid(
                    "{field} must be from {least} to {most}", ("repeat", name), least=str(least), most=str(most)
                )

    def starts(self, first: dt.datetime, zone: ZoneInfo) -> list[dt.datetime]:
        """Each occurrence's start, at the first one's wall-clock time on the salon's clock (across a DST
        change too: a 10:00 appointment stays at 10:00), in UTC."""
        local = first.astimezone(zone)
        days = (local.date() + dt.timedelta(weeks=self.every_weeks * n) for n in range(self.count))
        return [dt.datetime.combine(day, local.time(), zone).astimezone(dt.UTC) for day in days]


@dataclasses.dataclass(frozen=True)
class Taken:
    """An occurrence that was not booked: its time, and the nearest free times of its day with that stylist."""

    start_time: dt.datetime
    nearest: tuple[dt.datetime, ...]


@dataclasses.dataclass(frozen=True)
class SeriesBooked:
    booked: tuple[Appointment, ...]  # the free occurrences, each an ordinary appointment sharing a series_id
    conflicts: tuple[Taken, ...]  # the others: none is booked at another time behind the desk's back


async def book_series(
    db: Database,
    salon: Salon,
    repeat: Repeat,
    *,
    client_id: uuid.UUID,
    staff_id: uuid.UUID,
    service_id: uuid.UUID,
    start_time: dt.datetime,
    notes: str = "",
    source: Source = Source.FRONT_DESK,
    now: dt.datetime | None = None,
) -> SeriesBooked:
    """Books every occurrence of ``repeat`` from ``start_time`` that is free: inside the stylist's working hours
    and not taken (each as ``book`` books one, with its own notifications). The others are answered with the
    nearest free times of their day. All in one transaction: none is booked unless all that can be are."""
    now = _now(now)
    start_time = _checked_start(start_time, now)
    notes = fields.text(notes, "notes", required=False, max_length=MAX_NOTES)
    series = _Booking(salon, client_id, staff_id, service_id, notes, source, now, series_id=uuid.uuid4())
    booked: list[uuid.UUID] = []
    taken: list[dt.datetime] = []
    async with db.transaction() as cur:
        _, terms = await _parts(cur, salon.id, client_id, staff_id, service_id)
        if not terms.offered:
            raise not_offered()
        for start in repeat.starts(start_time, salon.zone):
            await cur.execute("SAVEPOINT occurrence")
            try:
                await _check_hours(cur, salon, staff_id, start, start + terms.length)
                booked.append(await series.at(cur, start))
            except (SlotTaken, OutsideHours, OnTimeOff):
                await cur.execute("ROLLBACK TO SAVEPOINT occurrence")
                taken.append(start)
        found = [await _read(cur, salon.id, appointment_id) for appointment_id in booked]
    conflicts = [Taken(start, await _nearest(db, salon, staff_id, service_id, start, now)) for start in taken]
    return SeriesBooked(tuple(found), tuple(conflicts))


async def _nearest(
    db: Database, salon: Salon, staff_id: uuid.UUID, service_id: uuid.UUID, wanted: dt.datetime, now: dt.datetime
) -> tuple[dt.datetime, ...]:
    """The free times of ``wanted``'s salon-local day with the stylist nearest to it, in time order."""
    day = wanted.astimezone(salon.zone).date()
    slots = await availability.free_slots(db, salon, service_id=service_id, day=day, staff_id=staff_id, now=now)
    closest = sorted(slots, key=lambda slot: abs(slot.start - wanted))[:NEAREST_SHOWN]
    return tuple(sorted(slot.start for slot in closest))


_CLIENT_COLUMNS = ("first_name", "last_name", "email", "phone", "opted_in_reminders", "erased_at", "sms_opt_out")


# --- held for an online booking (booking/online.py) -----------------------------


async def hold(
    cur: aiopg.Cursor, salon: Salon, *, staff_id: uuid.UUID, service_id: uuid.UUID, start_time: dt.datetime
) -> uuid.UUID:
    """Holds a time for an online booking until its code is typed: a 'held' appointment, with no client yet,
    that the overlap constraint counts, so neither another hold nor the front desk can take it meanwhile."""
    row = await _write(
        cur,
        """INSERT INTO appointments
                  (salon_id, staff_id, service_id, start_time, end_time, buffer_minutes, status, source)
           SELECT %(salon)s, %(staff)s, %(service)s, %(start)s,
                  %(start)s::timestamptz + make_interval(mins => duration_minutes), buffer_minutes, 'held', 'online'
             FROM service_terms
            WHERE salon_id = %(salon)s AND service_id = %(service)s AND staff_id = %(staff)s AND offered
        RETURNING id""",
        {"salon": salon.id, "staff": staff_id, "service": service_id, "start": start_time},
    )
    if row is None:
        raise await _why_not(cur, salon.id, staff_id, service_id)
    held: uuid.UUID = row["id"]
    return held


async def book_held(
    cur: aiopg.Cursor, salon: Salon, appointment_id: uuid.UUID, client: Client, now: dt.datetime
) -> Appointment:
    """The held time becomes ``client``'s booked appointment, with its confirmation and reminders, as ``book``."""
    await cur.execute(
        """UPDATE appointments SET status = 'booked', client_id = %s, updated_at = now()
            WHERE id = %s AND status = 'held'
        RETURNING start_time, end_time, revision, revised_at""",
        (client.id, appointment_id),
    )
    row = await cur.fetchone()
    if row is None:
        raise Conflict("the time is no longer held")
    revision = Revision(row["revision"], row["revised_at"])
    jobs = notifications.for_booking(
        client,
        row["start_time"],
        row["end_time"],
        revision,
        now,
        quiet_hours=salon.quiet_hours,
        zone=salon.zone,
        sms_countries=salon.sms_countries,
        online=True,
        plan=salon.reminder_plan,
    )
    await queue.enqueue(cur, salon_id=salon.id, client_id=client.id, appointment_id=appointment_id, jobs=jobs)
    return await _read(cur, salon.id, appointment_id)


async def release(cur: aiopg.Cursor, appointment_ids: list[uuid.UUID], now: dt.datetime) -> None:
    """Held times given back: the rows go, so the time is free again, and offered to the waitlist."""
    await cur.execute(
        """DELETE FROM appointments WHERE id = ANY(%s) AND status = 'held'
        RETURNING salon_id, staff_id, service_id, start_time""",
        (appointment_ids,),
    )
    for row in await cur.fetchall():
        freed = waitlist.Freed(row["staff_id"], row["service_id"], row["start_time"])
        await waitlist.offer_freed(cur, await salons.salon_on(cur, row["salon_id"]), freed, now)


async def _booked_for_update(cur: aiopg.Cursor, salon_id: uuid.UUID, appointment_id: uuid.UUID) -> Appointment:
    row = await _one(
        cur,
        """SELECT id, salon_id, client_id, staff_id, service_id, start_time, end_time, status, notes, source
             FROM appointments WHERE id = %s AND salon_id = %s FOR UPDATE""",
        (appointment_id, salon_id),
        NotFound("no such appointment", "appointment_id"),
    )
    appointment = read_appointment(row)
    if appointment.status != AppointmentStatus.BOOKED:
        raise Conflict(NOT_BOOKED[appointment.status])
    return appointment


async def cancel(
    db: Database,
    salon: Salon,
    appointment_id: uuid.UUID,
    *,
    by: Actor = Actor.SALON,
    at_desk: bool = False,
    following: bool = False,
    now: dt.datetime | None = None,
) -> Appointment:
    """Cancels a booked appointment: its reminders stop and a cancellation notice is queued. With ``following``
    (one of a repeat booking) the series' booked ones after it go too, each as if cancelled alone.

    ``by`` a client (through their link): only until the salon's cut-off, and the salon is told. ``by`` a client
    ``at_desk``: the front desk cancels at the client's word (a call), at any time, and tells no one at the salon.
    Money moves as the salon's policy says (``_settle_money``).
    """
    now = _now(now)
    async with db.transaction() as cur:
        booked = await _booked_for_update(cur, salon.id, appointment_id)
        if by == Actor.CLIENT and not at_desk:
            _within_cutoff(salon, booked.start_time, Change.CANCEL, now)
        await _cancel_one(cur, salon, booked, by, now, at_desk=at_desk)
        if following:
            for later in await _later_in_series(cur, salon.id, appointment_id):
                await _cancel_one(cur, salon, later, by, now, at_desk=at_desk)
        return await _read(cur, salon.id, appointment_id)


async def _later_in_series(cur: aiopg.Cursor, salon_id: uuid.UUID, appointment_id: uuid.UUID) -> list[Appointment]:
    """The booked appointments of ``appointment_id``'s series that start after it, locked (none: not a series)."""
    await cur.execute(
        """SELECT a.id, a.salon_id, a.client_id, a.staff_id, a.service_id, a.start_time, a.end_time, a.status,
                  a.notes, a.source
             FROM appointments a JOIN appointments this ON this.id = %(id)s AND this.salon_id = %(salon)s
            WHERE a.salon_id = %(salon)s AND a.series_id = this.series_id AND a.start_time > this.start_time
              AND a.status = 'booked'
            ORDER BY a.start_time
              FOR UPDATE OF a""",
        {"id": appointment_id, "salon": salon_id},
    )
    return [read_appointment(row) for row in await cur.fetchall()]


async def _cancel_one(
    cur: aiopg.Cursor, salon: Salon, booked: Appointment, by: Actor, now: dt.datetime, *, at_desk: bool = False
) -> None:
    revision = await _set_status(cur, booked.id, AppointmentStatus.CANCELLED, cancelled_by=by, at=now)
    await _settle_money(cur, salon, booked, by, now)
    by_client = by == Actor.CLIENT
    why = N_("appointment was cancelled by the client") if by_client else N_("appointment was cancelled by the salon")
    await queue.cancel_live(cur, booked.id, ABOUT_BOOKING, why)
    await waitlist.offer_freed(cur, salon, _freed(booked), now)
    client, _ = await _parts(cur, salon.id, booked.client_id, booked.staff_id, booked.service_id)
    notices = notifications.for_cancellation(
        client,
        booked.start_time,
        booked.end_time,
        revision,
        now,
        sms_countries=salon.sms_countries,
        online=booked.source == Source.ONLINE,
    )
    if by == Actor.CLIENT and not at_desk:
        notices += notifications.for_salon(salon.email, "cancelled", booked.id, client.name, booked.start_time, now)
    await _send(cur, salon, client.id, booked.id, notices)


async def _settle_money(cur: aiopg.Cursor, salon: Salon, booked: Appointment, by: Actor, now: dt.datetime) -> None:
    """The money of a cancellation, by the salon's policy: before the salon's cut-off (whoever cancels) what is left
    of a paid deposit goes back; inside it, a client's cancellation (their own, or the desk's at their word) is
    charged the late-cancellation fee on the card saved at booking, and the deposit stays. The salon's own
    cancellation inside the cut-off moves nothing by itself: the owner refunds from the appointment's page."""
    if now <= salon.client_deadline(booked.start_time, Change.CANCEL):
        await payment_jobs.refund_deposit(cur, salon.id, booked.id)
    elif by == Actor.CLIENT:
        await payment_jobs.charge_fee(cur, salon.id, booked.id, PaymentReason.LATE_CANCELLATION)


def _freed(booked: Appointment) -> waitlist.Freed:
    """The time a booked appointment held, now that it is cancelled or moved away: the waitlist is offered it."""
    return waitlist.Freed(booked.staff_id, booked.service_id, booked.start_time, freed_by=booked.id)


async def confirm(
    db: Database, salon: Salon, appointment_id: uuid.UUID, *, now: dt.datetime | None = None
) -> Appointment:
    """The client says "I'll be there": noted on the appointment, for the front desk to see."""
    async with db.transaction() as cur:
        booked = await _booked_for_update(cur, salon.id, appointment_id)
        if booked.start_time <= _now(now):
            raise Conflict("the appointment has already started")
        await cur.execute(
            "UPDATE appointments SET client_confirmed_at = coalesce(client_confirmed_at, now()) WHERE id = %s",
            (appointment_id,),
        )
        return await _read(cur, salon.id, appointment_id)


def _within_cutoff(salon: Salon, start: dt.datetime, change: Change, now: dt.datetime) -> None:
    """A client may change an appointment online only until the salon's cut-off before it."""
    if now > salon.client_deadline(start, change):
        minutes = salon.cancel_cutoff_minutes if change == Change.CANCEL else salon.reschedule_cutoff_minutes
        hours, rest = divmod(minutes, 60)
        if rest or not hours:
            raise TooLate(CUT_OFF_MINUTES[change], minutes=str(minutes))
        raise TooLate(CUT_OFF_HOURS[change], hours=str(hours))


async def _send(
    cur: aiopg.Cursor, salon: Salon, client_id: uuid.UUID, appointment_id: uuid.UUID, notices: list[queue.NewJob]
) -> None:
    """Queues the client's notices about the appointment, and the salon's own (which name it in their payload)."""
    theirs = [notice for notice in notices if notice.type != SALON_NOTICE.name]
    ours = [notice for notice in notices if notice.type == SALON_NOTICE.name]
    await queue.enqueue(cur, salon_id=salon.id, client_id=client_id, appointment_id=appointment_id, jobs=theirs)
    await queue.enqueue(cur, salon_id=salon.id, client_id=None, appointment_id=None, jobs=ours)


async def reschedule(
    db: Database,
    salon: Salon,
    appointment_id: uuid.UUID,
    *,
    start_time: dt.datetime | None = None,
    staff_id: uuid.UUID | None = None,
    outside_hours: bool = True,
    following: bool = False,
    by: Actor = Actor.SALON,
    now: dt.datetime | None = None,
) -> Appointment:
    """Moves a booked appointment; its reminders are planned anew and the client told. With ``following`` (one
    of a repeat booking) the series' booked ones after it move too, each by as many days and to the same time of
    day and stylist, each as if moved alone; one that cannot move moves none (the error names its day).

    With ``outside_hours`` false a time outside the staff member's working hours is not moved to but
    answered with ``OutsideHours`` (the pages ask "move anyway?"); the API moves, as it books, regardless.
    ``by`` a client (through their link): only until the salon's cut-off, and the salon is told.
    """
    now = _now(now)
    if start_time is not None:
        start_time = _checked_start(start_time, now)
    async with db.transaction() as cur:
        booked = await _booked_for_update(cur, salon.id, appointment_id)
        if by == Actor.CLIENT:
            _within_cutoff(salon, booked.start_time, Change.MOVE, now)
        new_start = start_time or booked.start_time
        moves = [(booked, new_start)]
        if following:
            old_local, new_local = booked.start_time.astimezone(salon.zone), new_start.astimezone(salon.zone)
            days = new_local.date() - old_local.date()
            for later in await _later_in_series(cur, salon.id, appointment_id):
                day = later.start_time.astimezone(salon.zone).date() + days
                moves.append((later, dt.datetime.combine(day, new_local.time(), salon.zone).astimezone(dt.UTC)))
        if new_start > booked.start_time:
            moves.reverse()  # the last first, so that none lands on a time its neighbour still holds
        for occurrence, moved_to in moves:
            try:
                await _move_one(cur, salon, occurrence, moved_to, staff_id, outside_hours, by, now)
            except BookingError as error:
                if occurrence is booked:
                    raise
                which = day_name(moved_to.astimezone(salon.zone).date(), salon.locale)
                said: dict[str, str] = {"occurrence": which, "why": Said(error.words)}
                said.update((name, value) for name, value in error.values.items() if name not in said)  # why's, after
                raise type(error)(ON_OCCURRENCE, error.field, **said) from None
        return await _read(cur, salon.id, appointment_id)


async def _move_one(
    cur: aiopg.Cursor,
    salon: Salon,
    booked: Appointment,
    new_start: dt.datetime,
    staff_id: uuid.UUID | None,
    outside_hours: bool,
    by: Actor,
    now: dt.datetime,
) -> None:
    """Moves one booked appointment (locked by the caller) on the caller's transaction, with its notices; the
    time it leaves is offered to the waitlist."""
    new_staff = staff_id or booked.staff_id
    if (new_start, new_staff) == (booked.start_time, booked.staff_id):
        return
    client, terms = await _parts(cur, salon.id, booked.client_id, new_staff, booked.service_id)
    if not terms.offered:
        raise not_offered()
    new_end = new_start + terms.length
    if not outside_hours:
        await _check_hours(cur, salon, new_staff, new_start, new_end)
    revision = await _move(cur, booked.id, new_start, new_end, new_staff, terms.buffer_minutes, by)
    await waitlist.offer_freed(cur, salon, _freed(booked), now)
    moved_to = wall_clock(new_start, salon.zone, salon.locale)
    await queue.cancel_live(cur, booked.id, ABOUT_BOOKING, reasons.said(reasons.MOVED, when=moved_to))
    notices = notifications.for_reschedule(
        client,
        booked.start_time,
        new_start,
        new_end,
        revision,
        now,
        quiet_hours=salon.quiet_hours,
        zone=salon.zone,
        sms_countries=salon.sms_countries,
        online=booked.source == Source.ONLINE,
        plan=salon.reminder_plan,
    )
    if by == Actor.CLIENT:
        notices += notifications.for_salon(
            salon.email, "moved", booked.id, client.name, new_start, now, previous_start=booked.start_time
        )
    await _send(cur, salon, client.id, booked.id, notices)


async def _check_hours(
    cur: aiopg.Cursor, salon: Salon, staff_id: uuid.UUID, start: dt.datetime, end: dt.datetime
) -> None:
    name, hours = await staff.hours_of(cur, salon.id, staff_id)
    if staff.within_hours(hours, start, end, salon.zone):
        return
    local = start.astimezone(salon.zone)
    worked = staff.hours_text(hours, local.weekday(), salon.locale)
    day = weekday_names(salon.locale)[local.weekday()]
    until = end.astimezone(salon.zone)
    span = f"{clock_time(local.time(), salon.locale)}\u2013{clock_time(until.time(), salon.locale)}"  # 12 h in en-US
    if worked:
        raise OutsideHours(
            "{span} is outside {name}'s working hours ({day}: {hours})", "start_time",
            span=span, name=name, day=day, hours=worked,
        )  # fmt: skip
    raise OutsideHours("{span} is outside {name}'s working hours (not working on {day})", "start_time",
                       span=span, name=name, day=day)  # fmt: skip


OUTCOME_WINDOW = dt.timedelta(days=7)  # how long after its start an appointment's outcome may be marked


def outcome_open(start: dt.datetime, now: dt.datetime) -> bool:
    """Whether an appointment starting at ``start`` may have its outcome marked (or corrected) at ``now``."""
    return start <= now <= start + OUTCOME_WINDOW


async def record_outcome(
    db: Database, salon: Salon, appointment_id: uuid.UUID, outcome: str, *, now: dt.datetime | None = None
) -> Appointment:
    """Marks an appointment completed or a no-show, from its start until OUTCOME_WINDOW after it (a mark may be
    corrected meanwhile); the reminders left stop, and a no-show is charged the salon's fee (booking.payment_jobs),
    canceled if corrected before it was charged. A
    completed one gets the salon's thank-you, if it sends them, once whatever happens later
    (``notifications.for_thanks``)."""
    if outcome not in tuple(Outcome):
        raise Invalid("{field} must be one of {choices}", "outcome", choices=", ".join(Outcome))
    status, now = AppointmentStatus(outcome), _now(now)
    async with db.transaction() as cur:
        row = await _one(
            cur,
            "SELECT status, start_time FROM appointments WHERE id = %s AND salon_id = %s AND status <> 'held' "
            "FOR UPDATE",
            (appointment_id, salon.id),
            NotFound("no such appointment", "appointment_id"),
        )
        if row["status"] not in (AppointmentStatus.BOOKED, *Outcome):
            raise Conflict("the appointment is cancelled; only a booked one has an outcome")  # held ones are not read
        if now < row["start_time"]:
            raise Conflict("the appointment has not started yet")
        if not outcome_open(row["start_time"], now):
            raise Conflict("an outcome can be marked until {days} days after the start", days=str(OUTCOME_WINDOW.days))
        if row["status"] != status:
            await _set_status(cur, appointment_id, status, at=now)
            await queue.cancel_live(cur, appointment_id, ABOUT_BOOKING, reasons.APPOINTMENT_MARKED[status])
        if status == AppointmentStatus.NO_SHOW:  # once per appointment, however often it is marked (its key)
            await payment_jobs.charge_fee(cur, salon.id, appointment_id, PaymentReason.NO_SHOW)
        else:  # a no-show corrected: its fee, not yet asked of Stripe, is canceled; one charged stays
            await payment_jobs.cancel_fee(cur, salon.id, appointment_id, PaymentReason.NO_SHOW)
        if status == AppointmentStatus.COMPLETED and salon.thank_you.enabled:
            await _thank(cur, salon, await _read(cur, salon.id, appointment_id), now)
        return await _read(cur, salon.id, appointment_id)


async def _thank(cur: aiopg.Cursor, salon: Salon, visit: Appointment, now: dt.datetime) -> None:
    """Queues the thank-you for an attended visit, unless one was ever queued for it (sent, or on its way)."""
    if await queue.ever_queued(cur, visit.id, THANK_YOU.name):
        return
    client, _ = await _parts(cur, salon.id, visit.client_id, visit.staff_id, visit.service_id)
    thanks = notifications.for_thanks(
        client, now, salon.thank_you.hours_after, quiet_hours=salon.quiet_hours, zone=salon.zone,
        sms_countries=salon.sms_countries,
    )  # fmt: skip
    await queue.enqueue(cur, salon_id=salon.id, client_id=client.id, appointment_id=visit.id, jobs=thanks)


def _with_jobs(appointment: Appointment, jobs: list[queue.QueuedJob]) -> Appointment:
    return dataclasses.replace(appointment, notification_jobs=tuple(jobs))


# Appointments with the names of their client, staff member and service: by id (or ids), or starting in a span.
_NAMED = """
    SELECT a.id, a.salon_id, a.client_id, a.staff_id, a.service_id, a.start_time, a.end_time, a.status, a.notes,
           c.first_name AS client_first_name, c.last_name AS client_last_name,
           s.first_name AS staff_first_name, s.last_name AS staff_last_name,
           v.name AS service_name, a.source, a.cancelled_by, a.moved_by, a.client_confirmed_at,
           a.price_cents, a.series_id, a.buffer_minutes,
           CASE WHEN a.status IN ('completed', 'no_show') THEN a.status END AS outcome
      FROM appointments a
      JOIN clients c ON c.id = a.client_id
      JOIN staff s ON s.id = a.staff_id
      JOIN services v ON v.id = a.service_id"""
_SELECT_NAMED = f"""{_NAMED}
     WHERE a.salon_id = %(salon)s
       AND (%(id)s::uuid IS NULL OR a.id = %(id)s)
       AND (%(ids)s::uuid[] IS NULL OR a.id = ANY(%(ids)s))
       AND (%(from)s::timestamptz IS NULL OR a.start_time >= %(from)s)
       AND (%(until)s::timestamptz IS NULL OR a.start_time < %(until)s)
       AND (%(client)s::uuid IS NULL OR a.client_id = %(client)s)
       AND (%(staff)s::uuid IS NULL OR a.staff_id = %(staff)s)
       AND (%(after)s::uuid IS NULL OR (a.start_time, s.first_name, s.last_name, a.id) >
            (SELECT a2.start_time, s2.first_name, s2.last_name, a2.id
               FROM appointments a2 JOIN staff s2 ON s2.id = a2.staff_id
              WHERE a2.id = %(after)s AND a2.salon_id = %(salon)s))
     ORDER BY a.start_time, s.first_name, s.last_name, a.id
     LIMIT %(limit)s"""


def _selecting(salon_id: uuid.UUID, limit: int, **given: object) -> dict[str, object]:
    """_SELECT_NAMED's parameters: the salon, how many, and the filters ``given`` (the others off)."""
    off = dict.fromkeys(("id", "ids", "from", "until", "client", "staff", "after"))
    return off | given | {"salon": salon_id, "limit": limit}


async def get_appointment(db: Database, salon_id: uuid.UUID, appointment_id: uuid.UUID) -> Appointment:
    async with db.transaction() as cur:
        return await _read(cur, salon_id, appointment_id)


@dataclass(frozen=True)
class AppointmentDetail(Appointment):
    """One appointment as its own answer shows it, as the desk's page does: with the card saved at booking for its
    fees, and the waitlist offers of the time it freed or whose claim booked it. Lists leave both out (reads per
    appointment)."""

    card_on_file: saved_cards.OnFile | None = None  # None: no card is saved
    waitlist_offers: list[waitlist.OfferNote] = dataclasses.field(default_factory=list)


async def get_detail(db: Database, salon_id: uuid.UUID, appointment_id: uuid.UUID) -> AppointmentDetail:
    """The appointment, its saved card from the card's row alone (Stripe is not asked: ``saved_cards.on_file``) and
    its waitlist offers (``waitlist.offers_about``), all of the salon's own."""
    appointment = await get_appointment(db, salon_id, appointment_id)  # another salon's: NotFound
    card, offers = await asyncio.gather(
        saved_cards.on_file(db, salon_id, appointment_id), waitlist.offers_about(db, salon_id, appointment_id)
    )
    shown = {field.name: getattr(appointment, field.name) for field in dataclasses.fields(appointment)}
    return AppointmentDetail(**shown, card_on_file=card, waitlist_offers=offers)


async def find(db: Database, appointment_id: uuid.UUID) -> Appointment | None:
    """An appointment by its id alone, for a client's link (which names no salon); a held one is not booked yet."""
    row = await db.fetch_one("SELECT salon_id FROM appointments WHERE id = %s AND status <> 'held'", (appointment_id,))
    return await get_appointment(db, row["salon_id"], appointment_id) if row else None


async def _read(cur: aiopg.Cursor, salon_id: uuid.UUID, appointment_id: uuid.UUID) -> Appointment:
    """An appointment as every answer shows it, read on the caller's transaction (after its own writes)."""
    await cur.execute(
        _SELECT_NAMED,
        _selecting(salon_id, 1, id=appointment_id),
    )
    row: Row | None = await cur.fetchone()
    if row is None:
        raise NotFound("no such appointment", "appointment_id")
    return _with_jobs(_named(row), await queue.for_appointment(cur, appointment_id))


async def by_ids(db: Database, salon_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> list[Appointment]:
    """The salon's appointments of ``ids``, in time order, with names (another salon's ids are left out)."""
    if not ids:
        return []
    rows = await db.fetch_all(
        _SELECT_NAMED,
        _selecting(salon_id, len(ids), ids=list(ids)),
    )
    return [_named(row) for row in rows]


async def list_between(
    db: Database,
    salon_id: uuid.UUID,
    start: dt.datetime,
    end: dt.datetime,
    *,
    staff_id: uuid.UUID | None = None,
    after: uuid.UUID | None = None,
    limit: int = DAY_LIMIT,
) -> list[Appointment]:
    """Appointments starting in [start, end), all statuses, in time order, with names; the page after ``after``;
    only ``staff_id``'s when given."""
    rows = await db.fetch_all(
        _SELECT_NAMED,
        _selecting(salon_id, limit, **{"from": start, "until": end, "staff": staff_id, "after": after}),
    )
    return [_named(row) for row in rows]


# An export's page: the ids of the salon's appointments (or one client's) after an id, in id order. Held
# times (an online booking waiting for its code) are not appointments yet.
PAGE_BY_ID = """
    SELECT id FROM appointments
     WHERE salon_id = %(salon)s AND status <> 'held'
       AND (%(client)s::uuid IS NULL OR client_id = %(client)s)
       AND (%(after)s::uuid IS NULL OR id > %(after)s)
     ORDER BY id LIMIT %(limit)s"""


async def page_by_id(
    db: Database, salon_id: uuid.UUID, *, client_id: uuid.UUID | None = None, after: uuid.UUID | None, limit: int
) -> Page[Appointment, uuid.UUID]:
    """The salon's appointments, or one client's, after ``after`` in id order, each as every answer shows it
    with its notification jobs (booking.paging): an export's page, in three short reads."""
    params = {"salon": salon_id, "client": client_id, "after": after, "limit": limit}
    ids = [row["id"] for row in await db.fetch_all(PAGE_BY_ID, params)]
    if not ids:
        return Page((), None)
    rows = await db.fetch_all(
        _SELECT_NAMED,
        _selecting(salon_id, limit, ids=ids),
    )
    found = sorted((_named(row) for row in rows), key=lambda appointment: appointment.id)
    return Page(await _with_their_jobs(db, found), ids[-1] if len(ids) == limit else None)


async def _with_their_jobs(db: Database, found: list[Appointment]) -> list[Appointment]:
    """The appointments with their notification jobs: one more read for all of them."""
    jobs = await queue.for_appointments(db, [appointment.id for appointment in found]) if found else {}
    return [_with_jobs(appointment, jobs.get(appointment.id, [])) for appointment in found]


def local_day_bounds(salon: Salon, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The instants a salon-local calendar day starts and ends (23 or 25 hours at DST changes)."""
    start = dt.datetime.combine(day, dt.time(0), salon.zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), salon.zone)
    return start, end


async def list_day(
    db: Database, salon: Salon, day: dt.date, *, after: uuid.UUID | None = None, limit: int = DAY_LIMIT
) -> list[Appointment]:
    """A salon-local day's appointments with their notification jobs: two reads, not one per appointment."""
    found = await list_between(db, salon.id, *local_day_bounds(salon, day), after=after, limit=limit)
    return await _with_their_jobs(db, found)


# --- a client's history (the client's page, GET /clients/{id}/appointments) ----------------------------------

# Newest first, the page after the appointment ``after``: one range of appointments_client_history.
CLIENT_HISTORY = f"""{_NAMED}
     WHERE a.salon_id = %(salon)s AND a.client_id = %(client)s
       AND (%(after)s::uuid IS NULL OR (a.start_time, a.id) <
            (SELECT start_time, id FROM appointments WHERE id = %(after)s AND salon_id = %(salon)s))
     ORDER BY a.start_time DESC, a.id DESC LIMIT %(limit)s"""


async def client_history(
    db: Database, salon_id: uuid.UUID, client_id: uuid.UUID, *, after: uuid.UUID | None, limit: int
) -> Page[Appointment, uuid.UUID]:
    """A page of the client's appointments, coming and past, newest first, with their notification jobs;
    ``next`` is the appointment the next page starts after (booking.paging)."""
    params = {"salon": salon_id, "client": client_id, "after": after, "limit": limit + 1}
    found = [_named(row) for row in await db.fetch_all(CLIENT_HISTORY, params)]
    shown = await _with_their_jobs(db, found[:limit])
    return Page(shown, shown[-1].id if len(found) > limit else None)


# One range of appointments_client_history, counted in one pass. A late cancellation is the client's, inside the
# salon's cut-off as it is now: online a client cannot cancel that late, so it is the desk's at the client's word
# (cancelled_by = 'client'); the salon's own (a sick stylist) is not held against them. Rows from before 0009
# recorded who (cancelled_by NULL) count as they always have: who cancelled them cannot be told.
CLIENT_COUNTS = """
    SELECT count(*) FILTER (WHERE a.status = 'completed') AS visits,
           count(*) FILTER (WHERE a.status = 'no_show') AS no_shows,
           count(*) FILTER (WHERE a.status = 'cancelled' AND a.cancelled_by IS DISTINCT FROM 'salon'
                              AND a.cancelled_at > a.start_time - make_interval(mins => s.cancel_cutoff_minutes))
               AS late_cancellations,
           coalesce(sum(a.price_cents) FILTER (WHERE a.status = 'completed'), 0) AS spent_cents
      FROM salons s JOIN appointments a ON a.salon_id = s.id
     WHERE s.id = %(salon)s AND a.client_id = %(client)s"""

read_history = reader(ClientHistory)


async def client_counts(db: Database, salon_id: uuid.UUID, client_id: uuid.UUID) -> ClientHistory:
    """What the client's appointments add up to, in one indexed read whatever their number; ``spent_cents`` is the
    completed ones' prices only (booking.client_history adds what payments took beyond them)."""
    return read_history(await db.fetch_row(CLIENT_COUNTS, {"salon": salon_id, "client": client_id}))


async def has_client(db: Database, salon_id: uuid.UUID, staff_id: uuid.UUID, client_id: uuid.UUID) -> bool:
    """Whether the client has (or had) an appointment with this staff member: a stylist's client."""
    row = await db.fetch_one(
        """SELECT EXISTS (SELECT 1 FROM appointments
                           WHERE salon_id = %s AND staff_id = %s AND client_id = %s) AS theirs""",
        (salon_id, staff_id, client_id),
    )
    return bool(row and row["theirs"])


async def list_week(db: Database, salon: Salon, staff_id: uuid.UUID, monday: dt.date) -> list[Appointment]:
    """One staff member's appointments of the salon-local week from ``monday``, with their notification jobs."""
    start, _ = local_day_bounds(salon, monday)
    _, end = local_day_bounds(salon, monday + dt.timedelta(days=6))
    found = await list_between(db, salon.id, start, end, staff_id=staff_id)
    return await _with_their_jobs(db, found)


FEED_LIMIT = 5000  # a stylist's appointments in a feed's span: far beyond a working life's 74 days

# One staff member's appointments starting in a span, for their calendar feed: a walk of appointments_staff_time.
STYLIST_SPAN = """
    SELECT a.id, a.start_time, a.end_time, a.status, v.name AS service_name,
           c.first_name AS client_first_name, a.revision, a.revised_at, a.created_at
      FROM appointments a
      JOIN clients c ON c.id = a.client_id
      JOIN services v ON v.id = a.service_id
     WHERE a.salon_id = %(salon)s AND a.staff_id = %(staff)s AND a.start_time >= %(from)s AND a.start_time < %(until)s
       AND a.status <> 'held'
     ORDER BY a.start_time, a.id
     LIMIT %(limit)s"""


async def of_stylist(
    db: Database, salon_id: uuid.UUID, staff_id: uuid.UUID, start: dt.datetime, end: dt.datetime
) -> list[CalendarEntry]:
    """One staff member's appointments starting in [start, end), every status but held, in time order."""
    rows = await db.fetch_all(
        STYLIST_SPAN, {"salon": salon_id, "staff": staff_id, "from": start, "until": end, "limit": FEED_LIMIT}
    )
    return [read_calendar_entry(row) for row in rows]
