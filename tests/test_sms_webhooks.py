"""The SMS provider's webhooks through HTTP: the signature exactly as Twilio computes it, every keyword a client
may text, a number two clients share, and delivery reports that come early, twice or out of order."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import urllib.parse
import uuid
from dataclasses import dataclass

import pytest

from booking import (
    appointments,
    clients,
    inbound,
    inbox,
    installation,
    keywords,
    links,
    locales,
    salons,
    services,
    staff,
)
from booking.models import ClientDetails, Salon, ServiceDetails, StaffDetails
from db import Database
from handlers.app import Salonbook
from providers.twilio import signature, signed_by_provider
from tests.servers import SmsApi, a_number, app_with_provider, twilio_signature
from tests.worker_fixtures import a_sent_text

ANN_PHONE = "+447400900123"


@pytest.fixture
def app(db, http_server_port) -> Salonbook:
    return app_with_provider(db, http_server_port[1])


@pytest.fixture
def inbound_url(app: Salonbook, http_server) -> str:
    return f"{app.web_settings.public_url}/sms/inbound"


@pytest.fixture
def status_url(app: Salonbook, http_server) -> str:
    return f"{app.web_settings.public_url}/sms/status"


# --- the signature -------------------------------------------------------------


def test_the_signature_is_twilios_on_its_documented_examples() -> None:
    """The values of Twilio's own tests (twilio-python, tests/unit/test_request_validator.py)."""
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    params = {"CallSid": "CA1234567890ABCDE", "Digits": "1234", "From": "+14158675309", "To": "+18005551212",
              "Caller": "+14158675309"}  # fmt: skip
    assert (
        signature(url, [(k.encode(), v.encode()) for k, v in params.items()], "12345") == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    )
    repeated = [(b"Sid", b"CA123"), (b"SidAccount", b"AC123"), (b"Digits", b"5678"), (b"Digits", b"1234")]
    assert signature(url, repeated, "12345") == "IK+Dwps556ElfBT0I3Rgjkr1wJU=", "a repeated name: each value, sorted"
    assert twilio_signature(url, list(params.items()), "12345") == "RSOYDt4T1cUTdK1PDd93/VVr8B8=", "the stand-in's too"


@pytest.mark.parametrize(
    ("configured", "signed"),
    [("https://salon.example", "https://salon.example:443"), ("https://salon.example:443", "https://salon.example"),
     ("http://salon.example", "http://salon.example:80"), ("https://salon.example:8443", "https://salon.example")],
)  # fmt: skip
def test_a_signature_over_the_address_with_or_without_its_port_is_the_providers(configured: str, signed: str) -> None:
    """Twilio signs the address as it was typed into its console, with or without the port; its validator
    accepts either (twilio-python's RequestValidator), and so do we."""
    params = [(b"From", b"+14158675309"), (b"Body", b"C")]
    given = signature(f"{signed}/sms/inbound", params, "12345")
    assert signed_by_provider(f"{configured}/sms/inbound", params, "12345", given)
    assert not signed_by_provider(f"{configured}/sms/inbound", params, "54321", given), "still keyed with the token"


def test_a_signature_over_another_port_or_host_is_refused() -> None:
    params = [(b"From", b"+14158675309")]
    for signed in ("https://salon.example:8443", "http://salon.example:443", "https://other.example:443"):
        given = signature(f"{signed}/sms/inbound", params, "12345")
        assert not signed_by_provider("https://salon.example/sms/inbound", params, "12345", given), signed


async def test_a_signed_text_is_taken_and_answered_in_twiml(inbound_url: str, db: Database, make_salon) -> None:
    await make_salon()
    answer = await SmsApi().text_in(inbound_url, ANN_PHONE, "hello")
    assert answer.code == 200
    assert answer.headers["Content-Type"].startswith("text/xml")
    assert answer.body == b'<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


