"""A salon's own words for its notices: read, checked, saved and reset. All SQL for ``salon_messages``.

A text is plain words with placeholders from a fixed list (``{client_first_name}``, ``{when}`` …): no template
language, no attribute access, no format specs. ``parse`` reads a text into literal runs and placeholder names
once; ``booking.wording`` fills them with values inserted as text, never read again.
"""

from __future__ import annotations

import functools
import re
import uuid
from dataclasses import dataclass

from booking import fields
from booking.errors import Field, Invalid, NotFound
from booking.locales import SPOKEN
from booking.notice_types import EDITABLE, N_
from db import Database
from db.rows import reader

# What a placeholder stands for, as the settings page explains it (marked: translated where shown). Every
# placeholder means something in every notice: one not about that notice (a review link in a reminder) is blank.
PLACEHOLDERS: dict[str, str] = {
    "client_first_name": N_("the client's first name"),
    "salon_name": N_("the salon's name"),
    "salon_phone": N_("the salon's phone"),
    "salon_address": N_("the salon's address"),
    "service": N_("the service booked"),
    "staff_first_name": N_("who does it"),
    "when": N_("the day and time, on the salon's clock"),
    "previous_when": N_("the time it was moved from (in a notice of a move)"),
    "manage_link": N_("the client's link to confirm, move or cancel"),
    "confirm_word": N_("the word a client texts to confirm (YES, JA)"),
    "review_link": N_("the salon's review link (in a thank-you)"),
    "unsubscribe_link": N_("the client's link to turn reminders off (emails)"),
}
LINKS = frozenset({"manage_link", "review_link", "unsubscribe_link"})  # made into links in an email's HTML

MAX_SUBJECT = 200
MAX_TEXT = 5000
MAX_SMS = 1000  # characters: about seven texts

Parsed = tuple[tuple[str, str], ...]  # (literal text, then a placeholder's name or "" at the end), in order

_BRACES = re.compile(r"\{([^{}]*)\}|[{}]")


@functools.lru_cache(maxsize=4096)  # a salon's few texts, read for every message sent
def parse(text: str, field: Field = "text") -> Parsed:
    """A text as literal runs each followed by a placeholder's name; Invalid naming ``field`` and the culprit for
    an unknown placeholder or a brace that opens or closes none (``{{``, ``{0}``, ``{salon_name.__class__}``)."""
    pieces: list[tuple[str, str]] = []
    at = 0
    for match in _BRACES.finditer(text):
        name = match.group(1)
        if name is None:
            raise Invalid(
                "{field} has a lone {brace}: placeholders are written like {salon_name}",
                field,
                brace=repr(match.group()),
            )
        if name not in PLACEHOLDERS:
            known = ", ".join(f"{{{known}}}" for known in PLACEHOLDERS)
            raise Invalid(
                "{field} has an unknown placeholder {name}; the placeholders are {known}",
                field,
                name=repr(name),
                known=known,
            )
        pieces.append((text[at : match.start()], name))
        at = match.end()
    pieces.append((text[at:], ""))
    return tuple(pieces)


def placeholders_in(parsed: Parsed) -> set[str]:
    return {name for _, name in parsed if name}


@dataclass(frozen=True)
class OwnWords:
    """A salon's words for one notice in one language; a part left None keeps the product's wording."""

    subject: str | None = None
    text: str | None = None  # the email's text; its HTML is made from it inside the product's layout
    sms: str | None = None

    @property
    def empty(self) -> bool:
        return self.subject is None and self.text is None and self.sms is None


_read = reader(OwnWords)


@dataclass(frozen=True)
class Worded:
    """The salon's words for one notice in one language, named: a row of the salon's export."""

    type: str
    language: str
    subject: str | None
    text: str | None
    sms: str | None

    @property
    def id(self) -> str:
        """What names the row, as every row of an export has it: its notice and language."""
        return f"{self.type}/{self.language}"


_read_worded = reader(Worded)


