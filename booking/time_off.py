"""Time a staff member is away: all SQL for time_off.

Free times leave it out (booking.availability) and the database refuses a booking, hold or move into it
(the trigger appointments_not_in_time_off). Time off may be added over booked appointments: they are listed
(``TimeOff.affected``) for the desk to move or cancel, and nothing is moved by itself.
"""

from __future__ import annotations

import datetime as dt
import uuid

from booking import fields, waitlist
from booking.errors import Invalid, NotFound
from booking.models import Salon, TimeOff
from booking.paging import Page, page_of
from db import Database, Row
from db.rows import reader

MAX_LENGTH = dt.timedelta(days=366)  # one entry: a year's leave at most
MAX_REASON = 200
MAX_LISTED = 500  # a member's time off still to come, on one list

read_time_off = reader(TimeOff)

# A member's time off with the booked appointments inside it: one entry (id), or those not ended by a time.
# An appointment is at most 12 hours long (booking.services), so those inside start at most that long before.
_SELECT = """
    SELECT t.id, t.staff_id, lower(t.during) AS start, upper(t.during) AS end, t.reason,
           coalesce((SELECT array_agg(a.id ORDER BY a.start_time, a.id) FROM appointments a
                      WHERE a.salon_id = t.salon_id AND a.staff_id = t.staff_id AND a.status = 'booked'
                        AND a.start_time >= lower(t.during) - interval '12 hours'
                        AND tstzrange(a.start_time, a.end_time) && t.during), '{}') AS affected
      FROM time_off t
     WHERE t.salon_id = %(salon)s AND t.staff_id = %(staff)s
       AND (%(id)s::uuid IS NULL OR t.id = %(id)s) AND (%(now)s::timestamptz IS NULL OR upper(t.during) > %(now)s)
     ORDER BY lower(t.during), t.id LIMIT %(most)s"""


def _checked(start: dt.datetime, end: dt.datetime, reason: str | None) -> str:
    """The reason, if the span is a real one. Compared in UTC: two times of one ZoneInfo compare by the wall clock,
    and across a DST change the later wall-clock time may be the earlier instant."""
    if start.tzinfo is None:
        raise Invalid("{field} needs a UTC offset, e.g. 2030-05-01T10:00:00+01:00", "start")
    if end.tzinfo is None:
        raise Invalid("{field} needs a UTC offset, e.g. 2030-05-01T10:00:00+01:00", "end")
    start, end = start.astimezone(dt.UTC), end.astimezone(dt.UTC)
    if end <= start:
        raise Invalid("{field} must be after the start", "end")
    if end - start > MAX_LENGTH:
        raise Invalid("{field} must be within {days} days of the start", "end", days=str(MAX_LENGTH.days))
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
            """INSERT INTO time_off (salon_id, staff_id, during, reason) VALUES (%s, %s, tstzrange(%s, %s), %s)
               RETURNING id""",
            (salon_id, staff_id, start, end, why),
        )
        added = (await cur.fetchone())["id"]
        await cur.execute(_SELECT, {"salon": salon_id, "staff": staff_id, "id": added, "now": None, "most": 1})
        row: Row = await cur.fetchone()
    return read_time_off(row)


async def list_time_off(
    db: Database, salon_id: uuid.UUID, staff_id: uuid.UUID, *, now: dt.datetime | None = None
) -> list[TimeOff]:
    """A member's time off that has not ended by ``now`` (default: the clock's), soonest first, each with the
    booked appointments still inside it."""
    if await db.fetch_one("SELECT FROM staff WHERE id = %s AND salon_id = %s", (staff_id, salon_id)) is None:
        raise NotFound("no such staff member", "staff_id")
    rows = await db.fetch_all(
        _SELECT,
        {"salon": salon_id, "staff": staff_id, "id": None, "now": now or dt.datetime.now(dt.UTC), "most": MAX_LISTED},
    )
    return [read_time_off(row) for row in rows]


async def remove_time_off(
    db: Database, salon: Salon, staff_id: uuid.UUID, time_off_id: uuid.UUID, *, now: dt.datetime
) -> None:
    """Removes time off; the time it gave back is offered to the waitlist, as a cancelled one is."""
    async with db.transaction() as cur:
        await cur.execute(
            "DELETE FROM time_off WHERE id = %s AND staff_id = %s AND salon_id = %s RETURNING lower(during) AS start",
            (time_off_id, staff_id, salon.id),
        )
        removed = await cur.fetchone()
        if removed is None:
            raise NotFound("no such time off", "time_off_id")
        await waitlist.offer_freed(cur, salon, waitlist.Freed(staff_id, None, removed["start"]), now)


async def away_between(
    db: Database, salon_id: uuid.UUID, start: dt.datetime, end: dt.datetime
) -> dict[uuid.UUID, list[tuple[dt.datetime, dt.datetime]]]:
    """Each member's time off overlapping [start, end) (a day of the calendar), by member."""
    rows = await db.fetch_all(
        """SELECT staff_id, lower(during) AS start, upper(during) AS end FROM time_off
            WHERE salon_id = %s AND during && tstzrange(%s, %s) ORDER BY lower(during)""",
        (salon_id, start, end),
    )
    away: dict[uuid.UUID, list[tuple[dt.datetime, dt.datetime]]] = {}
    for row in rows:
        away.setdefault(row["staff_id"], []).append((row["start"], row["end"]))
    return away


async def away(db: Database, salon_id: uuid.UUID, staff_id: uuid.UUID, start: dt.datetime, end: dt.datetime) -> bool:
    """Whether the member has time off during any of [start, end)."""
    row = await db.fetch_one(
        "SELECT FROM time_off WHERE salon_id = %s AND staff_id = %s AND during && tstzrange(%s, %s) LIMIT 1",
        (salon_id, staff_id, start, end),
    )
    return row is not None


async def page_by_id(
    db: Database, salon_id: uuid.UUID, *, after: uuid.UUID | None, limit: int
) -> Page[TimeOff, uuid.UUID]:
    """The salon's time off, past and to come, after ``after`` in id order (booking.paging): an export's page."""
    rows = await db.fetch_all(
        """SELECT id, staff_id, lower(during) AS start, upper(during) AS end, reason FROM time_off
            WHERE salon_id = %(salon)s AND (%(after)s::uuid IS NULL OR id > %(after)s)
            ORDER BY id LIMIT %(limit)s""",
        {"salon": salon_id, "after": after, "limit": limit},
    )
    return page_of([read_time_off(row) for row in rows], limit)
