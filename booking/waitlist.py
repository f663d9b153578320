"""The waitlist: clients waiting for a time that suits them, and the freed times offered to them.

All SQL for waitlist_entries and waitlist_offers. When a time frees (a cancellation, a move, a hold released,
time off removed), whoever freed it calls ``offer_freed`` on the same transaction: one indexed query finds the
first OFFERS_PER_TIME waiting entries, in the order they joined, for whom that time fits, and queues each an
offer (a ``waitlist_offer`` job, through the queue, within the salon's quiet hours). The worker looks again
just before it sends (worker.delivery). Claiming an offer books it on one transaction
(booking.self_service.claim_offer): the overlap constraint lets exactly one claim of a time win.

A client who joins online is an 'unverified' entry until the code they were sent is typed (booking.online);
an unverified entry is never offered anything.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from enum import StrEnum

import aiopg
import psycopg2.errors

from booking import clients, fields, notifications, texting
from booking.clients import ERASED
from booking.errors import Conflict, Invalid, NotFound
from booking.models import Client, Salon, Source, display_name
from booking.paging import Page
from db import Database, Row
from db.rows import reader
from jobqueue import queue

OFFERS_PER_TIME = 5  # entries a freed time is offered to at once, in the order they joined
LONGEST_WAIT = dt.timedelta(days=366)  # how far ahead an entry's last day may be
UNVERIFIED_KEPT = dt.timedelta(days=1)  # an entry whose code was never typed goes after this


class EntryStatus(StrEnum):
    UNVERIFIED = "unverified"  # joined online; the code not typed yet: never offered anything
    WAITING = "waiting"
    BOOKED = "booked"  # an offer was claimed
    LEFT = "left"  # the client left the list (their offer's link), or the desk took them off
    EXPIRED = "expired"  # past its last day


@dataclass(frozen=True)
class Wish:
    """What a client waits for: a service, with someone (None: anyone), on salon-local days and start times."""

    service_id: uuid.UUID
    staff_id: uuid.UUID | None
    from_date: dt.date
    to_date: dt.date
    earliest: dt.time | None = None
    latest: dt.time | None = None


@dataclass(frozen=True)
class Entry:
    id: uuid.UUID
    client_id: uuid.UUID | None  # none while unverified
    service_id: uuid.UUID
    staff_id: uuid.UUID | None
    from_date: dt.date
    to_date: dt.date
    earliest: dt.time | None
    latest: dt.time | None
    status: EntryStatus
    source: Source
    joined_at: dt.datetime
    client_name: str = ""
    service_name: str = ""
    staff_name: str = ""  # "" for anyone


@dataclass(frozen=True)
class Freed:
    """A time that has just become free: ``staff_id``'s, from ``start``, for ``service_id`` (what was booked there),
    or for any service that fits (None: e.g. time off removed, whose span names no service)."""

    staff_id: uuid.UUID
    service_id: uuid.UUID | None
    start: dt.datetime
    freed_by: uuid.UUID | None = None  # the appointment cancelled or moved away, if one was


@dataclass(frozen=True)
class Offer:
    """A freed time offered to one entry, as its link shows it."""

    id: uuid.UUID
    salon_id: uuid.UUID
    entry_id: uuid.UUID
    client_id: uuid.UUID
    staff_id: uuid.UUID
    service_id: uuid.UUID
    start_time: dt.datetime
    end_time: dt.datetime
    entry_status: EntryStatus
    appointment_id: uuid.UUID | None  # what its claim booked
    offered_at: dt.datetime
    claimed_at: dt.datetime | None
    client_first_name: str
    staff_first_name: str
    service_name: str


read_entry = reader(Entry)
read_offer = reader(Offer)


def checked(salon: Salon, wish: Wish, now: dt.datetime) -> Wish:
    """The wish, if it can ever be met: its days in order, not over yet, within a year; its times in order."""
    today = now.astimezone(salon.zone).date()
    checks = fields.Checks()
    if wish.to_date < wish.from_date:
        checks.errors.append(Invalid("{field} is before the first day", "to_date"))
    elif wish.to_date < today:
        checks.errors.append(Invalid("{field} is in the past", "to_date"))
    elif wish.to_date > today + LONGEST_WAIT:
        checks.errors.append(Invalid("{field} is more than {days} days ahead", "to_date", days=str(LONGEST_WAIT.days)))
    if wish.earliest is not None and wish.latest is not None and wish.latest < wish.earliest:
        checks.errors.append(Invalid("{field} is before the earliest time", "latest"))
    checks.done()
    return wish


def reachable(client: Client, salon: Salon) -> tuple[str, ...]:
    """Where an offer to ``client`` goes: their email and a number the salon texts (not one that said STOP)."""
    texts = not client.sms_opt_out and texting.textable(client.phone, salon.sms_countries)
    return tuple(channel for channel, reached in (("email", bool(client.email)), ("sms", texts)) if reached)


_NOT_FOUND_BY_CONSTRAINT = {
    "waitlist_entries_client_fkey": NotFound("no such client", "client_id"),
    "waitlist_entries_staff_fkey": NotFound("no such staff member", "staff_id"),
    "waitlist_entries_service_fkey": NotFound("no such service", "service_id"),
}


async def _insert(
    cur: aiopg.Cursor, salon: Salon, client_id: uuid.UUID | None, wish: Wish, status: EntryStatus, source: Source,
    now: dt.datetime,
) -> uuid.UUID:  # fmt: skip
    try:
        await cur.execute(
            """INSERT INTO waitlist_entries (salon_id, client_id, service_id, staff_id, from_date, to_date, earliest,
                                             latest, status, source, joined_at)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id""",
            (salon.id, client_id, wish.service_id, wish.staff_id, wish.from_date, wish.to_date, wish.earliest,
             wish.latest, status, source, now),
        )  # fmt: skip
    except psycopg2.errors.ForeignKeyViolation as exc:
        raise _NOT_FOUND_BY_CONSTRAINT[exc.diag.constraint_name or ""] from None
    row: Row = await cur.fetchone()
    entry_id: uuid.UUID = row["id"]
    return entry_id


async def add(
    db: Database, salon: Salon, client_id: uuid.UUID, wish: Wish, *, source: Source, now: dt.datetime
) -> Entry:
    """The desk puts a client of the salon on the list; they must be reachable, or no offer could reach them."""
    wish = checked(salon, wish, now)
    async with db.transaction() as cur:
        await cur.execute(
            """SELECT id, first_name, last_name, email, phone, opted_in_reminders, erased_at,
                      EXISTS (SELECT FROM sms_opt_outs o WHERE o.phone = clients.phone) AS sms_opt_out
                 FROM clients WHERE id = %s AND salon_id = %s FOR KEY SHARE""",
            (client_id, salon.id),
        )
        row: Row | None = await cur.fetchone()
        if row is None:
            raise NotFound("no such client", "client_id")
        client = clients.read_client(row)
        if client.erased_at is not None:
            raise Conflict(ERASED, "client_id")
        if not reachable(client, salon):
            raise Invalid("the client has no email address or mobile number the salon texts, for offers", "client_id")
        entry_id = await _insert(cur, salon, client_id, wish, EntryStatus.WAITING, source, now)
        return await read(cur, salon.id, entry_id)


async def add_unverified(cur: aiopg.Cursor, salon: Salon, wish: Wish, now: dt.datetime) -> uuid.UUID:
    """An entry made online, waiting for its code (booking.online): nothing is offered to it until then."""
    return await _insert(cur, salon, None, checked(salon, wish, now), EntryStatus.UNVERIFIED, Source.ONLINE, now)


async def verified(cur: aiopg.Cursor, salon_id: uuid.UUID, entry_id: uuid.UUID, client_id: uuid.UUID) -> None:
    """The code was right: the entry is ``client_id``'s and waits, in the order it joined."""
    await cur.execute(
        """UPDATE waitlist_entries SET client_id = %s, status = 'waiting'
            WHERE id = %s AND salon_id = %s AND status = 'unverified'""",
        (client_id, entry_id, salon_id),
    )


