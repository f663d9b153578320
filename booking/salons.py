"""Salons: made (with their owner and a first API token), their details and policies read and saved, found by
slug. All SQL for salons."""

from __future__ import annotations

import re
import secrets
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiopg

from booking import api_tokens, fields, locales, passwords, users
from booking.errors import Conflict, Field, Invalid, NotFound
from booking.models import Reminder, Role, Salon, ThankYou, User, salon_columns
from db import Database, Row

_FIRST_SALON_LOCK = 7_424_613_002  # serialises first-run setups (see db/migrations.py for its sibling)


@dataclass(frozen=True)
class NewSalon:
    salon: Salon
    owner: User
    api_token: str


# --- validation --------------------------------------------------------------


def check_timezone(value: str, field: str = "timezone") -> str:
    if not value.strip():
        raise Invalid("{field} is required: choose the city whose clock the salon keeps", field)
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(
            "unknown timezone {value}; use an IANA name such as Europe/London", field, value=repr(value)
        ) from None
    return value


SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")  # what _slugify makes: anything else names no salon


def _slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "salon"


# --- salons ------------------------------------------------------------------


MAX_ADDRESS = 500  # characters: a few lines


async def create_salon(
    db: Database,
    *,
    name: str,
    timezone: str,
    owner_email: str,
    owner_password: str,
    address: str = "",
    email: str = "",
    phone: str = "",
    country: str = "GB",
    locale: str = "",
    only_if_first: bool = False,
) -> NewSalon:
    """Creates a salon, its owner and a first API token, in one transaction.

    ``locale`` defaults to the country's usual one among the languages spoken, the currency to the
    country's. ``only_if_first`` is for first-run setup: of two forms sent at once, one wins and the
    other gets Conflict.
    """
    checks = fields.Checks()  # every field's error at once (the first-run form shows them all)
    name = checks(fields.text, name, "name")
    country = checks(locales.check_country, country)
    locale = checks(locales.check_locale, locale) if locale.strip() else ""
    address = checks(fields.text, address, "address", required=False, max_length=MAX_ADDRESS)
    phone = checks(fields.phone, phone, "phone", country or "GB") or ""
    checks(check_timezone, timezone)
    owner_email = checks(fields.required_email, owner_email, "owner_email")
    email = checks(fields.email, email, "email") or ""
    checks(users.check_password, owner_password, "owner_password")
    checks.done()
    locale = locale or locales.default_locale(country)
    password_hash = await passwords.hash_password(owner_password)
    async with db.transaction() as cur:
        if only_if_first:
            await cur.execute("SELECT pg_advisory_xact_lock(%s)", (_FIRST_SALON_LOCK,))
            await cur.execute("SELECT EXISTS (SELECT FROM salons) AS taken")
            if (await cur.fetchone())["taken"]:
                raise Conflict("this Salonbook is already set up; log in instead")
        # The name's slug if it is free, else the slug with a random tail: never a unique violation.
        row = None
        for slug in (_slugify(name), f"{_slugify(name)}-{secrets.token_hex(3)}"):
            await cur.execute(
                f"""INSERT INTO salons (slug, name, address, timezone, email, phone, country, locale, currency,
                                      sms_countries)
                   VALUES (%(slug)s, %(name)s, %(address)s, %(timezone)s, %(email)s, %(phone)s, %(country)s,
                           %(locale)s, %(currency)s, ARRAY[%(country)s])
                   ON CONFLICT (slug) DO NOTHING
                RETURNING {salon_columns()}""",
                {"slug": slug, "name": name, "address": address, "timezone": timezone, "email": email,
                 "phone": phone, "country": country, "locale": locale, "currency": locales.default_currency(country)},
            )  # fmt: skip
            if row := await cur.fetchone():
                break
        assert row is not None, "a slug with a random tail is free"
        salon = Salon.from_row(row)
        owner = await users.add(cur, salon.id, owner_email, password_hash, Role.OWNER, field="owner_email")
        token = await api_tokens.add(cur, salon.id, owner.id, "created with the salon")
    return NewSalon(salon=salon, owner=owner, api_token=token)


MAX_CUTOFF_MINUTES = 30 * 24 * 60


