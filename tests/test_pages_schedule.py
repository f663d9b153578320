"""The schedule on the front desk's pages: time off on the staff page, who performs a service, split shifts."""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse
from zoneinfo import ZoneInfo

import pytest

from booking import appointments, services, staff, time_off
from booking.errors import Invalid
from booking.models import StaffOverride
from handlers.pages.time_off import span
from tests.desk import book_at, set_up_desk


def error_beside(body: bytes, field: str) -> str:
    match = re.search(rf'id="{re.escape(field)}-error">([^<]*)<'.encode(), body)
    return match[1].decode() if match else ""


async def test_whole_days_off_over_an_appointment_list_it_with_a_move_and_a_cancel_link(logged_in, db) -> None:
    session, made = await logged_in()
    salon = made.salon
    desk = await set_up_desk(db, salon)
    booked = await book_at(db, salon, desk, dt.time(10))
    page = f"/staff/{desk.staff.id}/time-off"
    shown = await session.get(page)
    assert shown.code == 200 and b"No time off to come." in shown.body

    added = await session.post(page, {"start": desk.day.isoformat(), "startTime": "", "end": "", "endTime": "",
                                      "reason": "holiday"})  # fmt: skip
    assert added.code == 303, added.body
    listed = await session.get(added.headers["Location"])
    assert listed.code == 200
    assert b"holiday" in listed.body and b"1 appointment booked then" in listed.body
    assert f'href="/appointments/{booked.id}#move"'.encode() in listed.body
    assert f'href="/appointments/{booked.id}/cancel"'.encode() in listed.body
    [entry] = await time_off.list_time_off(db, salon.id, desk.staff.id)
    zone, next_day = desk.zone, desk.day + dt.timedelta(days=1)
    assert entry.start == dt.datetime.combine(desk.day, dt.time(0), zone)
    assert entry.end == dt.datetime.combine(next_day, dt.time(0), zone), "to the end of the day"
    again = await appointments.get_appointment(db, salon.id, booked.id)
    assert again.start_time == booked.start_time, "nothing is moved"

    form = {"serviceId": str(desk.service.id), "staffId": str(desk.staff.id), "day": desk.day.isoformat()}
    offered = await session.get(f"/appointments/new?{urllib.parse.urlencode(form)}")
    assert b'type="radio" name="startTime"' not in offered.body, "Bea offers no time that day"
    start = dt.datetime.combine(desk.day, dt.time(14), zone).isoformat()
    refused = await session.post("/appointments/new", form | {"clientId": str(desk.client.id), "notes": "",
                                                              "startTime": f"{desk.staff.id}@{start}"})  # fmt: skip
    assert refused.code == 409 and "time off" in error_beside(refused.body, "startTime")

    removed = await session.post(f"{page}/{entry.id}/remove", {})
    assert removed.code == 303 and removed.headers["Location"] == page
    assert b"No time off to come." in (await session.get(page)).body


async def test_time_off_with_times_across_two_days_and_its_errors_beside_the_fields(logged_in, db) -> None:
    session, made = await logged_in()
    desk = await set_up_desk(db, made.salon)
    page = f"/staff/{desk.staff.id}/time-off"
    later = (desk.day + dt.timedelta(days=1)).isoformat()
    added = await session.post(page, {"start": desk.day.isoformat(), "startTime": "18:00", "end": later,
                                      "endTime": "10:00", "reason": ""})  # fmt: skip
    assert added.code == 303
    [entry] = await time_off.list_time_off(db, made.salon.id, desk.staff.id)
    assert entry.end - entry.start == dt.timedelta(hours=16)

    wrong = await session.post(page, {"start": later, "startTime": "10:00", "end": "", "endTime": "09:00",
                                      "reason": ""})  # fmt: skip
    assert wrong.code == 400 and "after the start" in error_beside(wrong.body, "end")
    half = await session.post(page, {"start": later, "startTime": "10:00", "end": "", "endTime": "", "reason": ""})
    assert half.code == 400 and error_beside(half.body, "endTime")
    assert b'value="10:00"' in half.body, "what was typed is kept"


async def test_another_salons_desk_cannot_see_add_or_remove_this_salons_time_off(logged_in, db) -> None:
    _, made = await logged_in()
    desk = await set_up_desk(db, made.salon)
    entry = await time_off.add_time_off(
        db, made.salon.id, desk.staff.id, start=dt.datetime.combine(desk.day, dt.time(9), desk.zone),
        end=dt.datetime.combine(desk.day, dt.time(10), desk.zone),
    )  # fmt: skip
    stranger, _ = await logged_in()
    page = f"/staff/{desk.staff.id}/time-off"
    assert (await stranger.get(page)).code == 404
    typed = {"start": desk.day.isoformat(), "startTime": "", "end": "", "endTime": "", "reason": ""}
    assert (await stranger.post(page, typed)).code == 404
    assert (await stranger.post(f"{page}/{entry.id}/remove", {})).code == 404
    assert [e.id for e in await time_off.list_time_off(db, made.salon.id, desk.staff.id)] == [entry.id]