@pytest.mark.parametrize(
    "forgery",
    ["no signature", "a wrong signature", "another token", "another address", "a changed body", "an added field"],
)
async def test_a_text_without_the_right_signature_is_403_and_changes_nothing(
    inbound_url: str, db: Database, forgery: str
) -> None:
    params = [("MessageSid", f"SM{uuid.uuid4().hex}"), ("From", ANN_PHONE), ("Body", "STOP")]
    signed = {
        "no signature": "",
        "a wrong signature": "RSOYDt4T1cUTdK1PDd93/VVr8B8=",
        "another token": twilio_signature(inbound_url, params, "not-the-token"),
        "another address": twilio_signature(inbound_url.replace("/inbound", "/status"), params),
        "a changed body": twilio_signature(inbound_url, [*params[:2], ("Body", "hello")]),
        "an added field": twilio_signature(inbound_url, params),
    }[forgery]
    sent = [*params, ("To", "+15005550006")] if forgery == "an added field" else params
    answer = await SmsApi.post_signed(inbound_url, sent, signature=signed or " ")
    assert answer.code == 403, answer.body
    assert b"X-Twilio-Signature is missing or wrong" in answer.body
    assert await db.fetch_one("SELECT FROM inbound_texts WHERE message_sid = %s", (params[0][1],)) is None
    assert await db.fetch_one("SELECT FROM sms_opt_outs WHERE phone = %s", (ANN_PHONE,)) is None


async def test_without_an_auth_token_every_webhook_is_refused(app: Salonbook, http_server_client) -> None:
    """No provider configured: nobody can sign, so nobody gets in (the outbox plays clients' texts instead)."""
    app.web_settings = dataclasses.replace(app.web_settings, sms_auth_token="")
    for path in ("/sms/inbound", "/sms/status"):
        params = [("From", ANN_PHONE), ("Body", "STOP"), ("MessageSid", "SM1")]
        answer = await http_server_client.fetch(
            path,
            method="POST",
            body=urllib.parse.urlencode(params),
            headers={"X-Twilio-Signature": twilio_signature(f"{app.web_settings.public_url}{path}", params, "")},
            raise_error=False,
        )
        assert answer.code == 403, answer.body


# --- keywords --------------------------------------------------------------------


@dataclass
class Booked:
    salon: Salon
    phone: str  # the number that texts
    ann: uuid.UUID  # the client who has it
    appointment: uuid.UUID  # her next appointment
    later: uuid.UUID  # and the one after
    api_token: str


async def ann_with_two_appointments(db: Database, make_salon, phone: str = "", **salon_fields: str) -> Booked:
    phone = phone or a_number()
    made = await make_salon(phone="+44 1225 123456", **salon_fields)
    await db.execute("UPDATE salons SET sms_countries = ARRAY['GB', country] WHERE id = %s", (made.salon.id,))
    salon = await salons.get_salon(db, made.salon.id)
    bea = await staff.create_staff(db, salon.id, StaffDetails("Bea"))
    cut = await services.create_service(db, salon.id, ServiceDetails("Cut", 45))
    ann = await clients.create_client(db, salon.id, ClientDetails("Ann", "Lee", "ann@example.com", phone, True))
    soon = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=2)
    booked = [
        await appointments.book(db, salon, client_id=ann.id, staff_id=bea.id, service_id=cut.id, start_time=start)
        for start in (soon, soon + dt.timedelta(days=7))
    ]
    return Booked(salon, phone, ann.id, booked[0].id, booked[1].id, made.api_token)


def twiml_message(body: bytes) -> str | None:
    found = re.fullmatch(
        rb'<\?xml version="1.0" encoding="UTF-8"\?><Response>(?:<Message>(.*)</Message>)?</Response>', body
    )
    assert found, body
    return found[1].decode() if found[1] is not None else None


@pytest.mark.parametrize("word", ["STOP", "stop", " Stop ", "STOPALL", "stop all", "UNSUBSCRIBE", "Cancel", "END",
                                  "quit", "STOP."])  # fmt: skip
