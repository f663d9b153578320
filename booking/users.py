"""The people who log in: their passwords checked and changed, and every way in closed at once. All SQL for
users but a team's (booking.team) and the salon's first owner (booking.salons)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import aiopg
import psycopg2.errors

from booking import api_tokens, passwords, sessions
from booking.errors import Conflict, Invalid
from booking.locales import check_locale
from booking.models import Role, User, read_user
from db import Database

MIN_PASSWORD_LENGTH = 8
STAFF_LOGIN = "users_staff_key"  # the unique index: one login per stylist


def check_password(password: str, field: str = "password") -> str:
    """A new password long enough to keep."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid("the password needs at least {least} characters", field, least=str(MIN_PASSWORD_LENGTH))
    return password


@dataclass(frozen=True)
class Ended:
    """What a password change or "log out everywhere" ended."""

    sessions: int
    tokens: int


async def add(
    cur: aiopg.Cursor,
    salon_id: uuid.UUID,
    email: str,
    password_hash: str,
    role: Role,
    *,
    field: str = "email",
    staff_id: uuid.UUID | None = None,
) -> User:
    """Inside the caller's transaction: a new user (a stylist with their ``staff_id``); Conflict on ``field``
    when the email has an account (in any salon), on ``staff_id`` when that stylist has a login already."""
    try:
        await cur.execute(
            """INSERT INTO users (salon_id, email, password_hash, role, staff_id)
               VALUES (%s, %s, %s, %s, %s) RETURNING id, salon_id, email, role, staff_id""",
            (salon_id, email, password_hash, role, staff_id),
        )
    except psycopg2.errors.UniqueViolation as error:
        if error.diag.constraint_name == STAFF_LOGIN:
            raise Conflict("this stylist can log in already", "staff_id") from None
        raise Conflict("{email} already has an account", field, email=email) from None
    return read_user(await cur.fetchone())


async def authenticate(db: Database, email: str, password: str) -> User | None:
    """The user with these credentials, or None. Takes as long for unknown emails.

    A matching hash made at an older cost is made again at today's (once: the
    update is fenced on the old hash).
    """
    row = await db.fetch_one(
        "SELECT id, salon_id, email, role, staff_id, password_hash FROM users WHERE lower(email) = lower(%s)",
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
    return read_user(row)


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
        raise Invalid("{field} needs at least {least} characters", "new_password", least=str(MIN_PASSWORD_LENGTH))
    new_hash = await passwords.hash_password(new_password)
    async with db.transaction() as cur:
        await cur.execute(
            "UPDATE users SET password_hash = %s WHERE id = %s AND password_hash = %s",
            (new_hash, user_id, row["password_hash"]),
        )
        if cur.rowcount == 0:
            raise Conflict("the password was changed elsewhere meanwhile; log in again with the new one")
        ended = await sessions.end_others(cur, user_id, keep_session)
        return Ended(ended, await api_tokens.revoke(cur, user_id=user_id))


async def log_out_everywhere(db: Database, salon_id: uuid.UUID) -> Ended:
    """The owner's "log out everywhere": every login of every user of the salon, and every API token, end."""
    async with db.transaction() as cur:
        return Ended(await sessions.end_all(cur, salon_id), await api_tokens.revoke(cur, salon_id=salon_id))


async def set_locale(db: Database, salon_id: uuid.UUID, user_id: uuid.UUID, locale: str) -> str | None:
    """The language a user's pages are in: a tag the product speaks (checked), or '' for the salon's (None).
    Only a user of ``salon_id`` changes; the stored value is returned."""
    chosen = check_locale(locale) if locale.strip() else None
    await db.execute("UPDATE users SET locale = %s WHERE id = %s AND salon_id = %s", (chosen, user_id, salon_id))
    return chosen
