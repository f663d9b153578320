"""The front desk's side of texts: the inbox with its unread count in the menu and its reply box, whether each
text reached the phone in words, what the client answered on the appointment's page, and, with no SMS
provider, the outbox's conversations where the desk plays a client's text."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import secrets
import uuid

import pytest

from booking import appointments, clients, inbound, inbox
from booking.models import Salon
from db import Database
from handlers.app import Salonbook
from tests.desk import Desk, book_at, set_up_desk


@pytest.fixture
def app(db) -> Salonbook:
    """As `python server.py` builds it without an SMS provider: the outbox is on and keeps the texts."""
    return Salonbook(db=db, cookie_secret="test-cookie-secret", outbox_enabled=True)


def a_number() -> str:
    return f"+4474009{secrets.randbelow(100_000):05d}"


async def a_texting_client(db: Database, salon: Salon) -> tuple[Desk, str, uuid.UUID]:
    """The desk's client with a mobile, and her appointment next week; returns (desk, number, appointment id)."""
    desk = await set_up_desk(db, salon)
    phone = a_number()
    await db.execute("UPDATE clients SET phone = %s WHERE id = %s", (phone, desk.client.id))
    booked = await book_at(db, salon, desk, dt.time(10))
    return desk, phone, booked.id


def text(html: bytes) -> str:
    """A page's words, tags gone and spaces squeezed: what a person reads."""
    return " ".join(re.sub(r"<[^>]+>", " ", html.decode()).split())


async def test_a_clients_text_waits_in_the_inbox_and_the_menu_counts_it_until_opened(logged_in, db) -> None:
    session, made = await logged_in()
    salon = made.salon
    _, phone, appointment_id = await a_texting_client(db, salon)
    await deliveries_of(db, appointment_id, ("delivered", None))  # her confirmation was texted
    assert "Inbox" in text((await session.get("/clients")).body)
    assert "unread" not in text((await session.get("/clients")).body)
    await inbound.receive(db, inbound.IncomingText(phone, "Can I bring my daughter too?"))
    await inbound.receive(db, inbound.IncomingText(phone, "She needs a trim"))
    assert "Inbox 2 unread" in text((await session.get("/clients")).body)
    inbox = text((await session.get("/inbox")).body)
    assert "Ann Example" in inbox and "She needs a trim" in inbox
    opened = await session.get(f"/inbox/{phone.removeprefix('+')}")
    assert opened.code == 200
    words = text(opened.body)
    assert words.index("Can I bring my daughter too?") < words.index("She needs a trim")
    assert "Booking confirmation" in words and "delivered 14:02" in words, "what the salon texted the number"
    assert "Reminder" not in words, "not what it has yet to text"
    assert "unread" not in text((await session.get("/clients")).body)


async def test_a_reply_is_a_text_job_to_the_number_that_wrote(logged_in, db) -> None:
    session, made = await logged_in()
    desk, phone, _ = await a_texting_client(db, made.salon)
    await inbound.receive(db, inbound.IncomingText(phone, "Running late"))
    path = f"/inbox/{phone.removeprefix('+')}"
    answer = await session.post(path, {"text": "No problem, see you at 10:15."})
    assert answer.code == 303 and answer.headers["Location"] == f"{path}?sent=1"
    [job] = await db.fetch_all(
        """SELECT client_id, channels, payload, status FROM notification_jobs
            WHERE type = 'text_reply' AND salon_id = %s""",
        (made.salon.id,),
    )
    assert (job["client_id"], job["channels"], job["status"]) == (desk.client.id, ["sms"], "pending")
    assert job["payload"] == {"phone": phone, "text": "No problem, see you at 10:15."}
    shown = text((await session.get(f"{path}?sent=1")).body)
    assert "Reply from the front desk" in shown and "No problem, see you at 10:15." in shown
    assert "Your reply is on its way" in shown