async def test_a_colourist_alone_does_colour_with_a_buffer_set_on_the_services_form(logged_in, db) -> None:
    session, made = await logged_in()
    salon = made.salon
    desk = await set_up_desk(db, salon)
    cy = desk.other_staff
    form = {"name": "Colour", "durationMinutes": "60", "priceCents": "80.00", "bufferMinutes": "15",
            "performedBy": "chosen", f"staff.{cy.id}.performs": "on", f"staff.{cy.id}.priceCents": "95.00",
            f"staff.{desk.staff.id}.durationMinutes": "", f"staff.{desk.staff.id}.priceCents": ""}  # fmt: skip
    blank = await session.get("/services/new")
    assert blank.code == 200 and f'name="staff.{cy.id}.performs"'.encode() in blank.body
    saved = await session.post("/services/new", form)
    assert saved.code == 303, saved.body
    [colour] = [s for s in await services.list_services(db, salon.id) if s.name == "Colour"]
    assert colour.staff_ids == (cy.id,) and colour.buffer_minutes == 15
    assert colour.staff_overrides == (StaffOverride(cy.id, None, 9500),)
    edit = await session.get(f"/services/{colour.id}/edit")
    assert f'name="staff.{cy.id}.priceCents" value="95.00"'.encode() in edit.body
    assert b'value="chosen" checked' in edit.body

    choose = {"serviceId": str(colour.id), "day": desk.day.isoformat()}
    offered = await session.get(f"/appointments/new?{urllib.parse.urlencode(choose)}")
    at = offered.body.index(b'<select id="staffId"')
    staff_select = offered.body[at : offered.body.index(b"</select>", at)]
    assert cy.name.encode() in staff_select and desk.staff.name.encode() not in staff_select, "only the colourist"
    start = dt.datetime.combine(desk.day, dt.time(10), desk.zone).isoformat()
    typed = {"staffId": "", "clientId": str(desk.client.id), "notes": "", "startTime": f"{desk.staff.id}@{start}"}
    refused = await session.post("/appointments/new", choose | typed)
    assert refused.code == 409 and "does not perform" in refused.body.decode()
    booked = await appointments.book(
        db, salon, client_id=desk.client.id, staff_id=cy.id, service_id=colour.id,
        start_time=dt.datetime.combine(desk.day, dt.time(10), desk.zone),
    )  # fmt: skip
    day = await session.get(f"/?date={desk.day.isoformat()}")
    assert b"15 min buffer" in day.body, "the calendar shows the buffer"
    assert booked.end_time == dt.datetime.combine(desk.day, dt.time(11), desk.zone)
    assert f"staffId={cy.id}&amp;day={desk.day}&amp;at=11%3A00".encode() not in day.body, "no free cell in it"


async def test_a_members_own_length_that_is_wrong_is_shown_in_their_row(logged_in, db) -> None:
    session, made = await logged_in()
    desk = await set_up_desk(db, made.salon)
    form = {"name": "Colour", "durationMinutes": "60", "priceCents": "", "bufferMinutes": "15",
            "performedBy": "everyone", f"staff.{desk.staff.id}.durationMinutes": "2"}  # fmt: skip
    form["bufferMinutes"] = "15"
    refused = await session.post("/services/new", form)
    assert refused.code == 400 and "it must be between 5 and 720" in refused.body.decode(), refused.body.decode()[
        -5000:
    ]
    assert b'value="2"' in refused.body, "what was typed is kept"
    form[f"staff.{desk.staff.id}.durationMinutes"] = "30"
    form["bufferMinutes"] = "121"
    refused = await session.post("/services/new", form)
    assert refused.code == 400 and "between 0 and 120" in error_beside(refused.body, "bufferMinutes")


def _hours_of(body: bytes) -> list[tuple[str, str, str]]:
    """The staff form's hours table as shown: (weekday, start, end) per row."""
    text = body.decode()
    rows = []
    for row in range(60):
        weekday = re.search(rf'name="workingHours\[{row}\]\.weekday" value="(\d)"', text)
        if weekday is None:
            break
        start = re.search(rf'name="workingHours\[{row}\]\.start" value="([^"]*)"', text)
        end = re.search(rf'name="workingHours\[{row}\]\.end" value="([^"]*)"', text)
        assert start and end
        rows.append((weekday[1], start[1], end[1]))
    return rows


def _typed(rows: list[tuple[str, str, str]]) -> dict[str, str]:
    form: dict[str, str] = {}
    for row, (weekday, start, end) in enumerate(rows):
        form |= {f"workingHours[{row}].weekday": weekday, f"workingHours[{row}].start": start,
                 f"workingHours[{row}].end": end}  # fmt: skip
    return form


