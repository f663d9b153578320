"""Who gets which notification, and when. Pure functions: no SQL, no clock of their own."""

from __future__ import annotations

import datetime as dt

from booking.models import Client, Revision
from booking.notice_types import BOOKING_CODE, CANCELLATION, CONFIRMATION, REMINDERS, RESCHEDULED, SALON_NOTICE
from jobqueue.queue import NewJob


def channels_for(client: Client) -> tuple[str, ...]:
    """The channels a client can be reached on; none unless they opted in."""
    if not client.opted_in_reminders:
        return ()
    return tuple(channel for channel, address in (("email", client.email), ("sms", client.phone)) if address)


def _payload(start: dt.datetime, end: dt.datetime, revision: Revision) -> dict[str, object]:
    """What a notice says about the appointment as it stood when the notice was made."""
    return {
        "startTime": start.isoformat(),
        "endTime": end.isoformat(),
        "revision": revision.number,
        "revisedAt": revision.at.isoformat(),
    }


def _reminders(
    channels: tuple[str, ...], start: dt.datetime, end: dt.datetime, revision: Revision, now: dt.datetime
) -> list[NewJob]:
    """Reminders whose moment is still ahead; one that is already due is not made."""
    start = start.astimezone(dt.UTC)  # with a ZoneInfo, Python would subtract wall-clock hours
    return [
        NewJob(kind.name, channels, start - kind.lead, _payload(start, end, revision))
        for kind in REMINDERS
        if kind.lead is not None and start - kind.lead > now
    ]


def for_booking(
    client: Client, start: dt.datetime, end: dt.datetime, revision: Revision, now: dt.datetime
) -> list[NewJob]:
    channels = channels_for(client)
    if not channels:
        return []
    confirmation = NewJob(CONFIRMATION.name, channels, now, _payload(start, end, revision))
    return [confirmation, *_reminders(channels, start, end, revision, now)]


def for_reschedule(
    client: Client,
    previous_start: dt.datetime,
    start: dt.datetime,
    end: dt.datetime,
    revision: Revision,
    now: dt.datetime,
) -> list[NewJob]:
    channels = channels_for(client)
    if not channels:
        return []
    payload = _payload(start, end, revision) | {"previousStartTime": previous_start.isoformat()}
    return [NewJob(RESCHEDULED.name, channels, now, payload), *_reminders(channels, start, end, revision, now)]


def for_cancellation(
    client: Client, start: dt.datetime, end: dt.datetime, revision: Revision, now: dt.datetime
) -> list[NewJob]:
    channels = channels_for(client)
    return [NewJob(CANCELLATION.name, channels, now, _payload(start, end, revision))] if channels else []


def for_salon(
    salon_email: str,
    what: str,
    appointment_id: object,
    client_name: str,
    start: dt.datetime,
    now: dt.datetime,
    previous_start: dt.datetime | None = None,
) -> list[NewJob]:
    """The salon's own notice that a client ``what`` (cancelled, moved, confirmed); none without a salon email.

    It names the appointment in its payload rather than as the job's appointment: several notices of
    one appointment may wait at once, where the queue allows one live job of a type per appointment.
    """
    if not salon_email:
        return []
    payload = {
        "email": salon_email,
        "what": what,
        "client": client_name,
        "appointmentId": str(appointment_id),
        "startTime": start.isoformat(),
        **({"previousStartTime": previous_start.isoformat()} if previous_start else {}),
    }
    return [NewJob(SALON_NOTICE.name, ("email",), now, payload)]


# An hour early in the queue: first in its salon's turn, and its salon among the first (jobqueue.claims).
CODE_AHEAD = dt.timedelta(hours=1)


def for_code(
    first_name: str, email: str | None, phone: str | None, code: str, minutes: int, now: dt.datetime
) -> NewJob:
    """The code that proves an online booking's address is the client's: by email when given, else by text."""
    channel, address = ("email", email) if email else ("sms", phone)
    payload = {"email" if email else "phone": address, "name": first_name, "code": code, "minutes": minutes}
    return NewJob(BOOKING_CODE.name, (channel,), now - CODE_AHEAD, payload)
