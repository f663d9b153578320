"""The .ics invitation attached to confirmations, reschedules and cancellations."""

from __future__ import annotations

import datetime as dt
import functools

import icalendar

from booking.locales import translations
from worker.delivery import Delivery

_PRODID = "-//Salonbook//Notifications//EN"


def invitation(delivery: Delivery, organizer: tuple[str, str]) -> str | None:
    """The iCalendar text for this delivery, or None when its type carries none, in the salon's language.

    ``organizer`` is the email's From, (name, address): a calendar program trusts an invitation whose organizer
    is who sent it.

    One UID per appointment so calendars update the event in place; SEQUENCE and
    DTSTAMP are the appointment's revision, so every later notice outranks the
    earlier ones, while retries of one notice repeat the same numbers.

    Written line by line in the order icalendar writes a calendar. A line with text someone typed (which
    needs escaping and folding) is made by icalendar and kept, as those repeat (the salon's, the service's,
    the staff's, the client's); times, the UID and SEQUENCE need neither.
    """
    method = delivery.kind.ics_method
    if method is None or delivery.starts is None or delivery.ends is None:
        return None
    words = translations(delivery.language)
    name, address = organizer
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{_PRODID}",
        f"METHOD:{method}",
        "BEGIN:VEVENT",
        _property(
            "summary",
            words.gettext("{service} at {salon}").format(service=delivery.service_name, salon=delivery.salon_name),
        ),
        f"DTSTART:{_utc(delivery.starts)}",
        f"DTEND:{_utc(delivery.ends)}",
        f"DTSTAMP:{_utc(delivery.revised_at)}",
        f"UID:{delivery.job.appointment_id}@salonbook",
        f"SEQUENCE:{delivery.revision}",
    ]
    if delivery.client_email:
        lines.append(_property("attendee", f"mailto:{delivery.client_email}", ("ROLE", "REQ-PARTICIPANT")))
    lines.append(_property("description", words.gettext("With {staff}").format(staff=delivery.staff_name)))
    if delivery.salon_address:
        lines.append(_property("location", delivery.salon_address))
    lines.append(_property("organizer", f"mailto:{address}", ("CN", name) if name else None))
    lines += [f"STATUS:{'CANCELLED' if method == 'CANCEL' else 'CONFIRMED'}", "END:VEVENT", "END:VCALENDAR", ""]
    return "\r\n".join(lines)


def _utc(moment: dt.datetime) -> str:
    return f"{moment.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}"


@functools.lru_cache(maxsize=4096)
def _property(name: str, value: str, parameter: tuple[str, str] | None = None) -> str:
    """One property's content line, escaped and folded by icalendar."""
    event = icalendar.Event()
    event.add(name, value, parameters=dict([parameter]) if parameter else {})
    line: str = event.content_line(name.upper(), event[name]).to_ical().decode()
    return line