async def test_a_lunch_break_is_added_copied_to_every_day_and_shown_in_the_salons_clock(logged_in, db) -> None:
    session, made = await logged_in(timezone="America/New_York", locale="en-US", country="US")
    blank = await session.get("/staff/new")
    rows = _hours_of(blank.body)
    assert rows == [(str(day), "", "") for day in range(7)], "a row a day"
    names = {"firstName": "Bea", "lastName": "", "email": ""}
    rows[0] = ("0", "09:00", "12:00")
    added = await session.post("/staff/new", names | _typed(rows) | {"action": "add:0"})
    assert added.code == 200, "a shift added, nothing saved yet"
    rows = _hours_of(added.body)
    assert rows[:2] == [("0", "09:00", "12:00"), ("0", "", "")] and len(rows) == 8
    assert b'value="Bea"' in added.body, "what was typed is kept"
    rows[1] = ("0", "13:00", "17:00")
    copied = await session.post("/staff/new", names | _typed(rows) | {"action": "copy:0"})
    rows = _hours_of(copied.body)
    assert rows == [(str(day), start, end) for day in range(7) for start, end in (("09:00", "12:00"),
                                                                                  ("13:00", "17:00"))]  # fmt: skip
    removed = await session.post("/staff/new", names | _typed(rows) | {"action": "remove:13"})
    rows = _hours_of(removed.body)
    assert rows[-1] == ("6", "09:00", "12:00") and len(rows) == 13, "Sunday afternoon off"
    overlapping = [*rows[:1], ("0", "11:00", "14:00"), *rows[2:]]
    refused = await session.post("/staff/new", names | _typed(overlapping))
    assert refused.code == 400 and "overlap" in error_beside(refused.body, "hours-1-start")
    saved = await session.post("/staff/new", names | _typed(rows))
    assert saved.code == 303
    listed = await session.get("/staff")
    assert "Mon 9:00 AM\u201312:00 PM".encode() in listed.body, "12 h, as New York writes it"
    assert "Mon 1:00 PM\u20135:00 PM".encode() in listed.body
    members = await staff.list_staff(db, made.salon.id)
    assert len(members[0].working_hours) == 13


async def test_the_calendar_offers_no_free_cell_in_time_off(logged_in, db) -> None:
    session, made = await logged_in()
    desk = await set_up_desk(db, made.salon)
    at = dt.datetime.combine(desk.day, dt.time(12), desk.zone)
    await time_off.add_time_off(db, made.salon.id, desk.staff.id, start=at, end=at + dt.timedelta(hours=2))
    day = (await session.get(f"/?date={desk.day.isoformat()}")).body

    def cell(member, hour: str) -> bytes:
        return f"staffId={member.id}&amp;day={desk.day}&amp;at={hour}".encode()

    assert cell(desk.staff, "11%3A30") in day and cell(desk.staff, "14%3A00") in day
    assert cell(desk.staff, "12%3A00") not in day and cell(desk.staff, "13%3A30") not in day, "away"
    assert cell(desk.other_staff, "12%3A00") in day, "the other stylist is not"
    assert "09:00\u201317:00; time off 12:00\u201314:00".encode() in day, "the column says so"
    tomorrow = desk.day + dt.timedelta(days=1)
    await time_off.add_time_off(
        db, made.salon.id, desk.staff.id, start=dt.datetime.combine(tomorrow, dt.time(0), desk.zone),
        end=dt.datetime.combine(tomorrow + dt.timedelta(days=1), dt.time(0), desk.zone),
    )  # fmt: skip
    holiday = (await session.get(f"/?date={tomorrow.isoformat()}")).body
    assert (
        b"time off all day" in holiday
        and cell(desk.staff, "09%3A00").replace(str(desk.day).encode(), str(tomorrow).encode()) not in holiday
    )


def test_the_time_off_form_reads_whole_days_and_times_on_the_salons_clock() -> None:
    london = ZoneInfo("Europe/London")
    form = {"start": "2027-03-28", "startTime": "", "end": "", "endTime": "", "reason": ""}
    start, end = span(form, london)
    assert end.astimezone(dt.UTC) - start.astimezone(dt.UTC) == dt.timedelta(hours=23), "the spring day: 23 hours"
    with pytest.raises(Invalid) as skipped:
        span(form | {"startTime": "01:30", "endTime": "04:00"}, london)
    assert skipped.value.field == ("start_time",), "01:30 does not exist that night"
    start, end = span(form | {"end": "2027-03-29", "startTime": "18:00", "endTime": "09:00"}, london)
    assert (start.hour, end.hour, end.day) == (18, 9, 29)


async def test_the_outside_hours_warning_writes_times_as_new_york_does(logged_in, db) -> None:
    session, made = await logged_in(timezone="America/New_York", locale="en-US", country="US")
    desk = await set_up_desk(db, made.salon)
    booked = await book_at(db, made.salon, desk, dt.time(10))
    late = {"startTime": f"{desk.day}T19:30", "staffId": ""}
    warned = await session.post(f"/appointments/{booked.id}/reschedule", late)
    assert "7:30 PM\u20138:15 PM is outside Bea Cutter" in warned.body.decode(), "12 h, as the salon writes times"
    assert "9:00 AM\u20135:00 PM" in warned.body.decode()
