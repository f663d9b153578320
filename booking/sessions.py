"""Logins kept on the server: one session per login, read with its user and salon on every page.

The browser holds a random token; the table keeps only its SHA-256, like API
tokens. Ending a session deletes its row, so the next page in any process
finds nothing and sends the browser to the login page: logout, a password
change and the owner's "log out everywhere" take effect at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from dataclasses import dataclass

import aiopg

from booking.models import Role, Salon, User, read_user, salon_columns
from db import Database
from db.rows import reader

LIFETIME_DAYS = 14  # from the login; the cookie's life too
MOST_LISTED = 200  # sessions a salon's list shows, the latest seen first


@dataclass(frozen=True)
class SignedIn:
    """Who a page is for: the user, their salon and the session it came with."""

    user: User
    salon: Salon
    session_id: uuid.UUID


@dataclass(frozen=True)
class Session:
    """A session as the owner sees it in the salon's list."""

    id: uuid.UUID
    user_email: str
    role: Role
    client_address: str
    user_agent: str
    created_at: dt.datetime
    last_seen_at: dt.datetime


read_session = reader(Session)


def _token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def start(
    db: Database, user_id: uuid.UUID, *, client_address: str, user_agent: str, replacing: str | None = None
) -> str:
    """A new session for the user; returns the token for the browser's cookie.

    ``replacing`` is the token the browser had before, ended here: a login
    never carries a session over from before it. Expired sessions of anyone
    are swept away on the way.
    """
    token = secrets.token_urlsafe(32)
    async with db.transaction() as cur:
        await cur.execute(
            "DELETE FROM sessions WHERE expires_at <= now() OR token_hash = %s",
            (_token_hash(replacing) if replacing else None,),
        )
        await cur.execute(
            """INSERT INTO sessions (token_hash, user_id, expires_at, client_address, user_agent)
               VALUES (%s, %s, now() + make_interval(days => %s), %s, %s)""",
            (_token_hash(token), user_id, LIFETIME_DAYS, client_address[:64], user_agent[:300]),
        )
    return token


async def signed_in(db: Database, token: str) -> SignedIn | None:
    """The live session with this token, its user and salon, in one statement: every page asks for all three.

    The same statement notes when the session was last seen, at most once a
    minute, so most pages write nothing.
    """
    row = await db.fetch_one(
        f"""WITH live AS (
               SELECT id, user_id FROM sessions WHERE token_hash = %s AND expires_at > now()
           ), seen AS (
               UPDATE sessions SET last_seen_at = now()
                WHERE id = (SELECT id FROM live) AND last_seen_at < now() - interval '1 minute'
           )
           SELECT live.id AS session_id, u.id AS user_id, u.email AS user_email, u.role, u.staff_id,
                  u.locale AS user_locale, {salon_columns("s")}
             FROM live JOIN users u ON u.id = live.user_id JOIN salons s ON s.id = u.salon_id""",
        (_token_hash(token),),
    )
    if row is None:
        return None
    session_id, user_id = row.pop("session_id"), row.pop("user_id")
    user = read_user(
        {
            "id": user_id,
            "salon_id": row["id"],
            "email": row.pop("user_email"),
            "role": row.pop("role"),
            "staff_id": row.pop("staff_id"),
            "locale": row.pop("user_locale"),
        }
    )
    return SignedIn(user, Salon.from_row(row), session_id)


async def end(db: Database, token: str) -> None:
    """Logout: the session with this token is over."""
    await db.execute("DELETE FROM sessions WHERE token_hash = %s", (_token_hash(token),))


async def end_others(cur: aiopg.Cursor, user_id: uuid.UUID, keep: uuid.UUID | None) -> int:
    """Inside the caller's transaction: every session of the user but ``keep`` is over. Returns how many."""
    await cur.execute("DELETE FROM sessions WHERE user_id = %s AND id IS DISTINCT FROM %s", (user_id, keep))
    ended: int = cur.rowcount
    return ended


async def end_all(cur: aiopg.Cursor, salon_id: uuid.UUID) -> int:
    """Inside the caller's transaction: every session of every user of the salon is over. Returns how many."""
    await cur.execute("DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE salon_id = %s)", (salon_id,))
    ended: int = cur.rowcount
    return ended


async def of_salon(db: Database, salon_id: uuid.UUID) -> list[Session]:
    """The salon's live sessions, the latest seen first (at most MOST_LISTED)."""
    rows = await db.fetch_all(
        """SELECT s.id, u.email AS user_email, u.role, s.client_address, s.user_agent, s.created_at, s.last_seen_at
             FROM sessions s JOIN users u ON u.id = s.user_id
            WHERE u.salon_id = %s AND s.expires_at > now()
            ORDER BY s.last_seen_at DESC, s.id
            LIMIT %s""",
        (salon_id, MOST_LISTED),
    )
    return [read_session(row) for row in rows]
