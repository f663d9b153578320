"""Salons, users, API tokens and the cookie-signing secret: all SQL for those tables."""

from __future__ import annotations

import hashlib
import re
import secrets
import time
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiopg
import psycopg2.errors

from booking import fields, locales, passwords, sessions
from booking.errors import Conflict, Field, Invalid, NotFound
from booking.models import ApiToken, Salon, User
from db import Database, Row

MIN_PASSWORD_LENGTH = 8
_FIRST_SALON_LOCK = 7_424_613_002  # serialises first-run setups (see db/migrations.py for its sibling)


@dataclass(frozen=True)
class NewSalon:
    salon: Salon
    owner: User
    api_token: str


# --- tokens ------------------------------------------------------------------


def _token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


# --- validation --------------------------------------------------------------


def check_timezone(value: str, field: str = "timezone") -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(f"unknown timezone {value!r}; use an IANA name such as Europe/London", field) from None
    return value


SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")  # what _slugify makes: anything else names no salon


def _slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "salon"


# --- salons ------------------------------------------------------------------


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
    name = fields.text(name, "name")
    country = locales.check_country(country)
    locale = locales.check_locale(locale) if locale.strip() else locales.default_locale(country)
    address = fields.text(address, "address", required=False, max_length=500)
    phone = fields.text(phone, "phone", required=False)
    check_timezone(timezone)
    owner_email = fields.email(owner_email, "owner_email") or ""
    if not owner_email:
        raise Invalid("the owner's email is required", "owner_email")
    email = fields.email(email, "email") or ""
    if len(owner_password) < MIN_PASSWORD_LENGTH:
        raise Invalid(f"the password needs at least {MIN_PASSWORD_LENGTH} characters", "owner_password")
    password_hash = await passwords.hash_password(owner_password)
    token = secrets.token_urlsafe(32)
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
                """INSERT INTO salons (slug, name, address, timezone, email, phone, country, locale, currency,
                                      sms_countries)
                   VALUES (%(slug)s, %(name)s, %(address)s, %(timezone)s, %(email)s, %(phone)s, %(country)s,
                           %(locale)s, %(currency)s, ARRAY[%(country)s])
                   ON CONFLICT (slug) DO NOTHING
                RETURNING id, slug, name, address, timezone, email, phone, country, locale, currency,
                          quiet_start, quiet_end, cancel_cutoff_minutes, reschedule_cutoff_minutes,
                          online_booking, online_min_notice_minutes, online_max_days_ahead, sms_countries""",
                {"slug": slug, "name": name, "address": address, "timezone": timezone, "email": email,
                 "phone": phone, "country": country, "locale": locale, "currency": locales.default_currency(country)},
            )  # fmt: skip
            if row := await cur.fetchone():
                break
        assert row is not None, "a slug with a random tail is free"
        salon = Salon.from_row(row)
        try:
            await cur.execute(
                """INSERT INTO users (salon_id, email, password_hash, role)
                   VALUES (%s, %s, %s, 'owner') RETURNING id, salon_id, email, role""",
                (salon.id, owner_email, password_hash),
            )
        except psycopg2.errors.UniqueViolation:
            raise Conflict(f"{owner_email} already has an account", "owner_email") from None
        owner = User(**await cur.fetchone())
        await cur.execute(
            """INSERT INTO api_tokens (salon_id, user_id, token_hash, name)
               VALUES (%s, %s, %s, 'created with the salon')""",
            (salon.id, owner.id, _token_hash(token)),
        )
    return NewSalon(salon=salon, owner=owner, api_token=token)


MAX_CUTOFF_MINUTES = 30 * 24 * 60


