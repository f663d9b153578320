"""Checks and normalisation of the values people type. Errors name the field."""

from __future__ import annotations

import email_validator
import phonenumbers

from booking.errors import Invalid

MAX_TEXT = 200


def text(value: str | None, field: str, *, required: bool = True, max_length: int = MAX_TEXT) -> str:
    value = (value or "").strip()
    if required and not value:
        raise Invalid(f"{field} is required", field)
    if len(value) > max_length:
        raise Invalid(f"{field} is longer than {max_length} characters", field)
    return value


def person(first_name: str, last_name: str, email_address: str | None) -> tuple[str, str, str | None]:
    """A person's checked first name, last name (optional) and email (optional)."""
    return (
        text(first_name, "firstName"),
        text(last_name, "lastName", required=False),
        email(email_address, "email"),
    )


def email(value: str | None, field: str) -> str | None:
    """A normalised address, or None for an empty value."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        return email_validator.validate_email(value, check_deliverability=False).normalized
    except email_validator.EmailNotValidError as exc:
        raise Invalid(f"{value!r} is not a valid email address: {exc}", field) from exc


def phone(value: str | None, field: str, region: str) -> str | None:
    """An E.164 number (+441225123456), or None for an empty value."""
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
