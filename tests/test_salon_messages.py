"""Messages the salon owns (issue 24): its reminder plan, its own words, a thank-you after the visit."""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

from booking import notifications
from booking.models import Client, Revision
from booking.notice_types import reminder_kind
from tests.api_fixtures import IN_A_WEEK, set_up_directory

ANN = Client(uuid.uuid4(), "Ann", "Lee", email="ann@example.com", phone=None, opted_in_reminders=True)
NOW = dt.datetime(2030, 5, 1, 9, tzinfo=dt.UTC)
UTC = ZoneInfo("UTC")
START = dt.datetime(2030, 5, 10, 14, tzinfo=dt.UTC)


def _reminders(plan: tuple[int, ...], start: dt.datetime = START) -> list[tuple[str, int | None, dt.datetime]]:
    end = start + dt.timedelta(hours=1)
    jobs = notifications.for_booking(
        ANN, start, end, Revision(0, NOW), NOW, quiet_hours=None, zone=UTC, sms_countries=("GB",), plan=plan
    )
    return [(job.type, job.minutes_before, job.run_at) for job in jobs if job.type != "booking_confirmation"]


# --- the reminder plan ----------------------------------------------------------------------------------------


def test_the_default_plan_is_the_released_24_and_2_hour_reminders() -> None:
    assert _reminders(notifications.DEFAULT_PLAN) == [
        ("reminder_24h", 1440, START - dt.timedelta(hours=24)),
        ("reminder_2h", 120, START - dt.timedelta(hours=2)),
    ]


def test_a_plan_of_48_and_3_hours_makes_reminders_with_their_minutes() -> None:
    assert _reminders((180, 2880)) == [
        ("reminder", 2880, START - dt.timedelta(hours=48)),
        ("reminder", 180, START - dt.timedelta(hours=3)),
    ], "latest first, each its own minutes; 1,440 and 120 alone keep the released types"
    assert reminder_kind(1440).name == "reminder_24h" and reminder_kind(120).name == "reminder_2h"


def test_an_empty_plan_makes_no_reminders_and_a_passed_moment_none_either() -> None:
    assert _reminders(()) == []
    soon = NOW + dt.timedelta(hours=5)
    assert [minutes for _, minutes, _ in _reminders((2880, 180), soon)] == [180], "48 h before has passed"


async def test_the_plan_is_read_and_changed_through_the_api_and_bookings_follow_it(api, make_salon) -> None:
    salon = await make_salon()
    status, got = await api("GET", "/salon", salon.api_token)
    assert got["reminders"] == [{"minutesBefore": 1440}, {"minutesBefore": 120}], "a salon that changed nothing"
    assert got["thankYou"] == {"enabled": False, "hoursAfter": 2, "reviewUrl": ""}
    ids = await set_up_directory(api, salon.api_token)
    status, booked = await api("POST", "/appointments", salon.api_token, ids | {"startTime": IN_A_WEEK.isoformat()})
    assert status == 201, booked
    assert [(job["type"], job["minutesBefore"]) for job in booked["notificationJobs"]] == [
        ("booking_confirmation", None), ("reminder_24h", 1440), ("reminder_2h", 120)]  # fmt: skip

    plan = {"reminders": [{"minutesBefore": 180}, {"minutesBefore": 2880}]}
    status, changed = await api("PATCH", "/salon", salon.api_token, plan)
    assert status == 200, changed
    assert changed["reminders"] == [{"minutesBefore": 2880}, {"minutesBefore": 180}]
    later = (IN_A_WEEK + dt.timedelta(days=1)).isoformat()
    status, other = await api("POST", "/appointments", salon.api_token, ids | {"startTime": later})
    reminders = [(job["type"], job["minutesBefore"], job["runAt"]) for job in other["notificationJobs"][1:]]
    start = dt.datetime.fromisoformat(other["startTime"])
    assert [(kind, minutes, dt.datetime.fromisoformat(at)) for kind, minutes, at in reminders] == [
        ("reminder", 2880, start - dt.timedelta(hours=48)),
        ("reminder", 180, start - dt.timedelta(hours=3)),
    ]
    status, job = await api("GET", f"/jobs/{other['notificationJobs'][1]['id']}", salon.api_token)
    assert (job["type"], job["minutesBefore"]) == ("reminder", 2880), "the job's answer says when it goes"

    moved_to = (IN_A_WEEK + dt.timedelta(days=2)).isoformat()
    status, moved = await api("PATCH", f"/appointments/{booked['id']}", salon.api_token, {"startTime": moved_to})
    assert status == 200, moved
    live = [(job["type"], job["minutesBefore"]) for job in moved["notificationJobs"] if job["status"] == "pending"]
    assert live == [("rescheduled", None), ("reminder", 2880), ("reminder", 180)], "a move plans by the plan in force"
    cancelled = [job["type"] for job in moved["notificationJobs"] if job["status"] == "cancelled"]
    assert sorted(cancelled) == ["booking_confirmation", "reminder_24h", "reminder_2h"], "the old plan's reminders go"


async def test_a_bad_plan_is_a_400_naming_the_reminders(api, make_salon) -> None:
    salon = await make_salon()
    for plan in (
        [{"minutesBefore": 29}],
        [{"minutesBefore": 10081}],
        [{"minutesBefore": 60}, {"minutesBefore": 60}],
        [{"minutesBefore": m} for m in (60, 120, 180, 240)],
    ):
        status, answer = await api("PATCH", "/salon", salon.api_token, {"reminders": plan})
        assert (status, answer["error"]["field"]) == (400, "reminders"), (plan, answer)
    status, answer = await api("PATCH", "/salon", salon.api_token, {"reminders": [{"minutes": 60}]})
    assert (status, answer["error"]["field"]) == (400, "reminders[0].minutesBefore"), answer
    status, answer = await api("PATCH", "/salon", salon.api_token, {"reminders": []})
    assert (status, answer["reminders"]) == (200, []), "no reminders at all is a plan too"