async def update_salon(db: Database, salon: Salon) -> Salon:
    """Saves a salon's details and policies as given (all of them: the caller merges a partial change).

    A salon that moves to another country while it texts only its old one, as every salon starts, texts its
    new one instead. Every process hears of it (NOTIFY): they keep salons with the tokens they remember.
    """
    checks = fields.Checks()  # every field's error at once (the settings form shows them all)
    checks(_checked_minutes, salon.cancel_cutoff_minutes, "cancel_cutoff_minutes", MAX_CUTOFF_MINUTES)
    checks(_checked_minutes, salon.reschedule_cutoff_minutes, "reschedule_cutoff_minutes", MAX_CUTOFF_MINUTES)
    online = salon.online_booking
    notice = ("online_booking", "min_notice_minutes")
    checks(_checked_minutes, online.min_notice_minutes, notice, MAX_CUTOFF_MINUTES)
    checks(_checked_days_ahead, online.max_days_ahead)
    for percent, field in ((salon.no_show_fee_percent, "no_show_fee_percent"),
                           (salon.late_cancellation_fee_percent, "late_cancellation_fee_percent")):  # fmt: skip
        checks(_checked_percent, percent, field)
    quiet = salon.quiet_hours
    country = checks(locales.check_country, salon.country)
    values = {
        "id": salon.id,
        "name": checks(fields.text, salon.name, "name"),
        "address": checks(fields.text, salon.address, "address", required=False, max_length=MAX_ADDRESS),
        "timezone": checks(check_timezone, salon.timezone),
        "email": checks(fields.email, salon.email, "email") or "",
        "phone": await checks.wait(_salon_phone(db, salon, country or "GB")),
        "country": country,
        "locale": checks(locales.check_locale, salon.locale),
        "currency": checks(locales.check_currency, salon.currency),
        "quiet_start": quiet.start if quiet else None,
        "quiet_end": quiet.end if quiet else None,
        "cancel": salon.cancel_cutoff_minutes,
        "reschedule": salon.reschedule_cutoff_minutes,
        "online": online.enabled,
        "notice": online.min_notice_minutes,
        "ahead": online.max_days_ahead,
        "texted": checks(_sms_countries, salon.sms_countries),
        "reminders": checks(_reminder_plan, salon.reminders),
        "thanks": salon.thank_you.enabled,
        "thanks_after": checks(_thanks_hours, salon.thank_you),
        "review_url": checks(_review_url, salon.thank_you),
        "no_show_fee": salon.no_show_fee_percent,
        "late_fee": salon.late_cancellation_fee_percent,
    }
    checks.done()
    async with db.transaction() as cur:
        await cur.execute(
            f"""UPDATE salons
                  SET name = %(name)s, address = %(address)s, timezone = %(timezone)s, email = %(email)s,
                      phone = %(phone)s, country = %(country)s, locale = %(locale)s, currency = %(currency)s,
                      quiet_start = %(quiet_start)s, quiet_end = %(quiet_end)s,
                      cancel_cutoff_minutes = %(cancel)s, reschedule_cutoff_minutes = %(reschedule)s,
                      online_booking = %(online)s, online_min_notice_minutes = %(notice)s,
                      online_max_days_ahead = %(ahead)s, reminder_minutes = %(reminders)s,
                      thank_you_enabled = %(thanks)s, thank_you_hours_after = %(thanks_after)s,
                      thank_you_review_url = %(review_url)s, no_show_fee_percent = %(no_show_fee)s,
                      late_cancellation_fee_percent = %(late_fee)s,
                      sms_countries = CASE WHEN country <> %(country)s AND sms_countries = ARRAY[country]
                                            AND %(texted)s::text[] = ARRAY[country]
                                           THEN ARRAY[%(country)s] ELSE %(texted)s::text[] END
                WHERE id = %(id)s
            RETURNING {salon_columns()}""",
            values,
        )
        row: Row | None = await cur.fetchone()
        if row is None:
            raise NotFound("no such salon", "salon_id")
        await cur.execute("NOTIFY salonbook_tokens")
    return Salon.from_row(row)


async def _salon_phone(db: Database, salon: Salon, country: str) -> str:
    """The salon's phone in E.164, read with its country ("01225 123456" in GB is +441225123456), as clients'
    numbers are. One kept from before this rule that is no number stays as it is while it is not changed, so
    an unrelated change of the settings is never refused for it."""
    try:
        return fields.phone(salon.phone, "phone", country) or ""
    except Invalid:
        stored = await db.fetch_one("SELECT phone FROM salons WHERE id = %s", (salon.id,))
        if stored is not None and stored["phone"] == salon.phone:
            return salon.phone
        raise