async def update_salon(db: Database, salon: Salon) -> Salon:
    """Saves a salon's details and policies as given (all of them: the caller merges a partial change).

    A salon that moves to another country while it texts only its old one, as every salon starts, texts its
    new one instead. Every process hears of it (NOTIFY): they keep salons with the tokens they remember.
    """
    _checked_minutes(salon.cancel_cutoff_minutes, "cancel_cutoff_minutes", MAX_CUTOFF_MINUTES)
    _checked_minutes(salon.reschedule_cutoff_minutes, "reschedule_cutoff_minutes", MAX_CUTOFF_MINUTES)
    online = salon.online_booking
    _checked_minutes(online.min_notice_minutes, ("online_booking", "min_notice_minutes"), MAX_CUTOFF_MINUTES)
    if not 1 <= online.max_days_ahead <= 365:
        raise Invalid("{field} must be between 1 and 365", ("online_booking", "max_days_ahead"))
    quiet = salon.quiet_hours
    values = {
        "id": salon.id,
        "name": fields.text(salon.name, "name"),
        "address": fields.text(salon.address, "address", required=False, max_length=500),
        "timezone": check_timezone(salon.timezone),
        "email": fields.email(salon.email, "email") or "",
        "phone": fields.text(salon.phone, "phone", required=False),
        "country": locales.check_country(salon.country),
        "locale": locales.check_locale(salon.locale),
        "currency": locales.check_currency(salon.currency),
        "quiet_start": quiet.start if quiet else None,
        "quiet_end": quiet.end if quiet else None,
        "cancel": salon.cancel_cutoff_minutes,
        "reschedule": salon.reschedule_cutoff_minutes,
        "online": online.enabled,
        "notice": online.min_notice_minutes,
        "ahead": online.max_days_ahead,
        "texted": _sms_countries(salon.sms_countries),
    }
    async with db.transaction() as cur:
        await cur.execute(
            """UPDATE salons
                  SET name = %(name)s, address = %(address)s, timezone = %(timezone)s, email = %(email)s,
                      phone = %(phone)s, country = %(country)s, locale = %(locale)s, currency = %(currency)s,
                      quiet_start = %(quiet_start)s, quiet_end = %(quiet_end)s,
                      cancel_cutoff_minutes = %(cancel)s, reschedule_cutoff_minutes = %(reschedule)s,
                      online_booking = %(online)s, online_min_notice_minutes = %(notice)s,
                      online_max_days_ahead = %(ahead)s,
                      sms_countries = CASE WHEN country <> %(country)s AND sms_countries = ARRAY[country]
                                            AND %(texted)s::text[] = ARRAY[country]
                                           THEN ARRAY[%(country)s] ELSE %(texted)s::text[] END
                WHERE id = %(id)s
            RETURNING id, slug, name, address, timezone, email, phone, country, locale, currency,
                      quiet_start, quiet_end, cancel_cutoff_minutes, reschedule_cutoff_minutes,
                      online_booking, online_min_notice_minutes, online_max_days_ahead, sms_countries""",
            values,
        )
        row: Row | None = await cur.fetchone()
        if row is None:
            raise NotFound("no such salon", "salon_id")
        await cur.execute("NOTIFY salonbook_tokens")
    return Salon.from_row(row)


def _sms_countries(countries: Sequence[str]) -> list[str]:
    """The countries a salon texts: known ISO codes in upper case, each once, in the order given (none: no texts)."""
    texted: list[str] = []
    for value in countries:
        try:
            country = locales.check_country(value)
        except Invalid:
            raise Invalid(
                f"{{field}} must list country codes such as GB, US or DE; {value!r} is not one", "sms_countries"
            ) from None
        if country not in texted:
            texted.append(country)
    return texted


def _checked_minutes(minutes: int, field: Field, most: int) -> None:
    if not 0 <= minutes <= most:
        raise Invalid(f"{{field}} must be between 0 and {most} minutes", field)


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
        """SELECT id, slug, name, address, timezone, email, phone, country, locale, currency,
                  quiet_start, quiet_end, cancel_cutoff_minutes, reschedule_cutoff_minutes,
                  online_booking, online_min_notice_minutes, online_max_days_ahead, sms_countries
             FROM salons WHERE id = %s""",
        (salon_id,),
    )
    if row is None:
        raise NotFound("no such salon", "salon_id")
    return Salon.from_row(row)


async def salon_by_slug(db: Database, slug: str) -> Salon | None:
    """The salon whose public pages live under ``slug`` (/book/{slug}); None for a slug no salon can have."""
    if not SLUG.fullmatch(slug):
        return None
    row = await db.fetch_one(
        """SELECT id, slug, name, address, timezone, email, phone, country, locale, currency,
                  quiet_start, quiet_end, cancel_cutoff_minutes, reschedule_cutoff_minutes,
                  online_booking, online_min_notice_minutes, online_max_days_ahead, sms_countries
             FROM salons WHERE slug = %s""",
        (slug,),
    )
    return Salon.from_row(row) if row else None


async def salon_for_token(db: Database, token: str) -> Salon | None:
    row = await db.fetch_one(
        """SELECT id, slug, name, address, timezone, email, phone, country, locale, currency,
                  quiet_start, quiet_end, cancel_cutoff_minutes, reschedule_cutoff_minutes,
                  online_booking, online_min_notice_minutes, online_max_days_ahead, sms_countries
             FROM salons
             WHERE id = (SELECT salon_id FROM api_tokens WHERE token_hash = %s)""",
        (_token_hash(token),),
    )
    return Salon.from_row(row) if row else None


async def create_api_token(db: Database, maker: User, name: str) -> str:
    """A new token for the salon's scripts, its maker's (their password change revokes it); shown once."""
    token = secrets.token_urlsafe(32)
    await db.execute(
        "INSERT INTO api_tokens (salon_id, user_id, token_hash, name) VALUES (%s, %s, %s, %s)",
        (maker.salon_id, maker.id, _token_hash(token), fields.text(name, "name")),
    )
    return token


async def list_api_tokens(db: Database, salon_id: uuid.UUID) -> list[ApiToken]:
    rows = await db.fetch_all(
        "SELECT id, name, created_at FROM api_tokens WHERE salon_id = %s ORDER BY created_at, id", (salon_id,)
    )
    return [ApiToken(**row) for row in rows]