async def test_every_stop_word_opts_the_number_out_at_once(inbound_url, db, make_salon, word: str) -> None:
    booked = await ann_with_two_appointments(db, make_salon)
    answer = await SmsApi().text_in(inbound_url, booked.phone, word)
    reply = twiml_message(answer.body)
    assert answer.code == 200 and reply, "a client with an appointment ahead is told it still stands"
    assert reply.startswith(f"{booked.salon.name}: you will get no more texts from us. Your appointment on ")
    manage = re.search(r"/m/([\w-]+)$", reply)
    assert manage and "is still booked: to cancel it, use" in reply, reply
    secret = await installation.link_secret(db)
    assert links.read("manage", manage[1], secret) == booked.appointment, "the link is to that appointment"
    client = await clients.get_client(db, booked.salon.id, booked.ann)
    assert client.sms_opt_out
    jobs = await db.fetch_all(
        "SELECT type, channels, status FROM notification_jobs WHERE client_id = %s AND status = 'pending'",
        (booked.ann,),
    )
    assert jobs and all(job["channels"] == ["email", "sms"] for job in jobs), "email still goes (the text is skipped)"


async def test_stop_cancels_text_only_notifications_and_later_ones_go_by_email(
    inbound_url, db, make_salon, api
) -> None:
    booked = await ann_with_two_appointments(db, make_salon)
    texted_only = await clients.create_client(db, booked.salon.id, ClientDetails("Cy", "", None, booked.phone, True))
    await db.execute(
        """INSERT INTO notification_jobs (salon_id, client_id, type, channels, status, run_at)
           VALUES (%s, %s, 'cancellation', '{sms}', 'pending', now() + interval '1 hour')""",
        (booked.salon.id, texted_only.id),
    )
    await SmsApi().text_in(inbound_url, booked.phone, "STOP")
    [cancelled] = await db.fetch_all(
        "SELECT status, error FROM notification_jobs WHERE client_id = %s", (texted_only.id,)
    )
    assert cancelled["status"] == "cancelled"
    assert cancelled["error"] == f"{booked.phone} opted out of texts: texted STOP"
    salon = booked.salon
    moved = await appointments.reschedule(
        db, salon, booked.later, start_time=dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=20)
    )
    assert moved.notification_jobs
    new = await db.fetch_all(
        "SELECT channels FROM notification_jobs WHERE appointment_id = %s AND status = 'pending'", (booked.later,)
    )
    assert new and all(job["channels"] == ["email"] for job in new), "no texts to a number that said STOP"
    status, body = await api("GET", f"/clients/{booked.ann}", booked.api_token)
    assert status == 200 and body["smsOptOut"] is True


@pytest.mark.parametrize("word", ["START", "unstop", "Start!"])
async def test_start_brings_texts_back(inbound_url, db, make_salon, word: str) -> None:
    booked = await ann_with_two_appointments(db, make_salon)
    await SmsApi().text_in(inbound_url, booked.phone, "STOP")
    answer = await SmsApi().text_in(inbound_url, booked.phone, word)
    assert answer.code == 200 and twiml_message(answer.body) is None
    assert not (await clients.get_client(db, booked.salon.id, booked.ann)).sms_opt_out


@pytest.mark.parametrize("word", ["HELP", "info", "Help?"])
async def test_help_answers_with_the_salons_name_and_phone(inbound_url, db, make_salon, word: str) -> None:
    booked = await ann_with_two_appointments(db, make_salon)
    answer = await SmsApi().text_in(inbound_url, booked.phone, word)
    assert twiml_message(answer.body) == (
        f"{booked.salon.name}: texts about your appointments. Call us on 01225 123456. "
        "Reply STOP to end them, START to have them again."
    )
    assert await inbox.unread_count(db, booked.salon.id) == 0, "a keyword needs nobody's attention"


