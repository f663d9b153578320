"""Who gets which notification and when: the run_at rule, opt-in and channels."""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import pytest

from booking import notifications
from booking.models import Client, Revision

NOW = dt.datetime(2027, 3, 20, 12, 0, tzinfo=dt.UTC)
FIRST = Revision(0, NOW)
# A salon without quiet hours; test_booking_quiet_hours.py has those.
ANY_HOUR: dict = {"quiet_hours": None, "zone": ZoneInfo("Europe/London"), "sms_countries": ("GB",)}


def _client(
    *,
    opted_in: bool = True,
    email: str | None = "ann@example.com",
    phone: str | None = "+447400900123",
    sms_opt_out: bool = False,
) -> Client:
    return Client(uuid.uuid4(), "Ann", "Lee", email, phone, opted_in, sms_opt_out=sms_opt_out)


@pytest.mark.parametrize(
    ("lead", "expected"),
    [
        (dt.timedelta(minutes=30), {"booking_confirmation"}),
        (dt.timedelta(hours=2), {"booking_confirmation"}),  # the 2 h moment is now: already passed
        (dt.timedelta(hours=3), {"booking_confirmation", "reminder_2h"}),
        (dt.timedelta(hours=23, minutes=59), {"booking_confirmation", "reminder_2h"}),
        (dt.timedelta(hours=25), {"booking_confirmation", "reminder_2h", "reminder_24h"}),
        (dt.timedelta(days=30), {"booking_confirmation", "reminder_2h", "reminder_24h"}),
    ],
)
def test_reminders_are_made_only_while_their_moment_is_ahead(lead: dt.timedelta, expected: set[str]) -> None:
    start = NOW + lead
    jobs = notifications.for_booking(_client(), start, start + dt.timedelta(hours=1), FIRST, NOW, **ANY_HOUR)
    assert {job.type for job in jobs} == expected
    run_at = {job.type: job.run_at for job in jobs}
    assert run_at["booking_confirmation"] == NOW
    if "reminder_24h" in run_at:
        assert run_at["reminder_24h"] == start - dt.timedelta(hours=24)
    if "reminder_2h" in run_at:
        assert run_at["reminder_2h"] == start - dt.timedelta(hours=2)


def test_reminders_across_a_dst_change_are_real_hours_before() -> None:
    """London springs forward on 28 March 2027: 24 h before 10:00 BST is 09:00 GMT the day before."""
    london = ZoneInfo("Europe/London")
    start = dt.datetime(2027, 3, 28, 10, 0, tzinfo=london)
    jobs = {
        job.type: job
        for job in notifications.for_booking(_client(), start, start + dt.timedelta(hours=1), FIRST, NOW, **ANY_HOUR)
    }
    reminder = jobs["reminder_24h"].run_at
    assert start.astimezone(dt.UTC) - reminder.astimezone(dt.UTC) == dt.timedelta(hours=24)
    assert reminder.astimezone(london).replace(tzinfo=None) == dt.datetime(2027, 3, 27, 9, 0)
    early = dt.datetime(2027, 3, 28, 3, 30, tzinfo=london)  # 2 h before is 00:30 GMT: three wall-clock hours
    two_hours = {job.type: job for job in notifications.for_booking(_client(), early, early, FIRST, NOW, **ANY_HOUR)}[
        "reminder_2h"
    ]
    assert early.astimezone(dt.UTC) - two_hours.run_at.astimezone(dt.UTC) == dt.timedelta(hours=2)
    assert two_hours.run_at.astimezone(london).time() == dt.time(0, 30)


@pytest.mark.parametrize(
    ("client", "channels"),
    [
        (_client(), ("email", "sms")),
        (_client(phone=None), ("email",)),
        (_client(email=None), ("sms",)),
        (_client(email=None, phone=None), ()),
        (_client(opted_in=False), ()),
        (_client(phone="+37477123456"), ("email",)),  # not a country the salon texts
        (_client(phone="+441225123456"), ("email",)),  # a landline
        (_client(email=None, phone="+447400900123", sms_opt_out=True), ()),  # texted STOP
    ],
)
def test_channels_follow_what_the_client_has_and_opt_in(client: Client, channels: tuple[str, ...]) -> None:
    start = NOW + dt.timedelta(days=3)
    jobs = notifications.for_booking(client, start, start, FIRST, NOW, **ANY_HOUR)
    assert all(job.channels == channels for job in jobs)
    assert bool(jobs) == bool(channels)
    cancelled = notifications.for_cancellation(client, start, start, FIRST, NOW, sms_countries=("GB",))
    assert bool(cancelled) == bool(channels)


def test_texts_go_only_to_mobiles_of_the_countries_the_salon_lists() -> None:
    canadian = _client(email=None, phone="+15062345678")  # phonenumbers' example Canadian mobile
    assert notifications.channels_for(canadian, ("US",)) == ()
    assert notifications.channels_for(canadian, ("US", "CA")) == ("sms",)
    assert notifications.channels_for(_client(), ()) == ("email",), "a salon that lists no country texts nobody"


def test_reschedule_notice_carries_both_times() -> None:
    old, new = NOW + dt.timedelta(days=2), NOW + dt.timedelta(days=3)
    second = Revision(1, NOW + dt.timedelta(seconds=1))
    jobs = {job.type: job for job in notifications.for_reschedule(_client(), old, new, new, second, NOW, **ANY_HOUR)}
    assert set(jobs) == {"rescheduled", "reminder_24h", "reminder_2h"}
    assert {job.payload["revision"] for job in jobs.values()} == {1}, "each notice knows the change it tells of"
    assert jobs["rescheduled"].payload["previousStartTime"] == old.isoformat()
    assert jobs["rescheduled"].payload["startTime"] == new.isoformat()
