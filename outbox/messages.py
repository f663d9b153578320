"""All SQL for outbox_messages: what the mail catcher caught and the SMS kept instead of sent."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import aiopg

from db import Database
from db.rows import reader

# Names the salon a message belongs to, so the catcher files it on the salon's outbox page.
SALON_HEADER = "X-Salonbook-Salon"


@dataclass(frozen=True)
class OutboxMessage:
    id: int
    salon_id: uuid.UUID | None
    channel: str  # email or sms
    sender: str
    recipients: tuple[str, ...]
    subject: str
    message_id: str | None
    body: str  # the raw RFC 5322 message for email, the text for SMS
    received_at: dt.datetime


_message = reader(OutboxMessage)


async def store(
    db: Database,
    *,
    salon_id: uuid.UUID | str | None,
    channel: str,
    sender: str,
    recipients: Sequence[str],
    subject: str,
    message_id: str | None,
    body: str,
) -> int:
    """Keeps one message; a salon id that names no salon is stored as NULL rather than refused."""
    row = await db.fetch_row(
        """INSERT INTO outbox_messages (salon_id, channel, sender, recipients, subject, message_id, body)
           VALUES ((SELECT id FROM salons WHERE id = %s), %s, %s, %s, %s, %s, %s)
           RETURNING id""",
        (salon_id, channel, sender, list(recipients), subject, message_id, body),
    )
    message_number: int = row["id"]
    return message_number


async def list_for_salon(
    db: Database, salon_id: uuid.UUID, limit: int = 50, *, before: int | None = None
) -> list[OutboxMessage]:
    """The salon's newest messages first; with ``before``, the page of those older than that message."""
    rows = await db.fetch_all(
        """SELECT id, salon_id, channel, sender, recipients, subject, message_id, body, received_at
             FROM outbox_messages WHERE salon_id = %s AND (%s::bigint IS NULL OR id < %s)
            ORDER BY id DESC LIMIT %s""",
        (salon_id, before, before, limit),
    )
    return [_message(row) for row in rows]


async def to_recipients(
    db: Database, salon_id: uuid.UUID, addresses: Sequence[str], *, after: int | None = None, limit: int | None = None
) -> list[OutboxMessage]:
    """The salon's kept messages to any of ``addresses``, oldest first: all of them, or ``limit`` after the
    message ``after`` (a page of a client's data, on request)."""
    rows = await db.fetch_all(
        """SELECT id, salon_id, channel, sender, recipients, subject, message_id, body, received_at
             FROM outbox_messages
            WHERE salon_id = %(salon)s AND recipients && %(addresses)s::text[]
              AND (%(after)s::bigint IS NULL OR id > %(after)s)
            ORDER BY id LIMIT %(limit)s""",
        {"salon": salon_id, "addresses": list(addresses), "after": after, "limit": limit},
    )
    return [_message(row) for row in rows]


async def forget_recipients(cur: aiopg.Cursor, salon_id: uuid.UUID, addresses: Sequence[str]) -> None:
    """Deletes the salon's kept messages to any of ``addresses``: part of erasing a client."""
    await cur.execute(
        "DELETE FROM outbox_messages WHERE salon_id = %s AND recipients && %s::text[]", (salon_id, list(addresses))
    )


async def get(db: Database, salon_id: uuid.UUID, message_id: int) -> OutboxMessage | None:
    """One of the salon's messages, or None (also for another salon's)."""
    row = await db.fetch_one(
        """SELECT id, salon_id, channel, sender, recipients, subject, message_id, body, received_at
             FROM outbox_messages WHERE id = %s AND salon_id = %s""",
        (message_id, salon_id),
    )
    return _message(row) if row else None
