"""What a salon sells, and who performs it: all SQL for services and service_staff."""

from __future__ import annotations

import uuid

import aiopg

from booking import fields
from booking.errors import Field, Invalid, LimitReached, NotFound
from booking.models import Deposit, Service, ServiceDetails, StaffOverride
from db import Database, Row
from db.rows import reader

MAX_DURATION_MINUTES = 12 * 60
MAX_SERVICES = 1000  # per salon: what the booking form's list of services may hold
MAX_BUFFER_MINUTES = 120
MAX_PRICE_CENTS = 10_000_000

read_service = reader(Service)

# A salon's services by name with who performs each (NULL: everyone) and their own lengths and prices: one
# service (id), or a page of them (after, limit).
_SELECT = """
    SELECT v.id, v.name, v.duration_minutes, v.price_cents, v.buffer_minutes, v.deposit_percent, v.deposit_cents,
           CASE WHEN NOT v.all_staff THEN
                coalesce((SELECT array_agg(o.staff_id ORDER BY o.staff_id) FROM service_staff o
                           WHERE o.service_id = v.id), '{}') END AS staff_ids,
           coalesce((SELECT json_agg(json_build_object('staff_id', o.staff_id, 'duration_minutes', o.duration_minutes,
                                                       'price_cents', o.price_cents) ORDER BY o.staff_id)
                       FROM service_staff o
                      WHERE o.service_id = v.id AND (o.duration_minutes IS NOT NULL OR o.price_cents IS NOT NULL)),
                    '[]') AS staff_overrides
      FROM services v
     WHERE v.salon_id = %(salon)s AND (%(id)s::uuid IS NULL OR v.id = %(id)s)
       AND (%(after)s::uuid IS NULL OR (v.name, v.id) >
            (SELECT name, id FROM services WHERE id = %(after)s AND salon_id = %(salon)s))
     ORDER BY v.name, v.id LIMIT %(limit)s"""


def _service(row: Row) -> Service:
    overrides = tuple(
        StaffOverride(uuid.UUID(o["staff_id"]), o["duration_minutes"], o["price_cents"])
        for o in row.pop("staff_overrides")
    )
    percent, cents = row.pop("deposit_percent"), row.pop("deposit_cents")
    deposit = Deposit(percent, cents) if percent is not None or cents is not None else None
    return read_service(row | {"staff_overrides": overrides, "deposit": deposit})


def _price(cents: int | None, field: Field) -> None:
    if cents is not None and not 0 <= cents <= MAX_PRICE_CENTS:
        raise Invalid("{field} must be between 0 and {most}", field, most=str(MAX_PRICE_CENTS))


_CURRENCY = "SELECT currency FROM salons WHERE id = %s"
_LOCKED_CURRENCY = _CURRENCY + " FOR UPDATE"


async def _in_whole_units(cur: aiopg.Cursor, salon_id: uuid.UUID, details: ServiceDetails, *, lock: bool) -> None:
    """The salon's currency read (its row locked with ``lock``), then each amount in whole units of it: the forms
    refuse ¥65.50, and the API a price of 650050 cents in yen."""
    read = _LOCKED_CURRENCY if lock else _CURRENCY
    await cur.execute(read, (salon_id,))
    currency = (await cur.fetchone())["currency"]
    fields.in_whole_units(details.price_cents, "price_cents", currency)
    for index, own in enumerate(details.staff_overrides):
        fields.in_whole_units(own.price_cents, ("staff_overrides", index, "price_cents"), currency)
    fields.in_whole_units(details.deposit.amount_cents if details.deposit else None, ("deposit", "amount_cents"),
                          currency)  # fmt: skip


def _length(minutes: int, field: Field) -> None:
    if not 5 <= minutes <= MAX_DURATION_MINUTES:
        raise Invalid("{field} must be between 5 and {most}", field, most=str(MAX_DURATION_MINUTES))


