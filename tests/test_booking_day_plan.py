"""The day as a calendar: where each block, each shaded hour and each tappable half hour goes."""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

from booking.day_plan import plan, week, week_start
from booking.models import Appointment, Staff, WorkingHours

ZONE = ZoneInfo("Europe/London")
DAY = dt.date(2030, 5, 7)  # a Tuesday
BEA = Staff(uuid.uuid4(), "Bea", "Cutter", None, (WorkingHours(1, dt.time(9, 15), dt.time(12)),))
CY = Staff(uuid.uuid4(), "Cy", "Shears", None, (WorkingHours(1, dt.time(10), dt.time(18)),))
DI = Staff(uuid.uuid4(), "Di", "Away", None, (WorkingHours(0, dt.time(10), dt.time(18)),))
EARLY = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


def booked(member: Staff, start: dt.time, minutes: int, status: str = "booked") -> Appointment:
    begins = dt.datetime.combine(DAY, start, ZONE)
    return Appointment(
        uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), member.id, uuid.uuid4(), begins,
        begins + dt.timedelta(minutes=minutes), status, "",
    )  # fmt: skip


def test_the_grid_runs_from_the_first_hour_anyone_works_or_is_booked_to_the_last() -> None:
    day = plan(DAY, ZONE, [BEA, CY, DI], [booked(BEA, dt.time(8, 30), 30)], EARLY)
    assert (day.first_hour, day.minutes) == (8, 10 * 60), "08:00 (a booking before hours) to 18:00"
    assert day.hour_marks[0] == (0, dt.time(8)) and day.hour_marks[-1] == (540, dt.time(17))
    assert [c.member.name for c in day.columns] == ["Bea Cutter", "Cy Shears"]
    assert day.not_working == (DI,)
    bea = day.columns[0]
    assert [(s.top, s.length) for s in bea.open] == [(75, 165)], "09:15-12:00, 75 minutes below 08:00"
    assert bea.hours == "09:15\u201312:00"
    assert [(b.span.top, b.span.length) for b in bea.blocks] == [(30, 30)]
    assert plan(DAY, ZONE, [DI], [], EARLY).columns == (), "nobody works: no columns"


def test_only_whole_free_half_hours_inside_the_hours_are_tappable_and_never_in_the_past() -> None:
    day = plan(DAY, ZONE, [BEA], [booked(BEA, dt.time(10), 45), booked(BEA, dt.time(11), 30, "cancelled")], EARLY)
    assert [cell.at for cell in day.columns[0].free] == ["09:30", "11:00", "11:30"]
    assert day.columns[0].free[0].span.top == 30, "below 09:00"
    at_ten = dt.datetime.combine(DAY, dt.time(10, 5), ZONE)
    today = plan(DAY, ZONE, [BEA], [], at_ten)
    assert [cell.at for cell in today.columns[0].free] == ["10:30", "11:00", "11:30"]
    assert today.now == 65, "the line at now: 10:05 is 65 minutes below 09:00"
    later = plan(DAY, ZONE, [BEA], [], at_ten + dt.timedelta(days=1))
    assert later.columns[0].free == () and later.now is None, "a past day books nothing"


def test_overlapping_blocks_share_the_width() -> None:
    appointments = [
        booked(CY, dt.time(10), 60, "cancelled"),
        booked(CY, dt.time(10, 30), 60),
        booked(CY, dt.time(11), 30, "cancelled"),
        booked(CY, dt.time(14), 30),
    ]
    blocks = plan(DAY, ZONE, [CY], appointments, EARLY).columns[0].blocks
    assert [(b.lane, b.lanes) for b in blocks] == [(0, 2), (1, 2), (0, 2), (0, 1)]
    assert blocks[0].appointment.status == "cancelled"


def test_a_week_is_seven_days_from_monday_on_one_grid_each_day_its_own_hours_and_bookings() -> None:
    monday = week_start(DAY)
    busy = booked(CY, dt.time(16), 60)
    wednesday = dt.datetime.combine(DAY + dt.timedelta(days=1), dt.time(8), ZONE)
    early = Appointment(
        uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), CY.id, uuid.uuid4(), wednesday,
        wednesday + dt.timedelta(minutes=30), "booked", "",
    )  # fmt: skip
    plan_of_week = week(monday, ZONE, CY, [busy, early], EARLY)
    assert monday == dt.date(2030, 5, 6) and [d.day.weekday() for d in plan_of_week.days] == list(range(7))
    assert (plan_of_week.first_hour, plan_of_week.minutes) == (8, 10 * 60), "Wednesday's 08:00 to Tuesday's 18:00"
    tuesday, wed = plan_of_week.days[1], plan_of_week.days[2]
    assert [span.top for span in tuesday.open] == [120], "10:00 is two hours below the week's 08:00"
    assert [b.span.top for b in tuesday.blocks] == [8 * 60] and [b.span.top for b in wed.blocks] == [0]
    assert tuesday.hours and not plan_of_week.days[0].hours and not wed.open, "Cy works Tuesdays only"
    assert plan_of_week.booked == 2 and plan_of_week.now is None
