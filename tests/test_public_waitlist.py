"""The waitlist from outside: the desk's API, a stranger joining online with a code, the offer the worker sends,
and its link, where exactly one of many claims at once books the time."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import re
import secrets
from typing import Any

import pytest

from booking import appointments, clients, installation, links, salons, waitlist
from booking.models import ClientDetails, OnlineBooking, Salon, Source
from booking.notice_types import BOOKING_CODE, TEAM_INVITE, WAITLIST_OFFER
from db import Database
from handlers.app import Salonbook, WebSettings
from tests.desk import Desk, set_up_desk
from tests.servers import SmsApi, SmtpServer, a_number

PUBLIC_URL = "https://book.salon.example"
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


@pytest.fixture
def app(db) -> Salonbook:
    settings = WebSettings(public_url=PUBLIC_URL, xheaders=True, max_body_size=16 * 1024)
    return Salonbook(db=db, cookie_secret="test-cookie-secret", settings=settings)


@pytest.fixture(autouse=True)
def empty_queue(io_loop, db) -> None:
    """A worker a test starts sends that test's messages only (the module's tests share a database)."""
    io_loop.run_sync(lambda: db.execute("TRUNCATE notification_jobs, notification_attempts"))


async def open_salon(make_salon, db: Database, **fields: str) -> tuple[Salon, Desk, str]:
    """A salon that books online, its desk, and its owner's API token."""
    made = await make_salon(email="desk@salon.example", phone="+44 1225 123456", **fields)
    salon = await salons.update_salon(db, dataclasses.replace(made.salon, online_booking=OnlineBooking(enabled=True)))
    return salon, await set_up_desk(db, salon), made.api_token


