"""Rendering a delivery into an email and an SMS, without a database or a mail server."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import email.policy
import uuid
from email.message import EmailMessage

import icalendar
import pytest

from booking import links, notifications
from booking.links import Links
from booking.notice_types import (
    BOOKING_CODE,
    CANCELLATION,
    MESSAGES,
    SALON_NOTICE,
    TEAM_INVITE,
    TEXT_REPLY,
    THANK_YOU,
    TYPES,
    WAITLIST_OFFER,
)
from jobqueue.claims import ClaimedJob
from jobqueue.queue import ONE_TIME
from tests.worker_fixtures import LATER, claimed_job, delivery_for
from worker import messages
from worker.delivery import held_until, stale_reason
from worker.messages import message_id, render_email, render_sms

SENDER = "Salonbook <bookings@salonbook.test>"


def parsed(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_a_confirmation_has_text_html_and_a_request_invitation() -> None:
    job = claimed_job("booking_confirmation")
    message = parsed(render_email(delivery_for(job), SENDER))
    assert message["Subject"] == "Your appointment at Hair by Ann is confirmed"
    assert message["To"] == "Ann Example <ann@example.com>"
    assert message["Reply-To"] == "Hair by Ann <desk@hair.example>"
    assert message["Message-ID"] == message_id(job.id, SENDER) == f"<{job.id}.email@salonbook.test>"
    assert not message.defects and all(not part.defects for part in message.walk())
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    assert "Tuesday, 7 May, 10:00 BST" in text.get_content()
    assert "Cut &amp; colour" in html.get_content(), "the HTML is escaped"
    [attachment] = list(message.iter_attachments())
    calendar = icalendar.Calendar.from_ical(attachment.get_content())
    assert str(calendar["METHOD"]) == "REQUEST"
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"{job.appointment_id}@salonbook"
    assert event.decoded("DTSTART").isoformat() == "2030-05-07T09:00:00+00:00"


def test_an_invitation_is_in_the_salons_language_and_organised_by_the_emails_sender() -> None:
    job = claimed_job("booking_confirmation")
    german = delivery_for(job, salon_name="Salon Müller", salon_locale="de-DE", service_name="Färben",
                          salon_phone="+49301234567")  # fmt: skip
    message = parsed(render_email(german, SENDER))
    [attachment] = list(message.iter_attachments())
    [event] = icalendar.Calendar.from_ical(attachment.get_content()).walk("VEVENT")
    assert (str(event["SUMMARY"]), str(event["DESCRIPTION"])) == ("Färben bei Salon Müller", "Mit Bea Cutter")
    [sender] = message["From"].addresses
    assert (str(event["ORGANIZER"]), event["ORGANIZER"].params["CN"]) == (
        f"mailto:{sender.addr_spec}",
        sender.display_name,
    )
    assert (sender.display_name, sender.addr_spec) == ("Salon Müller", "bookings@salonbook.test")
    assert "030 1234567" in message.get_body(("plain",)).get_content(), "the salon's phone as a German writes it"
    english = parsed(render_email(delivery_for(job), SENDER))
    [attachment] = list(english.iter_attachments())
    [event] = icalendar.Calendar.from_ical(attachment.get_content()).walk("VEVENT")
    assert (str(event["SUMMARY"]), str(event["DESCRIPTION"])) == ("Cut & colour at Hair by Ann", "With Bea Cutter")
    assert str(event["ORGANIZER"]) == "mailto:bookings@salonbook.test"


@pytest.mark.parametrize("kind", list(MESSAGES))
def test_every_type_renders_its_subject_templates_and_invitation(kind: str) -> None:
    job = claimed_job(kind)
    if not TYPES[kind].about_booking and kind not in (CANCELLATION.name, THANK_YOU.name):  # its payload says
        job = dataclasses.replace(job, appointment_id=None, client_id=None, payload=payload_of(kind, job))
    message = parsed(render_email(delivery_for(job), SENDER))
    assert "Hair by Ann" in message["Subject"]
    methods = [part.get_param("method") for part in message.walk() if part.get_content_type() == "text/calendar"]
    assert methods == ([TYPES[kind].ics_method] if TYPES[kind].ics_method else [])
    assert "Hair by Ann" in render_sms(delivery_for(job))


def payload_of(kind: str, job: ClaimedJob) -> dict[str, object]:
    """The payload a notice not about a client's appointment is queued with, made as the domain makes it."""
    start = dt.datetime.fromisoformat(job.payload["startTime"])
    if kind == TEAM_INVITE.name:
        return {"email": "new@example.com", "invited_by": "A", ONE_TIME: {"link": "https://x/i/1"}}
    if kind == SALON_NOTICE.name:
        notice = notifications.for_salon(
            "desk@hair.example", "moved", uuid.uuid4(), "Ann Example", start, LATER, start - dt.timedelta(hours=1)
        )
        return notice[0].payload
    if kind == TEXT_REPLY.name:
        return notifications.for_reply("+447400900123", "Yes, 3 pm is fine.", LATER).payload
    if kind == WAITLIST_OFFER.name:
        return notifications.for_offer(uuid.uuid4(), ("email", "sms"), LATER).payload
    assert kind == BOOKING_CODE.name, f"{kind}: which payload?"
    return notifications.for_code("Ann", "ann@example.com", None, "123456", 15, LATER).payload