_SELECT = """
    SELECT e.id, e.client_id, e.service_id, e.staff_id, e.from_date, e.to_date, e.earliest, e.latest, e.status,
           e.source, e.joined_at, c.first_name AS client_first_name, c.last_name AS client_last_name,
           sv.name AS service_name, st.first_name AS staff_first_name, st.last_name AS staff_last_name
      FROM waitlist_entries e
      JOIN services sv ON sv.id = e.service_id
      LEFT JOIN clients c ON c.id = e.client_id
      LEFT JOIN staff st ON st.id = e.staff_id
     WHERE e.salon_id = %(salon)s AND e.status <> 'unverified'
       AND (%(id)s::uuid IS NULL OR e.id = %(id)s)
       AND (%(after)s::uuid IS NULL OR (e.joined_at, e.id) >
            (SELECT joined_at, id FROM waitlist_entries WHERE id = %(after)s AND salon_id = %(salon)s))
     ORDER BY e.joined_at, e.id
     LIMIT %(limit)s"""


def _named(row: Row) -> Entry:
    client = display_name(row.pop("client_first_name") or "", row.pop("client_last_name") or "")
    staff = display_name(row.pop("staff_first_name") or "", row.pop("staff_last_name") or "")
    return read_entry(row | {"client_name": client, "staff_name": staff})


