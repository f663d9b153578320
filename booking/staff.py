"""Staff and their weekly working hours: all SQL for staff and working_hours."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

import aiopg

from booking import fields
from booking.errors import Invalid, LimitReached, NotFound
from booking.locales import clock_time
from booking.models import Staff, StaffDetails, WorkingHours, display_name
from db import Database, Row
from db.rows import reader

MAX_HOUR_SPANS = 50  # a week with breaks every day fits many times over

MAX_STAFF = 200  # per salon: what a page of free times for "anyone" may have to look at

# A salon's staff with their hours, by name; one member (id), or a page of them (after, limit).
_SELECT = """
    SELECT s.id, s.first_name, s.last_name, s.email,
           coalesce(json_agg(json_build_object('weekday', h.weekday, 'start', h.starts, 'end', h.ends)
                             ORDER BY h.weekday, h.starts) FILTER (WHERE h.id IS NOT NULL), '[]') AS hours
      FROM staff s LEFT JOIN working_hours h ON h.staff_id = s.id
     WHERE s.salon_id = %(salon)s AND (%(id)s::uuid IS NULL OR s.id = %(id)s)
       AND (%(after)s::uuid IS NULL OR (s.first_name, s.last_name, s.id) >
            (SELECT first_name, last_name, id FROM staff WHERE id = %(after)s AND salon_id = %(salon)s))
     GROUP BY s.id ORDER BY s.first_name, s.last_name, s.id
     LIMIT %(limit)s"""


read_staff = reader(Staff)


def _staff(row: Row) -> Staff:
    hours = tuple(
        WorkingHours(span["weekday"], dt.time.fromisoformat(span["start"]), dt.time.fromisoformat(span["end"]))
        for span in row.pop("hours")
    )
    return read_staff(row | {"working_hours": hours})


def check_hours(hours: Sequence[WorkingHours]) -> tuple[WorkingHours, ...]:
    """The hours in (weekday, start) order, if each is a real span and none overlaps another on its day.

    An error names the first entry at fault in the order given, as the person typed them.
    """
    if len(hours) > MAX_HOUR_SPANS:
        raise Invalid("{field} has more than {most} entries", "working_hours", most=str(MAX_HOUR_SPANS))
    for index, span in enumerate(hours):
        if not 0 <= span.weekday <= 6:
            raise Invalid("weekday must be 0 (Monday) to 6 (Sunday)", ("working_hours", index, "weekday"))
        if span.start >= span.end:
            raise Invalid("the end must be after the start", ("working_hours", index, "end"))
        if any(
            earlier.weekday == span.weekday and earlier.start < span.end and span.start < earlier.end
            for earlier in hours[:index]
        ):
            raise Invalid("working hours overlap on the same day", ("working_hours", index, "start"))
    return tuple(sorted(hours, key=lambda span: (span.weekday, span.start)))


def within_hours(hours: Sequence[WorkingHours], start: dt.datetime, end: dt.datetime, zone: dt.tzinfo) -> bool:
    """Whether [start, end) lies inside one span of ``hours`` on its salon-local day."""
    day = start.astimezone(zone).date()
    return any(
        dt.datetime.combine(day, span.start, zone) <= start and end <= dt.datetime.combine(day, span.end, zone)
        for span in hours
        if span.weekday == day.weekday()
    )


def hours_text(hours: Sequence[WorkingHours], weekday: int, locale: str) -> str:
    """A day's hours as the salon writes them, joined by en dashes ('09:00 to 12:00, 13:00 to 17:00' in en-GB,
    '9:00 AM to 12:00 PM' in en-US), '' for a day off."""
    return ", ".join(
        f"{clock_time(h.start, locale)}\u2013{clock_time(h.end, locale)}" for h in hours if h.weekday == weekday
    )


async def hours_of(cur: aiopg.Cursor, salon_id: uuid.UUID, staff_id: uuid.UUID) -> tuple[str, tuple[WorkingHours, ...]]:
    """A member's name and weekly hours, read on the caller's transaction."""
    await cur.execute(
        """SELECT s.first_name, s.last_name, h.weekday, h.starts, h.ends
             FROM staff s LEFT JOIN working_hours h ON h.staff_id = s.id
            WHERE s.id = %s AND s.salon_id = %s ORDER BY h.weekday, h.starts""",
        (staff_id, salon_id),
    )
    rows = await cur.fetchall()
    if not rows:
        raise NotFound("no such staff member", "staff_id")
    name = display_name(rows[0]["first_name"], rows[0]["last_name"])
    return name, tuple(WorkingHours(r["weekday"], r["starts"], r["ends"]) for r in rows if r["weekday"] is not None)


async def _write_hours(cur: aiopg.Cursor, staff_id: uuid.UUID, hours: Sequence[WorkingHours]) -> None:
    await cur.execute("DELETE FROM working_hours WHERE staff_id = %s", (staff_id,))
    for span in hours:
        await cur.execute(
            "INSERT INTO working_hours (staff_id, weekday, starts, ends) VALUES (%s, %s, %s, %s)",
            (staff_id, span.weekday, span.start, span.end),
        )


async def create_staff(db: Database, salon_id: uuid.UUID, details: StaffDetails) -> Staff:
    names, hours = (
        fields.person(details.first_name, details.last_name, details.email),
        check_hours(details.working_hours),
    )
    async with db.transaction() as cur:
        await cur.execute("SELECT FROM salons WHERE id = %s FOR UPDATE", (salon_id,))  # one new member at a time
        await cur.execute(
            """INSERT INTO staff (salon_id, first_name, last_name, email)
               SELECT %(salon)s, %(first)s, %(last)s, %(email)s
                WHERE (SELECT count(*) FROM staff WHERE salon_id = %(salon)s) < %(most)s
            RETURNING id""",
            {"salon": salon_id, "first": names[0], "last": names[1], "email": names[2], "most": MAX_STAFF},
        )
        if cur.rowcount == 0:
            raise LimitReached("a salon can have at most {most} staff members", most=str(MAX_STAFF))
        staff_id = (await cur.fetchone())["id"]
        await _write_hours(cur, staff_id, hours)
    return Staff(staff_id, *names, working_hours=hours)


async def update_staff(db: Database, salon_id: uuid.UUID, staff_id: uuid.UUID, details: StaffDetails) -> Staff:
    names, hours = (
        fields.person(details.first_name, details.last_name, details.email),
        check_hours(details.working_hours),
    )
    async with db.transaction() as cur:
        await cur.execute(
            "UPDATE staff SET first_name = %s, last_name = %s, email = %s WHERE id = %s AND salon_id = %s",
            (*names, staff_id, salon_id),
        )
        if cur.rowcount == 0:
            raise NotFound("no such staff member", "staff_id")
        await _write_hours(cur, staff_id, hours)
    return Staff(staff_id, *names, working_hours=hours)


async def list_staff(
    db: Database, salon_id: uuid.UUID, *, after: uuid.UUID | None = None, limit: int = MAX_STAFF
) -> list[Staff]:
    """The salon's staff by name: all of them, or the page after the member ``after``."""
    rows = await db.fetch_all(_SELECT, {"salon": salon_id, "id": None, "after": after, "limit": limit})
    return [_staff(row) for row in rows]


async def get_staff(db: Database, salon_id: uuid.UUID, staff_id: uuid.UUID) -> Staff:
    row = await db.fetch_one(_SELECT, {"salon": salon_id, "id": staff_id, "after": None, "limit": 1})
    if row is None:
        raise NotFound("no such staff member", "staff_id")
    return _staff(row)