def at(desk: Desk, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(desk.day, dt.time(hour, minute), desk.zone)


def wish(desk: Desk, **fields: Any) -> dict[str, Any]:
    return {"serviceId": str(desk.service.id), "fromDate": str(desk.day), "toDate": str(desk.day)} | fields


async def waiting_client(db: Database, salon: Salon, desk: Desk, name: str) -> waitlist.Entry:
    client = await clients.create_client(
        db, salon.id, ClientDetails(first_name=name, email=f"{name.lower()}.{secrets.token_hex(3)}@example.com")
    )
    wanted = waitlist.Wish(desk.service.id, None, desk.day, desk.day)
    return await waitlist.add(db, salon, client.id, wanted, source=Source.FRONT_DESK, now=NOW)


async def cancelled_at(db: Database, salon: Salon, desk: Desk, start: dt.datetime) -> appointments.Appointment:
    booked = await appointments.book(
        db, salon, client_id=desk.client.id, staff_id=desk.staff.id, service_id=desk.service.id, start_time=start
    )
    return await appointments.cancel(db, salon, booked.id)


async def offer_paths(db: Database, salon: Salon) -> list[str]:
    secret = await installation.link_secret(db)
    rows = await db.fetch_all(
        """SELECT o.id FROM waitlist_offers o JOIN waitlist_entries e ON e.id = o.entry_id
            WHERE o.salon_id = %s ORDER BY o.offered_at, e.joined_at""",
        (salon.id,),
    )
    return [f"/w/{links.sign('offer', row['id'], secret)}" for row in rows]


async def test_the_desk_lists_and_adds_waiting_clients_of_its_own_salon_only(make_salon, db, api) -> None:
    _, desk, token = await open_salon(make_salon, db)
    _, theirs, other_token = await open_salon(make_salon, db)
    body = wish(desk, clientId=str(desk.client.id), staffId=str(desk.staff.id), earliest="09:00", latest="12:30")
    status, entry = await api("POST", "/waitlist", token, body)
    assert status == 201, entry
    assert {key: entry[key] for key in ("clientId", "staffId", "earliest", "latest", "status", "fromDate")} == {
        "clientId": str(desk.client.id), "staffId": str(desk.staff.id), "earliest": "09:00", "latest": "12:30",
        "status": "waiting", "fromDate": str(desk.day),
    }  # fmt: skip
    status, listed = await api("GET", "/waitlist", token)
    assert status == 200 and [found["id"] for found in listed] == [entry["id"]]
    assert (await api("GET", "/waitlist", other_token))[1] == [], "another salon sees none of them"
    status, error = await api("POST", "/waitlist", other_token, wish(theirs, clientId=str(desk.client.id)))
    assert status == 404 and error["error"]["field"] == "clientId", "another salon's client is not found"
    status, error = await api("POST", "/waitlist", token, wish(desk, clientId=str(desk.client.id),
                                                               serviceId=str(theirs.service.id)))  # fmt: skip
    assert status == 404 and error["error"]["field"] == "serviceId"
    status, error = await api("POST", "/waitlist", token, wish(desk, clientId=str(desk.client.id), toDate="2020-01-01"))
    assert status == 400 and error["error"]["field"] == "toDate"
    status, error = await api("POST", "/waitlist", token, wish(desk, clientId=str(desk.client.id), earliest="25:00"))
    assert status == 400 and error["error"]["field"] == "earliest"
    status, silent = await api("POST", "/clients", token, {"firstName": "Nobody", "optedInReminders": False})
    status, error = await api("POST", "/waitlist", token, wish(desk, clientId=silent["id"]))
    assert status == 400 and error["error"]["field"] == "clientId", "no offer could reach them"


def an_address() -> str:
    """A client address no other test of the module speaks from: the limits count per address."""
    return f"10.{secrets.randbelow(256)}.{secrets.randbelow(256)}.{secrets.randbelow(256)}"


@pytest.fixture
def public(http_server_client):
    """``await public("POST", slug, "/waitlist", {...})`` -> (status, JSON), from an address of the test's own, or
    from ``address``."""
    own = an_address()

    async def call(method: str, slug: str, path: str, body: Any = None, *, address: str = "") -> tuple[int, Any]:
        response = await http_server_client.fetch(
            f"/api/public/{slug}{path}",
            method=method,
            body=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json", "X-Real-Ip": address or own},
            raise_error=False,
        )
        return response.code, json.loads(response.body) if response.body else None

    return call


async def the_code(smtp_server: SmtpServer, to: str, count: int) -> str:
    """The code mailed to ``to``, among at least ``count`` mails: whatever else the worker sends in the same batch
    (a cancellation's notice) may arrive before it."""
    codes: list = []
    while not codes:
        mails = await smtp_server.wait_for(count)
        codes = [mail for mail in mails if mail["To"].addresses[0].addr_spec == to and "code" in mail["Subject"]]
        count = len(mails) + 1
    [mail] = codes
    found = re.search(r"\b(\d{6})\b", mail.get_body(("plain",)).get_content())
    assert found, mail
    return found[1]


async def test_a_stranger_joins_with_a_code_and_is_offered_nothing_before_it(
    make_salon, db, public, smtp_server: SmtpServer, start_worker
) -> None:
    salon, desk, _ = await open_salon(make_salon, db)
    asked = wish(desk, firstName="Dee", email="dee@example.com", latest="11:00")
    status, joined = await public("POST", salon.slug, "/waitlist", asked)
    assert status == 202 and joined["verifyBy"] == "email" and joined["sentTo"].endswith("@example.com"), joined
    await cancelled_at(db, salon, desk, at(desk, 10))
    assert await offer_paths(db, salon) == [], "an unverified entry is never offered anything"

    await start_worker(smtp=smtp_server)
    code = await the_code(smtp_server, "dee@example.com", 1)
    wrong = "000000" if code != "000000" else "111111"
    status, error = await public("POST", salon.slug, f"/waitlist/{joined['entryId']}/verify", {"code": wrong})
    assert status == 400 and error["error"]["field"] == "code"
    status, entry = await public("POST", salon.slug, f"/waitlist/{joined['entryId']}/verify", {"code": code})
    assert status == 201 and entry["status"] == "waiting" and entry["latest"] == "11:00", entry
    [dee] = await clients.list_clients(db, salon.id, "dee@example.com", region="GB")
    assert entry["clientId"] == str(dee.id)
    await cancelled_at(db, salon, desk, at(desk, 10))
    assert len(await offer_paths(db, salon)) == 1, "verified: offered the next freed time"
    status, _ = await public("POST", salon.slug, f"/waitlist/{joined['entryId']}/verify", {"code": code})
    assert status == 409, "a code works once"

    status, again = await public("POST", salon.slug, "/waitlist", asked | {"email": "dee.again@example.com"})
    for _ in range(5):
        status, error = await public("POST", salon.slug, f"/waitlist/{again['entryId']}/verify", {"code": wrong})
    assert status == 400 and error["error"]["message"] == "that code is not right; ask to join the waitlist again"
    status, _ = await public("POST", salon.slug, f"/waitlist/{again['entryId']}/verify", {"code": wrong})
    assert status == 409, "five wrong codes end the request"


# (locale, a waitlist join's code: subject, email words, text; a booking's: likewise; what names each, which the
# other's words never say)
CODE_WORDS = [
    ("en-GB", "Your code to join the waiting list at {salon}",
     "To join the waiting list at {salon}, type this code on the page where you asked:",
     "{salon}: your code to join the waiting list is {code}.",
     "Your booking code for {salon}", "To finish your booking at {salon}, type this code on the booking page:",
     "{salon}: your booking code is {code}.", "waiting list", "booking"),
    ("de-DE", "Ihr Code für die Warteliste bei {salon}",
     "Um auf die Warteliste von {salon} zu kommen, geben Sie diesen Code auf der Seite ein, auf der Sie gefragt",
     "{salon}: Ihr Code für die Warteliste ist {code}.",
     "Ihr Buchungscode für {salon}", "Um Ihre Buchung bei {salon} abzuschließen, geben Sie diesen Code",
     "{salon}: Ihr Buchungscode ist {code}.", "Warteliste", "Buchung"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("locale", "join_subject", "join_words", "join_text", "book_subject", "book_words", "book_text", "joins", "books"),
    CODE_WORDS,
)
async def test_a_waitlist_joins_code_speaks_of_the_waiting_list_and_a_bookings_of_the_booking(
    make_salon,
    db,
    public,
    smtp_server: SmtpServer,
    sms_api: SmsApi,
    start_worker,
    locale: str,
    join_subject: str,
    join_words: str,
    join_text: str,
    book_subject: str,
    book_words: str,
    book_text: str,
    joins: str,
    books: str,
) -> None:
    salon, desk, _ = await open_salon(make_salon, db, locale=locale)
    tag = secrets.token_hex(3)
    joiner, booker = f"joiner.{tag}@example.com", f"booker.{tag}@example.com"
    joiner_phone, booker_phone = a_number(), a_number()
    for who in ({"email": joiner}, {"phone": joiner_phone}):  # each from its own address: two wait at once per address
        asked = wish(desk, firstName="Dee") | who
        status, _ = await public("POST", salon.slug, "/waitlist", asked, address=an_address())
        assert status == 202
    for start, who in ((at(desk, 10), {"email": booker}), (at(desk, 11), {"phone": booker_phone})):
        asked = {"serviceId": str(desk.service.id), "staffId": str(desk.staff.id), "startTime": start.isoformat(),
                 "firstName": "Bo", "lastName": "Online", "optedInReminders": False} | who  # fmt: skip
        status, _ = await public("POST", salon.slug, "/bookings", asked, address=an_address())
        assert status == 202
    await start_worker(smtp=smtp_server, sms=sms_api)
    mails = {mail["To"].addresses[0].addr_spec: mail for mail in await smtp_server.wait_for(2)}
    texts = {text["To"]: text["Body"] for text in await sms_api.wait_for(2)}

    for mail, subject, words, other in ((mails[joiner], join_subject, join_words, books),
                                        (mails[booker], book_subject, book_words, joins)):  # fmt: skip
        said = mail.get_body(("plain",)).get_content() + mail.get_body(("html",)).get_content()
        assert mail["Subject"].strip() == subject.format(salon=salon.name)  # a long one is folded whole
        assert words.format(salon=salon.name) in said, said
        assert other.lower() not in (mail["Subject"] + said).lower(), f"nothing of the {other}: {said}"
    for text, words, other in ((texts[joiner_phone], join_text, books), (texts[booker_phone], book_text, joins)):
        code = re.search(r"\b(\d{6})\b", text)
        assert code and text.startswith(words.format(salon=salon.name, code=code[1])), text
        assert other.lower() not in text.lower(), text


@pytest.mark.parametrize(
    ("locale", "join_label", "book_label"),
    [
        ("en-GB", "Waitlist code", "Online booking code"),
        ("de-DE", "Code für die Warteliste", "Code für die Online-Buchung"),
    ],
)
async def test_the_jobs_page_names_a_waitlist_joins_code_and_a_bookings_each_its_own(
    make_salon, db, public, pages, api, locale: str, join_label: str, book_label: str
) -> None:
    salon, desk, token = await open_salon(make_salon, db, locale=locale)
    tag = secrets.token_hex(3)
    joined = await public("POST", salon.slug, "/waitlist", wish(desk, firstName="Dee", email=f"j.{tag}@example.com"),
                          address=an_address())  # fmt: skip
    asked = {"serviceId": str(desk.service.id), "staffId": str(desk.staff.id), "startTime": at(desk, 10).isoformat(),
             "firstName": "Bo", "email": f"b.{tag}@example.com", "optedInReminders": False}  # fmt: skip
    booked = await public("POST", salon.slug, "/bookings", asked, address=an_address())
    assert (joined[0], booked[0]) == (202, 202)
    rows = await db.fetch_all(
        "SELECT id, payload->>'proves' AS proves FROM notification_jobs WHERE salon_id = %s AND type = 'booking_code'",
        (salon.id,),
    )
    codes = {row["proves"]: str(row["id"]) for row in rows}
    assert codes.keys() == {"waitlist", "booking"}, rows

    session = pages()
    owner = await db.fetch_one("SELECT email FROM users WHERE salon_id = %s AND role = 'owner'", (salon.id,))
    await session.login(owner["email"])
    html = (await session.get("/jobs")).body.decode()
    named = {proves: re.search(rf'<a href="/jobs/{job_id}">([^<]*)</a>', html) for proves, job_id in codes.items()}
    assert named["waitlist"] and named["waitlist"][1] == join_label, html
    assert named["booking"] and named["booking"][1] == book_label, html
    job_page = (await session.get(f"/jobs/{codes['waitlist']}")).body.decode()
    assert join_label in job_page and book_label not in job_page

    for proves, again in (("waitlist", "by joining the waiting list again"), ("booking", "by booking again")):
        assert (await api("POST", f"/jobs/{codes[proves]}/cancel", token))[0] == 200
        status, refused = await api("POST", f"/jobs/{codes[proves]}/retry", token)
        assert status == 409 and refused["error"]["message"].endswith(again), refused


def test_a_code_job_from_before_its_payload_said_what_it_proves_keeps_the_booking_words() -> None:
    assert BOOKING_CODE.label_for({}) == "Online booking code"
    assert BOOKING_CODE.one_time_for({}) == BOOKING_CODE.one_time and BOOKING_CODE.one_time.endswith("booking again")
    assert BOOKING_CODE.label_for({"proves": "waitlist"}) == "Waitlist code"
    assert TEAM_INVITE.label_for({"role": "stylist"}) == "Team invitation", "no label of its own: the kind's"
    assert WAITLIST_OFFER.one_time_for({}) is None, "sent again like any notice"


async def test_joining_online_meets_the_limits_of_a_booking(make_salon, db, public) -> None:
    salon, desk, _ = await open_salon(make_salon, db)
    made = await make_salon()
    assert (await public("POST", made.salon.slug, "/waitlist", wish(desk, firstName="Dee", email="d@example.com")))[
        0
    ] == 404, "a salon that does not book online has no waitlist to join online"
    status, error = await public("POST", salon.slug, "/waitlist", wish(desk, firstName="Dee", phone="+1 207 555 0188"))
    assert status == 400 and error["error"]["code"] == "sms_country", "texts go to the salon's countries only"
    to = f"dee.{secrets.token_hex(3)}@example.com"
    answers = [await public("POST", salon.slug, "/waitlist", wish(desk, firstName="Dee", email=to)) for _ in range(3)]
    assert [status for status, _ in answers] == [202, 202, 429], "two waiting from one address at once, as holds"


async def test_an_offer_goes_with_its_link_and_never_for_a_time_taken_again(
    make_salon, db, smtp_server: SmtpServer, start_worker
) -> None:
    salon, desk, _ = await open_salon(make_salon, db)
    await db.execute("UPDATE clients SET opted_in_reminders = false WHERE id = %s", (desk.client.id,))
    entry = await waiting_client(db, salon, desk, "Zoe")
    await cancelled_at(db, salon, desk, at(desk, 10))
    await cancelled_at(db, salon, desk, at(desk, 14))
    await appointments.book(  # 10:00 is taken again before the worker gets to its offer
        db, salon, client_id=desk.client.id, staff_id=desk.staff.id, service_id=desk.service.id,
        start_time=at(desk, 10),
    )  # fmt: skip
    await start_worker(smtp=smtp_server, public_url=PUBLIC_URL)
    [mail] = await smtp_server.wait_for(1)
    assert mail["To"].addresses[0].display_name.startswith("Zoe")
    assert mail["Subject"] == f"A time at {salon.name} is free: 14:00"
    text = mail.get_body(("plain",)).get_content()
    taken, free = await offer_paths(db, salon)
    assert PUBLIC_URL + free in text and PUBLIC_URL + free in mail.get_body(("html",)).get_content()
    assert "14:00" in text
    for _ in range(100):
        jobs = await db.fetch_all(
            "SELECT status, error FROM notification_jobs WHERE client_id = %s ORDER BY run_at, created_at",
            (entry.client_id,),
        )
        if all(job["status"] != "pending" and job["status"] != "processing" for job in jobs):
            break
        await asyncio.sleep(0.1)
    statuses = sorted((job["status"], job["error"]) for job in jobs)
    assert statuses == [("cancelled", "the time was taken again"), ("completed", None)], statuses
    assert taken != free


async def test_of_twenty_claims_at_once_one_books_and_the_rest_see_it_has_gone(
    make_salon, db, pages, http_server_client
) -> None:
    salon, desk, _ = await open_salon(make_salon, db)
    for n in range(5):
        await waiting_client(db, salon, desk, f"Wait{n}")
    cancelled = await cancelled_at(db, salon, desk, at(desk, 10))
    paths = await offer_paths(db, salon)
    assert len(paths) == 5
    page = await pages().get(paths[0])
    assert page.code == 200
    html = page.body.decode()
    assert "Claim this time" in html and "Leave the waiting list" in html and "Cut" in html, html

    sessions = [pages() for _ in range(20)]
    for session in sessions:
        await session.get(paths[0])  # the page sets the form's cookie
    answers = await asyncio.gather(
        *(session.post(paths[n % 5] + "/claim", {}) for n, session in enumerate(sessions))
    )  # fmt: skip
    codes = sorted(answer.code for answer in answers)
    assert codes == [303] + [409] * 19, codes
    [won] = [answer for answer in answers if answer.code == 303]
    assert re.fullmatch(r"/m/[\w-]+\?done=booked", won.headers["Location"]), won.headers["Location"]
    lost = next(answer for answer in answers if answer.code == 409 and b"has gone" in answer.body)
    assert b"The next free times" in lost.body and b"still on the waiting list" in lost.body
    booked = await appointments.list_day(db, salon, desk.day)
    assert [a.start_time for a in booked if a.status == "booked"] == [at(desk, 10)], "nobody double-booked"
    entries = await waitlist.list_entries(db, salon.id, limit=10)
    assert sorted(entry.status for entry in entries) == ["booked"] + ["waiting"] * 4
    notes = await waitlist.offers_about(db, salon.id, cancelled.id)
    assert len(notes) == 5 and sum(note.claimed_at is not None for note in notes) == 1, "on the cancelled one's record"


async def test_the_api_shows_an_appointments_waitlist_offers_pending_then_claimed_of_its_own_salon_only(
    make_salon, db, api, pages
) -> None:
    salon, desk, token = await open_salon(make_salon, db)
    other, theirs, other_token = await open_salon(make_salon, db)
    entry = await waiting_client(db, salon, desk, "Wanda")
    their_entry = await waiting_client(db, other, theirs, "Otto")
    cancelled = await cancelled_at(db, salon, desk, at(desk, 10))
    their_cancelled = await cancelled_at(db, other, theirs, at(theirs, 10))

    status, shown = await api("GET", f"/appointments/{cancelled.id}", token)
    assert status == 200, shown
    [offer] = shown["waitlistOffers"]
    assert offer["offeredAt"] is not None and offer.pop("id")
    assert offer == {
        "entryId": str(entry.id), "clientId": str(entry.client_id), "clientName": "Wanda", "status": "pending",
        "startTime": shown["startTime"], "endTime": shown["endTime"], "offeredAt": offer["offeredAt"],
        "claimedAt": None, "appointmentId": None,
    }  # fmt: skip
    status, theirs_shown = await api("GET", f"/appointments/{their_cancelled.id}", other_token)
    assert status == 200 and [o["clientId"] for o in theirs_shown["waitlistOffers"]] == [str(their_entry.client_id)]
    assert (await api("GET", f"/appointments/{cancelled.id}", other_token))[0] == 404, "another salon's: not found"

    [path] = await offer_paths(db, salon)
    session = pages()
    await session.get(path)  # the page sets the form's cookie
    assert (await session.post(path + "/claim", {})).code == 303
    status, shown = await api("GET", f"/appointments/{cancelled.id}", token)
    [offer] = shown["waitlistOffers"]
    assert offer["status"] == "claimed" and offer["claimedAt"] is not None and offer["appointmentId"], offer
    status, booked = await api("GET", f"/appointments/{offer['appointmentId']}", token)
    assert status == 200 and booked["clientId"] == str(entry.client_id)
    assert booked["waitlistOffers"] == [offer], "the booked one's record shows the offer it came from"
    status, day = await api("GET", f"/appointments?date={desk.day.isoformat()}", token)
    assert status == 200 and day and all("waitlistOffers" not in a for a in day), "lists leave them out"


async def test_leaving_through_an_offer_ends_the_entry(make_salon, db, pages) -> None:
    salon, desk, _ = await open_salon(make_salon, db)
    entry = await waiting_client(db, salon, desk, "Leaver")
    await cancelled_at(db, salon, desk, at(desk, 10))
    [path] = await offer_paths(db, salon)
    session = pages()
    await session.get(path)
    left = await session.post(path + "/leave", {})
    assert left.code == 200 and b"You have left the waiting list" in left.body
    [ended] = await waitlist.list_entries(db, salon.id, limit=1)
    assert (ended.id, ended.status) == (entry.id, waitlist.EntryStatus.LEFT)
    assert (await session.post(path + "/claim", {})).code == 409
    changed = path[:-1] + ("A" if path[-1] != "A" else "B")
    assert (await session.get(changed)).code == 404, "a link with a character changed is no link"