async def read(cur: aiopg.Cursor, salon_id: uuid.UUID, entry_id: uuid.UUID) -> Entry:
    """An entry as every answer shows it, on the caller's transaction."""
    await cur.execute(_SELECT, {"salon": salon_id, "id": entry_id, "after": None, "limit": 1})
    return _named(await cur.fetchone())


async def list_entries(db: Database, salon_id: uuid.UUID, *, after: uuid.UUID | None = None, limit: int) -> list[Entry]:
    """The salon's entries in the order they joined (the order offers go in), a page after ``after``."""
    params = {"salon": salon_id, "id": None, "after": after, "limit": limit}
    return [_named(row) for row in await db.fetch_all(_SELECT, params)]


async def page_of(db: Database, salon_id: uuid.UUID, *, after: uuid.UUID | None, limit: int) -> Page[Entry, uuid.UUID]:
    """An export's page of the salon's entries (booking.paging): an entry once listed is never deleted, so the
    page's last one always finds its place for the next."""
    found = await list_entries(db, salon_id, after=after, limit=limit)
    return Page(found, found[-1].id if len(found) == limit else None)


# --- offers ------------------------------------------------------------------------------------------------

# The first entries, in the order they joined, for whom the freed time fits: their service (or, freed with no
# service, any) if the stylist performs it, with that stylist or anyone, on one of their days, at one of their
# start times, and the stylist free for the whole of their service and its buffer (their own length for it if
# they have one), and not away. One probe of waitlist_entries_matching (the entries whose days hold the freed
# day), the first few of them in join order; each becomes an offer, in the same statement.
_MATCH = """
    WITH matched AS (
        SELECT e.id, e.client_id, e.joined_at, span.end_time
          FROM waitlist_entries e
          JOIN services sv ON sv.id = e.service_id
          LEFT JOIN service_staff own ON own.service_id = sv.id AND own.staff_id = %(staff)s
          JOIN clients c ON c.id = e.client_id AND c.erased_at IS NULL
          CROSS JOIN LATERAL (
              SELECT %(start)s::timestamptz
                     + make_interval(mins => coalesce(own.duration_minutes, sv.duration_minutes)) AS end_time) span
         WHERE e.salon_id = %(salon)s AND e.status = 'waiting'
           AND (%(service)s::uuid IS NULL OR e.service_id = %(service)s)
           AND (sv.all_staff OR own.staff_id IS NOT NULL)
           AND (e.staff_id IS NULL OR e.staff_id = %(staff)s)
           AND daterange(e.from_date, e.to_date, '[]') @> %(day)s::date
           AND (e.earliest IS NULL OR e.earliest <= %(clock)s) AND (e.latest IS NULL OR %(clock)s <= e.latest)
           AND NOT EXISTS (
               SELECT FROM appointments taken
                WHERE taken.salon_id = %(salon)s AND taken.staff_id = %(staff)s
                  AND taken.status IN ('booked', 'held')
                  AND busy_span(taken.start_time, taken.end_time, taken.buffer_minutes)
                      && busy_span(%(start)s, span.end_time, sv.buffer_minutes))
           AND NOT EXISTS (
               SELECT FROM time_off away
                WHERE away.salon_id = %(salon)s AND away.staff_id = %(staff)s
                  AND away.during && tstzrange(%(start)s, span.end_time))
         ORDER BY e.joined_at, e.id
         LIMIT %(limit)s),
    offered AS (
        INSERT INTO waitlist_offers (salon_id, entry_id, staff_id, start_time, end_time, freed_by, offered_at)
        SELECT %(salon)s, matched.id, %(staff)s, %(start)s, matched.end_time, %(freed_by)s, %(now)s FROM matched
        RETURNING id, entry_id)
    SELECT offered.id AS offer_id, c.id, c.first_name, c.last_name, c.email, c.phone, c.opted_in_reminders,
           EXISTS (SELECT FROM sms_opt_outs o WHERE o.phone = c.phone) AS sms_opt_out
      FROM offered
      JOIN matched ON matched.id = offered.entry_id
      JOIN clients c ON c.id = matched.client_id
     ORDER BY matched.joined_at, matched.id"""


