"""Booking through the form, the appointment's page, cancelling and moving it, and the day view."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import json
import re
import urllib.parse

from booking import appointments, availability, clients, services, staff
from booking.models import ClientDetails, ServiceDetails, StaffDetails, StaffOverride
from jobqueue import queue
from tests.desk import Desk, book_at, set_up_desk


def slot(desk: Desk, hour: int, minute: int = 0) -> str:
    """The value of the radio button for Bea at hour:minute on the desk's day."""
    return f"{desk.staff.id}@{dt.datetime.combine(desk.day, dt.time(hour, minute), desk.zone).isoformat()}"


def booking_form(desk: Desk, **fields: str) -> dict[str, str]:
    return {
        "serviceId": str(desk.service.id),
        "staffId": str(desk.staff.id),
        "day": desk.day.isoformat(),
        "clientId": str(desk.client.id),
        "startTime": slot(desk, 10),
        "notes": "fringe only",
    } | fields


def error_beside(body: bytes, field: str) -> str:
    match = re.search(rf'id="{re.escape(field)}-error">([^<]*)<'.encode(), body)
    return match[1].decode() if match else ""


async def test_the_form_shows_free_times_for_the_chosen_staff_and_day(logged_in, db) -> None:
    session, salon = await logged_in()
    desk = await set_up_desk(db, salon.salon)
    blank = await session.get("/appointments/new")
    assert blank.code == 200
    assert b"Cut (45 min)" in blank.body and b"Bea Cutter" in blank.body
    assert b'type="radio" name="startTime"' not in blank.body, "no times before a service is chosen"

    query = urllib.parse.urlencode({"serviceId": desk.service.id, "staffId": desk.staff.id, "day": desk.day})
    chosen = await session.get(f"/appointments/new?{query}")
    assert chosen.code == 200
    assert chosen.body.count(b'type="radio" name="startTime"') == 30, "09:00 to 16:15 every 15 minutes"
    assert f'value="{slot(desk, 9)}"'.encode() in chosen.body
    assert b"(Europe/London)" in chosen.body

    anyone = await session.get(f"/appointments/new?serviceId={desk.service.id}&staffId=&day={desk.day}")
    assert anyone.body.count(b'type="radio" name="startTime"') == 30, "one offer per time, whoever is free"
    assert "09:00 · Bea Cutter".encode() in anyone.body and "09:00 · Cy Shears".encode() not in anyone.body

    bad_day = await session.get(f"/appointments/new?serviceId={desk.service.id}&day=tomorrow")
    assert bad_day.code == 200 and b'type="radio" name="startTime"' not in bad_day.body


async def test_booking_through_the_form_creates_the_appointment_and_its_jobs(logged_in, db) -> None:
    session, salon = await logged_in()
    desk = await set_up_desk(db, salon.salon)
    booked = await session.post("/appointments/new", booking_form(desk))
    assert booked.code == 303, booked.body[:500]
    appointment_id = booked.headers["Location"].removeprefix("/appointments/")
    appointment = await appointments.get_appointment(db, salon.salon.id, appointment_id)
    assert appointment.start_time == dt.datetime.combine(desk.day, dt.time(10), salon.salon.zone)
    assert appointment.notes == "fringe only"
    assert {job.type for job in appointment.notification_jobs} == {
        "booking_confirmation",
        "reminder_24h",
        "reminder_2h",
    }

    page = await session.get(booked.headers["Location"])
    assert page.code == 200
    assert b"Ann Example" in page.body and b"Bea Cutter" in page.body
    assert f"{desk.day:%a} {desk.day.day} {desk.day:%b}".encode() in page.body
    assert re.search(rb", 10:00 (GMT|BST) until", page.body), "the salon's time, its zone abbreviated"
    assert b"Booking confirmation" in page.body and b"Reminder, 24 h before" in page.body
    assert b"No attempts yet" in page.body


