"""The salon's clients: all SQL for clients."""

from __future__ import annotations

import uuid

import aiopg

from booking import fields
from booking.errors import Conflict, NotFound
from booking.models import Client, ClientDetails
from db import Database, Row

ERASED = "this client's personal data was erased on request; add them again as a new client if they return"


def _checked(details: ClientDetails, region: str) -> tuple[str, str, str | None, str | None, bool]:
    first_name, last_name, email = fields.person(details.first_name, details.last_name, details.email)
    return first_name, last_name, email, fields.phone(details.phone, "phone", region), details.opted_in_reminders


async def create_client(db: Database, salon_id: uuid.UUID, details: ClientDetails, *, region: str = "GB") -> Client:
    """``region`` reads phone numbers written without a +country prefix."""
    row = await db.fetch_row(
        """INSERT INTO clients (salon_id, first_name, last_name, email, phone, opted_in_reminders)
           VALUES (%s, %s, %s, %s, %s, %s) RETURNING id, first_name, last_name, email, phone, opted_in_reminders""",
        (salon_id, *_checked(details, region)),
    )
    return Client(**row)


async def update_client(
    db: Database, salon_id: uuid.UUID, client_id: uuid.UUID, details: ClientDetails, *, region: str = "GB"
) -> Client:
    row = await db.fetch_one(
        """UPDATE clients SET first_name = %s, last_name = %s, email = %s, phone = %s, opted_in_reminders = %s
            WHERE id = %s AND salon_id = %s AND erased_at IS NULL
        RETURNING id, first_name, last_name, email, phone, opted_in_reminders""",
        (*_checked(details, region), client_id, salon_id),
    )
    if row is None:
        await get_client(db, salon_id, client_id)  # NotFound, or else:
        raise Conflict(ERASED)
    return Client(**row)


async def list_clients(
    db: Database, salon_id: uuid.UUID, search: str = "", *, after: uuid.UUID | None = None, limit: int = 500
) -> list[Client]:
    """The salon's clients by name, those matching ``search`` only; the page after the client ``after``."""
    search = fields.storable(search, "search")
    rows = await db.fetch_all(
        """SELECT id, first_name, last_name, email, phone, opted_in_reminders FROM clients
            WHERE salon_id = %(salon)s AND erased_at IS NULL
              AND (%(search)s = '' OR first_name || ' ' || last_name ILIKE %(like)s
                   OR email ILIKE %(like)s OR phone LIKE %(like)s)
              AND (%(after)s::uuid IS NULL OR (first_name, last_name, id) >
                   (SELECT first_name, last_name, id FROM clients WHERE id = %(after)s AND salon_id = %(salon)s))
            ORDER BY first_name, last_name, id LIMIT %(limit)s""",
        {"salon": salon_id, "search": search, "like": f"%{search}%", "after": after, "limit": limit},
    )
    return [Client(**row) for row in rows]


async def get_client(db: Database, salon_id: uuid.UUID, client_id: uuid.UUID) -> Client:
    row = await db.fetch_one(
        """SELECT id, first_name, last_name, email, phone, opted_in_reminders, erased_at
             FROM clients WHERE id = %s AND salon_id = %s""",
        (client_id, salon_id),
    )
    if row is None:
        raise NotFound("no such client", "client_id")
    return Client(**row)


async def erase(cur: aiopg.Cursor, salon_id: uuid.UUID, client_id: uuid.UUID) -> Client:
    """Replaces the client's name, email and phone and turns their reminders off; returns them as they were."""
    await cur.execute(
        """UPDATE clients c
              SET first_name = 'Erased', last_name = 'client', email = NULL, phone = NULL,
                  opted_in_reminders = false, erased_at = now()
             FROM (SELECT id, first_name, last_name, email, phone, opted_in_reminders, erased_at
                     FROM clients WHERE id = %s AND salon_id = %s FOR UPDATE) AS before
            WHERE c.id = before.id
        RETURNING before.id, before.first_name, before.last_name, before.email, before.phone,
                  before.opted_in_reminders, before.erased_at""",
        (client_id, salon_id),
    )
    row: Row | None = await cur.fetchone()
    if row is None:
        raise NotFound("no such client", "client_id")
    return Client(**row)
