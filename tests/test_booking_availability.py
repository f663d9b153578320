"""Free slots from working hours, service length and what is already booked."""

from __future__ import annotations

import datetime as dt

from booking import appointments, availability, clients, services, staff
from booking.models import ClientDetails, ServiceDetails, StaffDetails, WorkingHours
from db import Database

DAY = dt.date(2030, 6, 3)  # a Monday
NOW = dt.datetime(2030, 6, 1, tzinfo=dt.UTC)


async def _salon_with_staff(db: Database, make_salon):
    new = await make_salon(timezone="Europe/Paris")
    monday = WorkingHours(0, dt.time(9), dt.time(12))
    bea = await staff.create_staff(db, new.salon.id, StaffDetails(first_name="Bea", working_hours=[monday]))
    cal = await staff.create_staff(
        db, new.salon.id, StaffDetails(first_name="Cal", working_hours=[WorkingHours(0, dt.time(11), dt.time(13))])
    )
    cut = await services.create_service(db, new.salon.id, ServiceDetails(name="Cut", duration_minutes=60))
    return new.salon, bea, cal, cut


def _local(slot: availability.Slot, zone) -> str:
    return slot.start.astimezone(zone).strftime("%H:%M")


async def test_slots_fill_working_hours_in_the_salons_time(db: Database, make_salon) -> None:
    salon, bea, _, cut = await _salon_with_staff(db, make_salon)
    slots = await availability.free_slots(db, salon, service_id=cut.id, day=DAY, staff_id=bea.id, now=NOW)
    assert [_local(slot, salon.zone) for slot in slots] == [
        "09:00",
        "09:15",
        "09:30",
        "09:45",
        "10:00",
        "10:15",
        "10:30",
        "10:45",
        "11:00",
    ]
    assert all(slot.end - slot.start == dt.timedelta(hours=1) for slot in slots)
    assert (
        await availability.free_slots(
            db, salon, service_id=cut.id, day=DAY + dt.timedelta(days=1), staff_id=bea.id, now=NOW
        )
        == []
    )


async def test_booked_time_is_not_offered_and_anyone_free_merges_staff(db: Database, make_salon) -> None:
    salon, bea, _, cut = await _salon_with_staff(db, make_salon)
    ann = await clients.create_client(db, salon.id, ClientDetails(first_name="Ann"))
    ten = dt.datetime.combine(DAY, dt.time(10), salon.zone)
    await appointments.book(db, salon, client_id=ann.id, staff_id=bea.id, service_id=cut.id, start_time=ten)
    bea_slots = await availability.free_slots(db, salon, service_id=cut.id, day=DAY, staff_id=bea.id, now=NOW)
    assert [_local(slot, salon.zone) for slot in bea_slots] == ["09:00", "11:00"]
    anyone = await availability.free_slots(db, salon, service_id=cut.id, day=DAY, now=NOW)
    # One offer per start time, the first free member by name: a salon's size never multiplies the list.
    assert [(_local(slot, salon.zone), slot.staff_name) for slot in anyone] == [
        ("09:00", "Bea"),
        ("11:00", "Bea"),
        ("11:15", "Cal"),
        ("11:30", "Cal"),
        ("11:45", "Cal"),
        ("12:00", "Cal"),
    ]


async def test_slots_in_the_past_are_not_offered(db: Database, make_salon) -> None:
    salon, bea, _, cut = await _salon_with_staff(db, make_salon)
    half_past_ten = dt.datetime.combine(DAY, dt.time(10, 30), salon.zone)
    slots = await availability.free_slots(db, salon, service_id=cut.id, day=DAY, staff_id=bea.id, now=half_past_ten)
    assert [_local(slot, salon.zone) for slot in slots] == ["10:30", "10:45", "11:00"]


async def test_an_appointment_being_moved_does_not_block_its_own_time(db: Database, make_salon) -> None:
    salon, bea, _, cut = await _salon_with_staff(db, make_salon)
    ann = await clients.create_client(db, salon.id, ClientDetails(first_name="Ann"))
    ten = dt.datetime.combine(DAY, dt.time(10), salon.zone)
    booked = await appointments.book(db, salon, client_id=ann.id, staff_id=bea.id, service_id=cut.id, start_time=ten)
    slots = await availability.free_slots(
        db, salon, service_id=cut.id, day=DAY, staff_id=bea.id, now=NOW, moving=booked.id
    )
    assert "10:30" in [_local(slot, salon.zone) for slot in slots]  # overlaps its own old time: fine to move to