async def test_a_new_client_can_be_added_while_booking(logged_in, db) -> None:
    session, salon = await logged_in()
    desk = await set_up_desk(db, salon.salon)
    new_client = {
        "clientId": "new",
        "firstName": "Flo",
        "lastName": "New",
        "email": "flo@",
        "phone": "",
        "optedInReminders": "on",
    }
    refused = await session.post("/appointments/new", booking_form(desk, **new_client))
    assert refused.code == 400
    assert "not a valid email" in error_beside(refused.body, "email")
    assert b'value="Flo"' in refused.body and b"fringe only" in refused.body
    assert f'value="{slot(desk, 10)}" checked'.encode() in refused.body, "the chosen time stays chosen"

    booked = await session.post("/appointments/new", booking_form(desk, **new_client | {"email": "flo@example.com"}))
    assert booked.code == 303
    [flo] = await clients.list_clients(db, salon.salon.id, "Flo")
    assert flo.opted_in_reminders
    day = await appointments.list_day(db, salon.salon, desk.day)
    assert [a.client_id for a in day] == [flo.id]


async def test_missing_choices_are_named_beside_their_field(logged_in, db) -> None:
    session, salon = await logged_in()
    desk = await set_up_desk(db, salon.salon)
    no_client = await session.post("/appointments/new", booking_form(desk, clientId=""))
    assert no_client.code == 400
    assert "choose a client" in error_beside(no_client.body, "clientId")
    no_time = await session.post("/appointments/new", booking_form(desk, startTime=""))
    assert no_time.code == 400
    assert "free times" in error_beside(no_time.body, "startTime")
    assert b"fringe only" in no_time.body
    assert await appointments.list_day(db, salon.salon, desk.day) == []


async def test_a_time_taken_meanwhile_shows_the_form_again_with_409(logged_in, db) -> None:
    session, salon = await logged_in()
    desk = await set_up_desk(db, salon.salon)
    await book_at(db, salon.salon, desk, dt.time(10, 15))
    response = await session.post("/appointments/new", booking_form(desk))
    assert response.code == 409
    assert "already taken" in error_beside(response.body, "startTime")
    assert f'name="clientId" value="{desk.client.id}" checked'.encode() in response.body, "the client stays chosen"
    assert b"fringe only" in response.body
    assert f'value="{slot(desk, 10)}"'.encode() not in response.body, "the taken time is no longer offered"
    assert f'value="{slot(desk, 11)}"'.encode() in response.body


async def test_another_salons_ids_are_not_found(logged_in, db) -> None:
    session, salon = await logged_in()
    desk = await set_up_desk(db, salon.salon)
    _, theirs = await logged_in()
    their_desk = await set_up_desk(db, theirs.salon)
    their_booking = await appointments.book(
        db,
        theirs.salon,
        client_id=their_desk.client.id,
        staff_id=their_desk.staff.id,
        service_id=their_desk.service.id,
        start_time=dt.datetime.combine(desk.day, dt.time(9), theirs.salon.zone),
    )
    for path in (f"/appointments/{their_booking.id}", "/appointments/not-an-id"):
        assert (await session.get(path)).code == 404, path
    assert (await session.post(f"/appointments/{their_booking.id}/cancel", {})).code == 404
    moved = await session.post(f"/appointments/{their_booking.id}/reschedule", {"startTime": "2031-01-01T10:00"})
    assert moved.code == 404
    their_client = await session.post("/appointments/new", booking_form(desk, clientId=str(their_desk.client.id)))
    assert their_client.code == 404
    assert (await appointments.get_appointment(db, theirs.salon.id, their_booking.id)).status == "booked"


async def test_cancelling_from_the_page_stops_reminders_and_tells_the_client(logged_in, db) -> None:
    session, salon = await logged_in()
    desk = await set_up_desk(db, salon.salon)
    booked = await session.post("/appointments/new", booking_form(desk))
    path = booked.headers["Location"]
    assert (await session.post(f"{path}/cancel", {}, xsrf=False)).code == 403
    cancelled = await session.post(f"{path}/cancel", {})
    assert (cancelled.code, cancelled.headers["Location"]) == (303, path)
    appointment = await appointments.get_appointment(db, salon.salon.id, path.rsplit("/", 1)[1])
    assert appointment.status == "cancelled"
    statuses = {(job.type, job.status) for job in appointment.notification_jobs}
    assert ("reminder_24h", "cancelled") in statuses and ("cancellation", "pending") in statuses
    page = await session.get(path)
    assert b"Cancellation notice" in page.body and b"Cancel appointment" not in page.body
    again = await session.post(f"{path}/cancel", {})
    assert again.code == 409
    assert b"only booked ones can change" in again.body