TOKENS_CHANNEL = "salonbook_tokens"  # revocations and salon changes: every process forgets what it keeps


async def revoke_api_token(db: Database, salon_id: uuid.UUID, token_id: uuid.UUID) -> None:
    """Deletes the token and tells every process (NOTIFY, on commit) to forget the tokens it remembers."""
    async with db.transaction() as cur:
        await cur.execute("DELETE FROM api_tokens WHERE id = %s AND salon_id = %s", (token_id, salon_id))
        if cur.rowcount == 0:
            raise NotFound("no such API token", "token_id")
        await cur.execute("NOTIFY salonbook_tokens")


async def _revoke_tokens(
    cur: aiopg.Cursor, *, user_id: uuid.UUID | None = None, salon_id: uuid.UUID | None = None
) -> int:
    """Inside the caller's transaction: the tokens a user made (or all of a salon's) stop working, in every
    process once it commits. Returns how many."""
    await cur.execute("DELETE FROM api_tokens WHERE user_id = %s OR salon_id = %s", (user_id, salon_id))
    revoked: int = cur.rowcount
    if revoked:
        await cur.execute("NOTIFY salonbook_tokens")
    return revoked


@dataclass(frozen=True)
class Ended:
    """What a password change or "log out everywhere" ended."""

    sessions: int
    tokens: int


async def log_out_everywhere(db: Database, salon_id: uuid.UUID) -> Ended:
    """The owner's "log out everywhere": every login of every user of the salon, and every API token, end."""
    async with db.transaction() as cur:
        return Ended(await sessions.end_all(cur, salon_id), await _revoke_tokens(cur, salon_id=salon_id))


# --- users -------------------------------------------------------------------


async def authenticate(db: Database, email: str, password: str) -> User | None:
    """The user with these credentials, or None. Takes as long for unknown emails.

    A matching hash made at an older cost is made again at today's (once: the
    update is fenced on the old hash).
    """
    row = await db.fetch_one(
        "SELECT id, salon_id, email, role, password_hash FROM users WHERE lower(email) = lower(%s)",
        (email.strip(),),
    )
    stored = row.pop("password_hash") if row else passwords.no_match()
    if not (await passwords.check_password(password, stored) and row):
        return None
    if passwords.outdated(stored):
        await db.execute(
            "UPDATE users SET password_hash = %s WHERE id = %s AND password_hash = %s",
            (await passwords.hash_password(password), row["id"], stored),
        )
    return User(**row)


async def change_password(
    db: Database, user_id: uuid.UUID, current_password: str, new_password: str, *, keep_session: uuid.UUID | None
) -> Ended:
    """A new password for the user, once the current one is checked; every other session of theirs ends.

    ``keep_session`` is the session the change was made in; the API tokens the
    user made are revoked too. The current password is checked first, so any
    error but one about ``current_password`` means it was right.
    """
    row = await db.fetch_one("SELECT password_hash FROM users WHERE id = %s", (user_id,))
    if row is None or not await passwords.check_password(current_password, row["password_hash"]):
        raise Invalid("{field} is not right", "current_password")
    if len(new_password) < MIN_PASSWORD_LENGTH:
        raise Invalid(f"{{field}} needs at least {MIN_PASSWORD_LENGTH} characters", "new_password")
    new_hash = await passwords.hash_password(new_password)
    async with db.transaction() as cur:
        await cur.execute(
            "UPDATE users SET password_hash = %s WHERE id = %s AND password_hash = %s",
            (new_hash, user_id, row["password_hash"]),
        )
        if cur.rowcount == 0:
            raise Conflict("the password was changed elsewhere meanwhile; log in again with the new one")
        return Ended(await sessions.end_others(cur, user_id, keep_session), await _revoke_tokens(cur, user_id=user_id))


class TokenCache:
    """Salons by API token, remembered briefly: a busy client need not cost a query per request.

    Only hits are kept, for ``ttl`` seconds. A revocation is announced on TOKENS_CHANNEL and every
    process forgets at once (``forget``); the ttl bounds what a lost announcement could cost.
    """

    def __init__(self, ttl: float = 30.0, size: int = 1024) -> None:
        self.ttl = ttl
        self.size = size
        self._salons: dict[bytes, tuple[float, Salon]] = {}

    def forget(self) -> None:
        """After a revocation anywhere: the next request asks the database again."""
        self._salons.clear()

    async def salon_for(self, db: Database, token: str) -> Salon | None:
        key = _token_hash(token)
        now = time.monotonic()
        cached = self._salons.get(key)
        if cached and cached[0] > now:
            return cached[1]
        salon = await salon_for_token(db, token)
        if salon is not None:
            if len(self._salons) >= self.size:
                self._salons.clear()
            self._salons[key] = (now + self.ttl, salon)
        return salon