def test_line_breaks_in_typed_names_stay_on_one_header_line() -> None:
    sneaky = dataclasses.replace(
        delivery_for(claimed_job()), salon_name="Ann\r\nBcc: victim@example.com", client_first_name="A\nB"
    )
    message = parsed(render_email(sneaky, SENDER))
    assert message["Bcc"] is None
    assert message["Subject"] == "Your appointment at Ann Bcc: victim@example.com is confirmed"


def test_an_sms_names_the_salon_service_and_local_time() -> None:
    text = render_sms(delivery_for(claimed_job("reminder_24h")))
    assert text == "Hair by Ann: see you tomorrow, Tue 7 May, 10:00 BST, for your Cut & colour. Reply YES to confirm."


def test_names_in_address_headers_lose_quotes_brackets_and_commas() -> None:
    """Else 'Ann, <boss@example.com>' reads as two recipients, or as another address, in a mail reader."""
    posing = dataclasses.replace(
        delivery_for(claimed_job()),
        client_first_name='Ann "The Boss"',
        client_last_name="<boss@example.com>,\r\nBea",
        salon_name='Cut, "Colour" <&> Co',
    )
    message = parsed(render_email(posing, r'"Hair, \"Head\" <Office>" <bookings@salonbook.test>'))
    headers = {name: message[name].addresses for name in ("From", "To", "Reply-To")}
    assert {name: [(a.display_name, a.addr_spec) for a in found] for name, found in headers.items()} == {
        "From": [("Cut Colour & Co", "bookings@salonbook.test")],
        "To": [("Ann The Boss boss@example.com Bea", "ann@example.com")],
        "Reply-To": [("Cut Colour & Co", "desk@hair.example")],
    }
    assert not message.defects
    nameless = dataclasses.replace(posing, salon_name='"<,>"')  # nothing of the salon's name is left: the sender's
    message = parsed(render_email(nameless, r'"Hair, \"Head\" <Office>" <bookings@salonbook.test>'))
    assert [(a.display_name, a.addr_spec) for a in message["From"].addresses] == [
        ("Hair Head Office", "bookings@salonbook.test")
    ]


def test_only_mail_for_the_outbox_names_its_salon() -> None:
    delivery = delivery_for(claimed_job())
    assert parsed(render_email(delivery, SENDER))["X-Salonbook-Salon"] is None
    assert parsed(render_email(delivery, SENDER, salon_header=True))["X-Salonbook-Salon"] == str(delivery.job.salon_id)


LINKS = Links("https://book.hair.example", "test-link-secret")


def text_of(message: EmailMessage, subtype: str) -> str:
    part = message.get_body((subtype,))
    assert part is not None
    return str(part.get_content())


