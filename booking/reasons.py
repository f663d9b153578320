"""Why a notification was cancelled or not sent: stored in English, read at the desk in the reader's language.

A job's ``error`` is the API's and the CSV's words, so it stays English text, with no code beside it (no
migration, and the rows written before read as before). A reason that holds a value is written from one of the
messages here, with named placeholders (``said(MOVED, when=...)``), so the words stay one message a catalogue
knows. The desk reads a stored reason back (``read``): a fixed reason by its words, one with values against a
pattern made once from each message (the rows written before this module are the same English, so they read the
same way), its values put into the translation as stored; a ``{reason}`` value is itself read so. Anything else (a
provider's words, a reason no message here wrote) is shown as stored.
"""

from __future__ import annotations

import gettext
import re
from functools import lru_cache

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
    STOPPED_RETRY, STOPPED_DONE, RAN_LONG_RETRY, RAN_LONG_DONE,
)  # fmt: skip
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def said(message: str, **values: str) -> str:
    """``message`` with its placeholders filled: the English a job stores."""
    return _PLACEHOLDER.sub(lambda found: values[found[1]], message)


def _pattern(message: str) -> re.Pattern[str]:
    parts = _PLACEHOLDER.split(message)  # words, name, words, name, ..., words
    return re.compile(
        "".join(re.escape(part) if at % 2 == 0 else f"(?P<{part}>.+?)" for at, part in enumerate(parts)), re.DOTALL
    )


_PATTERNS = tuple((_pattern(message), message) for message in WITH_VALUES)


def read(stored: str, words: gettext.NullTranslations) -> str:
    """A stored reason in the reader's ``words``: translated where one of our messages wrote it, else as stored."""
    return _read(stored, words)


def forget() -> None:
    """Forgets the reasons read so far (a benchmark's cold page)."""
    _read.cache_clear()


@lru_cache(maxsize=4096)  # a page lists many jobs for few reasons: each read once per language
def _read(stored: str, words: gettext.NullTranslations) -> str:
    translated = words.gettext(stored)  # plain gettext: a reason may hold a "%"
    if translated != stored:
        return translated
    for pattern, message in _PATTERNS:
        if found := pattern.fullmatch(stored):
            values = found.groupdict()
            if "reason" in values:
                values["reason"] = _read(values["reason"], words)
            return said(words.gettext(message), **values)
    return stored
