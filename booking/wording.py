"""The words of a message: the product's (its templates) or the salon's own (booking.own_words), for one notice.

The worker writes every message through here, and the settings page's preview writes a sample appointment's
through the same functions, so a preview is what a client would receive. The salon's own text is filled with
plain values (never read again, so a client named "{salon_name}" stays so named) and its HTML is made from the
text, escaped, inside the product's layout. What the salon's text leaves out and a client must have is added:
the manage link, the way to turn reminders off, and in a reminder's text the word that confirms.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import markupsafe

from booking import keywords, own_words
from booking.links import Links
from booking.locales import OFFERED, phone_number, territory, time_of_day, translations, wall_clock
from booking.locales import language as language_of
from booking.models import Salon
from booking.notice_types import NoticeType
from booking.own_words import OwnWords
from booking.rendering import templates


@dataclass(frozen=True)
class Details:
    """One message's facts as a client reads them, written out in the salon's language and ways."""

    language: str
    salon_name: str
    salon_address: str
    salon_phone: str  # as the salon's clients write it
    salon_email: str
    client_first_name: str
    staff_name: str  # first and last
    staff_first_name: str
    service: str
    when: str  # spelt out, for emails
    when_short: str  # for texts
    previous_when: str
    previous_when_short: str
    time: str  # the time of day alone
    confirm_word: str
    manage_link: str | None = None
    offer_link: str | None = None  # a waitlist offer's: claim the time, or leave the list
    unsubscribe_link: str | None = None
    review_link: str = ""
    appointment_page: str | None = None  # a notice to the salon: the front desk's page of the appointment
    payload: Mapping[str, Any] = field(default_factory=dict)  # what a notice not about an appointment says

    def template_context(self) -> dict[str, Any]:
        """What the product's templates read."""
        return {
            "salon": {"name": self.salon_name, "address": self.salon_address, "phone": self.salon_phone,
                      "email": self.salon_email},
            "client_name": self.client_first_name,
            "payload": self.payload,
            "staff_name": self.staff_name,
            "service_name": self.service,
            "language": self.language,
            "when": self.when,
            "previous_when": self.previous_when,
            "when_short": self.when_short,
            "previous_when_short": self.previous_when_short,
            "time": self.time,
            "manage_link": self.manage_link,
            "offer_link": self.offer_link,
            "confirm_word": self.confirm_word,
            "appointment_page": self.appointment_page,
            "review_link": self.review_link,
        }  # fmt: skip

    def values(self, *, short: bool) -> dict[str, str]:
        """What each placeholder of a salon's text stands for; ``short``: a text's (SMS) way of writing times."""
        return {
            "client_first_name": self.client_first_name,
            "salon_name": self.salon_name,
            "salon_phone": self.salon_phone,
            "salon_address": self.salon_address,
            "service": self.service,
            "staff_first_name": self.staff_first_name,
            "when": self.when_short if short else self.when,
            "previous_when": self.previous_when_short if short else self.previous_when,
            "manage_link": self.manage_link or "",
            "confirm_word": self.confirm_word,
            "review_link": self.review_link,
            "unsubscribe_link": self.unsubscribe_link or "",
        }


def _render(template: str, context: dict[str, Any]) -> str:
    return templates(context["language"], messages=True).get_template(template).render(context)


def _one_line(text: str) -> str:
    """Typed text on one line: a stray line break becomes a space instead of a refused header."""
    return " ".join(text.split())


# --- the email ---------------------------------------------------------------------------------------------


def subject(kind: NoticeType, details: Details, own: OwnWords) -> str:
    """The email's subject: the salon's, filled, else the product's, in the client's language; one line."""
    if own.subject is not None:
        values = {name: _one_line(value) for name, value in details.values(short=True).items()}
        return _one_line(_fill(own_words.parse(own.subject, "subject"), values))
    words = translations(details.language).gettext(kind.subject_for(details.payload))
    return words.format(salon=_one_line(details.salon_name), time=details.time, when=details.when_short)


def email_texts(kind: NoticeType, details: Details, own: OwnWords) -> tuple[str, str]:
    """The email's text and HTML: the salon's text (with what it leaves out added), else the product's."""
    context = details.template_context()
    if own.text is None:
        return _render(f"email/{kind.name}.txt", context), _render(f"email/{kind.name}.html", context)
    pieces = _pieces(own_words.parse(own.text), details.values(short=False))
    used = own_words.placeholders_in(own_words.parse(own.text))
    gettext = translations(details.language).gettext
    if kind.manage_link and details.manage_link and "manage_link" not in used:
        pieces += [("\n\n" + gettext("Confirm, move or cancel it here:") + "\n", False), (details.manage_link, True)]
    if details.unsubscribe_link and "unsubscribe_link" not in used:
        off = gettext("To get no more reminders from us:")
        pieces += [("\n\n" + off + "\n", False), (details.unsubscribe_link, True)]
    text = "".join(piece for piece, _ in pieces)
    html = _render("email/own.html", context | {"body": _html(pieces)})
    return text, html


def _fill(parsed: own_words.Parsed, values: Mapping[str, str]) -> str:
    return "".join(literal + (values[name] if name else "") for literal, name in parsed)


def _pieces(parsed: own_words.Parsed, values: Mapping[str, str]) -> list[tuple[str, bool]]:
    """The filled text as pieces, each marked whether it is a link (a link placeholder's value)."""
    pieces: list[tuple[str, bool]] = []
    for literal, name in parsed:
        pieces.append((literal, False))
        if name:
            pieces.append((values[name], name in own_words.LINKS and bool(values[name])))
    return pieces