async def test_moving_by_free_time_or_typed_local_time(logged_in, db) -> None:
    session, salon = await logged_in()
    desk = await set_up_desk(db, salon.salon)
    path = (await session.post("/appointments/new", booking_form(desk))).headers["Location"]
    appointment_id = path.rsplit("/", 1)[1]

    offered = await session.get(f"{path}?day={desk.day}")
    assert offered.body.count(b'type="radio" name="startTime"') == 30, (
        "the appointment being moved does not block its own time"
    )
    moved = await session.post(f"{path}/reschedule", {"startTime": slot(desk, 14), "day": str(desk.day), "staffId": ""})
    assert moved.code == 303
    appointment = await appointments.get_appointment(db, salon.salon.id, appointment_id)
    assert appointment.start_time.astimezone(salon.salon.zone).hour == 14
    assert "rescheduled" in {job.type for job in appointment.notification_jobs}

    typed = f"{desk.day}T15:30"
    moved = await session.post(f"{path}/reschedule", {"startTime": typed, "staffId": str(desk.other_staff.id)})
    assert moved.code == 303
    appointment = await appointments.get_appointment(db, salon.salon.id, appointment_id)
    assert appointment.start_time == dt.datetime.combine(desk.day, dt.time(15, 30), salon.salon.zone)
    assert appointment.staff_id == desk.other_staff.id

    nonsense = await session.post(f"{path}/reschedule", {"startTime": "half past three", "staffId": ""})
    assert nonsense.code == 400
    assert "date and time like" in error_beside(nonsense.body, "startTime")
    assert b'value="half past three"' in nonsense.body
    skipped = await session.post(f"{path}/reschedule", {"startTime": "2030-03-31T01:30", "staffId": ""})
    assert skipped.code == 400
    assert "clocks go forward" in error_beside(skipped.body, "startTime")

    await book_at(db, salon.salon, desk, dt.time(9))
    clash = await session.post(f"{path}/reschedule", {"startTime": slot(desk, 9), "day": str(desk.day), "staffId": ""})
    assert clash.code == 409
    assert "already taken" in error_beside(clash.body, "startTime")


async def test_the_day_view_is_a_calendar_with_a_column_per_member(logged_in, db) -> None:
    session, salon = await logged_in()
    desk = await set_up_desk(db, salon.salon)
    for hour, member in ((11, desk.staff), (9, desk.staff), (10, desk.other_staff)):
        await book_at(db, salon.salon, desk, dt.time(hour), member)
    silent = await clients.create_client(db, salon.salon.id, ClientDetails(first_name="Quiet", last_name="Person"))
    dropped = await appointments.book(
        db,
        salon.salon,
        client_id=silent.id,
        staff_id=desk.other_staff.id,
        service_id=desk.service.id,
        start_time=dt.datetime.combine(desk.day, dt.time(13), salon.salon.zone),
    )
    await appointments.cancel(db, salon.salon, dropped.id)
    off = await staff.create_staff(db, salon.salon.id, StaffDetails(first_name="Di", last_name="Away"))

    page = await session.get(f"/?date={desk.day}")
    assert page.code == 200
    body = page.body.decode()
    order = [
        body.index(text)
        for text in ("Bea Cutter", "09:00\u201309:45", "11:00\u201311:45", "Cy Shears", "10:00\u201310:45")
    ]
    assert order == sorted(order), "a column per member by name, each member's appointments in time order"
    assert 'style="--minutes: 480; --columns: 2"' in body, "09:00 to 17:00, the hours they work"
    assert '<li class="block status-booked" style="--at: 0; --length: 45; --lane: 0; --lanes: 1">' in body
    assert '<li class="block status-cancelled" style="--at: 240; --length: 45' in body
    assert '<span class="status status-cancelled">cancelled</span>' in body, "cancelled ones say so"
    assert '<div class="open" style="--at: 0; --length: 480"></div>' in body, "working hours shaded"
    tap = f'href="/appointments/new?staffId={desk.staff.id}&amp;day={desk.day}&amp;at=10%3A00"'
    assert tap in body, "an empty half hour inside the hours books there"
    assert f"staffId={desk.staff.id}&amp;day={desk.day}&amp;at=09%3A00" not in body, "not where Bea is booked"
    assert f"staffId={desk.other_staff.id}&amp;day={desk.day}&amp;at=13%3A00" in body, "a cancelled one frees it"
    assert "Not working this day: Di Away." in body and f'id="member-{off.id}"' not in body
    assert 'class="now"' not in body, "the line at now is on today only"
    assert 'data-part="day_calendar" data-refresh="10"' in body
    assert f'href="/?date={desk.day - dt.timedelta(days=1)}"' in body
    assert f'href="/?date={desk.day + dt.timedelta(days=1)}"' in body
    assert "(Europe/London)" in body

    part = (await session.part(f"/?date={desk.day}", "day_calendar")).body.decode().strip()
    assert part.startswith('<div id="day-calendar" data-part="day_calendar"') and "day-nav" not in part

    bad = await session.get("/?date=2030-02-30")
    assert bad.code == 400
    assert b"date like" in bad.body


