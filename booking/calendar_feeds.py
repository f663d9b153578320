"""A stylist's calendar feed: an iCalendar subscription of their appointments, at a secret address that a new
one replaces and the desk can revoke. All SQL for calendar_feeds.

Only the SHA-256 of a feed's token is kept. Calendar programs (Google, Apple, Outlook) fetch the address every
few hours and replace what they showed with what it says, so the feed is the whole span every time: two weeks
back (what a stylist looks up) to sixty days ahead. Each appointment is one event, its UID the same as in the
notices' invitations, its SEQUENCE and DTSTAMP its revision; a cancelled one stays, marked cancelled, so a
calendar that had it takes it away. It names the service and the client's first name, nothing else of theirs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from dataclasses import dataclass

import icalendar
import psycopg2.errors

from booking import appointments, links, paths
from booking.errors import NotFound
from booking.models import AppointmentStatus, CalendarEntry, display_name
from db import Database

DAYS_BACK, DAYS_AHEAD = 14, 60
PRODID = "-//Salonbook//Calendar feed//EN"
STATUS_WORDS = {
    AppointmentStatus.BOOKED: "booked",
    AppointmentStatus.CANCELLED: "cancelled",
    AppointmentStatus.COMPLETED: "completed",
    AppointmentStatus.NO_SHOW: "no-show",
}


@dataclass(frozen=True)
class FeedAddress:
    """A new feed's address, shown once: only its token's hash is kept."""

    url: str


@dataclass(frozen=True)
class Feed:
    """What one feed shows: whose it is, and their appointments in the span."""

    salon_name: str
    timezone: str
    staff_name: str
    entries: tuple[CalendarEntry, ...]


def _token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def renew(db: Database, salon_id: uuid.UUID, staff_id: uuid.UUID, public_url: str) -> FeedAddress:
    """A new feed address for the staff member; the old one, if any, stops at once. NotFound for another
    salon's staff member. Returns the address (the token is not kept)."""
    token = secrets.token_urlsafe(32)
    try:
        await db.execute(
            """INSERT INTO calendar_feeds (salon_id, staff_id, token_hash) VALUES (%s, %s, %s)
               ON CONFLICT (salon_id, staff_id) DO UPDATE SET token_hash = EXCLUDED.token_hash, created_at = now()""",
            (salon_id, staff_id, _token_hash(token)),
        )
    except psycopg2.errors.ForeignKeyViolation:
        raise NotFound("no such staff member", "staff_id") from None
    return FeedAddress(links.absolute(public_url, paths.CALENDAR_FEED(token=token)))


async def revoke(db: Database, salon_id: uuid.UUID, staff_id: uuid.UUID) -> None:
    """The staff member's feed stops (nothing to stop is fine); NotFound for another salon's staff member."""
    row = await db.fetch_one(
        """WITH gone AS (DELETE FROM calendar_feeds WHERE salon_id = %(salon)s AND staff_id = %(staff)s)
           SELECT 1 AS known FROM staff WHERE salon_id = %(salon)s AND id = %(staff)s""",
        {"salon": salon_id, "staff": staff_id},
    )
    if row is None:
        raise NotFound("no such staff member", "staff_id")


async def feed(db: Database, token: str, now: dt.datetime) -> Feed:
    """The feed at a token's address as of ``now``; NotFound for a revoked, replaced or made-up one."""
    row = await db.fetch_one(
        """SELECT f.salon_id, f.staff_id, s.name AS salon_name, s.timezone, m.first_name, m.last_name
             FROM calendar_feeds f JOIN salons s ON s.id = f.salon_id JOIN staff m ON m.id = f.staff_id
            WHERE f.token_hash = %s""",
        (_token_hash(token),),
    )
    if row is None:
        raise NotFound("no such calendar feed")
    start, end = now - dt.timedelta(days=DAYS_BACK), now + dt.timedelta(days=DAYS_AHEAD)
    entries = await appointments.of_stylist(db, row["salon_id"], row["staff_id"], start, end)
    name = display_name(row["first_name"], row["last_name"])
    return Feed(row["salon_name"], row["timezone"], name, tuple(entries))


def ics(found: Feed) -> bytes:
    """The feed as iCalendar (RFC 5545), times in UTC: every calendar program reads them alike."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"{found.staff_name} · {found.salon_name}")
    calendar.add("x-wr-timezone", found.timezone)
    calendar.add("x-published-ttl", "PT1H")  # Outlook's and Apple's hint: look again hourly
    for entry in found.entries:
        event = icalendar.Event()
        event.add("uid", f"{entry.id}@salonbook")
        event.add("dtstamp", entry.revised_at.astimezone(dt.UTC))
        event.add("created", entry.created_at.astimezone(dt.UTC))
        event.add("dtstart", entry.start_time.astimezone(dt.UTC))
        event.add("dtend", entry.end_time.astimezone(dt.UTC))
        event.add("sequence", entry.revision)
        event.add("summary", f"{entry.service_name} · {entry.client_first_name}")
        event.add("description", f"{entry.client_first_name}, {entry.service_name}: {STATUS_WORDS[entry.status]}")
        event.add("status", "CANCELLED" if entry.status == AppointmentStatus.CANCELLED else "CONFIRMED")
        event.add("transp", "TRANSPARENT" if entry.status == AppointmentStatus.CANCELLED else "OPAQUE")
        calendar.add_component(event)
    text: bytes = calendar.to_ical()
    return text