@pytest.mark.parametrize("word", ["C", "confirm", "Y", "yes", "Yes!"])
async def test_a_confirmation_confirms_the_next_appointment_only(inbound_url, db, make_salon, api, word: str) -> None:
    booked = await ann_with_two_appointments(db, make_salon)
    answer = await SmsApi().text_in(inbound_url, booked.phone, word)
    reply = twiml_message(answer.body)
    assert (
        reply and reply.startswith(f"{booked.salon.name}: thank you, your appointment on ") and "is confirmed" in reply
    )
    token = booked.api_token
    _, next_one = await api("GET", f"/appointments/{booked.appointment}", token)
    _, later = await api("GET", f"/appointments/{booked.later}", token)
    assert next_one["clientConfirmedAt"] is not None and later["clientConfirmedAt"] is None
    [kept] = await inbox.about(db, booked.salon.id, booked.appointment)
    assert (kept.action, kept.body, kept.reply) == ("confirm", word.strip(), reply)


async def test_a_confirmation_with_nothing_ahead_says_so(inbound_url, db, make_salon) -> None:
    salon = (await make_salon(phone="01225 123456")).salon
    phone = a_number()
    await clients.create_client(db, salon.id, ClientDetails("Di", "", None, phone, True))
    answer = await SmsApi().text_in(inbound_url, phone, "C")
    assert twiml_message(answer.body) == (
        f"{salon.name}: we found no upcoming appointment for this number. Call us on 01225 123456."
    )


async def test_anything_else_waits_in_the_inbox_unread(inbound_url, db, make_salon) -> None:
    booked = await ann_with_two_appointments(db, make_salon)
    answer = await SmsApi().text_in(inbound_url, booked.phone, "Running 10 minutes late, sorry! <3 & see you")
    assert twiml_message(answer.body) is None
    assert await inbox.unread_count(db, booked.salon.id) == 1
    [conversation] = await inbox.conversations(db, booked.salon.id)
    assert conversation.client_names == ("Ann Lee",)
    assert conversation.last_body == "Running 10 minutes late, sorry! <3 & see you"
    [kept] = await inbox.about(db, booked.salon.id, booked.appointment)
    assert kept.action == "message" and kept.read_at is None


async def test_the_same_text_delivered_twice_is_kept_and_acted_on_once(inbound_url, db, make_salon) -> None:
    booked = await ann_with_two_appointments(db, make_salon)
    first = await SmsApi().text_in(inbound_url, booked.phone, "C", message_sid="SM" + "1" * 32)
    again = await SmsApi().text_in(inbound_url, booked.phone, "C", message_sid="SM" + "1" * 32)
    assert first.body == again.body
    assert len(await inbox.about(db, booked.salon.id, booked.appointment)) == 1


# --- a number two clients share -------------------------------------------------


async def test_a_number_two_clients_share_confirms_the_sooner_appointment_and_stops_both(
    inbound_url, db, make_salon
) -> None:
    booked = await ann_with_two_appointments(db, make_salon)
    salon = booked.salon
    daughter = await clients.create_client(db, salon.id, ClientDetails("Bo", "Lee", None, booked.phone, True))
    bea = await staff.create_staff(db, salon.id, StaffDetails("Cy"))
    cut = await services.create_service(db, salon.id, ServiceDetails("Trim", 30))
    sooner = await appointments.book(
        db, salon, client_id=daughter.id, staff_id=bea.id, service_id=cut.id,
        start_time=dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=1),
    )  # fmt: skip
    await SmsApi().text_in(inbound_url, booked.phone, "yes")
    assert (await appointments.get_appointment(db, salon.id, sooner.id)).client_confirmed_at is not None
    assert (await appointments.get_appointment(db, salon.id, booked.appointment)).client_confirmed_at is None
    await SmsApi().text_in(inbound_url, booked.phone, "Can Bo come at 4 instead?")
    [conversation] = await inbox.conversations(db, salon.id)
    assert conversation.client_names == ("Ann Lee", "Bo Lee")
    await SmsApi().text_in(inbound_url, booked.phone, "stop")
    assert (await clients.get_client(db, salon.id, booked.ann)).sms_opt_out
    assert (await clients.get_client(db, salon.id, daughter.id)).sms_opt_out


