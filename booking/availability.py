"""Free slots: working hours, less what is booked, cut to the service's length, in one statement.

PostgreSQL answers with the free starts only, so a request costs one round trip whatever the salon's
size, and no Python walks a day's spans while other requests wait.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from booking.errors import NotFound
from booking.models import Salon, display_name
from db import Database

SLOT_STEP = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class Slot:
    start: dt.datetime  # on the salon's clock, as a fixed offset (see _on_the_clock)
    end: dt.datetime  # in UTC, so that end - start is real time (Python subtracts two times of one zone by clock)
    staff_id: uuid.UUID
    staff_name: str


# The rule, read by PostgreSQL:
# - service: the service asked for, its buffer, and whether everyone performs it;
# - members: who performs it and works that weekday, each working span with the member's own length for it,
#   the member's busy time of the day as one multirange (booked and held appointments with their buffers: one
#   probe of the overlap constraint's GiST index per member, which holds only booked and held appointments;
#   the one being moved left out), their time off that day as another (one probe of time_off's index), and
#   their place in the staff list's order (by name), ranked once so that choosing among members compares
#   numbers;
# - starts: each distinct working span and length cut once (not once per member) into wall-clock steps
#   (SLOT_STEP) from its start, made instants with AT TIME ZONE; a wall-clock time the night's DST change skips
#   is no start (it does not read back as itself), one it repeats is read as PostgreSQL does (the later). The
#   length is real time; a start is kept when the client's time ends within its span (the buffer may run
#   past it) and is not before not_before;
# - free: a start for a member whose busy time its time and buffer do not overlap, and whose time off its
#   time does not, one per start time: the first free member by place (DISTINCT ON).
# MATERIALIZED keeps each member's busy time read once: inlined, the planner probes it per start.
# The first row says whether the service and the member asked for exist, and stands alone when no start
# is free. A member who does not perform the service is offered no time (booking them is NotOffered).
FREE_STARTS = """
WITH service AS MATERIALIZED (
    SELECT id, duration_minutes, make_interval(mins => buffer_minutes) AS buffer, all_staff
      FROM services WHERE salon_id = %(salon)s AND id = %(service)s
), members AS MATERIALIZED (
    SELECT m.id, m.first_name, m.last_name, h.starts, h.ends, booked.busy, away.off,
           make_interval(mins => coalesce(own.duration_minutes, service.duration_minutes)) AS length,
           dense_rank() OVER (ORDER BY m.first_name, m.last_name, m.id) AS place
      FROM service CROSS JOIN staff m JOIN working_hours h ON h.staff_id = m.id
      LEFT JOIN service_staff own ON own.service_id = service.id AND own.staff_id = m.id
      LEFT JOIN LATERAL (
           SELECT range_agg(busy_span(a.start_time, a.end_time, a.buffer_minutes)) AS busy
             FROM appointments a
            WHERE a.salon_id = %(salon)s AND a.staff_id = m.id AND a.status IN ('booked', 'held')
              AND busy_span(a.start_time, a.end_time, a.buffer_minutes)
                  && tstzrange(%(day)s::timestamp AT TIME ZONE %(zone)s,
                               (%(day)s + 1)::timestamp AT TIME ZONE %(zone)s + service.buffer)
              AND (%(moving)s::uuid IS NULL OR a.id <> %(moving)s)) booked ON true
      LEFT JOIN LATERAL (
           SELECT range_agg(t.during) AS off
             FROM time_off t
            WHERE t.salon_id = %(salon)s AND t.staff_id = m.id
              AND t.during && tstzrange(%(day)s::timestamp AT TIME ZONE %(zone)s,
                                        (%(day)s + 1)::timestamp AT TIME ZONE %(zone)s)) away ON true
     WHERE m.salon_id = %(salon)s AND (%(staff)s::uuid IS NULL OR m.id = %(staff)s) AND h.weekday = %(weekday)s
       AND (service.all_staff OR own.staff_id IS NOT NULL)
), starts AS MATERIALIZED (
    SELECT hours.starts, hours.ends, hours.length, t.start_time,
           tstzrange(t.start_time, t.start_time + hours.length) AS slot,
           tstzrange(t.start_time, t.start_time + hours.length + service.buffer) AS blocks
      FROM service,
           (SELECT DISTINCT starts, ends, length FROM members) hours,
           generate_series(%(day)s + hours.starts, %(day)s + hours.ends, %(step)s) AS local,
           LATERAL (SELECT local AT TIME ZONE %(zone)s AS start_time) t
     WHERE t.start_time AT TIME ZONE %(zone)s = local
       AND t.start_time + hours.length <= (%(day)s + hours.ends) AT TIME ZONE %(zone)s
       AND t.start_time >= %(not_before)s
), free AS (
    SELECT DISTINCT ON (s.start_time) s.start_time, upper(s.slot) AS end_time,
           m.id AS staff_id, m.first_name, m.last_name
      FROM members m JOIN starts s USING (starts, ends, length)
     WHERE (m.busy IS NULL OR NOT m.busy && s.blocks) AND (m.off IS NULL OR NOT m.off && s.slot)
     ORDER BY s.start_time, m.place
)
SELECT EXISTS (SELECT FROM service) AS service_known,
       %(staff)s::uuid IS NULL
       OR EXISTS (SELECT FROM staff WHERE salon_id = %(salon)s AND id = %(staff)s) AS staff_known,
       free.*
  FROM (SELECT) asked LEFT JOIN free ON true
 ORDER BY free.start_time"""


def _on_the_clock(instant: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """``instant`` as the salon's clock shows it, with that moment's offset fixed: in the hour a DST change
    repeats, a time in a ZoneInfo never equals the same instant in another zone (PEP 495), and the time a
    client picks comes back with an offset."""
    local = instant.astimezone(zone)
    return local.replace(tzinfo=dt.timezone(local.utcoffset() or dt.timedelta(0)))


def asking(
    salon: Salon,
    service_id: uuid.UUID,
    day: dt.date,
    staff_id: uuid.UUID | None,
    not_before: dt.datetime,
    moving: uuid.UUID | None,
) -> dict[str, object]:
    """FREE_STARTS's parameters."""
    return {
        "salon": salon.id,
        "service": service_id,
        "staff": staff_id,
        "day": day,
        "weekday": day.weekday(),
        "zone": salon.timezone,
        "not_before": not_before,
        "moving": moving,
        "step": SLOT_STEP,
    }


