"""Clients, staff and services pages: list, add, edit; bad input is shown back beside its field."""

from __future__ import annotations

import re

from booking import clients, services, staff
from booking.models import ClientDetails, ServiceDetails, StaffDetails

MONDAY_ONLY = (
    {f"workingHours[{day}].weekday": str(day) for day in range(7)}
    | {f"workingHours[{day}].{part}": "" for day in range(7) for part in ("start", "end")}
    | {"workingHours[0].start": "09:00", "workingHours[0].end": "17:00"}
)


def error_beside(body: bytes, field: str) -> str:
    """The message shown for ``field`` (the span the input points at), or ''."""
    match = re.search(rf'id="{re.escape(field)}-error">([^<]*)<'.encode(), body)
    return match[1].decode() if match else ""


async def test_staff_are_added_with_working_hours_and_edited(logged_in, db) -> None:
    session, salon = await logged_in()
    empty = await session.get("/staff/new")
    assert empty.code == 200
    assert empty.body.count(b'type="time"') == 14, "a start and an end for each of the seven days"

    added = await session.post("/staff/new", {"firstName": "Bea", "lastName": "Cutter", "email": ""} | MONDAY_ONLY)
    assert (added.code, added.headers["Location"]) == (303, "/staff")
    [member] = await staff.list_staff(db, salon.salon.id)
    assert [(h.weekday, str(h.start), str(h.end)) for h in member.working_hours] == [(0, "09:00:00", "17:00:00")]
    listed = await session.get("/staff")
    assert b"Bea Cutter" in listed.body and "Mon 09:00\u201317:00".encode() in listed.body

    edit = await session.get(f"/staff/{member.id}/edit")
    assert edit.code == 200
    assert b'name="workingHours[0].start" value="09:00"' in edit.body
    changed = MONDAY_ONLY | {"workingHours[4].start": "10:00", "workingHours[4].end": "14:00"}
    saved = await session.post(
        f"/staff/{member.id}/edit", {"firstName": "Beatrice", "lastName": "", "email": ""} | changed
    )
    assert saved.code == 303
    member = await staff.get_staff(db, salon.salon.id, member.id)
    assert member.name == "Beatrice"
    assert [h.weekday for h in member.working_hours] == [0, 4]


async def test_bad_working_hours_are_shown_on_their_row(logged_in) -> None:
    session, _ = await logged_in()
    backwards = MONDAY_ONLY | {"workingHours[3].start": "15:00", "workingHours[3].end": "11:00"}
    response = await session.post("/staff/new", {"firstName": "Cy", "lastName": "", "email": ""} | backwards)
    assert response.code == 400
    assert error_beside(response.body, "hours-3-end") == "the end must be after the start"
    assert b'name="workingHours[3].start" value="15:00"' in response.body, "what was typed is kept"

    half = MONDAY_ONLY | {"workingHours[5].start": "09:00"}
    response = await session.post("/staff/new", {"firstName": "Cy", "lastName": "", "email": ""} | half)
    assert response.code == 400
    assert "leave both empty" in error_beside(response.body, "hours-5-end")


async def test_a_client_with_a_bad_email_is_shown_again_with_what_was_typed(logged_in, db) -> None:
    session, salon = await logged_in()
    typed = {
        "firstName": "Dora",
        "lastName": "<b>Bold</b>",
        "email": "dora@",
        "phone": "01225 123456",
        "optedInReminders": "on",
    }
    response = await session.post("/clients/new", typed)
    assert response.code == 400
    assert "not a valid email address" in error_beside(response.body, "email")
    assert b'value="&lt;b&gt;Bold&lt;/b&gt;"' in response.body, "kept, and escaped"
    assert b'value="01225 123456"' in response.body
    assert b"checked" in response.body
    assert await clients.list_clients(db, salon.salon.id) == []

    bad_phone = await session.post("/clients/new", typed | {"email": "", "phone": "12"})
    assert bad_phone.code == 400
    assert "is not a phone number" in error_beside(bad_phone.body, "phone")

    added = await session.post("/clients/new", typed | {"email": "dora@example.com"})
    assert added.code == 303
    [client] = await clients.list_clients(db, salon.salon.id)
    assert (client.phone, client.opted_in_reminders) == ("+441225123456", True)
    listed = await session.get("/clients?q=dora")
    assert b"dora@example.com" in listed.body and b"&lt;b&gt;Bold" in listed.body and b"<b>Bold" not in listed.body
    assert b"No client matches" in (await session.get("/clients?q=zebra")).body

    edited = await session.post(f"/clients/{client.id}/edit", typed | {"email": "", "optedInReminders": ""})
    assert edited.code == 303
    client = await clients.get_client(db, salon.salon.id, client.id)
    assert (client.email, client.opted_in_reminders) == (None, False)


