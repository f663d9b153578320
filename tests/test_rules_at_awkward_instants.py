"""The rules that read "now", run with the clock stopped at awkward instants (time-machine), in salons on
three continents: a Sunday 23:50 UTC (Monday morning in Kolkata, Sunday evening in New York), the night
Europe's clocks go forward (2027-03-28 00:30 UTC) and the morning America's do (2027-03-14 06:30 UTC).

Each rule takes "now" as an argument; here "now" is what the stopped clock says, so a rule that read the
clock by itself would read the same instant. What is asserted holds at any instant: the rule's own
invariant, never what a particular weekday or hour would give.
"""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import pytest
import time_machine

from booking import notifications, self_service
from booking.models import Appointment, AppointmentStatus, Client, OnlineBooking, QuietHours, Revision, Salon
from booking.notice_types import CONFIRMATION, WAITLIST_OFFER, reminder_kind
from handlers.public.base import DayStrip
from tests.worker_fixtures import claimed_job, delivery_for
from worker.delivery import held_until, stale_reason

pytestmark = pytest.mark.unit

INSTANTS = {
    "a Sunday 23:50 UTC": dt.datetime(2026, 12, 6, 23, 50, tzinfo=dt.UTC),
    "Europe's clocks go forward": dt.datetime(2027, 3, 28, 0, 30, tzinfo=dt.UTC),
    "America's clocks go forward": dt.datetime(2027, 3, 14, 6, 30, tzinfo=dt.UTC),
}
ZONES = ("Europe/London", "America/New_York", "Asia/Kolkata")
QUIET = QuietHours(dt.time(21), dt.time(8))
ANN = Client(uuid.uuid4(), "Ann", "Lee", "ann@example.com", "+447700900123", True)


@pytest.fixture(params=list(INSTANTS.items()), ids=list(INSTANTS))
def now(request: pytest.FixtureRequest):
    """The stopped clock's instant; the test runs inside it."""
    _, instant = request.param
    with time_machine.travel(instant, tick=False):
        assert dt.datetime.now(dt.UTC) == instant, "the clock is stopped where the test says"
        yield dt.datetime.now(dt.UTC)


@pytest.fixture(params=ZONES)
def salon(request: pytest.FixtureRequest) -> Salon:
    return Salon(
        uuid.uuid4(), "s", "Salon", "1 High St", request.param, "desk@salon.example", "+441225123456",
        quiet_hours=QUIET, online_booking=OnlineBooking(True, min_notice_minutes=120, max_days_ahead=60),
    )  # fmt: skip


def at_local(salon: Salon, day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), salon.zone)


def test_the_days_a_client_may_choose_start_after_the_notice_and_end_at_the_horizon(now, salon) -> None:
    first, last = self_service.open_days(salon, now)
    today = now.astimezone(salon.zone).date()
    assert first == (now + dt.timedelta(hours=2)).astimezone(salon.zone).date()
    assert today <= first <= today + dt.timedelta(days=1)
    assert last == today + dt.timedelta(days=60)


def test_a_week_strip_holds_the_chosen_day_within_the_days_a_client_may_choose(now, salon) -> None:
    first, last = self_service.open_days(salon, now)
    for day in (first, first + dt.timedelta(days=1), first + dt.timedelta(days=6), last):
        strip = DayStrip.around(day, first, last)
        assert day in strip.days, (day, strip.days)
        assert all(first <= shown <= last for shown in strip.days)
        assert strip.days == [strip.days[0] + dt.timedelta(days=n) for n in range(len(strip.days))], "in a row"
        assert len(strip.days) <= 7
        if strip.days[0] != first:
            assert strip.days[0].weekday() == 0, "a week starts on Monday (the first one on the first day)"
            assert len({shown.isocalendar()[:2] for shown in strip.days}) == 1, "one calendar week"
        assert strip.earlier is None if strip.days[0] == first else strip.earlier >= first
        assert strip.later is None or strip.later <= last


@pytest.mark.parametrize("hours_ahead", [1, 23, 24, 25, 49])
def test_a_client_may_cancel_until_the_cut_off_in_real_hours(now, salon, hours_ahead: int) -> None:
    start = (now + dt.timedelta(hours=hours_ahead)).astimezone(salon.zone)  # on the salon's clock, as shown
    booked = Appointment(
        uuid.uuid4(), salon.id, ANN.id, uuid.uuid4(), uuid.uuid4(), start, start, AppointmentStatus.BOOKED, ""
    )
    choices = self_service.choices(salon, booked, now)
    assert choices.cancel_until == now + dt.timedelta(hours=hours_ahead - 24), "24 real hours, across a clock change"
    assert (choices.cancel, choices.move) == (hours_ahead >= 24, hours_ahead >= 24)
    assert choices.confirm, "confirming is welcome up to the start"


