"""The salon's clients: all SQL for clients."""

from __future__ import annotations

import uuid

from booking import fields
from booking.errors import NotFound
from booking.models import Client
from db import Database

_COLUMNS = "id, first_name, last_name, email, phone, opted_in_reminders"


def _checked(
    first_name: str, last_name: str, email: str | None, phone: str | None, opted_in_reminders: bool, region: str
) -> tuple[str, str, str | None, str | None, bool]:
    return (*fields.person(first_name, last_name, email), fields.phone(phone, "phone", region), opted_in_reminders)


async def create_client(
    db: Database,
    salon_id: uuid.UUID,
    *,
    first_name: str,
    last_name: str = "",
    email: str | None = None,
    phone: str | None = None,
    opted_in_reminders: bool = False,
    region: str = "GB",
) -> Client:
    """``region`` reads phone numbers written without a +country prefix."""
    row = await db.fetch_one(
        f"""INSERT INTO clients (salon_id, first_name, last_name, email, phone, opted_in_reminders)
            VALUES (%s, %s, %s, %s, %s, %s) RETURNING {_COLUMNS}""",
        (salon_id, *_checked(first_name, last_name, email, phone, opted_in_reminders, region)),
    )
    return Client(**row)


async def update_client(
    db: Database,
    salon_id: uuid.UUID,
    client_id: uuid.UUID,
    *,
    first_name: str,
    last_name: str = "",
    email: str | None = None,
    phone: str | None = None,
    opted_in_reminders: bool = False,
    region: str = "GB",
) -> Client:
    row = await db.fetch_one(
        f"""UPDATE clients SET first_name = %s, last_name = %s, email = %s, phone = %s, opted_in_reminders = %s
             WHERE id = %s AND salon_id = %s RETURNING {_COLUMNS}""",
        (*_checked(first_name, last_name, email, phone, opted_in_reminders, region), client_id, salon_id),
    )
    if row is None:
        raise NotFound("no such client", "clientId")
    return Client(**row)


async def list_clients(db: Database, salon_id: uuid.UUID, search: str = "", limit: int = 500) -> list[Client]:
    rows = await db.fetch_all(
        f"""SELECT {_COLUMNS} FROM clients
             WHERE salon_id = %s
               AND (%s = '' OR first_name || ' ' || last_name ILIKE %s OR email ILIKE %s OR phone LIKE %s)
             ORDER BY first_name, last_name, id LIMIT %s""",
        (salon_id, search, f"%{search}%", f"%{search}%", f"%{search}%", limit),
    )
    return [Client(**row) for row in rows]


async def get_client(db: Database, salon_id: uuid.UUID, client_id: uuid.UUID) -> Client:
    row = await db.fetch_one(f"SELECT {_COLUMNS} FROM clients WHERE id = %s AND salon_id = %s", (client_id, salon_id))
    if row is None:
        raise NotFound("no such client", "clientId")
    return Client(**row)