async def offer_freed(cur: aiopg.Cursor, salon: Salon, freed: Freed, now: dt.datetime) -> list[uuid.UUID]:
    """Offers a time that just freed to the first OFFERS_PER_TIME waiting entries it suits, on the caller's
    transaction (the one that freed it); returns the offers' ids. Nothing is offered inside the salon's minimum
    notice for online bookings, nor when its quiet hours would hold the offers until too near the time.

    Whatever frees a time calls this: a cancellation or a move (booking.appointments), a hold released (its
    ``release``); time off removed would call it with the span's start and no service.
    """
    start = freed.start.astimezone(dt.UTC)
    if start < now + dt.timedelta(minutes=salon.online_booking.min_notice_minutes):
        return []
    run_at = salon.quiet_hours.place(now, start, salon.zone) if salon.quiet_hours else now
    if run_at is None:
        return []
    local = start.astimezone(salon.zone)
    await cur.execute(
        _MATCH,
        {"salon": salon.id, "service": freed.service_id, "staff": freed.staff_id, "start": start, "day": local.date(),
         "clock": local.time().replace(tzinfo=None), "limit": OFFERS_PER_TIME, "freed_by": freed.freed_by,
         "now": now},
    )  # fmt: skip
    offers = []
    for row in await cur.fetchall():
        offer_id = row.pop("offer_id")
        client = clients.read_client(row)
        channels = reachable(client, salon)
        if channels:
            job = notifications.for_offer(offer_id, channels, run_at)
            await queue.enqueue(cur, salon_id=salon.id, client_id=client.id, appointment_id=None, jobs=[job])
        offers.append(offer_id)
    return offers


_OFFER = """
    SELECT o.id, o.salon_id, o.entry_id, e.client_id, o.staff_id, e.service_id, o.start_time, o.end_time,
           e.status AS entry_status, o.appointment_id, o.offered_at, o.claimed_at,
           coalesce(c.first_name, '') AS client_first_name, st.first_name AS staff_first_name,
           sv.name AS service_name
      FROM waitlist_offers o
      JOIN waitlist_entries e ON e.id = o.entry_id
      JOIN clients c ON c.id = e.client_id
      JOIN staff st ON st.id = o.staff_id
      JOIN services sv ON sv.id = e.service_id
     WHERE o.id = %s"""


async def find_offer(db: Database, offer_id: uuid.UUID) -> Offer | None:
    """An offer by its id alone, for its link (which names no salon)."""
    row = await db.fetch_one(_OFFER, (offer_id,))
    return read_offer(row) if row else None


async def still_free(db: Database, offer: Offer) -> bool:
    """Whether nobody holds any of the offered time now (its link says it has gone otherwise)."""
    row = await db.fetch_one(
        """SELECT NOT EXISTS (
                      SELECT FROM appointments taken
                       WHERE taken.salon_id = %(salon)s AND taken.staff_id = %(staff)s
                         AND taken.status IN ('booked', 'held')
                         AND busy_span(taken.start_time, taken.end_time, taken.buffer_minutes)
                             && busy_span(%(start)s, %(end)s,
                                          (SELECT buffer_minutes FROM services WHERE id = %(service)s)))
                  AND NOT EXISTS (
                      SELECT FROM time_off away
                       WHERE away.salon_id = %(salon)s AND away.staff_id = %(staff)s
                         AND away.during && tstzrange(%(start)s, %(end)s)) AS free""",
        {
            "salon": offer.salon_id,
            "staff": offer.staff_id,
            "service": offer.service_id,
            "start": offer.start_time,
            "end": offer.end_time,
        },
    )
    return bool(row and row["free"])


async def offer_for_claim(cur: aiopg.Cursor, offer_id: uuid.UUID) -> Offer | None:
    """The offer, its entry locked: two claims through one entry's offers (a double click) take turns. NO KEY
    UPDATE, so a cancellation offering the entry another time meanwhile (its foreign key's KEY SHARE) need not
    wait for the claim, which may itself wait for that cancellation on the overlap constraint."""
    await cur.execute(_OFFER + " FOR NO KEY UPDATE OF e", (offer_id,))
    row: Row | None = await cur.fetchone()
    return read_offer(row) if row else None