@pytest.mark.parametrize("kind", [kind for kind in TYPES.values() if kind.manage_link])
def test_a_booked_appointments_notices_carry_its_manage_link(kind) -> None:
    job = claimed_job(kind.name)
    delivery = delivery_for(job, links=LINKS)
    link = delivery.manage_link
    assert link and link.startswith("https://book.hair.example/m/")
    assert links.read("manage", link.rsplit("/", 1)[1], LINKS.secret) == job.appointment_id
    message = parsed(render_email(delivery, SENDER))
    assert link in text_of(message, "plain") and f'href="{link}"' in text_of(message, "html")
    assert render_sms(delivery).endswith(f"Confirm, move or cancel: {link}")


def test_a_cancellation_gives_no_manage_link() -> None:
    delivery = delivery_for(claimed_job(CANCELLATION.name), links=LINKS)
    assert delivery.manage_link is None and "/m/" not in render_sms(delivery)


def gsm_segments(text: str) -> int:
    """Segments of a GSM-7 text: 160 characters alone, 153 each when split (no character here takes two)."""
    return 1 if len(text) <= 160 else -(-len(text) // 153)


@pytest.mark.parametrize("kind", [kind for kind in TYPES.values() if kind.manage_link])
def test_a_text_with_its_link_fits_two_segments_with_long_names(kind) -> None:
    long = delivery_for(
        claimed_job(kind.name),
        links=Links("https://bookings.hair-and-beauty-by-annabel.example", "s"),
        salon_name="Hair & Beauty by Annabel",
        service_name="Full head highlights and blow-dry",
        staff_first_name="Maximiliane",
    )
    text = render_sms(long)
    assert text.isascii() and gsm_segments(text) <= 2, (len(text), text)


def test_the_salons_notice_says_who_moved_what_and_links_the_front_desk_page() -> None:
    job = claimed_job(SALON_NOTICE.name)
    job = dataclasses.replace(job, appointment_id=None, client_id=None, payload=payload_of(SALON_NOTICE.name, job))
    message = parsed(render_email(delivery_for(job, links=LINKS), SENDER))
    text = text_of(message, "plain")
    assert "Ann Example moved their appointment from Tuesday, 7 May, 09:00 BST to Tuesday, 7 May, 10:00 BST." in text
    assert f"https://book.hair.example/appointments/{job.payload['appointmentId']}" in text


@pytest.mark.parametrize(
    ("locale", "subject", "says", "sms"),
    [
        ("de-DE", "Salon Sol lädt Sie an seinen Empfang bei Salonbook ein", "A lädt Sie an den Empfang von Salon Sol",
         "A lädt Sie an den Empfang von Salon Sol ein: https://x/i/1"),
        ("es-ES", "Salon Sol te invita a su recepción en Salonbook", "A te invita a la recepción de Salon Sol",
         "A te invita a la recepción de Salon Sol: https://x/i/1"),
    ],
)  # fmt: skip
def test_a_team_invitation_is_in_the_salons_language(locale: str, subject: str, says: str, sms: str) -> None:
    job = claimed_job(TEAM_INVITE.name)
    job = dataclasses.replace(job, appointment_id=None, client_id=None, payload=payload_of(TEAM_INVITE.name, job))
    delivery = delivery_for(job, salon_name="Salon Sol", salon_locale=locale)
    message = parsed(render_email(delivery, SENDER))
    assert message["Subject"] == subject
    text, html = text_of(message, "plain"), text_of(message, "html")
    assert says in text and says in html and "https://x/i/1" in text and 'href="https://x/i/1"' in html
    assert "invites" not in text + html and f'<html lang="{locale[:2]}">' in html, "no English left"
    assert render_sms(delivery).strip() == sms


def test_a_booking_code_goes_by_email_else_by_text_and_says_how_long_it_works() -> None:
    by_email = notifications.for_code("Ann", "ann@example.com", "+447400900123", "042917", 15, LATER)
    by_text = notifications.for_code("Ann", None, "+447400900123", "042917", 15, LATER)
    assert (by_email.channels, by_text.channels) == (("email",), ("sms",))
    assert by_email.run_at < LATER, "ahead of the jobs due now"
    job = dataclasses.replace(
        claimed_job(BOOKING_CODE.name), appointment_id=None, client_id=None, payload=by_text.payload
    )
    delivery = delivery_for(job, client_email=None, client_phone="+447400900123")
    assert render_sms(delivery) == "Hair by Ann: your booking code is 042917. It works for 15 minutes."


def test_a_code_queued_before_its_payload_said_what_it_proves_reads_as_a_bookings() -> None:
    made = notifications.for_code("Ann", "ann@example.com", None, "042917", 15, LATER)
    assert made.payload["proves"] == "booking"
    older = {key: value for key, value in made.payload.items() if key != "proves"}
    job = dataclasses.replace(claimed_job(BOOKING_CODE.name), appointment_id=None, client_id=None, payload=older)
    message = parsed(render_email(delivery_for(job), SENDER))
    assert message["Subject"] == "Your booking code for Hair by Ann"
    assert "To finish your booking at Hair by Ann" in text_of(message, "plain")


def test_an_email_is_from_the_salon_by_name_and_replies_go_to_the_salon() -> None:
    message = parsed(render_email(delivery_for(claimed_job()), "Salonbook <bookings@salonbook.test>"))
    [sender] = message["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("Hair by Ann", "bookings@salonbook.test")
    assert message["Reply-To"] == "Hair by Ann <desk@hair.example>"


@pytest.mark.parametrize("kind", [kind for kind in TYPES.values() if kind.about_booking or kind == CANCELLATION])
def test_every_email_to_a_client_offers_one_click_unsubscribe(kind) -> None:
    job = claimed_job(kind.name)
    message = parsed(render_email(delivery_for(job, links=LINKS), SENDER))
    link = message["List-Unsubscribe"]
    assert link.startswith("<https://book.hair.example/u/") and link.endswith(">"), link
    assert links.read("unsubscribe", link[1:-1].rsplit("/", 1)[1], LINKS.secret) == job.client_id
    assert links.read("manage", link[1:-1].rsplit("/", 1)[1], LINKS.secret) is None, "a token is for one purpose"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


@pytest.mark.parametrize("kind", [TEAM_INVITE, SALON_NOTICE, BOOKING_CODE])
def test_an_email_to_someone_who_is_not_a_client_has_nothing_to_unsubscribe_from(kind) -> None:
    job = claimed_job(kind.name)
    job = dataclasses.replace(job, appointment_id=None, client_id=None, payload=payload_of(kind.name, job))
    message = parsed(render_email(delivery_for(job, links=LINKS), SENDER))
    assert message["List-Unsubscribe"] is None and message["List-Unsubscribe-Post"] is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("Subject", "Your appointment at Hair by Ann is confirmed"),
        ("Subject", "Hair by Ann: a client changed an appointment"),
        ("To", "Ann Example <ann@example.com>"),
        ("To", '"Ann O. Example" <ann@example.com>'),
        ("From", "Hair by Ann <bookings@salonbook.test>"),
        ("Date", "Sat, 28 Nov 2026 19:00:00 -0000"),
        ("Message-ID", "<00000000-0000-0000-0000-000000000001.email@salonbook.test>"),
        ("MIME-Version", "1.0"),
        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
    ],
)
def test_a_short_plain_header_written_as_it_is_reads_as_the_email_package_writes_it(name: str, value: str) -> None:
    assert messages._header(name, value) == messages._folded(name, value, False)


