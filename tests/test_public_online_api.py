"""Online booking through /api/public/{slug}: free times, a held time, the code, and the limits on strangers."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import hashlib
import json
import re
import secrets
from typing import Any

import pytest

from booking import appointments, clients, code_sends, online, salons
from booking.errors import SlotTaken
from booking.models import ClientDetails, OnlineBooking, Salon
from handlers.app import WebSettings
from tests.desk import Desk, set_up_desk
from tests.servers import SmsApi, SmtpServer, a_number

BEHIND_A_PROXY = WebSettings(xheaders=True, hold_minutes=15, max_body_size=16 * 1024)


@pytest.fixture
def web_settings(request: pytest.FixtureRequest) -> WebSettings:
    """Behind a proxy (--xheaders), so each test can speak from the client address it needs; or a test's own."""
    return getattr(request, "param", BEHIND_A_PROXY)


@pytest.fixture(autouse=True)
def empty_queue(io_loop, db) -> None:
    """A worker a test starts sends that test's messages only (the module's tests share a database)."""
    io_loop.run_sync(lambda: db.execute("TRUNCATE notification_jobs, notification_attempts"))


def an_address() -> str:
    """A client address no other test of the module speaks from: the limits count per address."""
    return f"10.{secrets.randbelow(256)}.{secrets.randbelow(256)}.{secrets.randbelow(256)}"


@pytest.fixture
def public(http_server_client):
    """``await public("POST", slug, "/bookings", {...}, address="10.0.0.1")`` -> (status, JSON, headers); without
    an address, each test speaks from one of its own."""
    own = an_address()

    async def call(method: str, slug: str, path: str, body: Any = None, *, address: str = ""):
        response = await http_server_client.fetch(
            f"/api/public/{slug}{path}",
            method=method,
            body=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json", "X-Real-Ip": address or own},
            raise_error=False,
        )
        return response.code, json.loads(response.body) if response.body else None, response.headers

    return call


async def open_salon(
    make_salon, db, *, country: str = "GB", timezone: str = "Europe/London", **online_fields: int
) -> tuple[Salon, Desk]:
    made = await make_salon(email="desk@salon.example", phone="+44 1225 123456", country=country, timezone=timezone)
    policy = dataclasses.replace(OnlineBooking(enabled=True), **online_fields)
    salon = await salons.update_salon(db, dataclasses.replace(made.salon, online_booking=policy))
    return salon, await set_up_desk(db, salon)


def at(desk: Desk, hour: int, minute: int = 0) -> str:
    return dt.datetime.combine(desk.day, dt.time(hour, minute), desk.zone).isoformat()