@pytest.mark.parametrize(("typed", "message"), [("", "text is required"), ("x" * 481, "longer than 480")])
async def test_a_reply_that_cannot_go_is_shown_again_with_the_reason(logged_in, db, typed, message) -> None:
    session, made = await logged_in()
    _, phone, _ = await a_texting_client(db, made.salon)
    answer = await session.post(f"/inbox/{phone.removeprefix('+')}", {"text": typed})
    assert answer.code == 400 and message in text(answer.body)


async def test_a_reply_to_a_number_of_a_country_the_salon_does_not_text_is_refused_at_once(logged_in, db) -> None:
    session, made = await logged_in()
    _, phone, _ = await a_texting_client(db, made.salon)
    await db.execute("UPDATE salons SET sms_countries = '{US}' WHERE id = %s", (made.salon.id,))
    answer = await session.post(f"/inbox/{phone.removeprefix('+')}", {"text": "See you then"})
    assert answer.code == 400 and "the salon texts mobile numbers in US only" in text(answer.body)
    queued = await db.fetch_one("SELECT id FROM notification_jobs WHERE type = 'text_reply' AND payload->>'phone' = %s",
                                (phone,))  # fmt: skip
    assert queued is None, "nothing queued to fail later"


async def test_no_reply_box_for_a_number_that_said_stop(logged_in, db) -> None:
    session, made = await logged_in()
    _, phone, _ = await a_texting_client(db, made.salon)
    await inbound.receive(db, inbound.IncomingText(phone, "STOP"))
    path = f"/inbox/{phone.removeprefix('+')}"
    page = text((await session.get(path)).body)
    assert "This number texted STOP on" in page and "Send reply" not in page
    assert re.search(r"opted out of texts — the appointment on .+ is still booked", page), "it may have meant that"
    refused = await session.post(path, {"text": "Are you sure?"})
    assert refused.code == 409 and "texted STOP" in text(refused.body)


@pytest.mark.parametrize("path", ["/inbox/%2B44", "/inbox/44-77", "/inbox/" + "1" * 40])
async def test_a_conversation_address_that_is_no_number_is_a_404(logged_in, path) -> None:
    session, _ = await logged_in()
    assert (await session.get(path)).code == 404


async def deliveries_of(db: Database, appointment_id: uuid.UUID, *reports: tuple[str, int | None]) -> None:
    """The appointment's confirmation was texted, once per report, and the provider reported each so."""
    [job] = await db.fetch_all(
        "SELECT id FROM notification_jobs WHERE appointment_id = %s AND type = 'booking_confirmation'",
        (appointment_id,),
    )
    for attempt, (status, code) in enumerate(reports, start=1):
        sid = f"SM{uuid.uuid4().hex}"
        await db.execute(
            """INSERT INTO notification_attempts (job_id, attempt, channel, outcome, detail, worker_id, provider_id)
               VALUES (%s, %s, 'sms', 'sent', 'accepted by the SMS provider', 'w1', %s)""",
            (job["id"], attempt, sid),
        )
        await db.execute(
            """INSERT INTO sms_deliveries (message_sid, status, rank, error_code, reported_at)
               VALUES (%s, %s, 5, %s, %s)""",
            (sid, status, code, dt.datetime(2030, 5, 6, 13, 2, tzinfo=dt.UTC)),
        )


async def test_whether_each_text_reached_the_phone_is_said_in_words_on_every_page(logged_in, db) -> None:
    session, made = await logged_in()
    _, _, appointment_id = await a_texting_client(db, made.salon)
    await deliveries_of(db, appointment_id, ("undelivered", 30003), ("delivered", None))
    appointment = text((await session.get(f"/appointments/{appointment_id}")).body)
    assert "not delivered: unreachable handset (30003)" in appointment
    assert "delivered 14:02" in appointment, "the salon's clock: 13:02 UTC is 14:02 BST"
    assert "delivered 14:02" in text((await session.get("/jobs")).body), "the list shows the latest text's"
    [job] = await db.fetch_all("SELECT id FROM notification_jobs WHERE appointment_id = %s AND type = %s",
                               (appointment_id, "booking_confirmation"))  # fmt: skip
    one = text((await session.get(f"/jobs/{job['id']}")).body)
    assert "not delivered: unreachable handset (30003)" in one and "delivered 14:02" in one