async def free_slots(
    db: Database,
    salon: Salon,
    *,
    service_id: uuid.UUID,
    day: dt.date,
    staff_id: uuid.UUID | None = None,
    now: dt.datetime | None = None,
    moving: uuid.UUID | None = None,
) -> list[Slot]:
    """Bookable starts on a salon-local day, in time order: one staff member's, or for anyone free one per
    start time (the first free member by name), so a salon's size never multiplies what a page shows. Only
    members who perform the service are offered, each with their own length for it, outside their time off,
    with room for the service's buffer after it before their next appointment.

    Starts step by 15 minutes on the salon's clock from the start of each span of working hours (a time
    the night's DST change skips is none; one it repeats is offered once, at its second occurrence); a
    service's length is real time, right across the change. Nothing before ``now`` (default: the clock's
    now) is offered. ``moving`` is an appointment being rescheduled: its own time counts as free.
    One statement, whatever the salon's size; an unknown service or member is NotFound.
    """
    not_before = now or dt.datetime.now(dt.UTC)
    rows = await db.fetch_all(FREE_STARTS, asking(salon, service_id, day, staff_id, not_before, moving))
    if not rows[0]["service_known"]:
        raise NotFound("no such service", "service_id")
    if not rows[0]["staff_known"]:
        raise NotFound("no such staff member", "staff_id")
    return [
        Slot(
            _on_the_clock(row["start_time"], salon.zone),
            row["end_time"].astimezone(dt.UTC),
            row["staff_id"],
            display_name(row["first_name"], row["last_name"]),
        )
        for row in rows
        if row["start_time"] is not None
    ]
