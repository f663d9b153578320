"""Why a notification was cancelled or not sent: stored in English, read at the desk in the reader's language.

A job's ``error`` is the API's and the CSV's words, so it stays English text, with no code beside it (no
migration, and the rows written before read as before). A reason that holds a value is written from one of the
messages here, with named placeholders (``said(MOVED, when=...)``), so the words stay one message a catalogue
knows. The desk reads a stored reason back (``read``): a fixed reason by its words, one with values against a
pattern made once from each message (the rows written before this module are the same English, so they read the
same way), its values put into the translation as stored, but a ``{when}`` told again the reader's way when it reads
back as a time (``retell``: booking.locales.Retold); a ``{reason}`` value is itself read so. Anything else (a
provider's words, a reason no message here wrote) is shown as stored.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Callable
from functools import lru_cache

from booking import fields, texting
from booking.notice_types import N_

# Written by booking.appointments and worker.delivery ("when": the new time, on the salon's clock, its way).
MOVED = N_("appointment moved to {when}")
# Written by worker.delivery and worker.runner: a reminder kept from the salon's quiet hours.
QUIET_TOO_LATE = N_(
    "quiet hours: it could go at {when} at the earliest, less than {minutes} minutes before the appointment"
)
QUIET_HELD = N_("quiet hours: it goes at {when}")
# Written by booking.opt_outs; the reason is one of OPTED_OUT_BY or "texted ..." (the words the client texted).
OPTED_OUT = N_("{phone} opted out of texts: {reason}")
TEXTED = N_("texted {words}")
PROVIDER_UNSUBSCRIBED = N_("the SMS provider said it unsubscribed (21610)")
# What an attempt came to, as worker.mail and worker.sms write it (an attempt's detail, beside the job's reasons).
ACCEPTED_BY_MAIL_SERVER = N_("accepted by the mail server")
KEPT_IN_OUTBOX_EMAIL = N_("kept in the outbox (no mail server configured)")
ACCEPTED_BY_SMS_PROVIDER = N_("accepted by the SMS provider")
KEPT_IN_OUTBOX_SMS = N_("kept in the outbox (no SMS provider configured)")
OPTED_OUT_SKIPPED = N_("{phone} opted out of texts on {when}; texting START brings them back")
OPTED_OUT_LATE = N_(
    "accepted by the SMS provider, although {phone} opted out of texts on {when}, while this one was already on its way"
)
# Why a channel did not send, as worker.channels, worker.mail, worker.sms and worker.runner write it. The mail
# server's words are one sentence per server ("the outbox" is the built-in catcher): German inflects the server.
NO_EMAIL = N_("client has no email address")
NO_PHONE = N_("client has no phone number")
NOT_SENT = N_("not sent: {reason}")
NOT_SENT_UNASKED = N_("not sent: the database could not be asked whether it was still wanted")
SMS_UNREACHABLE = N_("could not reach the SMS provider: {why}")
SMS_NOT_NOW = N_("the SMS provider could not take the message to {phone} for now: {said}")
SMS_REFUSED = N_("the SMS provider refused the message to {phone}: {said}")
MAIL_CANNOT_SEND = N_("cannot send to {recipient}: {why}")
IT_HUNG_UP = N_("it hung up")  # why a server could not be reached, ours; else the operating system's words
NO_SUCH_HOST = N_("its host name was not found")
MAIL = {  # what went wrong: (said of the mail server, said of the outbox)
    "recipient": (N_("the mail server refused {recipient}: {said}"), N_("the outbox refused {recipient}: {said}")),
    "message": (
        N_("the mail server refused the message to {recipient}: {said}"),
        N_("the outbox refused the message to {recipient}: {said}"),
    ),
    "sender": (
        N_("the mail server refused the sender {sender}: {said}"),
        N_("the outbox refused the sender {sender}: {said}"),
    ),
    "login": (N_("the mail server refused our login: {said}"), N_("the outbox refused our login: {said}")),
    "silent": (
        N_("no answer from the mail server within {seconds} s"),
        N_("no answer from the outbox within {seconds} s"),
    ),
    "hung up": (N_("the mail server hung up"), N_("the outbox hung up")),
    "unreachable": (N_("could not reach the mail server: {why}"), N_("could not reach the outbox: {why}")),
}
# A job's error: each channel that failed, "; " between them, and whether the attempts ran out (worker.outcome).
CHANNEL_FAILED = {"email": N_("email: {detail}"), "sms": N_("sms: {detail}")}
GAVE_UP = N_("{failures} (gave up after {attempts} attempts)")
# Written by jobqueue.claims' rescue, in SQL: a worker that stopped, or an attempt that ran too long.
STOPPED_RETRY = N_("worker {worker} stopped during attempt {attempt}; will try again")
STOPPED_DONE = N_("worker {worker} stopped during attempt {attempt}; no attempts left")
RAN_LONG_RETRY = N_("attempt {attempt} was still running after {seconds}; will try again")
RAN_LONG_DONE = N_("attempt {attempt} was still running after {seconds}; no attempts left")

# An appointment no longer in the state its notices need (worker.delivery, booking.appointments): one sentence each.
APPOINTMENT_IS = {
    "booked": N_("appointment is booked"),
    "held": N_("appointment is marked held"),
    "completed": N_("appointment is marked completed"),
    "no_show": N_("appointment is marked no show"),
}
APPOINTMENT_MARKED = {
    "completed": N_("appointment marked completed"),
    "no_show": N_("appointment marked no show"),
}
# A waitlist offer whose client no longer waits (worker.delivery), by their entry's status (None: removed).
NO_LONGER_WAITING = {
    "unverified": N_("the client is no longer on the waitlist (unverified)"),
    "booked": N_("the client is no longer on the waitlist (booked)"),
    "left": N_("the client is no longer on the waitlist (left)"),
    "expired": N_("the client is no longer on the waitlist (expired)"),
    None: N_("the client is no longer on the waitlist (removed)"),
}

WITH_VALUES = (
    MOVED, QUIET_TOO_LATE, QUIET_HELD, OPTED_OUT, TEXTED, OPTED_OUT_SKIPPED, OPTED_OUT_LATE,
    STOPPED_RETRY, STOPPED_DONE, RAN_LONG_RETRY, RAN_LONG_DONE, NOT_SENT,
    SMS_UNREACHABLE, SMS_NOT_NOW, SMS_REFUSED, MAIL_CANNOT_SEND, *(said for pair in MAIL.values() for said in pair),
)  # fmt: skip
# Values that are themselves a reason (read again); a provider's words, an address or a time are not.
_READ_AGAIN = ("reason", "detail", "why")
# What the worker says of a number it would not text: booking.texting's and booking.fields' refusals, read inside
# "not sent: ..." (their messages are the desk's already).
ALSO_READ = (*texting.REFUSALS, *fields.PHONE_PROBLEMS)
_FAILED_PART = re.compile(r"; (?=(?:" + "|".join(CHANNEL_FAILED) + r"): )")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def said(message: str, **values: str) -> str:
    """``message`` with its placeholders filled: the English a job stores."""
    return _PLACEHOLDER.sub(lambda found: values[found[1]], message)


def _pattern(message: str) -> re.Pattern[str]:
    parts = _PLACEHOLDER.split(message)  # words, name, words, name, ..., words
    shape = (re.escape(part) if at % 2 == 0 else _VALUE.get(part, _ONE_THING) % part for at, part in enumerate(parts))
    return re.compile("".join(shape), re.DOTALL)


# A value is one thing (a number, an address, a time): no ": " inside, so "{phone} cannot ..." never takes "not sent:
# +44..." for a phone. What a server or a person said, and a reason inside a reason, may hold anything.
_ONE_THING = r"(?P<%s>(?:(?!: ).)+?)"
_VALUE = dict.fromkeys(("reason", "detail", "said", "why", "words", "failures"), r"(?P<%s>.+?)")


# The most words first: "refused {recipient}" must not take "refused the message to ..." for a recipient.
def _most_words_first(message: str) -> tuple[int, str]:
    return -len(_PLACEHOLDER.sub("", message)), message


_READ_BY_PATTERN = sorted((message for message in {*WITH_VALUES, *ALSO_READ} if "{" in message), key=_most_words_first)
_PATTERNS = tuple((_pattern(message), message) for message in _READ_BY_PATTERN)
_GAVE_UP = _pattern(GAVE_UP)


def read(stored: str, words: gettext.NullTranslations, retell: Callable[[str], str] | None = None) -> str:
    """A stored reason in the reader's ``words``: translated where one of our messages wrote it, else as stored;
    ``retell`` (hashable: the reasons read are cached with it) writes a ``{when}`` the reader's way."""
    return _read(stored, words, retell)


