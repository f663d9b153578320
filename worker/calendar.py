"""The .ics invitation attached to confirmations, reschedules and cancellations."""

from __future__ import annotations

import datetime as dt

import icalendar

from worker.delivery import Delivery


def invitation(delivery: Delivery, organizer: str) -> str | None:
    """The iCalendar text for this delivery, or None when its type carries none.

    One UID per appointment so calendars update the event in place; SEQUENCE and
    DTSTAMP are the appointment's revision, so every later notice outranks the
    earlier ones, while retries of one notice repeat the same numbers.
    """
    method = delivery.kind.ics_method
    if method is None or delivery.starts is None or delivery.ends is None:
        return None
    event = icalendar.Event()
    event.add("uid", f"{delivery.job.appointment_id}@salonbook")
    event.add("sequence", delivery.revision)
    event.add("dtstamp", delivery.revised_at.astimezone(dt.UTC))
    event.add("dtstart", delivery.starts.astimezone(dt.UTC))
    event.add("dtend", delivery.ends.astimezone(dt.UTC))
    event.add("summary", f"{delivery.service_name} at {delivery.salon_name}")
    event.add("description", f"With {delivery.staff_name}")
    if delivery.salon_address:
        event.add("location", delivery.salon_address)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    event.add("organizer", f"mailto:{organizer}", parameters={"CN": delivery.salon_name})
    if delivery.client_email:
        event.add("attendee", f"mailto:{delivery.client_email}", parameters={"ROLE": "REQ-PARTICIPANT"})
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Salonbook//Notifications//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    calendar.add_component(event)
    text: str = calendar.to_ical().decode()
    return text
