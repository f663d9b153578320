"""Time a staff member is away: all SQL for time_off.

Free times leave it out (booking.availability) and the database refuses a booking, hold or move into it
(the trigger appointments_not_in_time_off). Time off may be added over booked appointments: they are listed
(``TimeOff.affected``) for the desk to move or cancel, and nothing is moved by itself.
"""

from __future__ import annotations

import datetime as dt
import uuid

from booking import fields
from booking.errors import Invalid, NotFound
from booking.models import TimeOff
from db import Database, Row
from db.rows import reader

MAX_LENGTH = dt.timedelta(days=366)  # one entry: a year's leave at most
MAX_REASON = 200
MAX_LISTED = 500  # a member's time off still to come, on one list

read_time_off = reader(TimeOff)

_COLUMNS = "id, staff_id, lower(during) AS start, upper(during) AS end, reason"


def _checked(start: dt.datetime, end: dt.datetime, reason: str | None) -> str:
    if start.tzinfo is None:
        raise Invalid("{field} needs a UTC offset, e.g. 2030-05-01T10:00:00+01:00", "start")
    if end.tzinfo is None:
        raise Invalid("{field} needs a UTC offset, e.g. 2030-05-01T10:00:00+01:00", "end")
    if end <= start:
        raise Invalid("{field} must be after the start", "end")
    if end - start > MAX_LENGTH:
        raise Invalid(f"{{field}} must be within {MAX_LENGTH.days} days of the start", "end")
    return fields.text(reason, "reason", required=False, max_length=MAX_REASON)


async def add_time_off(
    db: Database,
    salon_id: uuid.UUID,
    staff_id: uuid.UUID,
    *,
    start: dt.datetime,
    end: dt.datetime,
    reason: str | None = None,
) -> TimeOff:
    """Records time off and answers it with the booked appointments inside it (nothing is moved).

    The member's row is locked for update: a booking being made for them at the same time either commits
    first and is listed, or waits and is refused (it locks the row for share, in the trigger).
    """
    why = _checked(start, end, reason)
    async with db.transaction() as cur:
        await cur.execute("SELECT FROM staff WHERE id = %s AND salon_id = %s FOR UPDATE", (staff_id, salon_id))
        if cur.rowcount == 0:
            raise NotFound("no such staff member", "staff_id")
        await cur.execute(
            f"""INSERT INTO time_off (salon_id, staff_id, during, reason) VALUES (%s, %s, tstzrange(%s, %s), %s)
                RETURNING {_COLUMNS}""",
            (salon_id, staff_id, start, end, why),
        )
        row: Row = await cur.fetchone()
        await cur.execute(
            """SELECT id FROM appointments
                WHERE salon_id = %s AND staff_id = %s AND status = 'booked'
                  AND tstzrange(start_time, end_time) && tstzrange(%s, %s)
                ORDER BY start_time, id""",
            (salon_id, staff_id, start, end),
        )
        affected = tuple(found["id"] for found in await cur.fetchall())
    return read_time_off(row | {"affected": affected})


async def list_time_off(
    db: Database, salon_id: uuid.UUID, staff_id: uuid.UUID, *, now: dt.datetime | None = None
) -> list[TimeOff]:
    """A member's time off that has not ended by ``now`` (default: the clock's), soonest first."""
    rows = await db.fetch_all(
        f"""SELECT {_COLUMNS}, EXISTS (SELECT FROM staff WHERE id = %(staff)s AND salon_id = %(salon)s) AS known
              FROM (SELECT) asked LEFT JOIN time_off
                ON salon_id = %(salon)s AND staff_id = %(staff)s AND upper(during) > %(now)s
             ORDER BY lower(during), id LIMIT %(most)s""",
        {"salon": salon_id, "staff": staff_id, "now": now or dt.datetime.now(dt.UTC), "most": MAX_LISTED},
    )
    if not rows[0]["known"]:
        raise NotFound("no such staff member", "staff_id")
    return [read_time_off({k: v for k, v in row.items() if k != "known"}) for row in rows if row["id"] is not None]


async def remove_time_off(db: Database, salon_id: uuid.UUID, staff_id: uuid.UUID, time_off_id: uuid.UUID) -> None:
    removed = await db.execute(
        "DELETE FROM time_off WHERE id = %s AND staff_id = %s AND salon_id = %s", (time_off_id, staff_id, salon_id)
    )
    if not removed:
        raise NotFound("no such time off", "time_off_id")
