"""What clients may do by themselves, under the salon's rules: what their link offers, the times they see."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from booking import appointments, availability, clients, fields, jobs, waitlist
from booking.availability import Slot
from booking.errors import Conflict, NotFound, SlotTaken, TooLate
from booking.models import Actor, Appointment, AppointmentStatus, Change, Salon, Source
from booking.notice_types import CANCELLATION, CONFIRMATION, N_, RESCHEDULED
from db import Database
from jobqueue.queue import JobStatus

# What a client just did on their page, and the notice that tells them so.
NOTICE_OF = {"booked": CONFIRMATION.name, "moved": RESCHEDULED.name, "cancelled": CANCELLATION.name}


@dataclass(frozen=True)
class Choices:
    """What the manage page offers now; the same rules are enforced again, under a lock, when acted on."""

    confirm: bool
    cancel: bool
    move: bool
    cancel_until: dt.datetime
    move_until: dt.datetime


def choices(salon: Salon, appointment: Appointment, now: dt.datetime) -> Choices:
    booked = appointment.status == AppointmentStatus.BOOKED and appointment.start_time > now
    cancel_until = salon.client_deadline(appointment.start_time, Change.CANCEL)
    move_until = salon.client_deadline(appointment.start_time, Change.MOVE)
    return Choices(
        confirm=booked and appointment.client_confirmed_at is None,
        cancel=booked and now <= cancel_until,
        move=booked and now <= move_until,
        cancel_until=cancel_until,
        move_until=move_until,
    )


def open_days(salon: Salon, now: dt.datetime) -> tuple[dt.date, dt.date]:
    """The first and last salon-local day a client may book or move to (the minimum notice, the horizon)."""
    first = (now + dt.timedelta(minutes=salon.online_booking.min_notice_minutes)).astimezone(salon.zone).date()
    return first, now.astimezone(salon.zone).date() + dt.timedelta(days=salon.online_booking.max_days_ahead)


async def free_times(
    db: Database,
    salon: Salon,
    *,
    service_id: uuid.UUID,
    day: dt.date,
    staff_id: uuid.UUID | None = None,
    moving: uuid.UUID | None = None,
    now: dt.datetime,
) -> list[Slot]:
    """The free times a client may choose by themselves (online, or moving through their link): the salon's free
    slots from the minimum notice after ``now`` on, and none beyond the horizon."""
    first, last = open_days(salon, now)
    if not first <= day <= last:
        return []
    not_before = now + dt.timedelta(minutes=salon.online_booking.min_notice_minutes)
    return await availability.free_slots(
        db, salon, service_id=service_id, day=day, staff_id=staff_id, now=not_before, moving=moving
    )


async def free_days(
    db: Database,
    salon: Salon,
    *,
    service_id: uuid.UUID,
    days: Sequence[dt.date],
    staff_id: uuid.UUID | None = None,
    moving: uuid.UUID | None = None,
    now: dt.datetime,
) -> set[dt.date]:
    """Which of ``days`` (a week's strip: a handful) have a free time a client may choose, asked at once."""
    found = await asyncio.gather(
        *(
            free_times(db, salon, service_id=service_id, day=day, staff_id=staff_id, moving=moving, now=now)
            for day in days
        )
    )
    return {day for day, slots in zip(days, found, strict=True) if slots}


async def move(
    db: Database, salon: Salon, appointment: Appointment, start_time: dt.datetime, now: dt.datetime
) -> Appointment:
    """Moves the client's appointment to one of its free times (same service, same staff member), as of ``now``."""
    if not choices(salon, appointment, now).move:
        raise TooLate("online, this appointment can no longer be moved")
    day = start_time.astimezone(salon.zone).date()
    slots = await free_times(
        db,
        salon,
        service_id=appointment.service_id,
        day=day,
        staff_id=appointment.staff_id,
        moving=appointment.id,
        now=now,
    )
    if start_time not in {slot.start for slot in slots}:
        raise SlotTaken("that time is not free", "start_time")
    return await appointments.reschedule(db, salon, appointment.id, start_time=start_time, by=Actor.CLIENT, now=now)


async def told(db: Database, salon: Salon, appointment: Appointment, done: str) -> tuple[str, ...]:
    """Where the notice of what the client just ``done`` (booked, moved, cancelled) goes, each address or number
    masked (fields.masked), so their page says it only where it is true: () when no notice was made."""
    kind = NOTICE_OF.get(done)
    notices = [
        job
        for job in await jobs.appointment_timeline(db, salon.id, appointment.id)
        if job.type == kind and job.status != JobStatus.CANCELLED
    ]
    if kind is None or not notices:
        return ()
    client = await clients.get_client(db, salon.id, appointment.client_id)
    latest = max(notices, key=lambda job: job.created_at)
    contacts = {"email": client.email, "sms": client.phone}
    return tuple(fields.masked(contact) for channel in latest.channels if (contact := contacts.get(channel)))


# --- a waitlist offer's link (booking.waitlist) ------------------------------------------------------------

# A claim by a client no longer waiting: why, one sentence per status.
NO_LONGER_WAITING = {
    waitlist.EntryStatus.UNVERIFIED: N_("the client has not confirmed their place on the waiting list yet"),
    waitlist.EntryStatus.BOOKED: N_("the client is no longer on the waiting list: they have booked"),
    waitlist.EntryStatus.LEFT: N_("the client is no longer on the waiting list: they have left it"),
    waitlist.EntryStatus.EXPIRED: N_("the client is no longer on the waiting list: their days have passed"),
}
NEXT_TIMES = 6  # free times a client whose offer has gone is shown instead
NEXT_DAYS = 7  # days looked through for them, from the offer's


class OfferGone(Conflict):
    """The time offered was claimed by someone else first, or has passed: the client stays on the list."""

    code = "gone"


async def claim_offer(db: Database, salon: Salon, offer_id: uuid.UUID, now: dt.datetime) -> Appointment:
    """Books the time offered for the waiting client, and the entry ends, booked, on one transaction: of every
    claim of one time, the overlap constraint lets exactly one win; the others are OfferGone, and a claim through
    an offer already claimed, or by a client no longer waiting, a Conflict."""
    try:
        async with db.transaction() as cur:
            offer = await waitlist.offer_for_claim(cur, offer_id)
            if offer is None or offer.salon_id != salon.id:
                raise NotFound("no such offer")
            if offer.appointment_id is not None:
                raise Conflict("this offer has been claimed already")
            if offer.entry_status != waitlist.EntryStatus.WAITING:
                raise Conflict(NO_LONGER_WAITING[offer.entry_status])
            if offer.start_time <= now:
                raise OfferGone("that time has passed")
            appointment = await appointments.book_in(
                cur, salon, client_id=offer.client_id, staff_id=offer.staff_id, service_id=offer.service_id,
                start_time=offer.start_time, notes="", source=Source.ONLINE, now=now,
            )  # fmt: skip
            await waitlist.claimed(cur, offer, appointment.id, now)
            return appointment
    except SlotTaken:
        raise OfferGone("someone else claimed that time first") from None


async def next_free(db: Database, salon: Salon, offer: waitlist.Offer, now: dt.datetime) -> list[availability.Slot]:
    """The first few free times of the offer's service from its day on, with anyone: what a client whose offer
    has gone may book instead."""
    day = offer.start_time.astimezone(salon.zone).date()
    found: list[Slot] = []
    for ahead in range(NEXT_DAYS):
        found += await free_times(db, salon, service_id=offer.service_id, day=day + dt.timedelta(days=ahead), now=now)
        if len(found) >= NEXT_TIMES:
            break
    return found[:NEXT_TIMES]
