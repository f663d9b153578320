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
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo

import email_validator
import phonenumbers
from phonenumbers import NumberParseException, ValidationResult

from booking import locales
from booking.errors import Field, Invalid
from booking.notice_types import N_

MAX_TEXT = 200
_CLOCK = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")  # ASCII digits, as the document's pattern reads them
_CODE = re.compile(r"[0-9]{6}")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PHONE_SHAPE = r"\+?[0-9(][0-9\s().\/-]*[0-9]"  # digits and what people put between them; no letters
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

    async def wait(self, check: Awaitable[T]) -> T:
        """As calling a check, for one that must ask the database."""
        try:
            return await check
        except Invalid as error:
            self.errors.extend(error.every)
            return cast(T, None)

    def done(self) -> None:
        """Raises every error found, the first with the rest ``also``; nothing when all passed."""
        if self.errors:
            first, *rest = self.errors  # the first keeps its kind (its code), the rest go with it
            first.also = tuple(rest)
            raise first


def _years(first: int, last: int) -> str:
    """A regular expression of the years ``first`` to ``last``, whole centuries: (19|20|21)[0-9]{2} for 1900-2199."""
    assert first % 100 == 0 and (last + 1) % 100 == 0, "whole centuries"
    return "(" + "|".join(str(century) for century in range(first // 100, (last + 1) // 100)) + ")[0-9]{2}"


# What each reader below takes, as JSON Schema: the OpenAPI document describes every request with these, so it
# is as strict as the server, no more and no less, wherever a schema can say it. What one cannot (a phone number
# possible in its country, a time that is not past) is said in the reader's words, and the server answers 400.
_YEAR = _years(EARLIEST.year, LATEST.year)
TEXT: dict[str, Any] = {"type": "string", "maxLength": MAX_TEXT}  # text(required=False)
REQUIRED_TEXT: dict[str, Any] = TEXT | {"pattern": r"\S", "description": "not empty nor only spaces"}  # text()
ID: dict[str, Any] = {"type": "string", "format": "uuid"}  # identifier()
# Dates and date-times are spelt out as patterns, not as format date or date-time beside a pattern for the years,
# which generators (schemathesis) can only meet by filtering out nearly everything they make.
_DATE_SHAPE = rf"{_YEAR}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
DATE: dict[str, Any] = {
    "type": "string", "pattern": f"^{_DATE_SHAPE}$",
    "description": f"YYYY-MM-DD, from {EARLIEST.year} to {LATEST.year}, a day that exists",
}  # date()  # fmt: skip
# A date-time as RFC 3339 writes it, seconds optional as the API always took them.
_INSTANT_SHAPE = (
    rf"{_DATE_SHAPE}[T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{{1,6}})?)?"
    r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])"
)
INSTANT: dict[str, Any] = {
    "type": "string", "pattern": f"^{_INSTANT_SHAPE}$",
    "description": f"an RFC 3339 date-time with its UTC offset, e.g. 2030-05-01T10:00:00+01:00, from {EARLIEST.year} "
    f"to {LATEST.year}, on a day that exists",
}  # instant()  # fmt: skip
CLOCK: dict[str, Any] = {"type": "string", "pattern": rf"^{_CLOCK.pattern}$", "description": "HH:MM"}  # clock()
EMAIL: dict[str, Any] = {"type": "string", "format": "email"}  # email()
BLANK: dict[str, Any] = {"type": "string", "pattern": r"^\s*$"}  # an optional email or phone left empty: none
PHONE: dict[str, Any] = {
    "type": "string", "pattern": rf"^\s*{_PHONE_SHAPE}\s*$",
    "description": "a phone number, with +country or written the salon's way (e.g. +44 1225 123456); one that "
    "cannot be a number of that country is refused",
}  # phone()  # fmt: skip


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
        raise Invalid("{field} is longer than {most} characters", field, most=str(max_length))
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
        raise Invalid(_email_problem(str(exc)), field, value=repr(value)) from exc


# What email-validator says (in English, a sentence per rule) as one of our own sentences: the first whose words
# its message holds. Its own words never reach a page.
_EMAIL_PROBLEMS = (
    ("must have an @-sign", N_("{value} is not a valid email address: it needs an @ sign")),
    ("something before the @-sign", N_("{value} is not a valid email address: something must come before the @ sign")),
    ("something after the @-sign", N_("{value} is not a valid email address: something must come after the @ sign")),
    ("too long", N_("{value} is not a valid email address: it is too long")),
    ("after the @-sign", N_("{value} is not a valid email address: after the @ sign comes a domain like example.com")),
    ("period", N_("{value} is not a valid email address: its dots are not where an address has them")),
    ("character", N_("{value} is not a valid email address: it holds characters an address cannot have")),
    ("ASCII", N_("{value} is not a valid email address: it holds characters an address cannot have")),
)  # fmt: skip
_EMAIL_ELSE = N_("{value} is not a valid email address")


