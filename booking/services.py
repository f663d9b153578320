"""What a salon sells: all SQL for services."""

from __future__ import annotations

import uuid

from booking import fields
from booking.errors import Invalid, NotFound
from booking.models import Service, ServiceDetails
from db import Database

MAX_DURATION_MINUTES = 12 * 60


def _checked(details: ServiceDetails) -> tuple[str, int, int | None]:
    if not 5 <= details.duration_minutes <= MAX_DURATION_MINUTES:
        raise Invalid(f"{{field}} must be between 5 and {MAX_DURATION_MINUTES}", "duration_minutes")
    if details.price_cents is not None and not 0 <= details.price_cents <= 10_000_000:
        raise Invalid("{field} must be between 0 and 10000000", "price_cents")
    return fields.text(details.name, "name"), details.duration_minutes, details.price_cents


async def create_service(db: Database, salon_id: uuid.UUID, details: ServiceDetails) -> Service:
    row = await db.fetch_row(
        """INSERT INTO services (salon_id, name, duration_minutes, price_cents)
           VALUES (%s, %s, %s, %s) RETURNING id, name, duration_minutes, price_cents""",
        (salon_id, *_checked(details)),
    )
    return Service(**row)


async def update_service(db: Database, salon_id: uuid.UUID, service_id: uuid.UUID, details: ServiceDetails) -> Service:
    """Changes a service; appointments already booked keep their times."""
    row = await db.fetch_one(
        """UPDATE services SET name = %s, duration_minutes = %s, price_cents = %s
            WHERE id = %s AND salon_id = %s RETURNING id, name, duration_minutes, price_cents""",
        (*_checked(details), service_id, salon_id),
    )
    if row is None:
        raise NotFound("no such service", "service_id")
    return Service(**row)


async def list_services(db: Database, salon_id: uuid.UUID) -> list[Service]:
    rows = await db.fetch_all(
        "SELECT id, name, duration_minutes, price_cents FROM services WHERE salon_id = %s ORDER BY name, id",
        (salon_id,),
    )
    return [Service(**row) for row in rows]


async def get_service(db: Database, salon_id: uuid.UUID, service_id: uuid.UUID) -> Service:
    row = await db.fetch_one(
        "SELECT id, name, duration_minutes, price_cents FROM services WHERE id = %s AND salon_id = %s",
        (service_id, salon_id),
    )
    if row is None:
        raise NotFound("no such service", "service_id")
    return Service(**row)