async def test_an_empty_salon_sees_three_steps_until_they_are_done(logged_in, db) -> None:
    session, salon = await logged_in()
    steps = ("Add your staff and their working hours", "Add your services", "Make the first booking")
    body = (await session.get("/")).body.decode()
    assert "Get started in three steps" in body
    for href, text in zip(("/staff/new", "/services/new", "/appointments/new"), steps, strict=True):
        assert f'<a href="{href}">{text}</a>' in body
    assert "Nobody works on this day and nothing is booked." in body
    desk = await set_up_desk(db, salon.salon)
    body = (await session.get("/")).body.decode()
    assert "<s>Add your staff and their working hours</s>" in body and "<s>Add your services</s>" in body
    assert '<a href="/appointments/new">Make the first booking</a>' in body
    await book_at(db, salon.salon, desk, dt.time(10))
    assert "Get started" not in (await session.get("/")).body.decode()


async def test_free_slots_and_jobs_on_the_page_come_from_the_domain(db, make_salon) -> None:
    """Guards the helpers the pages rely on: the day's jobs per appointment in one read."""
    salon = await make_salon()
    desk = await set_up_desk(db, salon.salon)
    start = dt.datetime.combine(desk.day, dt.time(9), salon.salon.zone)
    booked = await appointments.book(
        db, salon.salon, client_id=desk.client.id, staff_id=desk.staff.id, service_id=desk.service.id, start_time=start
    )
    jobs = await queue.for_appointments(db, [booked.id])
    assert [job.type for job in jobs[booked.id]] == [job.type for job in booked.notification_jobs]
    free = await availability.free_slots(
        db, salon.salon, service_id=desk.service.id, day=desk.day, staff_id=desk.staff.id
    )
    assert start not in {s.start for s in free}


async def test_cancelling_asks_first_on_a_page_of_its_own(logged_in, db) -> None:
    session, salon = await logged_in()
    desk = await set_up_desk(db, salon.salon)
    path = (await session.post("/appointments/new", booking_form(desk))).headers["Location"]
    page = (await session.get(path)).body.decode()
    assert f'<a class="button danger" href="{path}/cancel">Cancel appointment…</a>' in page
    asked = await session.get(f"{path}/cancel")
    assert asked.code == 200
    body = asked.body.decode()
    assert "<h1>Cancel Ann Example's appointment?</h1>" in body and re.search(
        r", 10:00 (GMT|BST) until 1[01]:\d\d", body
    )
    assert f'<form method="post" action="{path}/cancel"' in body and f'href="{path}">No, keep it' in body
    assert (await appointments.get_appointment(db, salon.salon.id, path.rsplit("/", 1)[1])).status == "booked"
    assert (await session.post(f"{path}/cancel", {})).code == 303
    assert "nothing to cancel" in (await session.get(f"{path}/cancel")).body.decode()


