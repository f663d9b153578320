"""One error type per outcome; handlers map each to a status code in one place.

Errors name the field they are about in the domain's own words, as a path:
``("first_name",)`` or ``("working_hours", 2, "start")``. A message may say
``{field}`` where the field's name belongs; whoever shows the error (the JSON
API, a page) writes the name its readers know.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable

FieldPath = tuple[str | int, ...]
Field = str | FieldPath  # a plain name, or a path into a list


class Said(str):
    """A value that is itself words a catalogue knows (a notice's label, a kind of number): an error's reader
    reads it in their language too, where a plain value (a name, a time, a code) is written as it is."""

    __slots__ = ()


class BookingError(Exception):
    """Base of every domain error; ``message`` is for a person to read."""

    code = "error"
    refusal: str | None = None  # a limit or policy that refused a stranger: /metrics counts it by this name

    def __init__(self, message: str, field: Field | None = None, **values: str) -> None:
        """``values`` fill the message's other ``{placeholders}``: the words stay one message for every value,
        so a catalogue knows them (an f-string's would not be extracted)."""
        filled = _filled(message, values)
        super().__init__(filled)
        self.message = filled
        self.words = message  # as raised, placeholders unfilled: what the catalogue translates
        self.values = values
        self.field: FieldPath | None = (field,) if isinstance(field, str) else field

    def describe(self, name: Callable[[FieldPath], str], translate: Callable[[str], str] = str) -> str:
        """The message, in the reader's language if ``translate`` knows it (a page's catalogue: `make translations`
        extracts the messages raised in booking/), with ``{field}`` written as ``name`` writes the field."""
        values = {key: translate(value) if isinstance(value, Said) else value for key, value in self.values.items()}
        message = _filled(translate(self.words), values)
        if self.field is None:
            return message
        return message.replace("{field}", name(self.field))


def _filled(message: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        message = message.replace("{" + key + "}", value)
    return message


class Invalid(BookingError):
    """Input breaks a rule; ``field`` names the culprit, and ``also`` the other fields wrong in the same input
    (booking.fields.Checks finds them all: a form shows every error at once)."""

    code = "invalid"

    def __init__(self, message: str, field: Field | None = None, **values: str) -> None:
        super().__init__(message, field, **values)
        self.also: tuple[Invalid, ...] = ()

    @property
    def every(self) -> tuple[Invalid, ...]:
        """This error and the others found with it."""
        return (self, *self.also)


class NotFound(BookingError):
    """No such thing in this salon (another salon's ids are not found either)."""

    code = "not_found"


class Forbidden(BookingError):
    """The caller's role may not do this (a stylist and the salon's settings, say)."""

    code = "forbidden"


class SlotTaken(BookingError):
    """The staff member is already booked for part of that time."""

    code = "slot_taken"


class OnTimeOff(SlotTaken):
    """The staff member has time off then."""

    code = "unavailable"


class NotOffered(SlotTaken):
    """The staff member does not perform that service."""

    code = "not_offered"


class Conflict(BookingError):
    """The thing exists but is in a state that forbids the change."""

    code = "conflict"


class TooLate(Conflict):
    """Past the salon's cut-off for doing this online: the salon's phone is the way now."""

    code = "too_late"


class TooMany(BookingError):
    """Too many tries from one place, or at once: try again after ``retry_after`` seconds; ``refusal`` names the
    limit reached."""

    code = "rate_limited"

    def __init__(self, message: str, retry_after: int, refusal: str | None = None, **values: str) -> None:
        super().__init__(message, **values)
        self.retry_after = max(1, retry_after)
        self.refusal = refusal

    @classmethod
    def until(cls, message: str, wait: dt.timedelta, refusal: str | None = None, **values: str) -> TooMany:
        """Refused for ``wait`` (rounded up to whole seconds)."""
        return cls(message, math.ceil(wait.total_seconds()), refusal, **values)


class NotTextable(Invalid):
    """The salon does not text this number; the subclass says why."""


class OutsideSmsCountries(NotTextable):
    """The number is not of a country the salon texts (its ``sms_countries``)."""

    code = refusal = "sms_country"


class NotAMobile(NotTextable):
    """The number cannot take a text, or would charge for one: a landline, premium rate, satellite, pager…"""

    code = refusal = "sms_number"


class LimitReached(Conflict):
    """The salon holds as many of these as one salon may (a bound on every page's work)."""

    code = "limit"


class OutsideHours(Conflict):
    """The time lies outside the staff member's working hours, and the caller asked to hear it first."""

    code = "outside_hours"


class PaymentProblem(BookingError):
    """The salon's payment provider (Stripe) could not do what was asked: unreachable, or it refused the key."""

    code = "payment_provider"