async def test_a_number_known_to_two_salons_goes_to_the_one_that_texted_it_last(inbound_url, db, make_salon) -> None:
    first = await ann_with_two_appointments(db, make_salon)
    second = await ann_with_two_appointments(db, make_salon, phone=first.phone)
    await db.execute(
        "UPDATE notification_jobs SET channels_done = '{sms}', updated_at = now() + interval '1 minute' "
        "WHERE client_id = %s",
        (first.ann,),
    )
    await SmsApi().text_in(inbound_url, first.phone, "which salon is this?")
    assert await inbox.unread_count(db, first.salon.id) == 1
    assert await inbox.unread_count(db, second.salon.id) == 0


# --- odd bodies ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ([("Body", "hi"), ("MessageSid", "SM1")], 400),  # no From
        ([("From", "not a number at all"), ("Body", "hi")], 400),
        ([("From", ANN_PHONE), ("MessageSid", "SM-$$")], 400),
        ([("From", ANN_PHONE)], 200),  # no Body: a picture, or an empty text
        ([("From", ANN_PHONE), ("Body", "x" * 50_000)], 200),
        ([("From", ANN_PHONE), ("Body", "\x00\x01 C"), ("Body", "twice")], 200),
    ],
)
async def test_any_body_a_signed_caller_sends_gets_an_answer_not_a_500(
    inbound_url, db, make_salon, params, code: int
) -> None:
    await make_salon()
    answer = await SmsApi.post_signed(inbound_url, params)
    assert answer.code == code, answer.body


async def test_a_long_text_is_kept_cut_to_what_a_provider_delivers(inbound_url, db, make_salon) -> None:
    salon = (await make_salon()).salon
    phone = a_number()
    await clients.create_client(db, salon.id, ClientDetails("Ed", "", None, phone, True))
    await SmsApi().text_in(inbound_url, phone, "é" * 5000)
    row = await db.fetch_row("SELECT body FROM inbound_texts WHERE phone = %s", (phone,))
    assert row["body"] == "é" * inbound.MAX_BODY


# --- delivery reports --------------------------------------------------------------


async def report(status_url: str, sid: str, status: str, code: str | None = None, to: str = ANN_PHONE):
    params = [("MessageSid", sid), ("MessageStatus", status), ("To", to), ("AccountSid", "AC123")]
    return await SmsApi.post_signed(status_url, params + ([("ErrorCode", code)] if code is not None else []))


async def delivery(db: Database, sid: str) -> tuple[str, int | None] | None:
    row = await db.fetch_one("SELECT status, error_code FROM sms_deliveries WHERE message_sid = %s", (sid,))
    return (row["status"], row["error_code"]) if row else None


async def test_a_report_is_kept_and_never_goes_back(status_url, db, make_salon) -> None:
    sid = await a_sent_text(db, (await make_salon()).salon.id)
    assert (await report(status_url, sid, "sent")).code == 204
    assert await delivery(db, sid) == ("sent", None)
    await report(status_url, sid, "delivered")
    stamped = (await db.fetch_row("SELECT reported_at FROM sms_deliveries WHERE message_sid = %s", (sid,)))[
        "reported_at"
    ]
    await report(status_url, sid, "delivered")  # twice
    await report(status_url, sid, "sent")  # late
    await report(status_url, sid, "queued")
    assert await delivery(db, sid) == ("delivered", None)
    row = await db.fetch_row("SELECT reported_at FROM sms_deliveries WHERE message_sid = %s", (sid,))
    assert row["reported_at"] == stamped, "a repeated report changes nothing"


async def test_an_undelivered_text_keeps_its_error_code(status_url, db, make_salon) -> None:
    sid = await a_sent_text(db, (await make_salon()).salon.id)
    await report(status_url, sid, "undelivered", "30003")
    await report(status_url, sid, "sent")
    assert await delivery(db, sid) == ("undelivered", 30003)