def _sms_countries(countries: Sequence[str]) -> list[str]:
    """The countries a salon texts: known ISO codes in upper case, each once, in the order given (none: no texts)."""
    texted: list[str] = []
    for value in countries:
        try:
            country = locales.check_country(value)
        except Invalid:
            raise Invalid(
                "{field} must list country codes such as GB, US or DE; {value} is not one",
                "sms_countries",
                value=repr(value),
            ) from None
        if country not in texted:
            texted.append(country)
    return texted


MAX_REMINDERS = 3
REMINDER_MINUTES = (30, 7 * 24 * 60)  # the earliest and latest a reminder may go before the start


def _reminder_plan(reminders: Sequence[Reminder]) -> list[int]:
    """The plan's minutes, latest reminder first: up to three, each 30 minutes to 7 days before, none twice."""
    least, most = REMINDER_MINUTES
    if len(reminders) > MAX_REMINDERS:
        raise Invalid("{field} may hold at most {most} reminders", "reminders", most=str(MAX_REMINDERS))
    minutes = [reminder.minutes_before for reminder in reminders]
    if any(not least <= each <= most for each in minutes):
        raise Invalid(
            "{field}: each reminder goes {least} to {most} minutes (7 days) before",
            "reminders",
            least=str(least),
            most=str(most),
        )
    if len(set(minutes)) != len(minutes):
        raise Invalid("{field}: two reminders at the same moment", "reminders")
    return sorted(minutes, reverse=True)


MAX_THANKS_HOURS = 720  # 30 days
MAX_URL = 500


def _thanks_hours(thanks: ThankYou) -> int:
    if not 0 <= thanks.hours_after <= MAX_THANKS_HOURS:
        raise Invalid(
            "{field} must be between 0 and {most} hours", ("thankYou", "hoursAfter"), most=str(MAX_THANKS_HOURS)
        )
    return thanks.hours_after


def _review_url(thanks: ThankYou) -> str:
    """The review link a thank-you gives: an http(s) address on one line, or none."""
    url = thanks.review_url.strip()
    field = ("thankYou", "reviewUrl")
    if url and (not re.fullmatch(r"https?://[^\s<>\"]+", url) or len(url) > MAX_URL):
        raise Invalid("{field} must be a web address starting with https:// (or http://)", field)
    return url


def _checked_days_ahead(days: int) -> None:
    if not 1 <= days <= 365:
        raise Invalid("{field} must be between 1 and 365", ("online_booking", "max_days_ahead"))


def _checked_percent(percent: int, field: Field) -> None:
    if not 0 <= percent <= 100:
        raise Invalid("{field} must be a percent between 0 and 100", field)


def _checked_minutes(minutes: int, field: Field, most: int) -> None:
    if not 0 <= minutes <= most:
        raise Invalid("{field} must be between 0 and {most} minutes", field, most=str(most))


async def any_salon_exists(db: Database) -> bool:
    return await db.fetch_one("SELECT 1 AS yes FROM salons LIMIT 1") is not None


async def owns_installation(db: Database, salon_id: uuid.UUID) -> bool:
    """Whether the salon is the only one the installation holds: then its owner is whoever runs it (the small
    shop), and may reach the installation's own things, such as its backups, which hold every salon's data."""
    row = await db.fetch_row(
        """SELECT EXISTS (SELECT FROM salons WHERE id = %(salon)s)
                  AND NOT EXISTS (SELECT FROM salons WHERE id <> %(salon)s) AS only""",
        {"salon": salon_id},
    )
    only: bool = row["only"]
    return only


async def get_salon(db: Database, salon_id: uuid.UUID) -> Salon:
    row = await db.fetch_one(
        f"SELECT {salon_columns()} FROM salons WHERE id = %s",
        (salon_id,),
    )
    if row is None:
        raise NotFound("no such salon", "salon_id")
    return Salon.from_row(row)


async def salon_on(cur: aiopg.Cursor, salon_id: uuid.UUID) -> Salon:
    """A salon read on the caller's transaction (one that knows only its id, e.g. a hold's released time)."""
    await cur.execute(f"SELECT {salon_columns()} FROM salons WHERE id = %s", (salon_id,))
    return Salon.from_row(await cur.fetchone())


async def salon_by_slug(db: Database, slug: str) -> Salon | None:
    """The salon whose public pages live under ``slug`` (/book/{slug}); None for a slug no salon can have."""
    if not SLUG.fullmatch(slug):
        return None
    row = await db.fetch_one(
        f"SELECT {salon_columns()} FROM salons WHERE slug = %s",
        (slug,),
    )
    return Salon.from_row(row) if row else None