def test_an_invitation_keeps_what_was_typed_with_commas_semicolons_and_long_lines() -> None:
    address = "Flat 2; 10, Rue de l'Église\\Bath\n" * 3
    delivery = delivery_for(claimed_job(), salon_address=address, salon_name='Chez "Zoë", coiffure: ouvert')
    message = parsed(render_email(delivery, SENDER))
    [attachment] = list(message.iter_attachments())
    [event] = icalendar.Calendar.from_ical(attachment.get_content()).walk("VEVENT")
    assert str(event["LOCATION"]) == address
    assert event["ORGANIZER"].params["CN"] == "Chez Zoë coiffure: ouvert", "the From's name, as cleaned there"
    assert str(event["SUMMARY"]) == 'Cut & colour at Chez "Zoë", coiffure: ouvert'


def an_offer(**facts: object):
    """A waitlist offer of Bea's 10:00 tomorrow (as the claim reads it: the offer's time, no appointment)."""
    offer_id = uuid.uuid4()
    job = dataclasses.replace(
        claimed_job(WAITLIST_OFFER.name), appointment_id=None,
        payload=notifications.for_offer(offer_id, ("email", "sms"), LATER).payload,
    )  # fmt: skip
    start = LATER + dt.timedelta(days=1)
    values = {"appointment_status": None, "start_time": start, "end_time": start + dt.timedelta(minutes=45),
              "appointment_created_at": None, "waitlist_status": "waiting", "offer_still_free": True,
              "online_min_notice_minutes": 120}  # fmt: skip
    return offer_id, delivery_for(job, links=LINKS, **(values | facts))


