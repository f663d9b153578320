"""The schedule's rules against the database: time off, who performs a service, buffers after it."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import psycopg2.errors
import pytest

from booking import appointments, availability, clients, code_sends, online, self_service, services, staff, time_off
from booking.errors import Invalid, NotFound, NotOffered, OnTimeOff, SlotTaken
from booking.models import (
    ClientDetails,
    Salon,
    Service,
    ServiceDetails,
    Staff,
    StaffDetails,
    StaffOverride,
    WorkingHours,
)
from db import Database
from tests.desk import ALL_WEEK, Desk, book_at, set_up_desk

BEFORE_2027 = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)  # "now" for the fixed dates of 2027


def _clock(slots: list[availability.Slot], zone: dt.tzinfo) -> list[str]:
    return [slot.start.astimezone(zone).strftime("%H:%M") for slot in slots]


def _at(desk: Desk, hour: int, minute: int = 0, days: int = 0) -> dt.datetime:
    return dt.datetime.combine(desk.day + dt.timedelta(days=days), dt.time(hour, minute), desk.zone)


async def _desk(db: Database, make_salon, **fields: str) -> tuple[Salon, Desk]:
    salon = (await make_salon(**fields)).salon
    return salon, await set_up_desk(db, salon)


async def _free(db: Database, salon: Salon, desk: Desk, **asked) -> list[str]:
    asked = {"service_id": desk.service.id, "day": desk.day, "staff_id": desk.staff.id} | asked
    return _clock(await availability.free_slots(db, salon, **asked), desk.zone)


# --- time off ------------------------------------------------------------------------------------------------


async def test_time_off_leaves_free_times_out_and_a_booking_or_move_inside_it_is_unavailable(db, make_salon) -> None:
    salon, desk = await _desk(db, make_salon)
    await time_off.add_time_off(db, salon.id, desk.staff.id, start=_at(desk, 12), end=_at(desk, 14), reason="dentist")
    free = await _free(db, salon, desk)
    assert "11:15" in free and "14:00" in free, "free up to the time off, and from its end"
    assert not {"11:30", "12:00", "13:45"} & set(free), f"nothing that runs into the time off: {free}"
    anyone = await availability.free_slots(db, salon, service_id=desk.service.id, day=desk.day)
    assert {slot.staff_name for slot in anyone if slot.start == _at(desk, 12)} == {"Cy Shears"}, "the other is free"

    with pytest.raises(OnTimeOff) as refused:
        await book_at(db, salon, desk, dt.time(13))
    assert refused.value.code == "unavailable" and refused.value.field == ("start_time",)
    booked = await book_at(db, salon, desk, dt.time(10))
    with pytest.raises(OnTimeOff):
        await appointments.reschedule(db, salon, booked.id, start_time=_at(desk, 11, 30))
    with pytest.raises(OnTimeOff):
        async with db.transaction() as cur:  # an online hold too, whatever the page offered
            await appointments.hold(
                cur, salon, staff_id=desk.staff.id, service_id=desk.service.id, start_time=_at(desk, 12)
            )
    moved = await appointments.reschedule(db, salon, booked.id, start_time=_at(desk, 14))
    assert moved.start_time == _at(desk, 14), "after the time off, as before"


async def test_time_off_over_booked_appointments_lists_them_and_moves_nothing(db, make_salon) -> None:
    salon, desk = await _desk(db, make_salon)
    inside = await book_at(db, salon, desk, dt.time(9))
    ends_inside = await book_at(db, salon, desk, dt.time(14, 30), desk.staff)
    cancelled = await book_at(db, salon, desk, dt.time(16))
    await appointments.cancel(db, salon, cancelled.id)
    others = await book_at(db, salon, desk, dt.time(10), desk.other_staff)
    after = await book_at(db, salon, desk, dt.time(15, 15))

    added = await time_off.add_time_off(db, salon.id, desk.staff.id, start=_at(desk, 8), end=_at(desk, 15, 15))
    assert added.affected == (inside.id, ends_inside.id), "booked ones inside it, in time order; not others'"
    assert (added.start, added.end, added.reason) == (_at(desk, 8), _at(desk, 15, 15), "")
    for unchanged in (inside, ends_inside, others, after):
        again = await appointments.get_appointment(db, salon.id, unchanged.id)
        assert (again.start_time, again.status) == (unchanged.start_time, unchanged.status), "nothing moved"
    [listed] = await time_off.list_time_off(db, salon.id, desk.staff.id, now=_at(desk, 0))
    assert listed.affected == added.affected, "the list says which are still inside"
    await appointments.reschedule(db, salon, inside.id, staff_id=desk.other_staff.id, start_time=_at(desk, 11))
    [listed] = await time_off.list_time_off(db, salon.id, desk.staff.id, now=_at(desk, 0))
    assert listed.affected == (ends_inside.id,), "moved to another stylist: no longer inside"
    assert await time_off.list_time_off(db, salon.id, desk.staff.id, now=_at(desk, 16)) == [], "ended: not listed"

    await time_off.remove_time_off(db, salon, desk.staff.id, added.id, now=_at(desk, 0))
    assert "12:00" in await _free(db, salon, desk), "removed: free again"
    with pytest.raises(NotFound):
        await time_off.remove_time_off(db, salon, desk.staff.id, added.id, now=_at(desk, 0))


async def test_time_off_across_midnight_closes_the_evening_and_the_next_morning(db, make_salon) -> None:
    salon = (await make_salon(timezone="America/New_York")).salon
    night = [WorkingHours(day, dt.time(18), dt.time(23, 45)) for day in range(7)]
    morning = [WorkingHours(day, dt.time(6), dt.time(12)) for day in range(7)]
    owl = await staff.create_staff(db, salon.id, StaffDetails(first_name="Owl", working_hours=night + morning))
    cut = await services.create_service(db, salon.id, ServiceDetails(name="Cut", duration_minutes=60))
    friday, zone = dt.date(2027, 5, 14), salon.zone
    await time_off.add_time_off(
        db,
        salon.id,
        owl.id,
        start=dt.datetime.combine(friday, dt.time(21), zone),
        end=dt.datetime.combine(friday + dt.timedelta(days=1), dt.time(9), zone),
    )
    evening = await availability.free_slots(db, salon, service_id=cut.id, day=friday, now=BEFORE_2027)
    assert _clock(evening, zone)[-1] == "20:00" and "06:00" in _clock(evening, zone), "the evening ends at 21:00"
    saturday = await availability.free_slots(
        db, salon, service_id=cut.id, day=friday + dt.timedelta(days=1), now=BEFORE_2027
    )
    assert _clock(saturday, zone)[0] == "09:00", "the next morning starts at 09:00"
    assert "21:00" in _clock(saturday, zone), "the evening after is free"


async def test_time_off_in_the_week_the_clocks_change_is_held_in_real_time(db, make_salon) -> None:
    """London springs forward at 01:00 on Sunday 2027-03-28: time off from Saturday 12:00 to Monday 12:00 (47 real
    hours) closes all of Sunday; a row written straight into the table inside it is refused by the database."""
    salon = (await make_salon(timezone="Europe/London")).salon
    hours = [WorkingHours(day, dt.time(0), dt.time(4)) for day in range(7)] + [
        WorkingHours(day, dt.time(9), dt.time(17)) for day in range(7)
    ]
    nia = await staff.create_staff(db, salon.id, StaffDetails(first_name="Nia", working_hours=hours))
    cut = await services.create_service(db, salon.id, ServiceDetails(name="Cut", duration_minutes=60))
    zone, saturday = salon.zone, dt.date(2027, 3, 27)
    start = dt.datetime.combine(saturday, dt.time(12), zone)
    end = dt.datetime.combine(saturday + dt.timedelta(days=2), dt.time(12), zone)
    added = await time_off.add_time_off(db, salon.id, nia.id, start=start, end=end)
    assert added.end - added.start == dt.timedelta(hours=47)

    def day(n: int) -> dt.date:
        return saturday + dt.timedelta(days=n)

    found = [await availability.free_slots(db, salon, service_id=cut.id, day=day(n), now=BEFORE_2027) for n in range(3)]
    assert _clock(found[0], zone)[-1] == "11:00", "Saturday until noon"
    assert found[1] == [], "all of Sunday, across the change"
    assert _clock(found[2], zone)[0] == "12:00", "Monday from noon"

    client = await clients.create_client(db, salon.id, ClientDetails(first_name="Ann"))
    with pytest.raises(psycopg2.errors.CheckViolation, match="time off"):
        await db.execute(
            """INSERT INTO appointments (salon_id, client_id, staff_id, service_id, start_time, end_time)
               VALUES (%s, %s, %s, %s, %s, %s)""",
            (salon.id, client.id, nia.id, cut.id, dt.datetime(2027, 3, 28, 1, 30, tzinfo=dt.UTC),
             dt.datetime(2027, 3, 28, 2, 30, tzinfo=dt.UTC)),
        )  # fmt: skip


async def test_a_booking_racing_time_off_is_either_refused_or_listed(db, make_salon) -> None:
    salon, desk = await _desk(db, make_salon)
    insert = """INSERT INTO appointments (salon_id, client_id, staff_id, service_id, start_time, end_time)
                VALUES (%s, %s, %s, %s, %s, %s) RETURNING id"""
    row = (salon.id, desk.client.id, desk.staff.id, desk.service.id, _at(desk, 10), _at(desk, 10, 45))

    async with db.transaction() as cur:  # a booking not yet committed when time off is added over it
        await cur.execute(insert, row)
        booked = (await cur.fetchone())["id"]
        adding = asyncio.ensure_future(
            time_off.add_time_off(db, salon.id, desk.staff.id, start=_at(desk, 9), end=_at(desk, 12))
        )
        await asyncio.sleep(0.3)
        assert not adding.done(), "the time off waits for the booking"
    assert (await adding).affected == (booked,), "and lists it"

    booking = None
    async with db.transaction() as cur:  # time off not yet committed when a booking is made inside it
        await cur.execute("SELECT FROM staff WHERE id = %s FOR UPDATE", (desk.other_staff.id,))
        await cur.execute(
            "INSERT INTO time_off (salon_id, staff_id, during) VALUES (%s, %s, tstzrange(%s, %s))",
            (salon.id, desk.other_staff.id, _at(desk, 9), _at(desk, 12)),
        )
        booking = asyncio.ensure_future(book_at(db, salon, desk, dt.time(10), desk.other_staff))
        await asyncio.sleep(0.3)
        assert not booking.done(), "the booking waits for the time off"
    with pytest.raises(OnTimeOff):
        await booking


async def test_time_off_must_be_a_real_span(db, make_salon) -> None:
    salon, desk = await _desk(db, make_salon)
    add = time_off.add_time_off
    with pytest.raises(Invalid) as wrong:
        await add(db, salon.id, desk.staff.id, start=_at(desk, 12), end=_at(desk, 12))
    assert wrong.value.field == ("end",)
    london = ZoneInfo("Europe/London")  # 02:10 BST is 01:10 UTC, before 01:50 GMT: no span, whatever the clock says
    with pytest.raises(Invalid) as wrong:
        await add(db, salon.id, desk.staff.id, start=dt.datetime(2027, 3, 28, 1, 50, tzinfo=london),
                  end=dt.datetime(2027, 3, 28, 2, 10, tzinfo=london))  # fmt: skip
    assert wrong.value.field == ("end",)
    with pytest.raises(Invalid) as wrong:
        await add(db, salon.id, desk.staff.id, start=_at(desk, 12), end=_at(desk, 12, days=400))
    assert wrong.value.field == ("end",)
    with pytest.raises(Invalid) as wrong:
        await add(db, salon.id, desk.staff.id, start=_at(desk, 12), end=_at(desk, 13), reason="x" * 201)
    assert wrong.value.field == ("reason",)


async def test_another_salons_time_off_cannot_be_read_added_or_removed(db, make_salon) -> None:
    salon, desk = await _desk(db, make_salon)
    other = (await make_salon()).salon
    added = await time_off.add_time_off(db, salon.id, desk.staff.id, start=_at(desk, 12), end=_at(desk, 13))
    with pytest.raises(NotFound):
        await time_off.list_time_off(db, other.id, desk.staff.id)
    with pytest.raises(NotFound):
        await time_off.add_time_off(db, other.id, desk.staff.id, start=_at(desk, 14), end=_at(desk, 15))
    with pytest.raises(NotFound):
        await time_off.remove_time_off(db, other, desk.staff.id, added.id, now=_at(desk, 0))
    [kept] = await time_off.list_time_off(db, salon.id, desk.staff.id, now=_at(desk, 0))
    assert kept.id == added.id


# --- who does what, and buffers --------------------------------------------------------------------------------


async def _colourist(db: Database, salon: Salon, desk: Desk, **details) -> tuple[Staff, services.Service]:
    """Cal, who alone does colour (60 minutes, a 15-minute buffer after it)."""
    cal = await staff.create_staff(db, salon.id, StaffDetails(first_name="Cal", working_hours=ALL_WEEK))
    colour = await services.create_service(
        db,
        salon.id,
        ServiceDetails(name="Colour", duration_minutes=60, buffer_minutes=15, staff_ids=(cal.id,), **details),
    )
    return cal, colour


async def test_only_the_staff_who_perform_a_service_are_offered_and_booked(db, make_salon) -> None:
    salon, desk = await _desk(db, make_salon)
    cal, colour = await _colourist(db, salon, desk)
    assert colour.staff_ids == (cal.id,) and colour.buffer_minutes == 15
    anyone = await availability.free_slots(db, salon, service_id=colour.id, day=desk.day)
    assert anyone and {slot.staff_id for slot in anyone} == {cal.id}, "only the colourist"
    assert await _free(db, salon, desk, service_id=colour.id) == [], "Bea does not do colour"

    with pytest.raises(NotOffered) as refused:
        await appointments.book(
            db, salon, client_id=desk.client.id, staff_id=desk.staff.id, service_id=colour.id, start_time=_at(desk, 10)
        )
    assert refused.value.code == "not_offered" and refused.value.field == ("staff_id",)
    booked = await appointments.book(
        db, salon, client_id=desk.client.id, staff_id=cal.id, service_id=colour.id, start_time=_at(desk, 10)
    )
    with pytest.raises(NotOffered):
        await appointments.reschedule(db, salon, booked.id, staff_id=desk.staff.id)
    with pytest.raises(NotOffered):
        async with db.transaction() as cur:
            await appointments.hold(cur, salon, staff_id=desk.staff.id, service_id=colour.id, start_time=_at(desk, 12))
    cut = await book_at(db, salon, desk, dt.time(10))  # everyone does cuts, as before
    assert cut.staff_id == desk.staff.id


async def test_a_staff_members_own_length_is_offered_and_booked(db, make_salon) -> None:
    salon, desk = await _desk(db, make_salon)
    changed = await services.update_service(
        db,
        salon.id,
        desk.service.id,
        ServiceDetails(name="Cut", duration_minutes=45,
                       staff_overrides=(StaffOverride(desk.other_staff.id, duration_minutes=30, price_cents=2500),)),
    )  # fmt: skip
    assert changed.staff_ids is None and changed.staff_overrides == (StaffOverride(desk.other_staff.id, 30, 2500),)
    cy_slots = await availability.free_slots(
        db, salon, service_id=desk.service.id, day=desk.day, staff_id=desk.other_staff.id
    )
    assert _clock(cy_slots, desk.zone)[-1] == "16:30" and cy_slots[0].end - cy_slots[0].start == dt.timedelta(
        minutes=30
    )
    booked = await book_at(db, salon, desk, dt.time(16, 30), desk.other_staff)
    assert booked.end_time - booked.start_time == dt.timedelta(minutes=30)
    moved = await appointments.reschedule(db, salon, booked.id, staff_id=desk.staff.id, start_time=_at(desk, 9))
    assert moved.end_time - moved.start_time == dt.timedelta(minutes=45), "Bea's length: the service's"


def test_anyones_length_is_the_range_of_those_who_perform_it() -> None:
    bea, cy, dee = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    everyone = frozenset((bea, cy, dee))
    minutes = lambda *m: tuple(dt.timedelta(minutes=n) for n in m)  # noqa: E731
    cut = Service(uuid.uuid4(), "Cut", 45, None, staff_overrides=(StaffOverride(bea, 60), StaffOverride(cy, None, 900)))
    assert cut.lengths_among(everyone) == minutes(45, 60), "Cy and Dee take the cut's own 45"
    assert cut.lengths_among(frozenset((bea,))) == minutes(60, 60), "Bea alone: hers"
    assert cut.lengths_among(frozenset()) == minutes(45, 45), "nobody yet: the service's own"
    colour = Service(uuid.uuid4(), "Colour", 90, None, staff_ids=(bea, cy), staff_overrides=(StaffOverride(cy, 120),))
    assert colour.lengths_among(everyone) == minutes(90, 120), "only its performers count, Dee not among them"
    assert colour.lengths_among(frozenset((dee,))) == minutes(90, 90), "none of them performs it: its own"


async def test_a_buffer_keeps_the_stylist_busy_after_but_not_the_client(db, make_salon) -> None:
    salon, desk = await _desk(db, make_salon)
    cal, colour = await _colourist(db, salon, desk)
    booked = await appointments.book(
        db, salon, client_id=desk.client.id, staff_id=cal.id, service_id=colour.id, start_time=_at(desk, 10)
    )
    assert booked.end_time == _at(desk, 11) and booked.buffer_minutes == 15, "the client's hour; the buffer apart"
    haircut = await services.create_service(db, salon.id, ServiceDetails(name="Trim", duration_minutes=15))
    trims = await availability.free_slots(db, salon, service_id=haircut.id, day=desk.day, staff_id=cal.id)
    assert "11:00" not in _clock(trims, desk.zone) and "11:15" in _clock(trims, desk.zone)
    with pytest.raises(SlotTaken):
        await appointments.book(
            db, salon, client_id=desk.client.id, staff_id=cal.id, service_id=haircut.id, start_time=_at(desk, 11)
        )
    # Before it: the new colour's own buffer may not run into the booked one.
    colours = _clock(await availability.free_slots(db, salon, service_id=colour.id, day=desk.day), desk.zone)
    assert "08:45" not in colours and "09:00" not in colours and "11:15" in colours, colours
    with pytest.raises(SlotTaken):
        await appointments.book(
            db, salon, client_id=desk.client.id, staff_id=cal.id, service_id=colour.id, start_time=_at(desk, 9)
        )
    trim = await appointments.book(
        db, salon, client_id=desk.client.id, staff_id=cal.id, service_id=haircut.id, start_time=_at(desk, 11, 15)
    )
    assert trim.start_time == _at(desk, 11, 15)


async def test_a_service_names_only_its_own_salons_staff_and_sane_values(db, make_salon) -> None:
    salon, desk = await _desk(db, make_salon)
    _, theirs = await _desk(db, make_salon)
    with pytest.raises(NotFound) as refused:
        await services.create_service(
            db, salon.id, ServiceDetails(name="Colour", duration_minutes=60, staff_ids=(desk.staff.id, theirs.staff.id))
        )
    assert refused.value.field == ("staff_ids", 1)
    with pytest.raises(NotFound):
        await services.update_service(
            db, salon.id, desk.service.id,
            ServiceDetails(name="Cut", duration_minutes=45, staff_overrides=(StaffOverride(theirs.staff.id, 30),)),
        )  # fmt: skip
    for details, field in (
        (ServiceDetails(name="C", duration_minutes=60, buffer_minutes=121), ("buffer_minutes",)),
        (ServiceDetails(name="C", duration_minutes=60, staff_ids=(desk.staff.id, desk.staff.id)), ("staff_ids", 1)),
        (ServiceDetails(name="C", duration_minutes=60, staff_ids=(desk.staff.id,),
                        staff_overrides=(StaffOverride(desk.other_staff.id, 30),)),
         ("staff_overrides", 0, "staff_id")),
        (ServiceDetails(name="C", duration_minutes=60, staff_overrides=(StaffOverride(desk.staff.id, 4),)),
         ("staff_overrides", 0, "duration_minutes")),
    ):  # fmt: skip
        with pytest.raises(Invalid) as wrong:
            await services.create_service(db, salon.id, details)
        assert wrong.value.field == field
    unchanged = await services.get_service(db, salon.id, desk.service.id)
    assert unchanged.staff_ids is None and unchanged.staff_overrides == (), "a refused change changes nothing"


# --- what clients see: online booking and the manage link's move ------------------------------------------------


async def test_clients_see_and_get_only_what_the_schedule_allows(db, make_salon) -> None:
    salon, desk = await _desk(db, make_salon)
    cal, colour = await _colourist(db, salon, desk)
    now = dt.datetime.now(dt.UTC)
    await time_off.add_time_off(db, salon.id, desk.staff.id, start=_at(desk, 0), end=_at(desk, 0, days=1))
    cuts = await self_service.free_times(db, salon, service_id=desk.service.id, day=desk.day, now=now)
    assert cuts and desk.staff.id not in {slot.staff_id for slot in cuts}, "Bea is on holiday"
    colours = await self_service.free_times(db, salon, service_id=colour.id, day=desk.day, now=now)
    assert {slot.staff_id for slot in colours} == {cal.id}

    def asking(member: Staff, start: dt.datetime) -> online.Request:
        return online.Request(colour.id, member.id, start, "Dee", "", "dee@example.com", None, False)

    limits = code_sends.Limits(per_recipient_hour=10, per_salon_day=100)
    with pytest.raises(NotOffered):
        await online.hold(db, salon, asking(desk.other_staff, _at(desk, 10)), client_address="10.0.0.1", minutes=15,
                          limits=limits, now=now)  # fmt: skip
    with pytest.raises(SlotTaken) as refused:
        await online.hold(db, salon, asking(cal, _at(desk, 10, 5)), client_address="10.0.0.1", minutes=15,
                          limits=limits, now=now)  # fmt: skip
    assert refused.value.code == "slot_taken", "not a free time"
    cut = online.Request(desk.service.id, desk.staff.id, _at(desk, 10), "Dee", "", "dee@example.com", None, False)
    with pytest.raises(OnTimeOff):
        await online.hold(db, salon, cut, client_address="10.0.0.1", minutes=15, limits=limits, now=now)

    booked = await book_at(db, salon, desk, dt.time(10), desk.other_staff)
    await time_off.add_time_off(db, salon.id, desk.other_staff.id, start=_at(desk, 12), end=_at(desk, 13))
    offered = await self_service.free_times(
        db, salon, service_id=desk.service.id, day=desk.day, staff_id=desk.other_staff.id, moving=booked.id, now=now
    )
    assert _at(desk, 12) not in {slot.start for slot in offered} and _at(desk, 13) in {s.start for s in offered}
    with pytest.raises(SlotTaken):
        await self_service.move(db, salon, booked, _at(desk, 12), now)
