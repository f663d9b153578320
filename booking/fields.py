"""What people type, read one way for the JSON API and the pages alike. Errors name the field.

Each reader takes the raw text (or None for "not given") and returns the
value the domain works with, or raises ``Invalid`` with a message that says
``{field}`` where the field's name goes.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
import uuid
from collections.abc import Callable
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo

import email_validator
import phonenumbers

from booking import locales
from booking.errors import Field, Invalid

MAX_TEXT = 200
_CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
_CODE = re.compile(r"[0-9]{6}")
_CENT = decimal.Decimal("0.01")
_LARGEST_AMOUNT = 10**12  # beyond any price, and small enough to quantize exactly
# Dates and times a salon can mean; beyond them Python's and PostgreSQL's arithmetic runs out.
EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(2199, 12, 31)
T = TypeVar("T")


class Checks:
    """A form's checks run one after another, every Invalid kept: the form shows all its errors at once.

    ``checks(reader, value, field)`` returns what ``reader`` returns, or None when it refused (the value is
    then never used: ``done`` raises before the caller goes on).
    """

    def __init__(self) -> None:
        self.errors: list[Invalid] = []

    def __call__(self, check: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return check(*args, **kwargs)
        except Invalid as error:
            self.errors.extend(error.every)
            return cast(T, None)

    def done(self) -> None:
        """Raises every error found, the first with the rest ``also``; nothing when all passed."""
        if self.errors:
            first, *rest = self.errors  # the first keeps its kind (its code), the rest go with it
            first.also = tuple(rest)
            raise first


def storable(value: str, field: Field) -> str:
    """The text as PostgreSQL can keep it: no NUL character, no half of a surrogate pair."""
    if not value.isprintable() and ("\x00" in value or _has_lone_surrogate(value)):
        raise Invalid("{field} contains a character that cannot be stored", field)
    return value


def _has_lone_surrogate(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def text(value: str | None, field: Field, *, required: bool = True, max_length: int = MAX_TEXT) -> str:
    value = storable((value or "").strip(), field)
    if required and not value:
        raise Invalid("{field} is required", field)
    if len(value) > max_length:
        raise Invalid(f"{{field}} is longer than {max_length} characters", field)
    return value


def person(first_name: str, last_name: str, email_address: str | None) -> tuple[str, str, str | None]:
    """A person's checked first name, last name (optional) and email (optional); every error at once."""
    checks = Checks()
    checked = (
        checks(text, first_name, "first_name"),
        checks(text, last_name, "last_name", required=False),
        checks(email, email_address, "email"),
    )
    checks.done()
    return checked


def email(value: str | None, field: Field) -> str | None:
    """A normalised address, or None for an empty value."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        return email_validator.validate_email(value, check_deliverability=False).normalized
    except email_validator.EmailNotValidError as exc:
        raise Invalid(f"{value!r} is not a valid email address: {exc}", field) from exc


def required_email(value: str | None, field: Field) -> str:
    address = email(value, field)
    if address is None:
        raise Invalid("{field} is required", field)
    return address


def phone(value: str | None, field: Field, region: str) -> str | None:
    """An E.164 number (+441225123456), or None for an empty value; ``region`` reads one without +country."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_possible_number(number):
        raise Invalid(f"{value!r} is not a phone number; write it like +44 1225 123456", field)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def code(value: str) -> str | None:
    """The six digits of a code we sent, as typed (spaces around and between ignored); None when what was
    typed cannot be one (a wrong code, whatever its characters)."""
    digits = "".join(value.split())
    return digits if _CODE.fullmatch(digits) else None


def masked(contact: str) -> str:
    """An email address or a number as a page may show it to whoever has the page: enough for its owner to know
    it, not enough to use: 'a…@example.com', '••• 0123'."""
    name, at, domain = contact.partition("@")
    if at:
        return f"{name[:1]}…@{domain}"
    return f"••• {contact[-4:]}"


def identifier(value: str, field: Field) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise Invalid("{field} is not a valid id", field) from None


def clock(value: str, field: Field) -> dt.time:
    """A wall-clock time of day, 'HH:MM' (or 'H:MM')."""
    match = _CLOCK.fullmatch(value.strip())
    if match is None:
        raise Invalid("{field} must be a time like 09:30", field)
    return dt.time(int(match[1]), int(match[2]))


def date(value: str, field: Field) -> dt.date:
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        raise Invalid("{field} must be a date like 2030-05-01", field) from None
    _within_reach(day, field)
    return day


def _within_reach(day: dt.date, field: Field) -> None:
    if not EARLIEST <= day <= LATEST:
        raise Invalid(f"{{field}} must be between {EARLIEST.year} and {LATEST.year}", field)


def instant(value: str, field: Field) -> dt.datetime:
    """An ISO 8601 time with its UTC offset: the offset says which instant is meant."""
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise Invalid("{field} must be an ISO 8601 time like 2030-05-01T10:00:00+01:00", field) from None
    if moment.tzinfo is None:
        raise Invalid("{field} needs a UTC offset, e.g. 2030-05-01T10:00:00+01:00", field)
    _within_reach(moment.date(), field)
    return moment


def local_instant(value: str, zone: ZoneInfo, field: Field) -> dt.datetime:
    """A date and time without offset, read on ``zone``'s wall clock; a time the clocks skip is refused."""
    try:
        naive = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise Invalid("{field} must be a date and time like 2030-05-01 10:00", field) from None
    _within_reach(naive.date(), field)
    if naive.tzinfo is not None:
        return naive
    moment = naive.replace(tzinfo=zone)
    if moment.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None) != naive:
        raise Invalid(f"{naive:%H:%M} does not exist that day in {zone.key}: the clocks go forward", field)
    return moment


def money(value: str, field: Field, currency: str, locale: str) -> int | None:
    """An amount typed the salon's way ('$65', '65', '65.00' in en-US; '65,50 €' in de-DE) as cents;
    empty means no amount."""
    if not value.strip():
        return None
    try:
        amount = locales.amount(value, currency, locale)
    except ValueError:
        amount = decimal.Decimal("NaN")
    if not amount.is_finite() or abs(amount) >= _LARGEST_AMOUNT or amount != amount.quantize(_CENT):
        raise Invalid(f"{{field}} must be an amount like {locales.money(2500, currency, locale)}", field)
    return int(amount * 100)


def whole_number(value: str, field: Field, low: int = 0, high: int = 999_999_999) -> int:
    """A count typed as digits (no sign, no other script's digits), from ``low`` to ``high``."""
    value = value.strip()
    number = int(value) if value.isascii() and value.isdigit() and len(value) <= len(str(high)) else None
    if number is None or not low <= number <= high:
        bounds = f" from {low} to {high}" if (low, high) != (0, 999_999_999) else ", like 45"
        raise Invalid(f"{{field}} must be a whole number{bounds}", field)
    return number