@pytest.mark.parametrize(("status", "code"), [("teleported", None), ("delivered", "thirty"), ("", None)])
async def test_odd_reports_are_answered_and_ignored_where_they_make_no_sense(
    status_url, db, make_salon, status, code
) -> None:
    sid = await a_sent_text(db, (await make_salon()).salon.id)
    assert (await report(status_url, sid, status, code)).code == 204
    assert await delivery(db, sid) == (("delivered", None) if status == "delivered" else None)


async def test_error_21610_opts_the_number_out(status_url, db, make_salon) -> None:
    salon = (await make_salon()).salon
    phone = a_number()
    fay = await clients.create_client(db, salon.id, ClientDetails("Fay", "", None, phone, True))
    await report(status_url, f"SM{uuid.uuid4().hex}", "failed", "21610", to=phone)
    assert (await clients.get_client(db, salon.id, fay.id)).sms_opt_out


async def test_a_german_salons_client_is_answered_in_german(inbound_url, db, make_salon) -> None:
    salon = (await make_salon(country="DE", locale="de-DE", timezone="Europe/Berlin")).salon
    phone = a_number()
    await clients.create_client(db, salon.id, ClientDetails("Jo", "", None, phone, True))
    answer = await SmsApi().text_in(inbound_url, phone, "help")
    assert twiml_message(answer.body) == (
        f"{salon.name}: Nachrichten zu Ihren Terminen. Antworten Sie STOP, um sie zu beenden, "
        "und START, um sie wieder zu erhalten."
    )


async def test_a_report_of_a_text_the_product_never_sent_is_neither_kept_nor_counted(
    status_url, db, make_salon, make_booking, http_server_client
) -> None:
    """Another program texting from the same account, or a messaging service that reports all its texts."""
    before = await texts_counted(http_server_client)
    stranger = f"SM{uuid.uuid4().hex}"
    assert (await report(status_url, stranger, "delivered", to="+447400900999")).code == 204
    assert await delivery(db, stranger) is None
    assert await texts_counted(http_server_client) == before
    booked = await make_booking((await make_salon()).salon, email=None, phone="+447400900998")
    await db.execute("UPDATE notification_jobs SET status = 'processing' WHERE id = %s", (booked.jobs[0].id,))
    early = f"SM{uuid.uuid4().hex}"  # the provider reports before the worker has recorded the send
    await report(status_url, early, "sent", to="+447400900998")
    assert await delivery(db, early) == ("sent", None)


async def texts_counted(http_server_client) -> dict[str, float]:
    """/metrics' texts by status."""
    page = (await http_server_client.fetch("/metrics")).body.decode()
    return {m[1]: float(m[2]) for m in re.finditer(r'^salonbook_sms_deliveries\{status="(\w+)"\} (\S+)$', page, re.M)}


async def test_metrics_count_texts_by_their_final_status(status_url, db, make_salon, http_server_client) -> None:
    salon_id = (await make_salon()).salon.id
    before = await texts_counted(http_server_client)
    await report(status_url, await a_sent_text(db, salon_id), "delivered")
    await report(status_url, await a_sent_text(db, salon_id), "undelivered", "30005")
    sid = await a_sent_text(db, salon_id)
    await report(status_url, sid, "sent")
    await report(status_url, sid, "failed", "30008")
    after = await texts_counted(http_server_client)
    assert {status: after[status] - before[status] for status in ("delivered", "undelivered", "failed", "sent")} == {
        "delivered": 1, "undelivered": 1, "failed": 1, "sent": 0}  # fmt: skip


@pytest.mark.parametrize(
    "params",
    [[("MessageStatus", "delivered")], [("MessageSid", "SM<script>"), ("MessageStatus", "sent")],
     [("MessageSid", "SM" + "1" * 80), ("MessageStatus", "sent")],
     [("MessageSid", "SM1"), ("MessageStatus", "sent"), ("To", "two words")]],
)  # fmt: skip
async def test_a_report_that_names_no_text_is_a_400_not_a_500(status_url, db, params) -> None:
    answer = await SmsApi.post_signed(status_url, params)
    assert answer.code == 400, answer.body
    assert b'"code": "invalid"' in answer.body