async def test_the_appointment_page_shows_what_the_client_answered(logged_in, db) -> None:
    session, made = await logged_in()
    _, phone, appointment_id = await a_texting_client(db, made.salon)
    await inbound.receive(db, inbound.IncomingText(phone, "C"))
    await inbound.receive(db, inbound.IncomingText(phone, "see you then!"))
    for page in (await session.get(f"/appointments/{appointment_id}"), await session.part(
            f"/appointments/{appointment_id}", "timeline")):  # fmt: skip
        words = text(page.body)
        assert "What the client texted" in words
        assert "confirmed by text" in words and "Answered at once:" in words and "is confirmed." in words
        assert "see you then!" in words
    confirmed = await appointments.get_appointment(db, made.salon.id, appointment_id)
    assert confirmed.client_confirmed_at is not None


# --- the outbox, with no SMS provider ---------------------------------------------


async def test_the_desk_plays_a_clients_text_through_the_same_logic(logged_in, db) -> None:
    session, made = await logged_in()
    _, phone, appointment_id = await a_texting_client(db, made.salon)
    await db.execute(
        """INSERT INTO outbox_messages (salon_id, channel, sender, recipients, body)
           VALUES (%s, 'sms', '', %s, 'Salon: see you tomorrow at 10:00. Reply C to confirm.')""",
        (made.salon.id, [phone]),
    )
    outbox = await session.get("/outbox")
    assert "Play a client's text" in text(outbox.body)
    assert f'href="/outbox/texts/{phone.removeprefix("+")}"' in outbox.body.decode()
    national = "0" + phone.removeprefix("+44")  # typed as a receptionist would
    played = await session.post("/outbox", {"from": national, "body": "C"})
    assert played.code == 303 and played.headers["Location"] == f"/outbox/texts/{phone.removeprefix('+')}"
    assert (await appointments.get_appointment(db, made.salon.id, appointment_id)).client_confirmed_at is not None
    conversation = text((await session.get(played.headers["Location"])).body)
    assert conversation.index("Reply C to confirm") < conversation.index("confirmed by text")
    assert "Answered at once:" in conversation
    await session.post(played.headers["Location"], {"body": "what time again?"})
    assert await inbox.unread_count(db, made.salon.id) == 1, "anything else goes to the inbox"
    await session.post(played.headers["Location"], {"body": "stop"})
    client = await clients.get_client(db, made.salon.id, (await db.fetch_row(
        "SELECT id FROM clients WHERE phone = %s", (phone,)))["id"])  # fmt: skip
    assert client.sms_opt_out


@pytest.mark.parametrize(
    ("form", "message"), [({"from": "", "body": "hi"}, "from is required"), ({"from": "07400 900123", "body": ""},
                                                                              "body is required"),
                          ({"from": "call me", "body": "hi"}, "is not a phone number")])  # fmt: skip
async def test_a_played_text_that_makes_no_sense_is_shown_again(logged_in, form, message) -> None:
    session, _ = await logged_in()
    answer = await session.post("/outbox", form)
    assert answer.code == 400 and message in text(answer.body), text(answer.body)


async def test_with_an_sms_provider_there_is_nothing_to_play(app: Salonbook, logged_in) -> None:
    session, _ = await logged_in()
    app.web_settings = dataclasses.replace(app.web_settings, sms_provider_url="https://api.twilio.example")
    assert "Play a client's text" not in text((await session.get("/outbox")).body)
    assert (await session.post("/outbox", {"from": "07400 900123", "body": "C"})).code == 404
    assert (await session.get("/outbox/texts/447400900123")).code == 404
