"""Turns a delivery into the words sent: an email (text, HTML, .ics) or an SMS text."""

from __future__ import annotations

import binascii
import email.policy
import email.utils
import functools
import re
import secrets
from email.headerregistry import BaseHeader, HeaderRegistry

from booking import keywords, wording
from booking.locales import time_of_day, translations
from booking.wording import Details
from outbox.messages import SALON_HEADER
from worker.calendar import invitation
from worker.delivery import Delivery

_LONGEST_LINE = 998  # RFC 5322 2.1.1, without the CRLF
_FOLD_AT = 78  # RFC 5322 2.1.1: a header line longer than this is folded


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


# SMTP refuses CR or LF in any header value, so nothing a salon or client types can add a header.
_POLICY = email.policy.SMTP.clone(header_factory=_HeaderClasses(), refold_source="none")
_UTF8_POLICY = _POLICY.clone(utf8=True)


def _header(name: str, value: str, *, utf8: bool = False) -> bytes:
    """One header as the email package under the SMTP policy writes it (refusing CR/LF), as bytes.

    A short, plain ASCII value is written as it is, which is what the package would write, without the cost
    of parsing it (most of a message's headers, most of the time); the rest go through the package.
    """
    if (
        len(name) + 2 + len(value) <= _FOLD_AT
        and value.isascii()
        and value.isprintable()  # no CR, LF or tab
        and "=?" not in value  # would be read as an encoded word
        and "  " not in value
        and value == value.strip()
    ):
        return f"{name}: {value}\r\n".encode()
    return _folded(name, value, utf8)


@functools.lru_cache(maxsize=1024)
def _folded(name: str, value: str, utf8: bool) -> bytes:
    """A header parsed and folded by the email package; many repeat (sender, salon, client), so they are kept."""
    policy = _UTF8_POLICY if utf8 else _POLICY
    return policy.fold_binary(name, policy.header_store_parse(name, value)[1])


def _unfolded(name: str, value: str) -> bytes:
    """A header on one line however long (within RFC 5322's 998), as mail programs read a URL best; the
    policy checks it for CR and LF first, as it does every other header."""
    _POLICY.header_store_parse(name, value)
    return f"{name}: {value}\r\n".encode()


def message_id(job_id: object, sender: str) -> str:
    """One Message-ID per job, the same on every retry, so a resend is recognisable."""
    domain = _address(sender).rpartition("@")[2] or "salonbook"
    return f"<{job_id}.email@{domain}>"


@functools.lru_cache(maxsize=16)
def _address(sender: str) -> str:
    """The configured sender's bare address: parsed once, not per message."""
    return email.utils.parseaddr(sender)[1]


def details(delivery: Delivery) -> Details:
    """What the delivery's message says, written out in the client's language and the salon's ways."""
    starts = delivery.starts
    return Details(
        language=delivery.language,
        salon_name=delivery.salon_name,
        salon_address=delivery.salon_address,
        salon_phone=delivery.salon_phone_written,
        salon_email=delivery.salon_email,
        client_first_name=delivery.client_first_name,
        staff_name=delivery.staff_name or "",
        staff_first_name=delivery.staff_first_name or "",
        service=delivery.service_name or translations(delivery.language).gettext("your appointment"),
        when=delivery.local(starts),
        when_short=delivery.local(starts, long=False),  # SMS: every character counts
        previous_when=delivery.local(delivery.previous_start),
        previous_when_short=delivery.local(delivery.previous_start, long=False),
        time=time_of_day(starts, delivery.zone, delivery.salon_locale) if starts else "",
        confirm_word=keywords.confirm_word(delivery.language),  # what a reminder's text teaches
        manage_link=delivery.manage_link,
        offer_link=delivery.offer_link,
        unsubscribe_link=delivery.unsubscribe_link,
        review_link=delivery.review_url,
        appointment_page=delivery.appointment_page,
        payload=delivery.job.payload,  # what a notice not about an appointment says (an invitation's link)
    )