async def test_services_take_a_price_and_refuse_a_bad_duration(logged_in, db) -> None:
    session, salon = await logged_in()
    bad = await session.post("/services/new", {"name": "Cut", "durationMinutes": "forty", "priceCents": "25.50"})
    assert bad.code == 400
    assert "whole number" in error_beside(bad.body, "durationMinutes")
    assert b'value="forty"' in bad.body
    too_short = await session.post("/services/new", {"name": "Cut", "durationMinutes": "1", "priceCents": ""})
    assert too_short.code == 400
    assert "between 5 and" in error_beside(too_short.body, "durationMinutes")
    bad_price = await session.post("/services/new", {"name": "Cut", "durationMinutes": "45", "priceCents": "2.555"})
    assert "25.00" in error_beside(bad_price.body, "priceCents")

    added = await session.post("/services/new", {"name": "Cut", "durationMinutes": "45", "priceCents": "25.5"})
    assert added.code == 303
    [service] = await services.list_services(db, salon.salon.id)
    assert (service.duration_minutes, service.price_cents) == (45, 2550)
    assert b"25.50" in (await session.get("/services")).body
    edit = await session.get(f"/services/{service.id}/edit")
    assert b'value="25.50"' in edit.body


async def test_another_salons_things_are_not_found(logged_in, db) -> None:
    session, _ = await logged_in()
    _, theirs = await logged_in()
    client = await clients.create_client(db, theirs.salon.id, ClientDetails(first_name="Theirs"))
    service = await services.create_service(db, theirs.salon.id, ServiceDetails(name="Theirs", duration_minutes=30))
    member = await staff.create_staff(db, theirs.salon.id, StaffDetails(first_name="Theirs"))
    for path, form in (
        (f"/clients/{client.id}/edit", {"firstName": "Mine"}),
        (f"/services/{service.id}/edit", {"name": "Mine", "durationMinutes": "30"}),
        (f"/staff/{member.id}/edit", {"firstName": "Mine"}),
    ):
        shown = await session.get(path)
        assert shown.code == 404, path
        assert b"another salon" in shown.body
        assert (await session.post(path, form)).code == 404, path
    assert (await session.get("/clients/not-an-id/edit")).code == 404
    assert (await clients.get_client(db, theirs.salon.id, client.id)).first_name == "Theirs"


async def test_a_form_posted_without_its_token_is_refused(logged_in, db) -> None:
    session, salon = await logged_in()
    response = await session.post("/clients/new", {"firstName": "Forged"}, xsrf=False)
    assert response.code == 403
    assert await clients.list_clients(db, salon.salon.id) == []


async def test_the_clients_list_is_searched_as_it_is_typed_and_paged(logged_in, db) -> None:
    session, salon = await logged_in()
    for n in range(3):
        await clients.create_client(db, salon.salon.id, ClientDetails(f"Ann {n}", "Lee", phone=f"07400 90018{n}"))
    await clients.create_client(db, salon.salon.id, ClientDetails("Bob", "Other", email="bob@example.com"))
    page = (await session.get("/clients")).body.decode()
    assert 'data-search="client_list" data-history' in page and 'data-part="client_list"' in page
    part = (await session.part("/clients?q=0181", "client_list")).body.decode().strip()
    assert part.startswith('<div id="client-list" data-part="client_list"') and "<h1>" not in part
    assert "Ann 1 Lee" in part and "Ann 0 Lee" not in part and "Bob" not in part
    assert "Bob Other" in (await session.part("/clients?q=BOB%40EX", "client_list")).body.decode()
    form = (await session.get("/clients/new")).body.decode()
    assert 'name="optedInReminders" value="on" checked' in form, "a new client gets reminders unless unticked"
    staff_page = await session.part("/staff", "client_list")
    assert staff_page.code == 200 and b"<h1>Staff</h1>" in staff_page.body, "a part another page lacks: the page"