async def claimed(cur: aiopg.Cursor, offer: Offer, appointment_id: uuid.UUID, now: dt.datetime) -> None:
    """The claim booked ``appointment_id``: the offer says so and the entry has ended, booked."""
    await cur.execute(
        """UPDATE waitlist_offers SET appointment_id = %s, claimed_at = %s WHERE id = %s;
           UPDATE waitlist_entries SET status = 'booked', ended_at = %s WHERE id = %s AND status = 'waiting'""",
        (appointment_id, now, offer.id, now, offer.entry_id),
    )


async def leave(db: Database, salon_id: uuid.UUID, entry_id: uuid.UUID, now: dt.datetime) -> bool:
    """The client leaves the list (the link in any offer); False when the entry had ended already."""
    ended = await db.execute(
        """UPDATE waitlist_entries SET status = 'left', ended_at = %s
            WHERE id = %s AND salon_id = %s AND status = 'waiting'""",
        (now, entry_id, salon_id),
    )
    return ended == 1


async def remove(db: Database, salon_id: uuid.UUID, entry_id: uuid.UUID, now: dt.datetime) -> None:
    """The desk takes a waiting client off the list."""
    ended = await db.execute(
        """UPDATE waitlist_entries SET status = 'left', ended_at = %s
            WHERE id = %s AND salon_id = %s AND status = 'waiting'""",
        (now, entry_id, salon_id),
    )
    if ended != 1:
        raise NotFound("no such waiting client", "entry_id")


async def client_erased(cur: aiopg.Cursor, salon_id: uuid.UUID, client_id: uuid.UUID) -> None:
    """A client whose data was erased waits no more (booking.client_data): nothing could reach them."""
    await cur.execute(
        """UPDATE waitlist_entries SET status = 'left', ended_at = now()
            WHERE client_id = %s AND salon_id = %s AND status = 'waiting'""",
        (client_id, salon_id),
    )


class OfferStatus(StrEnum):
    PENDING = "pending"  # not claimed: its link may still book it, unless another's claim took the time
    CLAIMED = "claimed"  # its claim booked ``appointment_id``


@dataclass(frozen=True)
class OfferNote:
    """An offer as an appointment's record shows it (its page and its API answer): the freed time offered to a
    client, and if it was claimed."""

    id: uuid.UUID
    entry_id: uuid.UUID
    client_id: uuid.UUID
    client_name: str
    status: OfferStatus
    start_time: dt.datetime
    end_time: dt.datetime
    offered_at: dt.datetime
    claimed_at: dt.datetime | None
    appointment_id: uuid.UUID | None  # what its claim booked


read_note = reader(OfferNote)


async def offers_about(db: Database, salon_id: uuid.UUID, appointment_id: uuid.UUID) -> list[OfferNote]:
    """The offers an appointment's record shows: of the time it freed, and the one whose claim booked it."""
    rows = await db.fetch_all(
        """SELECT o.id, o.entry_id, e.client_id, c.first_name AS client_first_name,
                  c.last_name AS client_last_name,
                  CASE WHEN o.claimed_at IS NULL THEN 'pending' ELSE 'claimed' END AS status,
                  o.start_time, o.end_time, o.offered_at, o.claimed_at, o.appointment_id
             FROM waitlist_offers o
             JOIN waitlist_entries e ON e.id = o.entry_id
             JOIN clients c ON c.id = e.client_id
            WHERE o.salon_id = %(salon)s AND (o.freed_by = %(id)s OR o.appointment_id = %(id)s)
            ORDER BY o.offered_at, e.joined_at, o.id""",
        {"salon": salon_id, "id": appointment_id},
    )
    return [
        read_note(row | {"client_name": display_name(row.pop("client_first_name"), row.pop("client_last_name"))})
        for row in rows
    ]


async def end_past(db: Database, now: dt.datetime) -> int:
    """The worker's chore: entries past their last day (salon-local) end, expired; entries whose code was never
    typed go after a day. Returns how many expired."""
    expired = await db.execute(
        """UPDATE waitlist_entries e SET status = 'expired', ended_at = %(now)s
             FROM salons s
            WHERE s.id = e.salon_id AND e.status = 'waiting'
              AND e.to_date < (%(now)s::timestamptz AT TIME ZONE s.timezone)::date""",
        {"now": now},
    )
    await db.execute(
        "DELETE FROM waitlist_entries WHERE status = 'unverified' AND joined_at < %s", (now - UNVERIFIED_KEPT,)
    )
    return expired