async def test_a_cancel_texted_opts_out_says_the_appointment_stands_and_waits_for_the_desk(
    inbound_url, db, make_salon
) -> None:
    """'Cancel' is an opt-out word (providers require it), but a client with an appointment ahead may have meant
    the appointment: the reply says it still stands and how to cancel it; the inbox marks the text so."""
    booked = await ann_with_two_appointments(db, make_salon)
    await SmsApi().text_in(inbound_url, booked.phone, "Cancel")
    assert (await clients.get_client(db, booked.salon.id, booked.ann)).sms_opt_out, "opted out, as required"
    assert await inbox.unread_count(db, booked.salon.id) == 1, "the desk should see it"
    thread = await inbox.thread(db, booked.salon.id, booked.phone)
    [text] = [entry.received for entry in thread.entries if entry.received]
    assert (text.action, text.appointment_id, text.appointment_status) == ("stop", booked.appointment, "booked")


@pytest.mark.parametrize(
    ("word", "action"), [("STOPP", "stop"), ("Ja", "confirm"), ("HILFE", "help"), ("YES", "confirm")]
)
async def test_a_german_salon_reads_its_clients_words_and_english_ones(
    inbound_url, db, make_salon, word: str, action: str
) -> None:
    booked = await ann_with_two_appointments(db, make_salon, country="DE", locale="de-DE")
    answer = await SmsApi().text_in(inbound_url, booked.phone, word)
    [kept] = await inbox.about(db, booked.salon.id, booked.appointment)
    assert kept.action == action
    if action == "help":
        assert (twiml_message(answer.body) or "").startswith(f"{booked.salon.name}: Nachrichten zu Ihren Terminen.")


def test_the_word_that_confirms_is_the_salons_languages() -> None:
    assert [keywords.confirm_word(language) for language in ("en", "de", "es", "fr")] == ["YES", "JA", "SÍ", "YES"]
    assert keywords.action_of("¡Sí!", "es") == "confirm" and keywords.action_of("ja", "en") == "message"


@pytest.mark.unit
@pytest.mark.parametrize("language", ["de", "es"])
def test_every_keyword_action_has_words_in_german_and_spanish_and_no_word_means_two(language: str) -> None:
    own = keywords.KEYWORDS[language]
    assert set(own) == {action for action in keywords.TextAction if action != keywords.TextAction.MESSAGE}
    said = [word for words in own.values() for word in words]
    assert len(said) == len(set(said)), "a word asks for one thing"
    for action, words in own.items():
        for word in words:
            assert keywords.action_of(f" {word.lower()}! ", language) == action, word
            english = keywords.action_of(word, "en")
            assert english in (keywords.TextAction.MESSAGE, action), f"{word} means another thing in English"


@pytest.mark.unit
@pytest.mark.parametrize(
    ("language", "stop", "start", "confirm", "help_", "typed"),
    [("de", "STOPP", "START", "JA", "HILFE", "Bestaetigen"), ("es", "PARAR", "ALTA", "SÍ", "AYUDA", "si")],
)
def test_the_words_a_salons_texts_teach_are_the_words_it_reads(
    language: str, stop: str, start: str, confirm: str, help_: str, typed: str
) -> None:
    """What the texts tell a client to reply (the help answer, every reminder) is read back as that, in their
    language: no text teaches a word the salon would put in the inbox instead."""
    assert (keywords.stop_word(language), keywords.confirm_word(language)) == (stop, confirm)
    read = [keywords.action_of(word, language) for word in (stop, start, confirm, help_, typed)]
    assert read == ["stop", "start", "confirm", "help", "confirm"], "and a confirmation typed without its accent"
    taught = re.findall(r"\b[A-ZÄÖÜÍ]{2,}\b", locales.translations(language).gettext(inbound.HELP_TEXT))
    assert [keywords.action_of(word, language) for word in taught] == ["stop", "start"], taught
