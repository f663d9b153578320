"""Free slots: working hours, less what is booked, cut to the service's length."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from booking import appointments, services, staff
from booking.models import Salon, Staff
from db import Database

SLOT_STEP = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class Slot:
    start: dt.datetime
    end: dt.datetime
    staff_id: uuid.UUID
    staff_name: str


def _spans(member: Staff, day: dt.date, zone: dt.tzinfo) -> list[tuple[dt.datetime, dt.datetime]]:
    """The member's working hours on ``day`` as instants."""
    return [
        (dt.datetime.combine(day, hours.start, zone), dt.datetime.combine(day, hours.end, zone))
        for hours in member.working_hours
        if hours.weekday == day.weekday()
    ]


def _slots_for(
    member: Staff,
    day: dt.date,
    zone: dt.tzinfo,
    length: dt.timedelta,
    busy: list[tuple[dt.datetime, dt.datetime]],
    not_before: dt.datetime,
) -> list[Slot]:
    """One member's free starts: one walk along the day and their busy spans together.

    A member's booked spans never overlap (the database sees to it), so in time order the first
    one that ends after a start is the only one that can clash with it.
    """
    slots = []
    for span_start, span_end in _spans(member, day, zone):
        start, ahead = span_start, 0
        # Starts step in wall-clock time; lengths are real time, right across a DST change.
        while (end := start.astimezone(dt.UTC) + length) <= span_end:
            while ahead < len(busy) and busy[ahead][1] <= start:
                ahead += 1
            if start >= not_before and (ahead == len(busy) or busy[ahead][0] >= end):
                slots.append(Slot(start, end, member.id, member.name))
            start += SLOT_STEP
    return slots


async def free_slots(
    db: Database,
    salon: Salon,
    *,
    service_id: uuid.UUID,
    day: dt.date,
    staff_id: uuid.UUID | None = None,
    now: dt.datetime | None = None,
    moving: uuid.UUID | None = None,
) -> list[Slot]:
    """Bookable starts on a salon-local day, in time order: one staff member's, or for anyone free one per
    start time (the first free member by name), so a salon's size never multiplies what a page shows.

    ``moving`` is an appointment being rescheduled: its own time counts as free.
    """
    service = await services.get_service(db, salon.id, service_id)
    members = [await staff.get_staff(db, salon.id, staff_id)] if staff_id else await staff.list_staff(db, salon.id)
    day_start, day_end = appointments.local_day_bounds(salon, day)
    busy = await appointments.busy_times(db, salon.id, day_start, day_end, ignoring=moving)
    not_before = now or dt.datetime.now(dt.UTC)
    length = dt.timedelta(minutes=service.duration_minutes)
    slots = sorted(
        (
            slot
            for member in members
            for slot in _slots_for(member, day, salon.zone, length, busy.get(member.id, []), not_before)
        ),
        key=lambda slot: (slot.start, slot.staff_name),
    )
    if staff_id is None:
        first_free = {slot.start: slot for slot in reversed(slots)}  # reversed: the first by name wins
        slots = sorted(first_free.values(), key=lambda slot: slot.start)
    return slots
