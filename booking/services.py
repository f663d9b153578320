"""What a salon sells: all SQL for services."""

from __future__ import annotations

import uuid

from booking import fields
from booking.errors import Invalid, LimitReached, NotFound
from booking.models import Service, ServiceDetails
from db import Database, Row
from db.rows import reader

MAX_DURATION_MINUTES = 12 * 60
MAX_SERVICES = 1000  # per salon: what the booking form's list of services may hold

read_service = reader(Service)


def _checked(details: ServiceDetails) -> tuple[str, int, int | None]:
    if not 5 <= details.duration_minutes <= MAX_DURATION_MINUTES:
        raise Invalid(f"{{field}} must be between 5 and {MAX_DURATION_MINUTES}", "duration_minutes")
    if details.price_cents is not None and not 0 <= details.price_cents <= 10_000_000:
        raise Invalid("{field} must be between 0 and 10000000", "price_cents")
    return fields.text(details.name, "name"), details.duration_minutes, details.price_cents


async def create_service(db: Database, salon_id: uuid.UUID, details: ServiceDetails) -> Service:
    name, duration, price = _checked(details)
    async with db.transaction() as cur:
        await cur.execute("SELECT FROM salons WHERE id = %s FOR UPDATE", (salon_id,))  # one new service at a time
        await cur.execute(
            """INSERT INTO services (salon_id, name, duration_minutes, price_cents)
               SELECT %(salon)s, %(name)s, %(duration)s, %(price)s
                WHERE (SELECT count(*) FROM services WHERE salon_id = %(salon)s) < %(most)s
            RETURNING id, name, duration_minutes, price_cents""",
            {"salon": salon_id, "name": name, "duration": duration, "price": price, "most": MAX_SERVICES},
        )
        row: Row | None = await cur.fetchone()
    if row is None:
        raise LimitReached(f"a salon can have at most {MAX_SERVICES} services")
    return read_service(row)


async def update_service(db: Database, salon_id: uuid.UUID, service_id: uuid.UUID, details: ServiceDetails) -> Service:
    """Changes a service; appointments already booked keep their times."""
    row = await db.fetch_one(
        """UPDATE services SET name = %s, duration_minutes = %s, price_cents = %s
            WHERE id = %s AND salon_id = %s RETURNING id, name, duration_minutes, price_cents""",
        (*_checked(details), service_id, salon_id),
    )
    if row is None:
        raise NotFound("no such service", "service_id")
    return read_service(row)


async def list_services(
    db: Database, salon_id: uuid.UUID, *, after: uuid.UUID | None = None, limit: int = MAX_SERVICES
) -> list[Service]:
    """The salon's services by name: all of them, or the page after the service ``after``."""
    rows = await db.fetch_all(
        """SELECT id, name, duration_minutes, price_cents FROM services
            WHERE salon_id = %(salon)s
              AND (%(after)s::uuid IS NULL OR (name, id) >
                   (SELECT name, id FROM services WHERE id = %(after)s AND salon_id = %(salon)s))
            ORDER BY name, id LIMIT %(limit)s""",
        {"salon": salon_id, "after": after, "limit": limit},
    )
    return [read_service(row) for row in rows]


async def get_service(db: Database, salon_id: uuid.UUID, service_id: uuid.UUID) -> Service:
    row = await db.fetch_one(
        "SELECT id, name, duration_minutes, price_cents FROM services WHERE id = %s AND salon_id = %s",
        (service_id, salon_id),
    )
    if row is None:
        raise NotFound("no such service", "service_id")
    return read_service(row)