@pytest.mark.parametrize(("day_offset", "hour"), [(0, 9), (0, 13), (1, 8), (1, 10), (2, 1), (2, 9), (7, 10)])
def test_reminders_are_planned_ahead_of_now_outside_quiet_hours(now, salon, day_offset: int, hour: int) -> None:
    day = now.astimezone(salon.zone).date() + dt.timedelta(days=day_offset)
    start = at_local(salon, day, hour)
    revision = Revision(0, now)
    jobs = notifications.for_booking(ANN, start, start + dt.timedelta(minutes=45), revision, now,
                                     quiet_hours=QUIET, zone=salon.zone, sms_countries=salon.sms_countries)  # fmt: skip
    if start <= now:
        assert all(job.type == CONFIRMATION.name or job.run_at > now for job in jobs)
    confirmation, *reminders = jobs
    assert (confirmation.type, confirmation.run_at) == (CONFIRMATION.name, now), "a confirmation goes at once"
    for reminder in reminders:
        assert reminder.minutes_before is not None, "a reminder says when it goes"
        assert reminder.type == reminder_kind(reminder.minutes_before).name, "24 h and 2 h keep their types"
        meant = start - dt.timedelta(minutes=reminder.minutes_before)
        assert meant > now, "a reminder whose moment has passed is not made"
        assert reminder.run_at >= meant, "never early"
        assert not QUIET.holds(reminder.run_at.astimezone(salon.zone).time()), "never in quiet hours"
        assert reminder.run_at <= start - dt.timedelta(minutes=30), "and not at the last minute"
    for minutes in notifications.DEFAULT_PLAN:
        meant = start.astimezone(dt.UTC) - dt.timedelta(minutes=minutes)
        placed = QUIET.place(meant, start, salon.zone)
        expected = meant > now and placed is not None
        assert (minutes in {job.minutes_before for job in reminders}) == expected, (minutes, meant, placed)


def test_a_quiet_spell_ends_on_the_wall_clock_of_its_own_day(now, salon) -> None:
    for hours in range(0, 48):
        instant = now + dt.timedelta(hours=hours)
        end = QUIET.end_after(instant, salon.zone)
        local = instant.astimezone(salon.zone)
        if not QUIET.holds(local.time()):
            assert end is None
            continue
        assert end is not None and end > instant
        assert end.astimezone(salon.zone).time() >= QUIET.end, "08:00, or 09:00 when 08:00 was skipped"
        assert end - instant <= dt.timedelta(hours=12), "a spell of 11 hours, 12 across a clock change"


def test_the_zone_is_the_salons_not_the_machines(now) -> None:
    """The stopped clock is an instant; each salon reads its own day from it."""
    days = {zone: now.astimezone(ZoneInfo(zone)).date() for zone in ZONES}
    assert max(days.values()) - min(days.values()) <= dt.timedelta(days=1)


@pytest.mark.parametrize("minutes_ahead", [60, 119, 121, 150, 600, 1440, 2000])
def test_an_offer_goes_outside_the_minimum_notice_and_quiet_hours_or_not_at_all(now, salon, minutes_ahead) -> None:
    start = now + dt.timedelta(minutes=minutes_ahead)
    job = claimed_job(WAITLIST_OFFER.name, now=now, appointment_id=None, payload={"offerId": str(uuid.uuid4())})
    offer = delivery_for(
        job, salon_timezone=salon.timezone, start_time=start, end_time=start + dt.timedelta(minutes=45),
        appointment_status=None, appointment_created_at=None, quiet_start=QUIET.start, quiet_end=QUIET.end,
        waitlist_status="waiting", offer_still_free=True, online_min_notice_minutes=120,
    )  # fmt: skip
    reason, held = stale_reason(offer, now), held_until(offer, now)
    quiet_now = QUIET.holds(now.astimezone(salon.zone).time())
    if minutes_ahead < 120:
        assert reason == "the time is inside the salon's minimum notice now"
    elif reason is not None:
        assert quiet_now and reason.startswith("quiet hours"), reason
    elif held is None:
        assert not quiet_now, "sent at once only outside quiet hours"
    else:
        assert quiet_now and held > now and not QUIET.holds(held.astimezone(salon.zone).time())
        assert held <= start - dt.timedelta(minutes=30), "held, but not to the last minute"
