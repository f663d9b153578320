"""A salon's front desk set up in the domain: two stylists, a service, a client, the Tuesday after next."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from booking import appointments, clients, services, staff
from booking.models import Client, ClientDetails, Service, ServiceDetails, Staff, StaffDetails, WorkingHours

ALL_WEEK = [WorkingHours(day, dt.time(9), dt.time(17)) for day in range(7)]


@dataclass(frozen=True)
class Desk:
    staff: Staff
    other_staff: Staff
    service: Service
    client: Client
    day: dt.date
    zone: dt.tzinfo


async def set_up_desk(db, salon) -> Desk:
    """Two stylists working every day 09-17, a 45-minute cut, an opted-in client; the Tuesday after next.

    A fixed weekday (9 to 15 days ahead), so the day after it is always in the same week: a week strip
    that starts on Monday shows both, whatever today is."""
    bea = await staff.create_staff(
        db, salon.id, StaffDetails(first_name="Bea", last_name="Cutter", working_hours=ALL_WEEK)
    )
    cy = await staff.create_staff(
        db, salon.id, StaffDetails(first_name="Cy", last_name="Shears", working_hours=ALL_WEEK)
    )
    cut = await services.create_service(db, salon.id, ServiceDetails(name="Cut", duration_minutes=45))
    ann = await clients.create_client(
        db,
        salon.id,
        ClientDetails(first_name="Ann", last_name="Example", email="ann@example.com", opted_in_reminders=True),
    )
    return Desk(bea, cy, cut, ann, desk_day(salon.zone), salon.zone)


def desk_day(zone: dt.tzinfo) -> dt.date:
    """The Tuesday after next in ``zone``: 9 to 15 days ahead, whatever today is."""
    today = dt.datetime.now(zone).date()
    return today + dt.timedelta(days=7 - today.weekday() + 7 + 1)


async def book_at(db, salon, desk: Desk, at: dt.time, member: Staff | None = None) -> appointments.Appointment:
    """Books the desk's client with ``member`` (Bea) at ``at`` on the desk's day, as another desk would."""
    return await appointments.book(
        db,
        salon,
        client_id=desk.client.id,
        staff_id=(member or desk.staff).id,
        service_id=desk.service.id,
        start_time=dt.datetime.combine(desk.day, at, desk.zone),
    )
