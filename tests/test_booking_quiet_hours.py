"""Quiet hours: no reminder arrives at night. One that would is planned for the end of the salon's quiet hours
if that is at least 30 minutes before the appointment, else it is not made; notices of what just happened go
at once. Times are the salon's wall clock, across DST changes too."""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import pytest

from booking import notifications
from booking.models import Client, QuietHours, Revision

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
NIGHTS = QuietHours(dt.time(21), dt.time(8))  # every salon's default
NOW = dt.datetime(2027, 1, 4, 12, 0, tzinfo=dt.UTC)  # booked well ahead of every appointment below
FIRST = Revision(0, NOW)
ANN = Client(uuid.uuid4(), "Ann", "Lee", "ann@example.com", "+447400900123", True)
IN_LONDON: dict = {"quiet_hours": NIGHTS, "zone": LONDON, "sms_countries": ("GB",)}


def planned(start: dt.datetime, quiet: QuietHours | None = NIGHTS, zone: ZoneInfo = LONDON) -> dict[str, dt.datetime]:
    """When each notice of a booking made at NOW goes, on the salon's wall clock (naive, to compare easily)."""
    jobs = notifications.for_booking(
        ANN, start, start + dt.timedelta(hours=1), FIRST, NOW, quiet_hours=quiet, zone=zone, sms_countries=("GB",)
    )
    return {job.type: job.run_at.astimezone(zone).replace(tzinfo=None) for job in jobs}


def local(day: int, hour: int, minute: int = 0, *, month: int = 2, zone: ZoneInfo = LONDON) -> dt.datetime:
    return dt.datetime(2027, month, day, hour, minute, tzinfo=zone)


def wall(day: int, hour: int, minute: int = 0, *, month: int = 2) -> dt.datetime:
    return dt.datetime(2027, month, day, hour, minute)


@pytest.mark.parametrize(
    ("start", "reminder_2h", "why"),
    [
        (local(10, 10), wall(10, 8), "08:00 is the end of quiet hours: not inside them"),
        (local(10, 9), wall(10, 8), "07:00 is quiet: it waits for 08:00, an hour before"),
        (local(10, 8, 30), wall(10, 8), "08:00 is exactly 30 minutes before: still in time"),
        (local(10, 8, 29), None, "08:00 would be 29 minutes before: not made"),
        (local(10, 22, 59), wall(10, 20, 59), "20:59 is the last minute before quiet hours"),
        (local(10, 23), None, "21:00 is the first minute of quiet hours, and they end after the appointment"),
    ],
)
def test_the_2h_reminder_at_the_edges_of_quiet_hours(start, reminder_2h, why) -> None:
    assert planned(start).get("reminder_2h") == reminder_2h, why


def test_a_24h_reminder_in_the_night_goes_when_the_quiet_hours_end() -> None:
    plan = planned(local(10, 23, 30))
    assert plan["reminder_24h"] == wall(10, 8), "23:30 the day before is quiet: 08:00 on the day, well ahead"
    assert "reminder_2h" not in plan
    assert plan["booking_confirmation"] == NOW.replace(tzinfo=None), "what just happened goes at once, even at night"


def test_quiet_hours_that_do_not_pass_midnight_and_none_at_all() -> None:
    lunch = QuietHours(dt.time(12), dt.time(14))
    assert planned(local(10, 15), lunch)["reminder_2h"] == wall(10, 14), "13:00 waits for 14:00"
    assert "reminder_2h" not in planned(local(10, 14, 15), lunch), "14:00 is 15 minutes before"
    assert planned(local(10, 15, 30), lunch)["reminder_2h"] == wall(10, 14), "13:30 waits too"
    assert planned(local(10, 16), lunch)["reminder_2h"] == wall(10, 14), "14:00 itself is not quiet"
    assert planned(local(11, 1), None)["reminder_2h"] == wall(10, 23), "a salon without quiet hours: 23:00"


def test_across_the_spring_change_quiet_hours_end_at_eight_on_the_new_clock() -> None:
    """London goes from 01:00 GMT to 02:00 BST on Sunday 28 March 2027: that night is an hour shorter."""
    sunday_nine = local(28, 9, month=3)  # 08:00 UTC
    plan = planned(sunday_nine)
    assert plan["reminder_2h"] == wall(28, 8, month=3), "07:00 BST waits for 08:00 BST"
    assert plan["reminder_24h"] == wall(27, 8, month=3), "24 real hours before is 08:00 GMT: not quiet"
    late = local(28, 22, 30, month=3)  # 24 h before is 21:30 GMT on Saturday
    reminder = notifications.for_booking(ANN, late, late, FIRST, NOW, **IN_LONDON)[1]
    assert reminder.run_at == dt.datetime(2027, 3, 28, 7, 0, tzinfo=dt.UTC), "08:00 BST is 07:00 UTC"
    due = late.astimezone(dt.UTC) - dt.timedelta(hours=24)
    assert reminder.run_at - due == dt.timedelta(hours=9, minutes=30), "21:30 GMT to 08:00 BST: not 10 h 30"


def test_across_the_autumn_change_quiet_hours_end_at_eight_on_the_old_clock() -> None:
    """London goes from 02:00 BST back to 01:00 GMT on Sunday 31 October 2027: that night is an hour longer."""
    plan = planned(local(31, 9, month=10))
    assert plan["reminder_2h"] == wall(31, 8, month=10)
    start, end = local(31, 9, month=10), local(31, 10, month=10)
    reminder = notifications.for_booking(ANN, start, end, FIRST, NOW, **IN_LONDON)[-1]
    assert reminder.run_at == dt.datetime(2027, 10, 31, 8, 0, tzinfo=dt.UTC), "08:00 GMT is 08:00 UTC"


def test_a_salon_in_new_york_reads_quiet_hours_on_its_own_clock_across_its_change() -> None:
    """New York springs forward on Sunday 14 March 2027: 08:00 EST on Saturday, 08:00 EDT on Sunday."""
    plan = planned(local(14, 9, month=3, zone=NEW_YORK), zone=NEW_YORK)
    assert plan["reminder_2h"] == wall(14, 8, month=3)
    assert plan["reminder_24h"] == wall(13, 8, month=3), "24 real hours before 09:00 EDT is 08:00 EST: not quiet"


def test_the_rule_is_the_same_at_send_time() -> None:
    """The worker asks the same question of the moment it holds a reminder (worker/delivery.py)."""
    start = local(10, 9)
    assert NIGHTS.place(local(10, 7, 59), start, LONDON) == local(10, 8).astimezone(dt.UTC)
    assert NIGHTS.place(local(10, 8), start, LONDON) == local(10, 8), "not quiet: now"
    assert NIGHTS.place(local(10, 7, 59), local(10, 8, 29), LONDON) is None, "too late to be of use"
    assert NIGHTS.end_after(local(9, 20, 59), LONDON) is None
    assert NIGHTS.end_after(local(9, 21), LONDON) == local(10, 8).astimezone(dt.UTC)
