"""Online booking through /api/public/{slug}: free times, a held time, the code, and the limits on strangers."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import re
from typing import Any

import pytest

from booking import accounts, appointments, clients
from booking.errors import SlotTaken
from booking.models import ClientDetails, OnlineBooking, Salon
from handlers.app import Salonbook, WebSettings
from tests.desk import Desk, set_up_desk
from tests.servers import SmsApi, SmtpServer


@pytest.fixture
def app(db) -> Salonbook:
    """Behind a proxy (--xheaders), so each test can speak from the client address it needs."""
    return Salonbook(db=db, cookie_secret="test-cookie-secret", settings=WebSettings(xheaders=True, hold_minutes=15))


@pytest.fixture
def public(http_server_client):
    """``await public("POST", slug, "/bookings", {...}, address="10.0.0.1")`` -> (status, JSON, headers)."""

    async def call(method: str, slug: str, path: str, body: Any = None, *, address: str = "192.0.2.1"):
        response = await http_server_client.fetch(
            f"/api/public/{slug}{path}",
            method=method,
            body=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json", "X-Real-Ip": address},
            raise_error=False,
        )
        return response.code, json.loads(response.body) if response.body else None, response.headers

    return call


async def open_salon(make_salon, db, **online_fields: int) -> tuple[Salon, Desk]:
    made = await make_salon(email="desk@salon.example", phone="+44 1225 123456")
    policy = dataclasses.replace(OnlineBooking(enabled=True), **online_fields)
    salon = await accounts.update_salon(db, dataclasses.replace(made.salon, online_booking=policy))
    return salon, await set_up_desk(db, salon)


def at(desk: Desk, hour: int, minute: int = 0) -> str:
    return dt.datetime.combine(desk.day, dt.time(hour, minute), desk.zone).isoformat()


def asking(desk: Desk, start: str, **fields: Any) -> dict[str, Any]:
    return {
        "serviceId": str(desk.service.id),
        "staffId": str(desk.staff.id),
        "startTime": start,
        "firstName": "Dee",
        "lastName": "Online",
        "email": "dee@example.com",
        "optedInReminders": True,
    } | fields


async def the_code(smtp_server: SmtpServer, to: str, count: int) -> str:
    mails = await smtp_server.wait_for(count)
    [mail] = [mail for mail in mails if mail["To"].addresses[0].addr_spec == to and "code" in mail["Subject"]]
    found = re.search(r"\b(\d{6})\b", mail.get_body(("plain",)).get_content())
    assert found, mail
    return found[1]


async def test_a_salon_that_does_not_book_online_has_no_public_api(make_salon, public) -> None:
    made = await make_salon()
    for path in ("/services", "/slots?serviceId=x&date=2030-01-01"):
        status, body, _ = await public("GET", made.salon.slug, path)
        assert status == 404 and body["error"]["code"] == "not_found"
    assert (await public("GET", "no-such-salon", "/services"))[0] == 404


async def test_services_and_free_times_within_the_notice_and_the_horizon(make_salon, db, public) -> None:
    salon, desk = await open_salon(make_salon, db, max_days_ahead=16)  # the desk's day is 9 to 15 days ahead
    status, found, _ = await public("GET", salon.slug, "/services")
    assert status == 200 and found == [
        {"id": str(desk.service.id), "name": "Cut", "durationMinutes": 45, "priceCents": None}
    ]

    status, body, _ = await public("GET", salon.slug, f"/slots?serviceId={desk.service.id}&date={desk.day}")
    assert status == 200 and len(body["slots"]) == 30, "one per start time, whoever is free"
    first = body["slots"][0]
    assert first["startTime"] == at(desk, 9) and first["staffName"] == "Bea Cutter" and first["staffId"]
    only_cy = f"/slots?serviceId={desk.service.id}&date={desk.day}&staffId={desk.other_staff.id}"
    assert {slot["staffName"] for slot in (await public("GET", salon.slug, only_cy))[1]["slots"]} == {"Cy Shears"}

    today = dt.datetime.now(salon.zone).date()
    beyond = today + dt.timedelta(days=17)
    assert (await public("GET", salon.slug, f"/slots?serviceId={desk.service.id}&date={beyond}"))[1] == {"slots": []}
    soonest = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=salon.online_booking.min_notice_minutes)
    for day in (today, today + dt.timedelta(days=1)):
        slots = (await public("GET", salon.slug, f"/slots?serviceId={desk.service.id}&date={day}"))[1]["slots"]
        assert all(dt.datetime.fromisoformat(slot["startTime"]) >= soonest for slot in slots)
    status, body, _ = await public("GET", salon.slug, f"/slots?serviceId={desk.service.id}")
    assert status == 400 and body["error"]["field"] == "date"


async def test_a_hold_takes_the_time_the_code_books_it_and_a_known_client_is_reused(
    make_salon, db, public, smtp_server: SmtpServer, start_worker
) -> None:
    salon, desk = await open_salon(make_salon, db)
    known = await clients.create_client(
        db, salon.id, ClientDetails(first_name="Dee", last_name="Known", email="Dee@Example.com")
    )
    status, held, _ = await public("POST", salon.slug, "/bookings", asking(desk, at(desk, 10)))
    assert status == 202 and held["verifyBy"] == "email"
    expires = dt.datetime.fromisoformat(held["expiresAt"])
    assert dt.timedelta(minutes=14) < expires - dt.datetime.now(dt.UTC) <= dt.timedelta(minutes=15)

    slots = (
        await public("GET", salon.slug, f"/slots?serviceId={desk.service.id}&date={desk.day}&staffId={desk.staff.id}")
    )[1]
    assert at(desk, 10) not in {slot["startTime"] for slot in slots["slots"]}, "held: no longer offered"
    with pytest.raises(SlotTaken):
        await appointments.book(
            db, salon, client_id=known.id, staff_id=desk.staff.id, service_id=desk.service.id,
            start_time=dt.datetime.fromisoformat(at(desk, 10, 15)),
        )  # fmt: skip

    await start_worker(smtp=smtp_server)
    code = await the_code(smtp_server, "dee@example.com", 1)
    wrong = "000000" if code != "000000" else "111111"
    status, body, _ = await public("POST", salon.slug, f"/bookings/{held['holdId']}/verify", {"code": wrong})
    assert status == 400 and body["error"]["field"] == "code" and "4 tries left" in body["error"]["message"]
    status, booked, _ = await public("POST", salon.slug, f"/bookings/{held['holdId']}/verify", {"code": code})
    assert status == 201, booked
    assert (booked["source"], booked["status"], booked["clientId"]) == ("online", "booked", str(known.id))
    assert booked["startTime"] == at(desk, 10) and booked["staffId"] == str(desk.staff.id)
    assert {job["type"] for job in booked["notificationJobs"]} >= {"booking_confirmation", "reminder_24h"}
    assert (await clients.get_client(db, salon.id, known.id)).opted_in_reminders, "the ticked box turned them on"
    again = await public("POST", salon.slug, f"/bookings/{held['holdId']}/verify", {"code": code})
    assert again[0] == 409, "a hold books once"
    mails = await smtp_server.wait_for(2)
    assert any("is confirmed" in mail["Subject"] for mail in mails)


async def test_a_phone_gets_its_code_by_text_and_a_new_client_is_made(
    make_salon, db, public, smtp_server: SmtpServer, sms_api: SmsApi, start_worker
) -> None:
    salon, desk = await open_salon(make_salon, db)
    body = asking(desk, at(desk, 11), email=None, phone="07700 900999", optedInReminders=False)
    status, held, _ = await public("POST", salon.slug, "/bookings", body)
    assert status == 202 and held["verifyBy"] == "sms"
    await start_worker(smtp=smtp_server, sms=sms_api)
    [text] = await sms_api.wait_for(1)
    assert text["To"] == "+447700900999" and salon.name in text["Body"]
    code = re.search(r"\b(\d{6})\b", text["Body"])[1]
    status, booked, _ = await public("POST", salon.slug, f"/bookings/{held['holdId']}/verify", {"code": code})
    assert status == 201
    client = await clients.get_client(db, salon.id, booked["clientId"])
    assert (client.first_name, client.phone, client.email, client.opted_in_reminders) == (
        "Dee",
        "+447700900999",
        None,
        False,
    )


async def test_the_fifth_wrong_code_frees_the_time(make_salon, db, public) -> None:
    salon, desk = await open_salon(make_salon, db)
    _, held, _ = await public("POST", salon.slug, "/bookings", asking(desk, at(desk, 12)))
    code = await db.fetch_row(
        """SELECT payload->'secret'->>'code' AS code FROM notification_jobs
            WHERE type = 'booking_code' AND salon_id = %s""",
        (salon.id,),
    )
    wrong = "000000" if code["code"] != "000000" else "111111"
    for left in (4, 3, 2, 1):
        status, body, _ = await public("POST", salon.slug, f"/bookings/{held['holdId']}/verify", {"code": wrong})
        assert status == 400 and f"{left} tr" in body["error"]["message"]
    status, body, _ = await public("POST", salon.slug, f"/bookings/{held['holdId']}/verify", {"code": wrong})
    assert status == 400 and "free again" in body["error"]["message"]
    status, _, _ = await public("POST", salon.slug, f"/bookings/{held['holdId']}/verify", {"code": code["code"]})
    assert status == 409, "released: the right code comes too late"
    slots = (
        await public("GET", salon.slug, f"/slots?serviceId={desk.service.id}&date={desk.day}&staffId={desk.staff.id}")
    )[1]
    assert at(desk, 12) in {slot["startTime"] for slot in slots["slots"]}


async def test_a_lapsed_hold_is_released_by_the_worker(make_salon, db, public, smtp_server, start_worker) -> None:
    salon, desk = await open_salon(make_salon, db)
    _, held, _ = await public("POST", salon.slug, "/bookings", asking(desk, at(desk, 13)))
    await db.execute("UPDATE holds SET expires_at = now() - interval '1 second' WHERE id = %s", (held["holdId"],))
    await start_worker(smtp=smtp_server, holds_interval=0.1)
    for _ in range(100):
        row = await db.fetch_row("SELECT ended, appointment_id FROM holds WHERE id = %s", (held["holdId"],))
        if row["ended"]:
            break
        await asyncio.sleep(0.05)
    assert (row["ended"], row["appointment_id"]) == ("expired", None)
    assert await db.fetch_one("SELECT 1 FROM appointments WHERE status = 'held' AND salon_id = %s", (salon.id,)) is None
    status, _, _ = await public("POST", salon.slug, f"/bookings/{held['holdId']}/verify", {"code": "123456"})
    assert status == 409


async def test_two_clients_racing_for_one_time_one_wins(make_salon, db, public) -> None:
    salon, desk = await open_salon(make_salon, db)
    answers = await asyncio.gather(
        *(
            public("POST", salon.slug, "/bookings", asking(desk, at(desk, 15), email=f"r{n}@example.com"))
            for n in range(4)
        )
    )
    assert sorted(status for status, _, _ in answers) == [202, 409, 409, 409]
    held = await db.fetch_all("SELECT id FROM appointments WHERE salon_id = %s AND status = 'held'", (salon.id,))
    assert len(held) == 1


async def test_a_hold_and_the_front_desk_racing_one_wins(make_salon, db, public) -> None:
    salon, desk = await open_salon(make_salon, db)
    start = dt.datetime.fromisoformat(at(desk, 16))

    async def front_desk() -> str:
        try:
            await appointments.book(
                db,
                salon,
                client_id=desk.client.id,
                staff_id=desk.staff.id,
                service_id=desk.service.id,
                start_time=start,
            )
        except SlotTaken:
            return "taken"
        return "booked"

    desk_says, (status, _, _) = await asyncio.gather(
        front_desk(), public("POST", salon.slug, "/bookings", asking(desk, at(desk, 16)))
    )
    assert [desk_says, "held" if status == 202 else "taken"].count("taken") == 1, "exactly one wins"
    rows = await db.fetch_all(
        "SELECT status FROM appointments WHERE salon_id = %s AND start_time = %s AND staff_id = %s",
        (salon.id, start, desk.staff.id),
    )
    assert len(rows) == 1


async def test_anyone_takes_the_next_free_stylist_when_the_first_is_held(make_salon, db, public) -> None:
    salon, desk = await open_salon(make_salon, db)
    first = asking(desk, at(desk, 9), staffId=None)
    second = asking(desk, at(desk, 9), staffId=None, email="other@example.com")
    assert (await public("POST", salon.slug, "/bookings", first))[0] == 202
    assert (await public("POST", salon.slug, "/bookings", second))[0] == 202
    held = await db.fetch_all("SELECT staff_id FROM appointments WHERE salon_id = %s AND status = 'held'", (salon.id,))
    assert {row["staff_id"] for row in held} == {desk.staff.id, desk.other_staff.id}
    assert (await public("POST", salon.slug, "/bookings", asking(desk, at(desk, 9), staffId=None)))[0] == 409


async def test_ten_holds_an_hour_from_one_address_and_twenty_waiting_per_salon(make_salon, db, public) -> None:
    salon, desk = await open_salon(make_salon, db)
    requests = [
        asking(desk, dt.datetime.combine(day, dt.time(hour), desk.zone).isoformat(), staffId=str(member.id))
        for day in (desk.day, desk.day + dt.timedelta(days=1))
        for member in (desk.staff, desk.other_staff)
        for hour in range(9, 17)
    ]
    for request in requests[:10]:
        assert (await public("POST", salon.slug, "/bookings", request, address="198.51.100.7"))[0] == 202
    status, body, headers = await public("POST", salon.slug, "/bookings", requests[10], address="198.51.100.7")
    assert status == 429 and body["error"]["code"] == "rate_limited"
    assert 3500 < int(headers["Retry-After"]) <= 3601
    for request in requests[10:20]:
        assert (await public("POST", salon.slug, "/bookings", request, address="198.51.100.8"))[0] == 202
    status, _, headers = await public("POST", salon.slug, "/bookings", requests[20], address="198.51.100.9")
    assert status == 429 and 0 < int(headers["Retry-After"]) <= 15 * 60 + 1, "twenty wait for their code already"


async def test_what_a_stranger_sends_wrong_is_a_clear_error(make_salon, db, public) -> None:
    salon, desk = await open_salon(make_salon, db)
    cases = [
        (asking(desk, at(desk, 10), firstName=None), 400, "firstName"),
        (asking(desk, at(desk, 10), email=None), 400, "email"),
        (asking(desk, at(desk, 10), email="not an email"), 400, "email"),
        (asking(desk, at(desk, 10), phone="12"), 400, "phone"),
        (asking(desk, "tomorrow"), 400, "startTime"),
        (asking(desk, at(desk, 10, 5)), 409, "startTime"),  # not one of the free times
        (asking(desk, at(desk, 20)), 409, "startTime"),  # after hours
        (asking(desk, at(desk, 10), serviceId="0f2f1a3c-0000-4000-8000-000000000000"), 404, "serviceId"),
    ]
    for body, status, field in cases:
        answer, error, _ = await public("POST", salon.slug, "/bookings", body)
        assert (answer, error["error"].get("field")) == (status, field), (body, error)
    assert (await public("POST", salon.slug, "/bookings/not-an-id/verify", {"code": "1"}))[0] == 400
    assert await db.fetch_one("SELECT 1 FROM holds WHERE salon_id = %s", (salon.id,)) is None, "nothing held"


async def test_a_code_is_never_shown_and_is_forgotten_once_its_job_ends(
    make_salon, db, public, api, smtp_server: SmtpServer, start_worker
) -> None:
    made = await make_salon()
    salon = await accounts.update_salon(db, dataclasses.replace(made.salon, online_booking=OnlineBooking(True)))
    desk = await set_up_desk(db, salon)
    await public("POST", salon.slug, "/bookings", asking(desk, at(desk, 12), email="kept@example.com"))
    stored = await db.fetch_row("SELECT id, payload FROM notification_jobs WHERE salon_id = %s", (salon.id,))
    code = stored["payload"]["secret"]["code"]
    for path in ("/jobs", f"/jobs/{stored['id']}"):
        status, shown = await api("GET", path, made.api_token)
        assert status == 200 and code not in json.dumps(shown) and "secret" not in json.dumps(shown), shown

    await public("POST", salon.slug, "/bookings", asking(desk, at(desk, 14), email="cy@example.com"))
    cancelled = await db.fetch_row("SELECT id FROM notification_jobs WHERE payload->>'email' = 'cy@example.com'")
    assert (await api("POST", f"/jobs/{cancelled['id']}/cancel", made.api_token))[0] == 200
    row = await db.fetch_row("SELECT payload FROM notification_jobs WHERE id = %s", (cancelled["id"],))
    assert "secret" not in row["payload"], "cancelled: the code is not kept either"
    status, refused = await api("POST", f"/jobs/{cancelled['id']}/retry", made.api_token)
    assert status == 409 and "its code was forgotten when it ended" in refused["error"]["message"]

    await start_worker(smtp=smtp_server)
    mails = await smtp_server.wait_for(1)
    while not any(mail["To"] == "Dee <kept@example.com>" for mail in mails):  # the module's other salons' codes
        mails = await smtp_server.wait_for(len(mails) + 1)
    assert await the_code(smtp_server, "kept@example.com", len(mails)) == code
    for _ in range(100):
        job = await db.fetch_row("SELECT status, payload FROM notification_jobs WHERE id = %s", (stored["id"],))
        if job["status"] == "completed":
            break
        await asyncio.sleep(0.05)
    assert job["status"] == "completed" and "secret" not in job["payload"], "sent: the code is not kept"


async def test_an_address_gets_its_burst_then_429_while_another_address_is_still_answered(
    make_salon, db, app, public
) -> None:
    salon, desk = await open_salon(make_salon, db)
    app.public_limits.clock = lambda: 1000.0  # time stands still: only the burst counts
    slots = f"/slots?serviceId={desk.service.id}&date={desk.day}"
    burst = [(await public("GET", salon.slug, slots, address="198.51.100.7"))[0] for _ in range(25)]
    assert burst == [200] * 25, "five a second, in bursts of five times that"
    status, answer, headers = await public("GET", salon.slug, slots, address="198.51.100.7")
    assert (status, answer["error"]["code"], headers["Retry-After"]) == (429, "rate_limited", "1"), answer
    assert "too many requests from this address" in answer["error"]["message"]
    assert (await public("GET", salon.slug, slots, address="198.51.100.8"))[0] == 200, "another address: its own"
    assert (await public("GET", "no-such-salon", "/services", address="198.51.100.7"))[0] == 429, "counted first"
    assert (await public("POST", salon.slug, "/bookings", {}, address="198.51.100.7"))[0] == 429, "every route"
    app.public_limits.clock = lambda: 1001.0
    again = [(await public("GET", salon.slug, slots, address="198.51.100.7"))[0] for _ in range(6)]
    assert again == [200, 200, 200, 200, 200, 429], "a second later, five more"
