"""Rendering a delivery into an email and an SMS, without a database or a mail server."""

from __future__ import annotations

import dataclasses
import email
import email.policy
from email.message import EmailMessage

import icalendar
import pytest

from booking.notice_types import TEAM_INVITE, TYPES
from tests.worker_fixtures import claimed_job, delivery_for
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


@pytest.mark.parametrize("kind", list(TYPES))
def test_every_type_renders_its_subject_templates_and_invitation(kind: str) -> None:
    job = claimed_job(kind)
    if kind == TEAM_INVITE.name:  # not about an appointment: its payload says what it needs
        job = dataclasses.replace(job, payload={"email": "new@example.com", "link": "https://x/i/1", "invited_by": "A"})
    message = parsed(render_email(delivery_for(job), SENDER))
    assert "Hair by Ann" in message["Subject"]
    methods = [part.get_param("method") for part in message.walk() if part.get_content_type() == "text/calendar"]
    assert methods == ([TYPES[kind].ics_method] if TYPES[kind].ics_method else [])
    assert "Hair by Ann" in render_sms(delivery_for(job))


def test_line_breaks_in_typed_names_stay_on_one_header_line() -> None:
    sneaky = dataclasses.replace(
        delivery_for(claimed_job()), salon_name="Ann\r\nBcc: victim@example.com", client_first_name="A\nB"
    )
    message = parsed(render_email(sneaky, SENDER))
    assert message["Bcc"] is None
    assert message["Subject"] == "Your appointment at Ann Bcc: victim@example.com is confirmed"


def test_an_sms_names_the_salon_service_and_local_time() -> None:
    text = render_sms(delivery_for(claimed_job("reminder_24h")))
    assert text == "Hair by Ann: see you tomorrow, Tue 7 May, 10:00 BST, for your Cut & colour."


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
        "From": [("Hair Head Office", "bookings@salonbook.test")],
        "To": [("Ann The Boss boss@example.com Bea", "ann@example.com")],
        "Reply-To": [("Cut Colour & Co", "desk@hair.example")],
    }
    assert not message.defects


def test_only_mail_for_the_outbox_names_its_salon() -> None:
    delivery = delivery_for(claimed_job())
    assert parsed(render_email(delivery, SENDER))["X-Salonbook-Salon"] is None
    assert parsed(render_email(delivery, SENDER, salon_header=True))["X-Salonbook-Salon"] == str(delivery.job.salon_id)