_BLANK_LINE = re.compile(r"\n[ \t]+\n")  # a line of spaces between paragraphs is a paragraph break


def _html(pieces: list[tuple[str, bool]]) -> markupsafe.Markup:
    """The text as HTML paragraphs, every piece escaped and links made links: nothing typed becomes markup."""
    link = markupsafe.Markup('<a href="{0}">{0}</a>')
    body = markupsafe.Markup("").join(
        link.format(piece) if is_link else _BLANK_LINE.sub("\n\n", piece) for piece, is_link in pieces
    )
    paragraph = markupsafe.Markup("<p>{}</p>\n")
    return markupsafe.Markup("").join(
        paragraph.format(part.strip().replace("\n", markupsafe.Markup("<br>\n")))
        for part in body.split("\n\n")
        if part.strip()
    )


# --- the text (SMS) ----------------------------------------------------------------------------------------


def sms(kind: NoticeType, details: Details, own: OwnWords) -> str:
    """The text message: the salon's (with what it leaves out added), else the product's."""
    if own.sms is None:
        return _render(f"sms/{kind.name}.txt", details.template_context()).strip()
    parsed = own_words.parse(own.sms, "sms")
    used = own_words.placeholders_in(parsed)
    text = _fill(parsed, details.values(short=True)).strip()
    gettext = translations(details.language).gettext
    words = re.findall(r"\w+", text.upper())
    if kind.is_reminder and "confirm_word" not in used and details.confirm_word not in words:
        text += " " + gettext("Reply %(word)s to confirm.") % {"word": details.confirm_word}
    if kind.manage_link and details.manage_link and "manage_link" not in used:
        text += " " + gettext("Confirm, move or cancel:") + " " + details.manage_link
    stop = keywords.stop_word(details.language)
    if stop not in words:
        text += " " + gettext("Reply %(word)s to get no more texts.") % {"word": stop}
    return text


# GSM 03.38: the basic set, and the extension set (each of those two characters long: an escape and the character)
_GSM = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENSION = frozenset("\f^{}\\[~]|€")


@dataclass(frozen=True)
class Segments:
    encoding: str  # GSM-7, or UCS-2 when any character is outside GSM 03.38
    count: int  # how many texts a phone receives (and the provider charges)


def sms_segments(text: str) -> Segments:
    """How many texts ``text`` takes: GSM-7 fits 160 characters in one, 153 in each part of a longer one (the
    extension set's characters count twice); anything else is UCS-2: 70 in one, 67 per part, counted in UTF-16
    units (an emoji is two)."""
    if all(char in _GSM or char in _GSM_EXTENSION for char in text):
        units = len(text) + sum(char in _GSM_EXTENSION for char in text)
        single, part, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, part, encoding = 70, 67, "UCS-2"
    if units == 0:
        return Segments(encoding, 0)
    return Segments(encoding, 1 if units <= single else math.ceil(units / part))


# --- the preview -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    """A notice as a client would receive it, for a sample appointment."""

    subject: str
    text: str
    html: str
    sms: str
    sms_segments: int
    sms_encoding: str


SAMPLE_CLIENT, SAMPLE_STAFF, SAMPLE_SERVICE = "Ann", ("Bea", "Cutter"), "Cut & colour"
SAMPLE_ID = uuid.UUID(int=0)  # the sample's links name no appointment or client: they answer 404


def sample(salon: Salon, kind: NoticeType, language: str, links: Links, now: dt.datetime) -> Details:
    """A sample appointment a week ahead at 10:00 on the salon's clock (moved from 09:00), written in
    ``language``: the salon's own ways when it speaks it, else that language's usual ones."""
    locale = salon.locale
    if language_of(locale) != language:  # the first locale of that language the product offers
        locale = next((offered for offered in OFFERED if language_of(offered) == language), "en-GB")
    zone = salon.zone
    day = now.astimezone(zone).date() + dt.timedelta(days=7)
    starts = dt.datetime.combine(day, dt.time(10), zone)
    before = starts - dt.timedelta(hours=1)
    return Details(
        language=language,
        salon_name=salon.name,
        salon_address=salon.address,
        salon_phone=phone_number(salon.phone, territory(locale) or salon.country) if salon.phone else "",
        salon_email=salon.email,
        client_first_name=SAMPLE_CLIENT,
        staff_name=" ".join(SAMPLE_STAFF),
        staff_first_name=SAMPLE_STAFF[0],
        service=SAMPLE_SERVICE,
        when=wall_clock(starts, zone, locale, long=True),
        when_short=wall_clock(starts, zone, locale),
        previous_when=wall_clock(before, zone, locale, long=True),
        previous_when_short=wall_clock(before, zone, locale),
        time=time_of_day(starts, zone, locale),
        confirm_word=keywords.confirm_word(language),
        manage_link=links.manage(SAMPLE_ID) if kind.manage_link else None,
        unsubscribe_link=links.unsubscribe(SAMPLE_ID),
        review_link=salon.thank_you.review_url,
    )


def preview(kind: NoticeType, details: Details, own: OwnWords) -> Preview:
    """The notice written with ``own`` words (or the product's where a part is None)."""
    text, html = email_texts(kind, details, own)
    texted = sms(kind, details, own)
    segments = sms_segments(texted)
    return Preview(subject(kind, details, own), text, html, texted, segments.count, segments.encoding)
