"""Who gets which notification, and when. Pure functions: no SQL, no clock of their own."""

from __future__ import annotations

import datetime as dt

from booking.models import Client
from worker.queue import NewJob

# Reminder type -> how long before the start it goes out. "24 h" is 24 real
# hours (an absolute instant), so across a DST change it lands at a different
# wall-clock hour than the appointment: 09:00 or 11:00 the day before.
REMINDER_LEADS: dict[str, dt.timedelta] = {
    "reminder_24h": dt.timedelta(hours=24),
    "reminder_2h": dt.timedelta(hours=2),
}

# Jobs that describe a booked appointment; replaced when it moves or is cancelled.
BOOKED_TYPES = ("booking_confirmation", "rescheduled", *REMINDER_LEADS)


def channels_for(client: Client) -> tuple[str, ...]:
    """The channels a client can be reached on; none unless they opted in."""
    if not client.opted_in_reminders:
        return ()
    return tuple(channel for channel, address in (("email", client.email), ("sms", client.phone)) if address)


def _times(start: dt.datetime, end: dt.datetime) -> dict[str, str]:
    return {"startTime": start.isoformat(), "endTime": end.isoformat()}


def _reminders(channels: tuple[str, ...], start: dt.datetime, end: dt.datetime, now: dt.datetime) -> list[NewJob]:
    """Reminders whose moment is still ahead; one that is already due is not made."""
    start = start.astimezone(dt.UTC)  # with a ZoneInfo, Python would subtract wall-clock hours
    return [
        NewJob(kind, channels, start - lead, _times(start, end))
        for kind, lead in REMINDER_LEADS.items()
        if start - lead > now
    ]


def for_booking(client: Client, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> list[NewJob]:
    channels = channels_for(client)
    if not channels:
        return []
    confirmation = NewJob("booking_confirmation", channels, now, _times(start, end))
    return [confirmation, *_reminders(channels, start, end, now)]


def for_reschedule(
    client: Client, previous_start: dt.datetime, start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> list[NewJob]:
    channels = channels_for(client)
    if not channels:
        return []
    payload = _times(start, end) | {"previousStartTime": previous_start.isoformat()}
    return [NewJob("rescheduled", channels, now, payload), *_reminders(channels, start, end, now)]


def for_cancellation(client: Client, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> list[NewJob]:
    channels = channels_for(client)
    return [NewJob("cancellation", channels, now, _times(start, end))] if channels else []
