"""Secrets made once per installation and shared by every process of it (the ``secrets`` table)."""

from __future__ import annotations

import secrets

from db import Database


async def signing_secret(db: Database) -> str:
    """The key that signs session cookies."""
    return await _shared_secret(db, "cookie_secret")


async def link_secret(db: Database) -> str:
    """The key that signs the links in clients' messages (booking.links)."""
    return await _shared_secret(db, "link_secret")


async def recipient_key(db: Database) -> str:
    """The key of the hashes that stand for an email address or number where codes sent are counted
    (booking.code_sends): a stolen table does not list who was sent what."""
    return await _shared_secret(db, "recipient_key")


async def _shared_secret(db: Database, name: str) -> str:
    """A random secret, made by whichever process asks first."""
    await db.execute(
        "INSERT INTO secrets (name, value) VALUES (%s, %s) ON CONFLICT (name) DO NOTHING",
        (name, secrets.token_urlsafe(48)),
    )
    row = await db.fetch_row("SELECT value FROM secrets WHERE name = %s", (name,))
    secret: str = row["value"]
    return secret


async def payments_key(db: Database) -> str:
    """The key that seals each salon's Stripe keys at rest (booking.sealing)."""
    return await _shared_secret(db, "payments_key")
