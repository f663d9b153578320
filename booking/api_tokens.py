"""The salon's API tokens: made, listed, revoked, and the salon a request's token names. All SQL for api_tokens.

Only the SHA-256 of a token is kept: a leaked table grants nothing. A token is its maker's: their password
change, or the owner's "log out everywhere", revokes it (booking.users).
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid

import aiopg

from booking import fields
from booking.errors import NotFound
from booking.models import ApiToken, Salon, User, salon_columns
from db import Database
from db.rows import reader

TOKENS_CHANNEL = "salonbook_tokens"  # revocations and salon changes: every process forgets what it keeps

read_token = reader(ApiToken)


def _token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def add(cur: aiopg.Cursor, salon_id: uuid.UUID, user_id: uuid.UUID, name: str) -> str:
    """Inside the caller's transaction: a new token, ``user_id``'s; returns it (shown once, never stored)."""
    token = secrets.token_urlsafe(32)
    await cur.execute(
        "INSERT INTO api_tokens (salon_id, user_id, token_hash, name) VALUES (%s, %s, %s, %s)",
        (salon_id, user_id, _token_hash(token), fields.text(name, "name")),
    )
    return token


async def create_api_token(db: Database, maker: User, name: str) -> str:
    """A new token for the salon's scripts, its maker's (their password change revokes it); shown once."""
    async with db.transaction() as cur:
        return await add(cur, maker.salon_id, maker.id, name)


async def list_api_tokens(db: Database, salon_id: uuid.UUID) -> list[ApiToken]:
    rows = await db.fetch_all(
        "SELECT id, name, created_at FROM api_tokens WHERE salon_id = %s ORDER BY created_at, id", (salon_id,)
    )
    return [read_token(row) for row in rows]


async def revoke_api_token(db: Database, salon_id: uuid.UUID, token_id: uuid.UUID) -> None:
    """Deletes the token and tells every process (NOTIFY, on commit) to forget the tokens it remembers."""
    async with db.transaction() as cur:
        await cur.execute("DELETE FROM api_tokens WHERE id = %s AND salon_id = %s", (token_id, salon_id))
        if cur.rowcount == 0:
            raise NotFound("no such API token", "token_id")
        await cur.execute("NOTIFY salonbook_tokens")


async def revoke(cur: aiopg.Cursor, *, user_id: uuid.UUID | None = None, salon_id: uuid.UUID | None = None) -> int:
    """Inside the caller's transaction: the tokens a user made (or all of a salon's) stop working, in every
    process once it commits. Returns how many."""
    await cur.execute("DELETE FROM api_tokens WHERE user_id = %s OR salon_id = %s", (user_id, salon_id))
    revoked: int = cur.rowcount
    if revoked:
        await cur.execute("NOTIFY salonbook_tokens")
    return revoked


async def salon_for_token(db: Database, token: str) -> Salon | None:
    row = await db.fetch_one(
        f"""SELECT {salon_columns()} FROM salons
             WHERE id = (SELECT salon_id FROM api_tokens WHERE token_hash = %s)""",
        (_token_hash(token),),
    )
    return Salon.from_row(row) if row else None


async def maker(db: Database, token: str) -> tuple[uuid.UUID | None, str]:
    """Who speaks through a token, for what they write (a client's note): its maker's id and email, or for a
    token older than its maker (before 0014) none, and the token's name."""
    row = await db.fetch_one(
        """SELECT u.id, coalesce(u.email, 'API token ' || t.name) AS name
             FROM api_tokens t LEFT JOIN users u ON u.id = t.user_id WHERE t.token_hash = %s""",
        (_token_hash(token),),
    )
    return (row["id"], row["name"]) if row else (None, "API token")


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