async def test_the_timeline_is_a_part_of_the_page_fetched_alone(logged_in, db) -> None:
    session, salon = await logged_in()
    desk = await set_up_desk(db, salon.salon)
    path = (await session.post("/appointments/new", booking_form(desk))).headers["Location"]
    assert 'data-part="timeline" data-refresh="5"' in (await session.get(path)).body.decode()
    part = (await session.part(path, "timeline")).body.decode().strip()
    assert part.startswith('<section class="timeline" id="timeline" data-part="timeline"'), part[:200]
    assert part.endswith("</section>") and "Booking confirmation" in part and "Move" not in part


async def test_the_move_form_starts_on_the_appointments_own_day_and_time(logged_in, db) -> None:
    session, salon = await logged_in()
    desk = await set_up_desk(db, salon.salon)
    path = (await session.post("/appointments/new", booking_form(desk))).headers["Location"]
    body = (await session.get(path)).body.decode()
    assert f'name="day" type="date" value="{desk.day}"' in body
    assert body.count('type="radio" name="startTime"') == 30, "that day's free times, its own among them"
    assert f'value="{desk.day}T10:00" required' in body, "the typed time starts at its own"


async def test_a_typed_time_outside_working_hours_warns_and_moves_only_when_confirmed(logged_in, db) -> None:
    session, salon = await logged_in()
    desk = await set_up_desk(db, salon.salon)
    path = (await session.post("/appointments/new", booking_form(desk))).headers["Location"]
    appointment_id = path.rsplit("/", 1)[1]
    late = {"startTime": f"{desk.day}T19:30", "staffId": ""}
    warned = await session.post(f"{path}/reschedule", late)
    assert warned.code == 200
    body = warned.body.decode()
    weekday = f"{desk.day:%A}"
    assert (
        f'id="startTime-warning" role="alert">19:30\u201320:15 is outside Bea Cutter&#39;s working hours '
        f"({weekday}: 09:00\u201317:00). Move anyway?</span>"
    ) in body
    assert f'value="{desk.day}T19:30"' in body, "the typed time stays"
    assert '<button type="submit" name="outsideHours" value="ok" class="primary">Move anyway</button>' in body
    unchanged = await appointments.get_appointment(db, salon.salon.id, appointment_id)
    assert unchanged.start_time.astimezone(desk.zone).hour == 10, "a warning moves nothing"

    moved = await session.post(f"{path}/reschedule", late | {"outsideHours": "ok"})
    assert moved.code == 303
    appointment = await appointments.get_appointment(db, salon.salon.id, appointment_id)
    assert appointment.start_time == dt.datetime.combine(desk.day, dt.time(19, 30), desk.zone)
    inside = await session.post(f"{path}/reschedule", {"startTime": f"{desk.day}T12:00", "staffId": ""})
    assert inside.code == 303, "inside the hours: no question"


def client_choices(body: str) -> list[str]:
    return re.findall(r'type="radio" name="clientId" value="([^"]+)"', body)


async def test_the_client_is_found_by_a_search_not_picked_from_a_list_of_everyone(logged_in, db) -> None:
    session, salon = await logged_in()
    desk = await set_up_desk(db, salon.salon)
    for n in range(10):
        await clients.create_client(db, salon.salon.id, ClientDetails(f"Zoe {n}", "Many", phone=f"07400 90001{n}"))
    query = f"serviceId={desk.service.id}&staffId={desk.staff.id}&day={desk.day}"
    blank = (await session.get(f"/appointments/new?{query}")).body.decode()
    assert client_choices(blank) == ["new"], "nobody listed before a search"
    assert "Type part of a name, an email or a phone number." in blank

    chosen = (await session.get(f"/appointments/new?{query}&clientId={desk.client.id}")).body.decode()
    assert client_choices(chosen) == [str(desk.client.id), "new"], "a client chosen elsewhere (the clients list)"

    part = await session.part(f"/appointments/new?clientSearch=zoe&clientId={desk.client.id}", "client_choices")
    fragment = part.body.decode().strip()
    assert fragment.startswith('<div id="client-choices" class="client-choices" data-part="client_choices">')
    assert len(client_choices(fragment)) == 1 + 8 + 1, "the chosen one, eight matches, new"
    assert "Zoe 0 Many (07400 900010)" in fragment and "8+ found." in fragment
    more = re.search(r'<a href="([^"]+)" data-part-link>More matches', fragment)[1].replace("&amp;", "&")
    rest = (await session.part(more, "client_choices")).body.decode()
    assert [c for c in client_choices(rest) if c not in (str(desk.client.id), "new")] and "Zoe 8 Many" in rest

    by_phone = (await session.part("/appointments/new?clientSearch=07400+900013", "client_choices")).body.decode()
    assert "Zoe 3 Many" in by_phone and len(client_choices(by_phone)) == 2
    nobody = (await session.part("/appointments/new?clientSearch=nobody", "client_choices")).body.decode()
    assert "No other client matches “nobody”." in nobody

    found = await session.post(
        "/appointments/new", booking_form(desk, clientId="", clientSearch="zoe 3", action="find")
    )
    assert found.code == 200, "without JS, Find posts the form back"
    body = found.body.decode()
    assert "Zoe 3 Many" in body and 'value="fringe only"' not in body and ">fringe only</textarea>" in body
    assert f'value="{slot(desk, 10)}" checked' in body, "the chosen time is kept"
    assert await appointments.list_day(db, salon.salon, desk.day) == [], "finding books nothing"


