"""Turns a delivery into the words sent: an email (text, HTML, .ics) or an SMS text."""

from __future__ import annotations

import binascii
import email.policy
import email.utils
import functools
import io
import secrets
from email.generator import BytesGenerator
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage, MIMEPart
from pathlib import Path
from typing import Any

import jinja2

from booking.locales import time_of_day, translations
from outbox.messages import SALON_HEADER
from worker.calendar import invitation
from worker.delivery import Delivery

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@functools.cache
def _environment(language: str) -> jinja2.Environment:
    """The templates in one language: its catalogue is bound to the environment, so one per language."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html"], default_for_string=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    environment.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    return environment


_LONGEST_LINE = 998  # RFC 5322 2.1.1, without the CRLF


class _HeaderClasses(HeaderRegistry):
    """The stdlib registry builds a new class on every lookup (each header set asks twice); one per name is enough."""

    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        if key not in self._classes:
            self._classes[key] = super().__getitem__(name)
        return self._classes[key]


# SMTP refuses CR or LF in any header value, so nothing a salon or client types can add a header. Values
# set raw (``_set_unfolded``, checked first) are written as they are, on one line.
_POLICY = email.policy.SMTP.clone(header_factory=_HeaderClasses(), refold_source="none")
_UTF8_POLICY = _POLICY.clone(utf8=True)


@functools.lru_cache(maxsize=1024)
def _shared(name: str, value: str) -> BaseHeader:
    """A parsed header for a value that repeats (sender, salon, MIME boilerplate): parsing is most of a render's cost.

    Parsed by the policy as ``message[name] = value`` would be, so CR/LF is refused here too;
    header objects are immutable, so messages can share them.
    """
    header: BaseHeader = _POLICY.header_store_parse(name, value)[1]
    return header


def message_id(job_id: object, sender: str) -> str:
    """One Message-ID per job, the same on every retry, so a resend is recognisable."""
    domain = email.utils.parseaddr(sender)[1].rpartition("@")[2] or "salonbook"
    return f"<{job_id}.email@{domain}>"


def _context(delivery: Delivery) -> dict[str, Any]:
    starts = delivery.starts
    return {
        "salon": {
            "name": delivery.salon_name,
            "address": delivery.salon_address,
            "phone": delivery.salon_phone,
            "email": delivery.salon_email,
        },
        "client_name": delivery.client_first_name,
        "payload": delivery.job.payload,  # what a notice not about an appointment says (an invitation's link)
        "staff_name": delivery.staff_name or "",
        "service_name": delivery.service_name or translations(delivery.language).gettext("your appointment"),
        "language": delivery.language,
        "when": delivery.local(starts),
        "previous_when": delivery.local(delivery.previous_start),
        "when_short": delivery.local(starts, long=False),  # SMS: every character counts
        "previous_when_short": delivery.local(delivery.previous_start, long=False),
        "time": time_of_day(starts, delivery.zone, delivery.salon_locale) if starts else "",
        "manage_link": delivery.manage_link,
        "appointment_page": delivery.appointment_page,
    }


def render_email(delivery: Delivery, sender: str, *, utf8: bool = False, salon_header: bool = False) -> bytes:
    """The whole email for a delivery to the client's address, as the bytes to send.

    ``utf8`` writes addresses in UTF-8 (for an SMTPUTF8 session) instead of refusing them.
    ``salon_header`` names the salon in a header, for the built-in mail catcher only.
    """
    context = _context(delivery)
    message = EmailMessage(_POLICY)
    subject = translations(delivery.language).gettext(delivery.kind.subject)
    message["Subject"] = subject.format(salon=_one_line(delivery.salon_name), time=context["time"])
    message["From"] = _shared("From", _sender_address(sender, delivery.salon_name))
    client = header_name(f"{delivery.client_first_name} {delivery.client_last_name}")
    message["To"] = email.utils.formataddr((client, delivery.client_email or ""))
    if delivery.salon_email:
        salon = header_name(delivery.salon_name)
        message["Reply-To"] = _shared("Reply-To", email.utils.formataddr((salon, delivery.salon_email)))
    message["Date"] = email.utils.formatdate(localtime=False)
    message["Message-ID"] = message_id(delivery.job.id, sender)
    if delivery.unsubscribe_link:
        # RFC 2369 and RFC 8058: mail programs offer "unsubscribe", and POST there with one click.
        _set_unfolded(message, "List-Unsubscribe", f"<{delivery.unsubscribe_link}>")
        message["List-Unsubscribe-Post"] = _shared("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
    if salon_header:
        message[SALON_HEADER] = _shared(SALON_HEADER, str(delivery.job.salon_id))
    message["MIME-Version"] = _shared("MIME-Version", "1.0")
    texts = [
        _text_part("plain", _render(f"email/{delivery.kind.name}.txt", context)),
        _text_part("html", _render(f"email/{delivery.kind.name}.html", context)),
    ]
    organizer = delivery.salon_email or email.utils.parseaddr(sender)[1]
    ics = invitation(delivery, organizer)
    if ics is None:
        _multipart(message, "alternative", texts)
    else:
        _multipart(
            message,
            "mixed",
            [
                _multipart(MIMEPart(_POLICY), "alternative", texts),
                _calendar_part(ics, delivery.kind.ics_method or ""),
            ],
        )
    out = io.BytesIO()
    BytesGenerator(out, policy=_UTF8_POLICY if utf8 else _POLICY).flatten(message)
    return out.getvalue()


def _set_unfolded(message: EmailMessage, name: str, value: str) -> None:
    """A header on one line however long (within RFC 5322's 998), as mail programs read a URL best; the
    policy checks it for CR and LF first, as it does every other header."""
    _POLICY.header_store_parse(name, value)
    message.set_raw(name, value)


def _one_line(name: str) -> str:
    """A typed name as one line: a stray line break becomes a space instead of a refused header."""
    return " ".join(name.split())


# A display name with these can read as another address or a second recipient ('Ann, <boss@example.com>'), even
# quoted as the email package quotes it; a name loses nothing a person needs without them.
_NOT_IN_DISPLAY_NAMES = str.maketrans("", "", '"<>,')


def header_name(name: str) -> str:
    """A typed name as an address header's display name: one line, without quotes, angle brackets or commas."""
    return _one_line(name.translate(_NOT_IN_DISPLAY_NAMES))


@functools.lru_cache(maxsize=1024)
def _sender_address(sender: str, salon_name: str) -> str:
    """The configured sender's address under the salon's name (cleaned as any display name), so a client sees
    who wrote; the sender's own name when the salon has none; as given unless the sender is one address."""
    parsed = email.utils.getaddresses([sender])
    if len(parsed) != 1 or "@" not in parsed[0][1]:
        return sender
    name, address = parsed[0]
    return email.utils.formataddr((header_name(salon_name) or header_name(name), address))


def _render(template: str, context: dict[str, Any]) -> str:
    return _environment(context["language"]).get_template(template).render(context)


def _multipart(part: MIMEPart, subtype: str, parts: list[MIMEPart]) -> MIMEPart:
    """Makes ``part`` a multipart of ``parts``.

    The boundary starts with "=_", which quoted-printable never writes, and is random
    otherwise: no 7bit text can guess it. (The generator's own search costs a regex compile.)
    """
    part["Content-Type"] = f'multipart/{subtype}; boundary="=_{secrets.token_hex(16)}"'
    for child in parts:
        part.attach(child)
    return part


def _text_part(subtype: str, text: str) -> MIMEPart:
    part = MIMEPart(_POLICY)
    part["Content-Type"] = _shared("Content-Type", f'text/{subtype}; charset="utf-8"')
    _set_body(part, text)
    return part


def _calendar_part(ics: str, method: str) -> MIMEPart:
    part = MIMEPart(_POLICY)
    part["Content-Type"] = _shared("Content-Type", f'text/calendar; charset="utf-8"; method="{method}"')
    part["Content-Disposition"] = _shared("Content-Disposition", 'attachment; filename="appointment.ics"')
    _set_body(part, ics)
    return part


def _set_body(part: MIMEPart, text: str) -> None:
    """7bit when the text allows it, else quoted-printable: the message stays 7-bit clean for any server."""
    if text.isascii() and max(map(len, text.splitlines()), default=0) <= _LONGEST_LINE:
        part["Content-Transfer-Encoding"] = _shared("Content-Transfer-Encoding", "7bit")
        part.set_payload(text)
    else:
        part["Content-Transfer-Encoding"] = _shared("Content-Transfer-Encoding", "quoted-printable")
        part.set_payload(binascii.b2a_qp(text.encode(), istext=True).decode("ascii"))


def render_sms(delivery: Delivery) -> str:
    """A short text: salon, what, when in the salon's time."""
    return _render(f"sms/{delivery.kind.name}.txt", _context(delivery)).strip()
