"""Turns a delivery into the words sent: an email (text, HTML, .ics) or an SMS text."""

from __future__ import annotations

import email.utils
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import jinja2

from outbox.catcher import SALON_HEADER
from worker.calendar import calendar_method, invitation
from worker.delivery import Delivery

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "email"

_environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=jinja2.select_autoescape(["html"], default_for_string=False),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)

_SUBJECTS = {
    "booking_confirmation": "Your appointment at {salon} is confirmed",
    "reminder_24h": "Reminder: your appointment at {salon} is tomorrow",
    "reminder_2h": "Reminder: your appointment at {salon} is today at {time}",
    "cancellation": "Your appointment at {salon} is cancelled",
    "rescheduled": "Your appointment at {salon} has moved",
}

_SMS = {
    "booking_confirmation": "{salon}: your {service} with {staff} is booked for {when}.",
    "reminder_24h": "{salon}: see you tomorrow, {when}, for your {service}.",
    "reminder_2h": "{salon}: see you today, {when}, for your {service}.",
    "cancellation": "{salon}: your {service} on {when} is cancelled.",
    "rescheduled": "{salon}: your {service} has moved to {when} (was {previous}).",
}


def message_id(job_id: object, sender: str) -> str:
    """One Message-ID per job, the same on every retry, so a resend is recognisable."""
    domain = email.utils.parseaddr(sender)[1].rpartition("@")[2] or "salonbook"
    return f"<{job_id}.email@{domain}>"


def _context(delivery: Delivery) -> dict[str, Any]:
    starts = delivery.starts
    return {
        "type": delivery.job.type,
        "salon": {"name": delivery.salon_name, "address": delivery.salon_address,
                  "phone": delivery.salon_phone, "email": delivery.salon_email},
        "client_name": delivery.client_first_name,
        "staff_name": delivery.staff_name or "",
        "service_name": delivery.service_name or "your appointment",
        "when": delivery.local(starts),
        "previous_when": delivery.local(delivery.previous_start),
        "time": f"{starts.astimezone(delivery.zone):%H:%M}" if starts else "",
    }


def render_email(delivery: Delivery, sender: str) -> EmailMessage:
    """The whole email for a delivery to the client's address."""
    context = _context(delivery)
    message = EmailMessage()
    message["Subject"] = _SUBJECTS[delivery.job.type].format(salon=delivery.salon_name, time=context["time"])
    message["From"] = sender
    message["To"] = email.utils.formataddr(
        (f"{delivery.client_first_name} {delivery.client_last_name}".strip(), delivery.client_email or "")
    )
    if delivery.salon_email:
        message["Reply-To"] = email.utils.formataddr((delivery.salon_name, delivery.salon_email))
    message["Date"] = email.utils.formatdate(localtime=False)
    message["Message-ID"] = message_id(delivery.job.id, sender)
    message[SALON_HEADER] = str(delivery.job.salon_id)
    message.set_content(_environment.get_template(f"{delivery.job.type}.txt").render(context))
    message.add_alternative(_environment.get_template(f"{delivery.job.type}.html").render(context), subtype="html")
    organizer = delivery.salon_email or email.utils.parseaddr(sender)[1]
    ics = invitation(delivery, organizer)
    if ics is not None:
        message.add_attachment(
            ics, subtype="calendar", filename="appointment.ics",
            params={"method": calendar_method(delivery.job.type)},
        )
    return message


def render_sms(delivery: Delivery) -> str:
    """A short text: salon, what, when in the salon's time."""
    context = _context(delivery)
    return _SMS[delivery.job.type].format(
        salon=delivery.salon_name, service=context["service_name"], staff=context["staff_name"],
        when=context["when"], previous=context["previous_when"],
    )