def _checked(details: ServiceDetails) -> ServiceDetails:
    """The details, if every rule holds; an error names the first field at fault."""
    name = fields.text(details.name, "name")
    _length(details.duration_minutes, "duration_minutes")
    _price(details.price_cents, "price_cents")
    if not 0 <= details.buffer_minutes <= MAX_BUFFER_MINUTES:
        raise Invalid("{field} must be between 0 and {most}", "buffer_minutes", most=str(MAX_BUFFER_MINUTES))
    performers = details.staff_ids
    for index, staff_id in enumerate(performers or ()):
        if staff_id in (performers or ())[:index]:
            raise Invalid("{field} names a staff member twice", ("staff_ids", index))
    seen: list[uuid.UUID] = []
    for index, override in enumerate(details.staff_overrides):
        if override.staff_id in seen:
            raise Invalid("{field} names a staff member twice", ("staff_overrides", index, "staff_id"))
        if performers is not None and override.staff_id not in performers:
            raise Invalid("{field} is not one of the staff who perform it", ("staff_overrides", index, "staff_id"))
        if override.duration_minutes is not None:
            _length(override.duration_minutes, ("staff_overrides", index, "duration_minutes"))
        _price(override.price_cents, ("staff_overrides", index, "price_cents"))
        seen.append(override.staff_id)
    deposit = details.deposit
    if deposit is not None:
        deposit = _deposit(deposit.percent, deposit.amount_cents)
    return ServiceDetails(name, details.duration_minutes, details.price_cents, details.buffer_minutes,
                          performers, details.staff_overrides, deposit)  # fmt: skip


def _deposit(percent: int | None, amount_cents: int | None) -> Deposit | None:
    """A service's deposit as asked, or None for none; Invalid names the field at fault."""
    if percent is not None and amount_cents is not None:
        raise Invalid("give a percent or an amount, not both", ("deposit", "amount_cents"))
    if percent is not None and not 1 <= percent <= 100:
        raise Invalid("{field} must be between 1 and 100", ("deposit", "percent"))
    if amount_cents is not None and not 1 <= amount_cents <= MAX_PRICE_CENTS:
        raise Invalid("{field} must be between 1 and {most}", ("deposit", "amount_cents"), most=str(MAX_PRICE_CENTS))
    return Deposit(percent, amount_cents) if percent is not None or amount_cents is not None else None


async def _write_staff(cur: aiopg.Cursor, salon_id: uuid.UUID, service_id: uuid.UUID, details: ServiceDetails) -> None:
    """Who performs the service and their own lengths and prices; another salon's staff is not found."""
    named = [*(details.staff_ids or ()), *(o.staff_id for o in details.staff_overrides)]
    await cur.execute("SELECT id FROM staff WHERE salon_id = %s AND id = ANY(%s)", (salon_id, named))
    known = {row["id"] for row in await cur.fetchall()}
    for index, staff_id in enumerate(details.staff_ids or ()):
        if staff_id not in known:
            raise NotFound("no such staff member", ("staff_ids", index))
    for index, override in enumerate(details.staff_overrides):
        if override.staff_id not in known:
            raise NotFound("no such staff member", ("staff_overrides", index, "staff_id"))
    own = {o.staff_id: o for o in details.staff_overrides}
    rows = [own.get(staff_id, StaffOverride(staff_id)) for staff_id in dict.fromkeys(named)]
    await cur.execute("DELETE FROM service_staff WHERE service_id = %s AND salon_id = %s", (service_id, salon_id))
    await cur.execute(
        """INSERT INTO service_staff (salon_id, service_id, staff_id, duration_minutes, price_cents)
           SELECT %s, %s, * FROM unnest(%s::uuid[], %s::integer[], %s::integer[])""",
        (salon_id, service_id, [r.staff_id for r in rows], [r.duration_minutes for r in rows],
         [r.price_cents for r in rows]),
    )  # fmt: skip