def _email_problem(said: str) -> str:
    return next((ours for words, ours in _EMAIL_PROBLEMS if words in said), _EMAIL_ELSE)


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
    if not re.fullmatch(_PHONE_SHAPE, value):
        raise Invalid(_PHONE_ELSE, field, value=repr(value))
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        raise Invalid(_NOT_READ.get(exc.error_type, _PHONE_ELSE), field, value=repr(value)) from None
    possible = phonenumbers.is_possible_number_with_reason(number)
    if possible not in (ValidationResult.IS_POSSIBLE, ValidationResult.IS_POSSIBLE_LOCAL_ONLY):
        raise Invalid(_NOT_POSSIBLE.get(possible, _PHONE_ELSE), field, value=repr(value))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# Why phonenumbers would not read a number (the kinds of its exception and of its check; its words are English),
# in our words.
_PHONE_ELSE = N_("{value} is not a phone number; write it like +44 1225 123456")
_NO_SUCH_COUNTRY = N_("{value} is not a phone number: no country has that calling code")
_TOO_FEW = N_("{value} is not a phone number: it has too few digits")
_TOO_MANY = N_("{value} is not a phone number: it has too many digits")
_NOT_READ = {
    NumberParseException.INVALID_COUNTRY_CODE: _NO_SUCH_COUNTRY,
    NumberParseException.TOO_SHORT_NSN: _TOO_FEW,
    NumberParseException.TOO_SHORT_AFTER_IDD: _TOO_FEW,
    NumberParseException.TOO_LONG: _TOO_MANY,
}
_NOT_POSSIBLE = {
    ValidationResult.INVALID_COUNTRY_CODE: _NO_SUCH_COUNTRY,
    ValidationResult.TOO_SHORT: _TOO_FEW,
    ValidationResult.TOO_LONG: _TOO_MANY,
    ValidationResult.INVALID_LENGTH: N_("{value} is not a phone number: no number there has that many digits"),
}
# Every sentence a phone number's refusal says (booking.reasons reads them inside a job's error).
PHONE_PROBLEMS = (_PHONE_ELSE, *_NOT_READ.values(), *_NOT_POSSIBLE.values())


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
    """A day written YYYY-MM-DD (not the other forms ISO 8601 and ``fromisoformat`` allow, which DATE forbids)."""
    try:
        day = dt.date.fromisoformat(value.strip()) if _DAY.fullmatch(value.strip()) else None
    except ValueError:
        day = None
    if day is None:
        raise Invalid("{field} must be a date like 2030-05-01", field)
    _within_reach(day, field)
    return day


def _within_reach(day: dt.date, field: Field) -> None:
    if not EARLIEST <= day <= LATEST:
        raise Invalid(
            "{field} must be between {first} and {last}", field, first=str(EARLIEST.year), last=str(LATEST.year)
        )


def instant(value: str, field: Field) -> dt.datetime:
    """An ISO 8601 time with its UTC offset: the offset says which instant is meant."""
    value = value.strip()
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise Invalid("{field} must be an ISO 8601 time like 2030-05-01T10:00:00+01:00", field) from None
    if moment.tzinfo is None:
        raise Invalid("{field} needs a UTC offset, e.g. 2030-05-01T10:00:00+01:00", field)
    _within_reach(moment.date(), field)
    if not re.fullmatch(_INSTANT_SHAPE, value):  # fromisoformat reads more of ISO 8601 than INSTANT allows
        raise Invalid("{field} must be an ISO 8601 time like 2030-05-01T10:00:00+01:00", field)
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
        raise Invalid(
            "{time} does not exist that day in {zone}: the clocks go forward",
            field,
            time=f"{naive:%H:%M}",
            zone=zone.key,
        )
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
    step = locales.smallest_cents(currency)  # a yen has no cents: 65.50 is not an amount of it
    if not amount.is_finite() or abs(amount) >= _LARGEST_AMOUNT or amount * 100 % step:
        example = locales.money(2500 * step, currency, locale)
        raise Invalid("{field} must be an amount like {example}", field, example=example)
    return int(amount * 100)


def in_whole_units(cents: int | None, field: Field, currency: str) -> None:
    """An amount in cents sent as a number (the API's) must be whole units of a currency without cents: 650050 is
    not an amount of yen, and Stripe could not ask for it."""
    step = locales.smallest_cents(currency)
    if cents is not None and cents % step:
        raise Invalid("{field} must be whole {currency}, a multiple of {step} cents", field, currency=currency,
                      step=str(step))  # fmt: skip


def whole_number(value: str, field: Field, low: int = 0, high: int = 999_999_999) -> int:
    """A count typed as digits (no sign, no other script's digits), from ``low`` to ``high``."""
    value = value.strip()
    number = int(value) if value.isascii() and value.isdigit() and len(value) <= len(str(high)) else None
    if number is None or not low <= number <= high:
        if (low, high) == (0, 999_999_999):
            raise Invalid("{field} must be a whole number, like 45", field)
        raise Invalid("{field} must be a whole number from {low} to {high}", field, low=str(low), high=str(high))
    return number
