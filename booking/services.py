"""What a salon sells: all SQL for services."""

from __future__ import annotations

import uuid

from booking import fields
from booking.errors import Invalid, NotFound
from booking.models import Service
from db import Database

_COLUMNS = "id, name, duration_minutes, price_cents"
MAX_DURATION_MINUTES = 12 * 60


def _checked(name: str, duration_minutes: int, price_cents: int | None) -> tuple[str, int, int | None]:
    if not 5 <= duration_minutes <= MAX_DURATION_MINUTES:
        raise Invalid(f"durationMinutes must be between 5 and {MAX_DURATION_MINUTES}", "durationMinutes")
    if price_cents is not None and not 0 <= price_cents <= 10_000_000:
        raise Invalid("priceCents must be between 0 and 10000000", "priceCents")
    return fields.text(name, "name"), duration_minutes, price_cents


async def create_service(
    db: Database, salon_id: uuid.UUID, *, name: str, duration_minutes: int, price_cents: int | None = None
) -> Service:
    row = await db.fetch_one(
        f"""INSERT INTO services (salon_id, name, duration_minutes, price_cents)
            VALUES (%s, %s, %s, %s) RETURNING {_COLUMNS}""",
        (salon_id, *_checked(name, duration_minutes, price_cents)),
    )
    return Service(**row)


async def update_service(
    db: Database,
    salon_id: uuid.UUID,
    service_id: uuid.UUID,
    *,
    name: str,
    duration_minutes: int,
    price_cents: int | None = None,
) -> Service:
    """Changes a service; appointments already booked keep their times."""
    row = await db.fetch_one(
        f"""UPDATE services SET name = %s, duration_minutes = %s, price_cents = %s
             WHERE id = %s AND salon_id = %s RETURNING {_COLUMNS}""",
        (*_checked(name, duration_minutes, price_cents), service_id, salon_id),
    )
    if row is None:
        raise NotFound("no such service", "serviceId")
    return Service(**row)


async def list_services(db: Database, salon_id: uuid.UUID) -> list[Service]:
    rows = await db.fetch_all(f"SELECT {_COLUMNS} FROM services WHERE salon_id = %s ORDER BY name, id", (salon_id,))
    return [Service(**row) for row in rows]


async def get_service(db: Database, salon_id: uuid.UUID, service_id: uuid.UUID) -> Service:
    row = await db.fetch_one(f"SELECT {_COLUMNS} FROM services WHERE id = %s AND salon_id = %s", (service_id, salon_id))
    if row is None:
        raise NotFound("no such service", "serviceId")
    return Service(**row)