def forget() -> None:
    """Forgets the reasons read so far (a benchmark's cold page)."""
    _read.cache_clear()


@lru_cache(maxsize=4096)  # a page lists many jobs for few reasons: each read once per language
def _read(stored: str, words: gettext.NullTranslations, retell: Callable[[str], str] | None = None) -> str:
    translated = words.gettext(stored)  # plain gettext: a reason may hold a "%"
    if translated != stored:
        return translated
    # A job's error as worker.outcome writes it first: a leading placeholder ("{phone} cannot ...") would take its
    # "sms: " for the phone's.
    if found := _GAVE_UP.fullmatch(stored):
        failures = _failures(found["failures"], words, retell) or found["failures"]
        return said(words.gettext(GAVE_UP), failures=failures, attempts=found["attempts"])
    if failures := _failures(stored, words, retell):
        return failures
    for pattern, message in _PATTERNS:
        if found := pattern.fullmatch(stored):
            values = {name: _read(value, words, retell) if name in _READ_AGAIN else value
                      for name, value in found.groupdict().items()}  # fmt: skip
            if retell is not None and "when" in values:
                values["when"] = retell(values["when"])
            return said(words.gettext(message), **values)
    return stored


def _failures(stored: str, words: gettext.NullTranslations, retell: Callable[[str], str] | None = None) -> str | None:
    """A job's error as worker.outcome writes it, "email: ...; sms: ...", each channel's detail read; None when it
    is not one."""
    read = []
    for part in _FAILED_PART.split(stored):
        channel, colon, detail = part.partition(": ")
        if not colon or channel not in CHANNEL_FAILED:
            return None
        read.append(said(words.gettext(CHANNEL_FAILED[channel]), detail=_read(detail, words, retell)))
    return "; ".join(read)