def _deposit_columns(details: ServiceDetails) -> dict[str, int | None]:
    deposit = details.deposit or Deposit()
    return {"percent": deposit.percent, "cents": deposit.amount_cents}


async def _read(cur: aiopg.Cursor, salon_id: uuid.UUID, service_id: uuid.UUID) -> Service:
    await cur.execute(_SELECT, {"salon": salon_id, "id": service_id, "after": None, "limit": 1})
    row: Row | None = await cur.fetchone()
    if row is None:
        raise NotFound("no such service", "service_id")
    return _service(row)


async def create_service(db: Database, salon_id: uuid.UUID, details: ServiceDetails) -> Service:
    details = _checked(details)
    async with db.transaction() as cur:
        await _in_whole_units(cur, salon_id, details, lock=True)  # one new service at a time
        await cur.execute(
            """INSERT INTO services (salon_id, name, duration_minutes, price_cents, buffer_minutes, all_staff,
                                    deposit_percent, deposit_cents)
               SELECT %(salon)s, %(name)s, %(duration)s, %(price)s, %(buffer)s, %(everyone)s, %(percent)s, %(cents)s
                WHERE (SELECT count(*) FROM services WHERE salon_id = %(salon)s) < %(most)s
            RETURNING id""",
            {"salon": salon_id, "name": details.name, "duration": details.duration_minutes,
             "price": details.price_cents, "buffer": details.buffer_minutes, "everyone": details.staff_ids is None,
             "most": MAX_SERVICES, **_deposit_columns(details)},
        )  # fmt: skip
        row: Row | None = await cur.fetchone()
        if row is None:
            raise LimitReached("a salon can have at most {most} services", most=str(MAX_SERVICES))
        await _write_staff(cur, salon_id, row["id"], details)
        return await _read(cur, salon_id, row["id"])


async def update_service(db: Database, salon_id: uuid.UUID, service_id: uuid.UUID, details: ServiceDetails) -> Service:
    """Changes a service; appointments already booked keep their times and buffers."""
    details = _checked(details)
    async with db.transaction() as cur:
        await _in_whole_units(cur, salon_id, details, lock=False)
        await cur.execute(
            """UPDATE services SET name = %(name)s, duration_minutes = %(duration)s, price_cents = %(price)s,
                                   buffer_minutes = %(buffer)s, all_staff = %(everyone)s, deposit_percent = %(percent)s,
                                   deposit_cents = %(cents)s
                WHERE id = %(id)s AND salon_id = %(salon)s""",
            {"name": details.name, "duration": details.duration_minutes, "price": details.price_cents,
             "buffer": details.buffer_minutes, "everyone": details.staff_ids is None, "id": service_id,
             "salon": salon_id, **_deposit_columns(details)},
        )  # fmt: skip
        if cur.rowcount == 0:
            raise NotFound("no such service", "service_id")
        await _write_staff(cur, salon_id, service_id, details)
        return await _read(cur, salon_id, service_id)


def details_of(service: Service) -> ServiceDetails:
    """What the salon said about a service: the start of a change that gives only some of it."""
    return ServiceDetails(service.name, service.duration_minutes, service.price_cents, service.buffer_minutes,
                          service.staff_ids, service.staff_overrides, service.deposit)  # fmt: skip


async def list_services(
    db: Database, salon_id: uuid.UUID, *, after: uuid.UUID | None = None, limit: int = MAX_SERVICES
) -> list[Service]:
    """The salon's services by name: all of them, or the page after the service ``after``."""
    rows = await db.fetch_all(_SELECT, {"salon": salon_id, "id": None, "after": after, "limit": limit})
    return [_service(row) for row in rows]


async def get_service(db: Database, salon_id: uuid.UUID, service_id: uuid.UUID) -> Service:
    rows = await db.fetch_all(_SELECT, {"salon": salon_id, "id": service_id, "after": None, "limit": 1})
    if not rows:
        raise NotFound("no such service", "service_id")
    return _service(rows[0])