def render_email(delivery: Delivery, sender: str, *, utf8: bool = False, salon_header: bool = False) -> bytes:
    """The whole email for a delivery to the client's address, as the bytes to send.

    ``utf8`` writes addresses in UTF-8 (for an SMTPUTF8 session) instead of refusing them.
    ``salon_header`` names the salon in a header, for the built-in mail catcher only.

    The bytes are what the email package's generator writes for the MIME tree, but put together part by
    part: the parts' headers are folded once and kept, and only what differs per message is parsed.
    """
    written = details(delivery)
    own = delivery.own_words
    client = header_name(f"{delivery.client_first_name} {delivery.client_last_name}")
    headers = [
        _header("Subject", wording.subject(delivery.kind, written, own), utf8=utf8),
        _header("From", _sender_address(sender, delivery.salon_name), utf8=utf8),
        _header("To", email.utils.formataddr((client, delivery.client_email or "")), utf8=utf8),
    ]
    if delivery.salon_email:
        salon = email.utils.formataddr((header_name(delivery.salon_name), delivery.salon_email))
        headers.append(_header("Reply-To", salon, utf8=utf8))
    headers.append(_header("Date", email.utils.formatdate(localtime=False)))
    headers.append(_header("Message-ID", message_id(delivery.job.id, sender)))
    if delivery.unsubscribe_link:
        # RFC 2369 and RFC 8058: mail programs offer "unsubscribe", and POST there with one click.
        headers.append(_unfolded("List-Unsubscribe", f"<{delivery.unsubscribe_link}>"))
        headers.append(_header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))
    if salon_header:
        headers.append(_header(SALON_HEADER, str(delivery.job.salon_id)))
    headers.append(_header("MIME-Version", "1.0"))
    text, html = wording.email_texts(delivery.kind, written, own)
    texts = [_text_part("plain", text), _text_part("html", html)]
    ics = invitation(delivery, _sender(sender, delivery.salon_name) or ("", _address(sender)))
    if ics is None:
        body = _multipart("alternative", texts)
    else:
        calendar = _calendar_part(ics, delivery.kind.ics_method or "")
        body = _multipart("mixed", [_multipart("alternative", texts), calendar])
    return b"".join(headers) + body


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
def _sender(sender: str, salon_name: str) -> tuple[str, str] | None:
    """Who the email is from, (name, address): the configured sender's address under the salon's name (cleaned
    as any display name), so a client sees who wrote; the sender's own name when the salon has none. None
    unless the configured sender is one address."""
    parsed = email.utils.getaddresses([sender])
    if len(parsed) != 1 or "@" not in parsed[0][1]:
        return None
    name, address = parsed[0]
    return header_name(salon_name) or header_name(name), address


def _sender_address(sender: str, salon_name: str) -> str:
    """The From header's value: ``_sender``, or the configured sender as given."""
    who = _sender(sender, salon_name)
    return sender if who is None else email.utils.formataddr(who)


_BOUNDARY_SHAPE = "=_" + "0" * 32  # what every boundary looks like to the folding of its header
_LINE_END = re.compile(r"\r\n|\r|\n")  # what the generator reads as a line's end


def _multipart(subtype: str, parts: list[bytes]) -> bytes:
    """A multipart of ``parts``, headers and body, as the generator writes it.

    The boundary starts with "=_", which quoted-printable never writes, and is random
    otherwise: no 7bit text can guess it.
    """
    boundary = f"=_{secrets.token_hex(16)}".encode()
    head = _part_head(("Content-Type", f'multipart/{subtype}; boundary="{_BOUNDARY_SHAPE}"'))
    delimiter = b"\r\n--" + boundary + b"\r\n"
    closing = b"\r\n--" + boundary + b"--\r\n"
    return head.replace(_BOUNDARY_SHAPE.encode(), boundary) + delimiter[2:] + delimiter.join(parts) + closing


@functools.cache
def _part_head(*headers: tuple[str, str]) -> bytes:
    """A part's headers, folded once, and the blank line after them."""
    folded = (_POLICY.fold_binary(name, _POLICY.header_store_parse(name, value)[1]) for name, value in headers)
    return b"".join(folded) + b"\r\n"


def _text_part(subtype: str, text: str) -> bytes:
    return _body_part(("Content-Type", f'text/{subtype}; charset="utf-8"'), text=text)


def _calendar_part(ics: str, method: str) -> bytes:
    return _body_part(
        ("Content-Type", f'text/calendar; charset="utf-8"; method="{method}"'),
        ("Content-Disposition", 'attachment; filename="appointment.ics"'),
        text=ics,
    )


def _body_part(*headers: tuple[str, str], text: str) -> bytes:
    """7bit when the text allows it, else quoted-printable: the message stays 7-bit clean for any server."""
    if text.isascii() and max(map(len, text.splitlines()), default=0) <= _LONGEST_LINE:
        encoding, body = "7bit", text
    else:
        encoding, body = "quoted-printable", binascii.b2a_qp(text.encode(), istext=True).decode("ascii")
    head = _part_head(*headers, ("Content-Transfer-Encoding", encoding))
    return head + _LINE_END.sub("\r\n", body).encode("ascii")


def render_sms(delivery: Delivery) -> str:
    """A short text: salon, what, when in the salon's time (or the salon's own words)."""
    return wording.sms(delivery.kind, details(delivery), delivery.own_words)
