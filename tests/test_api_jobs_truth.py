"""Notifications that tell the truth: a retry never sends a reminder early, is refused in plain words where
it cannot work, and a cancelled notice says why in the salon's time, not as an error."""

from __future__ import annotations

import datetime as dt

from tests.api_fixtures import set_up_directory

IN_FOUR_DAYS = (dt.datetime.now(dt.UTC) + dt.timedelta(days=4)).replace(hour=15, minute=0, second=0, microsecond=0)


async def booked(api, token: str, phone: str = "+44 7400 900123") -> tuple[dict, dict[str, dict]]:
    ids = await set_up_directory(api, token, phone=phone)
    status, appointment = await api("POST", "/appointments", token, ids | {"startTime": IN_FOUR_DAYS.isoformat()})
    assert status == 201
    return appointment, {job["type"]: job for job in appointment["notificationJobs"]}


async def test_a_retried_reminder_waits_for_its_own_moment(api, make_salon) -> None:
    salon = await make_salon()
    _, jobs = await booked(api, salon.api_token)
    reminder = jobs["reminder_24h"]
    assert (await api("POST", f"/jobs/{reminder['id']}/cancel", salon.api_token))[0] == 200
    status, retried = await api("POST", f"/jobs/{reminder['id']}/retry", salon.api_token)
    assert status == 200 and retried["status"] == "pending"
    due = dt.datetime.fromisoformat(retried["runAt"])
    assert due == IN_FOUR_DAYS - dt.timedelta(hours=24), "at its moment, three days from now: never early"


async def test_old_notices_of_a_moved_appointment_cannot_be_retried_and_say_why_in_local_time(
    api, make_salon, logged_in
) -> None:
    session, salon = await logged_in(timezone="America/New_York", country="US")
    appointment, jobs = await booked(api, salon.api_token, phone="(201) 555-0123")
    later = IN_FOUR_DAYS + dt.timedelta(hours=2)
    assert (await api("PATCH", f"/appointments/{appointment['id']}", salon.api_token,
                      {"startTime": later.isoformat()}))[0] == 200  # fmt: skip
    status, old = await api("GET", f"/jobs/{jobs['reminder_24h']['id']}", salon.api_token)
    assert old["status"] == "cancelled"
    moved_to = later.astimezone(salon.salon.zone)
    assert old["error"] == f"appointment moved to {moved_to:%a, %b} {moved_to.day}, {moved_to:%-I:%M %p} {moved_to:%Z}"
    status, refused = await api("POST", f"/jobs/{jobs['reminder_24h']['id']}/retry", salon.api_token)
    assert status == 409
    assert refused["error"]["message"] == (
        "this notification cannot be sent again: its appointment has moved since, and the client was told the new time"
    )
    page = (await session.get(f"/jobs/{jobs['reminder_24h']['id']}")).body.decode()
    assert f"/jobs/{jobs['reminder_24h']['id']}/retry" not in page, "no Retry button where it cannot work"
    assert "<dt>Why</dt>" in page and "Last error" not in page, "a reason, not an error"


async def test_a_notice_of_a_cancelled_appointment_cannot_be_retried(api, make_salon) -> None:
    salon = await make_salon()
    appointment, jobs = await booked(api, salon.api_token)
    assert (await api("POST", f"/appointments/{appointment['id']}/cancel", salon.api_token))[0] == 200
    status, refused = await api("POST", f"/jobs/{jobs['booking_confirmation']['id']}/retry", salon.api_token)
    assert (status, refused["error"]["message"]) == (
        409, "this notification cannot be sent again: its appointment is cancelled",
    )  # fmt: skip