async def test_a_tap_on_the_calendar_comes_with_staff_day_and_time_chosen(logged_in, db) -> None:
    session, salon = await logged_in()
    desk = await set_up_desk(db, salon.salon)
    tapped = f"/appointments/new?staffId={desk.staff.id}&day={desk.day}&at=11%3A30"
    first = (await session.get(tapped)).body.decode()
    assert f'<option value="{desk.staff.id}" selected' in first and f'value="{desk.day}"' in first
    assert '<input type="hidden" name="at" value="11:30">' in first, "kept until a service is chosen"
    chosen = (await session.get(f"{tapped}&serviceId={desk.service.id}")).body.decode()
    assert f'value="{slot(desk, 11, 30)}" checked' in chosen, "the tapped time is the chosen one"
    assert chosen.count(" checked") == 2, "that time and the new client's reminders"
    await book_at(db, salon.salon, desk, dt.time(11, 15))
    taken = (await session.get(f"{tapped}&serviceId={desk.service.id}")).body.decode()
    assert "11:30 is not free for this service with" in taken and f'value="{slot(desk, 11, 30)}"' not in taken


async def test_a_new_clients_reminders_start_on_and_say_their_channels(logged_in, db) -> None:
    session, salon = await logged_in()
    desk = await set_up_desk(db, salon.salon)
    page = (await session.get(f"/appointments/new?serviceId={desk.service.id}&day={desk.day}")).body.decode()
    assert '<input type="checkbox" name="optedInReminders" value="on" checked>' in page
    channels = r'Send confirmations and reminders <span id="reminder-channels"[^>]*>\s*by email and text message'
    said = re.search(channels, page)
    assert said, "the channels, in words static/booking.js changes as they are typed"
    assert 'src="/static/booking.js' in page
    walk_in = {"clientId": "new", "firstName": "Dee", "lastName": "", "email": "", "phone": "07400 900123"}
    booked = await session.post("/appointments/new", booking_form(desk, **walk_in, optedInReminders=""))
    assert booked.code == 303, "unticked: no reminders"
    [dee] = await clients.list_clients(db, salon.salon.id, "Dee")
    assert not dee.opted_in_reminders


async def test_the_form_books_a_repeat_and_lists_a_taken_week_with_times_near_it(logged_in, db) -> None:
    session, salon = await logged_in()
    desk = await set_up_desk(db, salon.salon)
    in_two_weeks = dataclasses.replace(desk, day=desk.day + dt.timedelta(weeks=2))
    other = await clients.create_client(db, salon.salon.id, ClientDetails(first_name="Dee"))
    await book_at(db, salon.salon, dataclasses.replace(in_two_weeks, client=other), dt.time(10))

    answer = await session.post(
        "/appointments/new", booking_form(desk, **{"repeat.everyWeeks": "1", "repeat.count": "3"})
    )
    assert answer.code == 201, answer.body
    page = answer.body.decode()
    assert "Booked (2)" in page and "Not booked: taken or outside working hours (1)" in page
    assert f"day={in_two_weeks.day}&amp;at=09:15" in page, "the nearest free times, to book by choice"
    booked = await appointments.list_day(db, salon.salon, desk.day + dt.timedelta(weeks=1))
    assert [a.client_id for a in booked] == [desk.client.id] and booked[0].series_id is not None

    refused = await session.post(
        "/appointments/new", booking_form(desk, **{"repeat.everyWeeks": "13", "repeat.count": "x"})
    )
    assert refused.code == 400
    assert "1 to 12" in error_beside(refused.body, "repeatEveryWeeks")
    assert "2 to 26" in error_beside(refused.body, "repeatCount")


