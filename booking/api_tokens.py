"""The salon's API tokens: made, listed, revoked, and the salon a request's token names. All SQL for api_tokens.

Only the SHA-256 of a token is kept: a leaked table grants nothing. A token is its maker's: their password
change, or the owner's "log out everywhere", revokes it (booking.users).
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass

import aiopg

from booking import fields
from booking.errors import NotFound
from booking.models import ApiToken, Role, Salon, User, read_user, salon_columns
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


@dataclass(frozen=True)
class Bearer:
    """Whom an API request's token speaks for: its salon, and its maker, whose role booking.access checks."""

    salon: Salon
    maker: User | None  # None: a token of the salon's made outside the product (a benchmark's, a script's)

    @property
    def role(self) -> Role:
        """Its maker's; a token of no one is the salon's own, as an owner's (only owners make tokens)."""
        return self.maker.role if self.maker else Role.OWNER

    @property
    def staff_id(self) -> uuid.UUID | None:
        return self.maker.staff_id if self.maker else None


async def bearer_of(db: Database, token: str) -> Bearer | None:
    """The salon and maker of a token, or None."""
    row = await db.fetch_one(
        f"""SELECT {salon_columns("s")}, u.id AS maker_id, u.email AS maker_email, u.role AS maker_role,
                   u.staff_id AS maker_staff_id
              FROM api_tokens t JOIN salons s ON s.id = t.salon_id LEFT JOIN users u ON u.id = t.user_id
             WHERE t.token_hash = %s""",
        (_token_hash(token),),
    )
    if row is None:
        return None
    maker = {name: row.pop(f"maker_{name}") for name in ("id", "email", "role", "staff_id")}
    found = read_user(maker | {"salon_id": row["id"]}) if maker["id"] else None
    return Bearer(Salon.from_row(row), found)


async def salon_for_token(db: Database, token: str) -> Salon | None:
    bearer = await bearer_of(db, token)
    return bearer.salon if bearer else None


class TokenCache:
    """Bearers (salon and maker) by API token, remembered briefly: a busy client need not cost a query per request.

    Only hits are kept, for ``ttl`` seconds. A revocation is announced on TOKENS_CHANNEL and every
    process forgets at once (``forget``); the ttl bounds what a lost announcement could cost.
    """

    def __init__(self, ttl: float = 30.0, size: int = 1024) -> None:
        self.ttl = ttl
        self.size = size
        self._bearers: dict[bytes, tuple[float, Bearer]] = {}

    def forget(self) -> None:
        """After a revocation anywhere: the next request asks the database again."""
        self._bearers.clear()

    async def bearer(self, db: Database, token: str) -> Bearer | None:
        key = _token_hash(token)
        now = time.monotonic()
        cached = self._bearers.get(key)
        if cached and cached[0] > now:
            return cached[1]
        bearer = await bearer_of(db, token)
        if bearer is not None:
            if len(self._bearers) >= self.size:
                self._bearers.clear()
            self._bearers[key] = (now + self.ttl, bearer)
        return bearer