def test_an_offer_gives_the_time_and_its_claim_link_in_english_and_german() -> None:
    offer_id, english = an_offer()
    link = english.offer_link
    assert link and links.read("offer", link.rsplit("/", 1)[1], LINKS.secret) == offer_id
    message = parsed(render_email(english, SENDER))
    assert message["Subject"] == "A time at Hair by Ann is free: 10:00"
    assert "Tuesday, 7 May, 10:00 BST" in text_of(message, "plain") and link in text_of(message, "plain")
    assert f'href="{link}"' in text_of(message, "html") and "/m/" not in text_of(message, "plain")
    assert not list(message.iter_attachments()), "an offer is no appointment yet: no invitation"
    assert render_sms(english) == (
        f"Hair by Ann: a time is free for your Cut & colour, Tue 7 May, 10:00 BST. First to claim it gets it: {link}"
    )
    _, german = an_offer(salon_name="Salon Müller", salon_locale="de-DE", service_name="Färben")
    message = parsed(render_email(german, SENDER))
    assert message["Subject"] == "Ein Termin bei Salon Müller ist frei: 10:00"
    assert "Wer ihn zuerst nimmt, bekommt ihn." in text_of(message, "plain")
    assert render_sms(german).startswith("Salon Müller: Ein Termin für Ihr Färben ist frei, ")


def test_an_offer_is_not_sent_for_a_time_taken_again_inside_the_notice_or_to_a_client_who_left() -> None:
    _, free = an_offer()
    assert stale_reason(free, LATER) is None
    assert stale_reason(an_offer(offer_still_free=False)[1], LATER) == "the time was taken again"
    assert stale_reason(an_offer(waitlist_status="left")[1], LATER) == "the client is no longer on the waitlist (left)"
    late = LATER + dt.timedelta(days=1) - dt.timedelta(minutes=119)
    assert stale_reason(free, late) == "the time is inside the salon's minimum notice now"


def test_an_offer_due_at_night_waits_for_the_end_of_quiet_hours_or_is_not_sent() -> None:
    quiet = {"quiet_start": dt.time(21), "quiet_end": dt.time(8)}
    _, offer = an_offer(**quiet)
    night = dt.datetime(2030, 5, 6, 22, tzinfo=dt.UTC)  # 23:00 in Bath, the offer at 10:00 the next morning
    offer = dataclasses.replace(offer, start_time=dt.datetime(2030, 5, 7, 9, tzinfo=dt.UTC))
    assert stale_reason(offer, night) is None
    assert held_until(offer, night) == dt.datetime(2030, 5, 7, 7, tzinfo=dt.UTC), "08:00 in Bath"
    early = dataclasses.replace(offer, start_time=dt.datetime(2030, 5, 7, 7, 15, tzinfo=dt.UTC))
    assert stale_reason(dataclasses.replace(early, online_min_notice_minutes=0), night).startswith("quiet hours")


def test_an_offers_text_with_its_link_fits_two_segments_with_long_names() -> None:
    _, long = an_offer(salon_name="Hair & Beauty by Annabel", service_name="Full head highlights and blow-dry",
                       staff_first_name="Maximiliane")  # fmt: skip
    long = dataclasses.replace(long, links=Links("https://bookings.hair-and-beauty-by-annabel.example", "s"))
    text = render_sms(long)
    assert text.isascii() and gsm_segments(text) <= 2, (len(text), text)