async def test_cancelling_one_of_a_repeat_offers_this_one_or_the_following(logged_in, db) -> None:
    session, salon = await logged_in()
    desk = await set_up_desk(db, salon.salon)
    await session.post("/appointments/new", booking_form(desk, **{"repeat.everyWeeks": "2", "repeat.count": "3"}))
    first, second, third = [
        (await appointments.list_day(db, salon.salon, desk.day + dt.timedelta(weeks=n)))[0] for n in (0, 2, 4)
    ]
    asked = (await session.get(f"/appointments/{second.id}/cancel")).body.decode()
    assert "This one only" in asked and "This one and the following ones" in asked
    answer = await session.post(f"/appointments/{second.id}/cancel", {"following": "on"})
    assert answer.code == 303
    statuses = [(await appointments.get_appointment(db, salon.salon.id, a.id)).status for a in (first, second, third)]
    assert statuses == ["booked", "cancelled", "cancelled"]


def service_options(body: bytes) -> dict[str, str]:
    """The booking form's services as labelled: option text by service id."""
    chooser = re.search(rb'<select id="serviceId".*?</select>', body, re.S)
    assert chooser, "the form has its service choice"
    return {
        m[1]: html.unescape(m[2].strip())
        for m in re.finditer(r'<option value="([^"]+)"[^>]*>([^<]*)<', chooser[0].decode())
    }


async def test_each_service_reads_as_long_as_the_chosen_staff_member_takes(logged_in, db) -> None:
    session, salon = await logged_in()
    desk = await set_up_desk(db, salon.salon)
    bea, cy = desk.staff, desk.other_staff
    await services.update_service(
        db, salon.salon.id, desk.service.id,
        ServiceDetails(name="Cut", duration_minutes=45, staff_overrides=(StaffOverride(bea.id, 60),)),
    )  # fmt: skip
    colour = await services.create_service(
        db, salon.salon.id, ServiceDetails(name="Colour", duration_minutes=90, staff_ids=(cy.id,))
    )
    cut, dye = str(desk.service.id), str(colour.id)

    with_bea = service_options((await session.get(f"/appointments/new?staffId={bea.id}&day={desk.day}")).body)
    assert with_bea == {cut: "Cut (60 min)", dye: "Colour (not with this staff member)"}, "her own length"
    with_cy = service_options((await session.get(f"/appointments/new?staffId={cy.id}&day={desk.day}")).body)
    assert with_cy == {cut: "Cut (45 min)", dye: "Colour (90 min)"}, "his: the service's own"
    anyone = (await session.get(f"/appointments/new?staffId=&day={desk.day}")).body
    assert service_options(anyone) == {cut: "Cut (45\u201360 min)", dye: "Colour (90 min)"}, "what anyone may take"

    shown_again = await session.post("/appointments/new", booking_form(desk, clientId=""))
    assert shown_again.code == 400 and service_options(shown_again.body)[cut] == "Cut (60 min)", "re-shown: still hers"

    # What static/booking.js relabels from when the choice changes: the same words, escaped into one attribute.
    attribute = re.search(rb'data-service-labels="([^"]*)"', anyone)
    assert attribute, "the labels ride on the form"
    labels = json.loads(html.unescape(attribute[1].decode()))
    assert labels[cut] == {"": "Cut (45\u201360 min)", "*": "Cut (45 min)", str(bea.id): "Cut (60 min)"}
    assert labels[dye] == {
        "": "Colour (90 min)",
        "*": "Colour (not with this staff member)",
        str(cy.id): "Colour (90 min)",
    }