def checked(words: OwnWords) -> OwnWords:
    """The words as they will be kept, every error at once: no part blank, every placeholder known, the
    subject on one line (no header can be added through it), none too long."""
    checks = fields.Checks()
    parts = {
        "subject": checks(_part, words.subject, "subject", MAX_SUBJECT),
        "text": checks(_part, words.text, "text", MAX_TEXT),
        "sms": checks(_part, words.sms, "sms", MAX_SMS),
    }
    if words.subject is not None and re.search(r"[\r\n\x00-\x1f\x7f\u2028\u2029\x85]", words.subject):
        checks.errors.append(Invalid("{field} must be one line, without control characters", "subject"))
    checks.done()
    return OwnWords(**parts)


def _part(value: str | None, field: str, most: int) -> str | None:
    if value is None:
        return None
    if not value.strip():
        raise Invalid("{field} is empty: write the words, or give null to keep the product's", field)
    if len(value) > most:
        raise Invalid("{field} is longer than {most} characters", field, most=str(most))
    parse(value, field)
    return value


def check_notice(type_: str, language: str) -> tuple[str, str]:
    """A notice and a language a salon may word: NotFound naming the one that is not."""
    if type_ not in EDITABLE:
        raise NotFound(
            "no notice {notice} a salon words; they are {notices}",
            "type",
            notice=repr(type_),
            notices=", ".join(EDITABLE),
        )
    if language not in SPOKEN:
        raise NotFound(
            "no language {language} the product speaks; they are {languages}",
            "locale",
            language=repr(language),
            languages=", ".join(SPOKEN),
        )
    return type_, language


async def get(db: Database, salon_id: uuid.UUID, type_: str, language: str) -> OwnWords:
    """The salon's words for the notice in the language; all None: the product's."""
    check_notice(type_, language)
    row = await db.fetch_one(
        """SELECT subject, email_text AS text, sms FROM salon_messages
            WHERE salon_id = %s AND type = %s AND language = %s""",
        (salon_id, type_, language),
    )
    return _read(row) if row else OwnWords()


async def save(db: Database, salon_id: uuid.UUID, type_: str, language: str, words: OwnWords) -> OwnWords:
    """Keeps the salon's words (all None: back to the product's); the next message sent reads them."""
    check_notice(type_, language)
    words = checked(words)
    if words.empty:
        await reset(db, salon_id, type_, language)
        return words
    await db.execute(
        """INSERT INTO salon_messages (salon_id, type, language, subject, email_text, sms)
           VALUES (%(salon)s, %(type)s, %(language)s, %(subject)s, %(text)s, %(sms)s)
           ON CONFLICT (salon_id, type, language) DO UPDATE
              SET subject = excluded.subject, email_text = excluded.email_text, sms = excluded.sms,
                  updated_at = now()""",
        {"salon": salon_id, "type": type_, "language": language, "subject": words.subject, "text": words.text,
         "sms": words.sms},
    )  # fmt: skip
    return words


async def reset(db: Database, salon_id: uuid.UUID, type_: str, language: str) -> None:
    """Back to the product's wording."""
    check_notice(type_, language)
    await db.execute(
        "DELETE FROM salon_messages WHERE salon_id = %s AND type = %s AND language = %s", (salon_id, type_, language)
    )


async def every(db: Database, salon_id: uuid.UUID) -> list[Worded]:
    """All the salon's own words (a few rows: one per notice and language at most)."""
    rows = await db.fetch_all(
        """SELECT type, language, subject, email_text AS text, sms FROM salon_messages
            WHERE salon_id = %s ORDER BY type, language""",
        (salon_id,),
    )
    return [_read_worded(row) for row in rows]


async def worded(db: Database, salon_id: uuid.UUID) -> set[tuple[str, str]]:
    """The (notice, language) pairs the salon has its own words for: the settings page's list."""
    return {(words.type, words.language) for words in await every(db, salon_id)}