def asking(desk: Desk, start: str, **fields: Any) -> dict[str, Any]:
    """A booking of the desk's cut with Bea; its code to an email address no other request uses."""
    return {
        "serviceId": str(desk.service.id),
        "staffId": str(desk.staff.id),
        "startTime": start,
        "firstName": "Dee",
        "lastName": "Online",
        "email": f"dee.{secrets.token_hex(4)}@example.com",
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
        {
            "id": str(desk.service.id),
            "name": "Cut",
            "durationMinutes": 45,
            "priceCents": None,
            "bufferMinutes": 0,
            "staffIds": None,
            "staffOverrides": [],
            "deposit": None,
        }
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
    status, held, _ = await public("POST", salon.slug, "/bookings", asking(desk, at(desk, 10), email="dee@example.com"))
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
    body = asking(desk, at(desk, 11), email=None, phone="07400 900999", optedInReminders=False)
    status, held, _ = await public("POST", salon.slug, "/bookings", body)
    assert status == 202 and held["verifyBy"] == "sms"
    await start_worker(smtp=smtp_server, sms=sms_api)
    [text] = await sms_api.wait_for(1)
    assert text["To"] == "+447400900999" and salon.name in text["Body"]
    code = re.search(r"\b(\d{6})\b", text["Body"])[1]
    status, booked, _ = await public("POST", salon.slug, f"/bookings/{held['holdId']}/verify", {"code": code})
    assert status == 201
    client = await clients.get_client(db, salon.id, booked["clientId"])
    assert (client.first_name, client.phone, client.email, client.opted_in_reminders) == (
        "Dee",
        "+447400900999",
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


def every_time(desk: Desk, days: int = 1, hours: range = range(9, 17)) -> list[dict[str, Any]]:
    """A request for each whole hour of both stylists' days, day by day, stylist by stylist."""
    return [
        asking(desk, dt.datetime.combine(day, dt.time(hour), desk.zone).isoformat(), staffId=str(member.id))
        for day in (desk.day + dt.timedelta(days=n) for n in range(days))
        for member in (desk.staff, desk.other_staff)
        for hour in hours
    ]


async def live_holds(db, salon: Salon) -> list[dict]:
    """The salon's holds waiting for their code, oldest first, with their stylist and time."""
    return await db.fetch_all(
        """SELECT h.id, h.client_address, a.staff_id, a.start_time FROM holds h JOIN appointments a
                ON a.id = h.appointment_id
            WHERE h.salon_id = %s AND h.ended IS NULL AND h.expires_at > now() ORDER BY h.created_at""",
        (salon.id,),
    )


async def test_one_address_holds_two_at_a_time_and_ten_an_hour(make_salon, db, public) -> None:
    salon, desk = await open_salon(make_salon, db)
    address, requests = an_address(), every_time(desk, days=2)
    for n, request in enumerate(requests[:10]):
        assert (await public("POST", salon.slug, "/bookings", request, address=address))[0] == 202
        if n == 1:
            status, body, headers = await public("POST", salon.slug, "/bookings", requests[-1], address=address)
            assert status == 429 and body["error"]["code"] == "rate_limited", "two wait for their code already"
            assert "from here that may wait for their code at once (2) are waiting" in body["error"]["message"]
            assert 14 * 60 < int(headers["Retry-After"]) <= 15 * 60, "until the older of the two lapses"
        if n % 2:
            await db.execute("UPDATE holds SET expires_at = now() WHERE client_address = %s", (address,))
    status, body, headers = await public("POST", salon.slug, "/bookings", requests[10], address=address)
    assert status == 429 and "too many bookings started from here" in body["error"]["message"]
    assert 3500 < int(headers["Retry-After"]) <= 3600, "ten an hour, lapsed or not"
    assert (await public("POST", salon.slug, "/bookings", requests[10], address=an_address()))[0] == 202


async def test_two_addresses_never_close_a_salons_online_booking(make_salon, db, public) -> None:
    salon, desk = await open_salon(make_salon, db)
    hoarders = (an_address(), an_address())
    for n, request in enumerate(every_time(desk, days=3)):  # 48 times, one after the other, turn by turn
        status, _, _ = await public("POST", salon.slug, "/bookings", request, address=hoarders[n % 2])
        assert status in (202, 429)
    held = await live_holds(db, salon)
    assert len(held) <= 4 and {row["client_address"] for row in held} == set(hoarders), "two each, at most"
    newcomer = asking(desk, at(desk, 16), staffId=None)
    status, body, _ = await public("POST", salon.slug, "/bookings", newcomer, address=an_address())
    assert status == 202, body
    slots = (await public("GET", salon.slug, f"/slots?serviceId={desk.service.id}&date={desk.day}"))[1]["slots"]
    assert len(slots) >= 25, "the day stays open to everyone else"


async def test_a_full_salon_makes_room_the_oldest_hold_gives_way(make_salon, db, public) -> None:
    salon, desk = await open_salon(make_salon, db)
    requests = every_time(desk, days=6, hours=range(9, 12, 2))  # two a stylist's day: 24 times over six days
    held = []
    for n, request in enumerate(requests[:20]):  # ten addresses fill the salon's twenty places
        status, body, _ = await public("POST", salon.slug, "/bookings", request, address=f"198.51.100.{n // 2}")
        assert status == 202, body
        held.append(body["holdId"])
    status, newest, _ = await public("POST", salon.slug, "/bookings", requests[20], address=an_address())
    assert status == 202, "online booking never closes"
    waiting = await live_holds(db, salon)
    assert len(waiting) == 20 and str(waiting[-1]["id"]) == newest["holdId"]
    oldest = await db.fetch_row("SELECT ended, appointment_id FROM holds WHERE id = %s", (held[0],))
    assert (oldest["ended"], oldest["appointment_id"]) == ("displaced", None)
    code = await db.fetch_row("SELECT status, payload FROM notification_jobs WHERE payload->>'hold' = %s", (held[0],))
    assert code["status"] == "cancelled" and "secret" not in code["payload"], "its code, not sent yet, is not sent"
    query = f"/slots?serviceId={desk.service.id}&date={desk.day}&staffId={desk.staff.id}"
    assert at(desk, 9) in {slot["startTime"] for slot in (await public("GET", salon.slug, query))[1]["slots"]}
    status, body, _ = await public("POST", salon.slug, f"/bookings/{held[0]}/verify", {"code": "123456"})
    assert status == 409 and "choose a time again" in body["error"]["message"]


async def test_one_address_or_a_handful_never_take_a_stylists_day(make_salon, db, public) -> None:
    salon, desk = await open_salon(make_salon, db)
    beas_day = f"/slots?serviceId={desk.service.id}&date={desk.day}&staffId={desk.staff.id}"
    free = len((await public("GET", salon.slug, beas_day))[1]["slots"])
    handful = [an_address() for _ in range(4)]
    for n, hour in enumerate(range(9, 17)):  # each of Bea's hours, the four addresses taking turns
        request = asking(desk, at(desk, hour))
        assert (await public("POST", salon.slug, "/bookings", request, address=handful[n % 4]))[0] == 202
    assert [row["staff_id"] for row in await live_holds(db, salon)] == [desk.staff.id] * 2, "two, the newest"
    still_free = (await public("GET", salon.slug, beas_day))[1]["slots"]
    assert len(still_free) >= free - 2 * 5, "a 45-minute hold blocks five quarter-hour starts at most"
    status, _, _ = await public("POST", salon.slug, "/bookings", asking(desk, still_free[0]["startTime"]))
    assert status == 202, "a client still gets Bea's time"


async def test_the_fourth_code_in_an_hour_to_one_number_is_refused_whoever_asks(make_salon, db, public) -> None:
    (salon, desk), (other, other_desk) = await open_salon(make_salon, db), await open_salon(make_salon, db)
    victim = a_number()
    by_text = {"email": None, "phone": victim}
    for where, its_desk, hour in ((salon, desk, 9), (other, other_desk, 10), (salon, desk, 11)):
        request = asking(its_desk, at(its_desk, hour), **by_text)
        status, body, _ = await public("POST", where.slug, "/bookings", request, address=an_address())
        assert status == 202, body
    fourth = asking(other_desk, at(other_desk, 12), **by_text)
    status, body, headers = await public("POST", other.slug, "/bookings", fourth, address=an_address())
    assert status == 429 and body["error"]["code"] == "rate_limited"
    assert "the most codes that may go to it in an hour (3)" in body["error"]["message"]
    assert 3500 < int(headers["Retry-After"]) <= 3600
    assert (await db.fetch_row("SELECT count(*) AS n FROM holds WHERE phone = %s", (victim,)))["n"] == 3

    counted = await code_sends.recipient(db, victim)
    rows = await db.fetch_all("SELECT recipient_hash FROM code_sends WHERE recipient_hash = %s", (counted,))
    assert len(rows) == 3 and bytes(rows[0]["recipient_hash"]) != hashlib.sha256(victim.encode()).digest()
    await db.execute(
        "UPDATE code_sends SET sent_at = sent_at - interval '1 hour' WHERE recipient_hash = %s", (counted,)
    )
    assert (await public("POST", other.slug, "/bookings", fourth, address=an_address()))[0] == 202, "an hour later"


async def test_codes_to_one_inbox_count_whatever_its_case_or_plus_tag(make_salon, db, public) -> None:
    salon, desk = await open_salon(make_salon, db)
    inbox = f"victim.{secrets.token_hex(4)}"
    for hour, email in (
        (9, f"{inbox}@example.com"),
        (10, f"{inbox.upper()}@Example.com"),
        (11, f"{inbox}+2@example.com"),
    ):
        request = asking(desk, at(desk, hour), email=email)
        assert (await public("POST", salon.slug, "/bookings", request, address=an_address()))[0] == 202
    tagged = asking(desk, at(desk, 12), staffId=str(desk.other_staff.id), email=f"{inbox}+spam@example.com")
    assert (await public("POST", salon.slug, "/bookings", tagged, address=an_address()))[0] == 429


@pytest.mark.parametrize("web_settings", [dataclasses.replace(BEHIND_A_PROXY, codes_per_salon_day=2)], indirect=True)
async def test_a_salons_codes_a_day_have_a_ceiling(make_salon, db, public) -> None:
    salon, desk = await open_salon(make_salon, db)
    for hour in (9, 10):
        status, _, _ = await public("POST", salon.slug, "/bookings", asking(desk, at(desk, hour)), address=an_address())
        assert status == 202
    third = asking(desk, at(desk, 11), staffId=str(desk.other_staff.id))
    status, body, headers = await public("POST", salon.slug, "/bookings", third, address=an_address())
    assert status == 429 and "as many codes as it may in a day" in body["error"]["message"]
    assert 86_300 < int(headers["Retry-After"]) <= 86_400
    other, other_desk = await open_salon(make_salon, db)
    assert (await public("POST", other.slug, "/bookings", asking(other_desk, at(other_desk, 9))))[0] == 202


async def test_requests_at_once_cannot_both_take_the_last_place(make_salon, db, public) -> None:
    salon, desk = await open_salon(make_salon, db)
    victim, address = a_number(), an_address()
    to_one_number = [asking(desk, at(desk, hour), email=None, phone=victim) for hour in range(9, 15)]
    answers = await asyncio.gather(
        *(public("POST", salon.slug, "/bookings", request, address=an_address()) for request in to_one_number)
    )
    assert sorted(status for status, _, _ in answers) == [202] * 3 + [429] * 3, "three codes to one number"
    from_one_address = [asking(desk, at(desk, hour), staffId=str(desk.other_staff.id)) for hour in range(9, 14)]
    answers = await asyncio.gather(
        *(public("POST", salon.slug, "/bookings", request, address=address) for request in from_one_address)
    )
    assert sorted(status for status, _, _ in answers) == [202] * 2 + [429] * 3, "two waiting from one address"


async def open_us_salon(make_salon, db) -> tuple[Salon, Desk]:
    return await open_salon(make_salon, db, country="US", timezone="America/New_York")


async def test_a_us_salon_refuses_satellite_premium_and_foreign_numbers_and_sends_nothing(
    make_salon, db, public
) -> None:
    salon, desk = await open_us_salon(make_salon, db)
    assert salon.sms_countries == ("US",), "a salon texts its own country"
    cases = [
        ("+881 6 1234 5678", None, "sms_country", "+881612345678 is an international (non-geographic) number"),
        ("+979 1 2345 6789", None, "sms_country", "+979123456789 is an international"),  # premium rate
        ("+374 77 123456", None, "sms_country", "+37477123456 is a number from AM"),
        ("+374 77 123456", "ann@example.com", "sms_country", "texts mobile numbers in US only"),
        ("+1 900 234 5678", None, "sms_number", "+19002345678 cannot take texts: it is a premium-rate number"),
    ]
    for phone, email, code, words in cases:
        request = asking(desk, at(desk, 10), email=email, phone=phone)
        status, body, _ = await public("POST", salon.slug, "/bookings", request)
        assert (status, body["error"]["code"], body["error"]["field"]) == (400, code, "phone"), (phone, body)
        assert words in body["error"]["message"], body
    for table in ("holds", "notification_jobs", "code_sends"):
        assert await db.fetch_one(f"SELECT 1 FROM {table} WHERE salon_id = %s", (salon.id,)) is None, table
    american = asking(desk, at(desk, 10), email=None, phone="(201) 555-0123")
    assert (await public("POST", salon.slug, "/bookings", american))[0] == 202, "a US number is texted"


async def test_a_salon_listing_the_us_and_canada_texts_a_canadian_mobile(
    make_salon, db, public, smtp_server: SmtpServer, sms_api: SmsApi, start_worker
) -> None:
    salon, desk = await open_us_salon(make_salon, db)
    canadian = asking(desk, at(desk, 11), email=None, phone="+1 506 234 5678")  # a New Brunswick mobile
    status, body, _ = await public("POST", salon.slug, "/bookings", canadian)
    assert (status, body["error"]["code"]) == (400, "sms_country")
    await salons.update_salon(db, dataclasses.replace(salon, sms_countries=("US", "CA")))
    status, held, _ = await public("POST", salon.slug, "/bookings", canadian)
    assert status == 202 and held["verifyBy"] == "sms"
    await start_worker(smtp=smtp_server, sms=sms_api)
    [text] = await sms_api.wait_for(1)
    assert text["To"] == "+15062345678" and re.search(r"\b\d{6}\b", text["Body"])


async def test_codes_are_counted_for_a_day_then_the_workers_daily_chore_forgets_them(
    make_salon, db, smtp_server: SmtpServer, start_worker
) -> None:
    salon, _ = await open_salon(make_salon, db)
    for age in ("25 hours", "23 hours"):
        await db.execute(
            "INSERT INTO code_sends (recipient_hash, salon_id, sent_at) VALUES (%s, %s, now() - %s::interval)",
            (secrets.token_bytes(32), salon.id, age),
        )
    await start_worker(smtp=smtp_server)  # its chores run once as it starts
    for _ in range(200):
        left = await db.fetch_all("SELECT sent_at FROM code_sends WHERE salon_id = %s", (salon.id,))
        if len(left) == 1:
            break
        await asyncio.sleep(0.05)
    assert len(left) == 1 and left[0]["sent_at"] > dt.datetime.now(dt.UTC) - dt.timedelta(days=1)


def metric(page: str, name: str, label: str) -> float:
    found = re.search(rf'^{name}{{[^}}]*="{label}"}} (\S+)$', page, re.MULTILINE)
    assert found, f"{name} {label} not in /metrics"
    return float(found[1])


@pytest.mark.parametrize("web_settings", [dataclasses.replace(BEHIND_A_PROXY, codes_per_salon_day=4)], indirect=True)
async def test_metrics_count_each_refusal_by_reason_and_each_hold_that_gave_way(
    make_salon, db, public, http_server_client
) -> None:
    salon, desk = await open_salon(make_salon, db)
    victim = f"victim.{secrets.token_hex(4)}@example.com"
    cy = str(desk.other_staff.id)
    first, second, third, fourth = (an_address() for _ in range(4))
    tries = [
        (asking(desk, at(desk, 9), email=None, phone="+374 77 123456"), first, 400),  # sms_country
        (asking(desk, at(desk, 9), email=None, phone="+44 121 234 5678"), first, 400),  # sms_number: a landline
        (asking(desk, at(desk, 9), email=victim), first, 202),
        (asking(desk, at(desk, 10), email=victim), first, 202),
        (asking(desk, at(desk, 11)), first, 429),  # address_holds
        (asking(desk, at(desk, 12), email=victim), second, 202),  # Bea's day was full: 9:00 gives way
        (asking(desk, at(desk, 9), staffId=cy, email=victim), third, 429),  # code_limit
        (asking(desk, at(desk, 9), staffId=cy), third, 202),  # the salon's fourth code today
        (asking(desk, at(desk, 10), staffId=cy), fourth, 429),  # salon_codes
    ]
    for request, address, expected in tries:
        status, body, _ = await public("POST", salon.slug, "/bookings", request, address=address)
        assert status == expected, (request, body)
    page = (await http_server_client.fetch("/metrics")).body.decode()
    refusals = {reason: metric(page, "salonbook_online_refusals_total", reason) for reason in online.REFUSALS}
    assert refusals == {"address_hour": 0, "address_holds": 1, "code_limit": 1, "salon_codes": 1, "sms_country": 1,
                        "sms_number": 1}  # fmt: skip
    assert metric(page, "salonbook_online_holds_displaced_total", "stylist_day") == 1
    assert metric(page, "salonbook_online_holds_displaced_total", "salon") == 0


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
    salon = await salons.update_salon(db, dataclasses.replace(made.salon, online_booking=OnlineBooking(True)))
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
