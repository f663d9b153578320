"""Who gets which notification, and when. Pure functions: no SQL, no clock of their own."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from booking import texting
from booking.models import Client, QuietHours, Revision
from booking.notice_types import (
    BOOKING_CODE,
    CANCELLATION,
    CONFIRMATION,
    RESCHEDULED,
    SALON_NOTICE,
    TEXT_REPLY,
    THANK_YOU,
    WAITLIST_OFFER,
    reminder_kind,
)
from jobqueue.queue import ONE_TIME, NewJob


def channels_for(client: Client, sms_countries: Sequence[str]) -> tuple[str, ...]:
    """The channels a client can be reached on; none unless they opted in, no texts once their number said STOP,
    nor to a number the salon does not text (not a mobile of its ``sms_countries``)."""
    if not client.opted_in_reminders:
        return ()
    return _reachable(client, sms_countries)


def notice_channels(client: Client, sms_countries: Sequence[str], *, online: bool) -> tuple[str, ...]:
    """Where the news of a booking, a move or a cancellation goes. A client who booked ``online`` proved one
    contact with a code (their email if they gave one, else their mobile): the news goes there whether or not
    they wanted reminders, which that box governs alone. At the front desk, only to a client who opted in."""
    if not online:
        return channels_for(client, sms_countries)
    return _reachable(client, sms_countries)[:1]


def _reachable(client: Client, sms_countries: Sequence[str]) -> tuple[str, ...]:
    texts = not client.sms_opt_out and texting.textable(client.phone, sms_countries)
    return tuple(channel for channel, reached in (("email", bool(client.email)), ("sms", texts)) if reached)


def _payload(start: dt.datetime, end: dt.datetime, revision: Revision) -> dict[str, object]:
    """What a notice says about the appointment as it stood when the notice was made."""
    return {
        "startTime": start.isoformat(),
        "endTime": end.isoformat(),
        "revision": revision.number,
        "revisedAt": revision.at.isoformat(),
    }


# The reminder plan of a salon that chose none: 24 hours and 2 hours before, in minutes.
DEFAULT_PLAN: tuple[int, ...] = (1440, 120)


def _reminders(
    channels: tuple[str, ...],
    start: dt.datetime,
    end: dt.datetime,
    revision: Revision,
    now: dt.datetime,
    quiet_hours: QuietHours | None,
    zone: ZoneInfo,
    plan: Sequence[int],
) -> list[NewJob]:
    """Reminders by the salon's ``plan`` (minutes before the start) whose moment is still ahead; one that is
    already due is not made. A moment inside the salon's quiet hours moves to their end, or the reminder is not
    made when that end is too near the start."""
    start = start.astimezone(dt.UTC)  # with a ZoneInfo, Python would subtract wall-clock hours
    reminders: list[NewJob] = []
    if not channels:
        return reminders
    for minutes in sorted(set(plan), reverse=True):
        due = start - dt.timedelta(minutes=minutes)
        when = quiet_hours.place(due, start, zone) if quiet_hours else due
        if due > now and when is not None:
            kind = reminder_kind(minutes)
            reminders.append(NewJob(kind.name, channels, when, _payload(start, end, revision), minutes))
    return reminders


def for_booking(
    client: Client,
    start: dt.datetime,
    end: dt.datetime,
    revision: Revision,
    now: dt.datetime,
    *,
    quiet_hours: QuietHours | None,
    zone: ZoneInfo,
    sms_countries: Sequence[str],
    online: bool = False,
    plan: Sequence[int] = DEFAULT_PLAN,
) -> list[NewJob]:
    """The confirmation (``notice_channels``: booked ``online``, to the contact the client proved), and the
    reminders, to a client who opted in, planned around the salon's ``quiet_hours`` (on its clock, ``zone``)."""
    told = notice_channels(client, sms_countries, online=online)
    confirmation = [NewJob(CONFIRMATION.name, told, now, _payload(start, end, revision))] if told else []
    reminded = channels_for(client, sms_countries)
    return [*confirmation, *_reminders(reminded, start, end, revision, now, quiet_hours, zone, plan)]


def for_reschedule(
    client: Client,
    previous_start: dt.datetime,
    start: dt.datetime,
    end: dt.datetime,
    revision: Revision,
    now: dt.datetime,
    *,
    quiet_hours: QuietHours | None,
    zone: ZoneInfo,
    sms_countries: Sequence[str],
    online: bool = False,
    plan: Sequence[int] = DEFAULT_PLAN,
) -> list[NewJob]:
    """The "moved" notice, and the reminders planned anew by the ``plan`` in force, as ``for_booking`` sends and
    plans them."""
    told = notice_channels(client, sms_countries, online=online)
    payload = _payload(start, end, revision) | {"previousStartTime": previous_start.isoformat()}
    moved = [NewJob(RESCHEDULED.name, told, now, payload)] if told else []
    reminded = channels_for(client, sms_countries)
    return [*moved, *_reminders(reminded, start, end, revision, now, quiet_hours, zone, plan)]


def for_cancellation(
    client: Client,
    start: dt.datetime,
    end: dt.datetime,
    revision: Revision,
    now: dt.datetime,
    *,
    sms_countries: Sequence[str],
    online: bool = False,
) -> list[NewJob]:
    """The cancellation notice, to whom ``for_booking`` sent the confirmation."""
    told = notice_channels(client, sms_countries, online=online)
    return [NewJob(CANCELLATION.name, told, now, _payload(start, end, revision))] if told else []


def for_thanks(
    client: Client,
    completed_at: dt.datetime,
    hours_after: int,
    *,
    quiet_hours: QuietHours | None,
    zone: ZoneInfo,
    sms_countries: Sequence[str],
) -> list[NewJob]:
    """The thank-you after an attended appointment, ``hours_after`` it was marked completed (or when the salon's
    quiet hours end, if that moment falls inside them), to a client who opted in."""
    channels = channels_for(client, sms_countries)
    run_at = completed_at.astimezone(dt.UTC) + dt.timedelta(hours=hours_after)
    if quiet_hours is not None:
        run_at = quiet_hours.end_after(run_at, zone) or run_at
    return [NewJob(THANK_YOU.name, channels, run_at)] if channels else []


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
    first_name: str,
    email: str | None,
    phone: str | None,
    code: str,
    minutes: int,
    now: dt.datetime,
    hold: uuid.UUID | None = None,
    *,
    joining_waitlist: bool = False,
) -> NewJob:
    """The code that proves an online booking's address is the client's, or (``joining_waitlist``) a waitlist
    join's, which its words say: by email when given, else by text. ``hold``: the hold it proves, so that a hold
    that gives way takes its code back (booking.online)."""
    channel, address = ("email", email) if email else ("sms", phone)
    payload = {
        "email" if email else "phone": address,
        "name": first_name,
        "minutes": minutes,
        "proves": "waitlist" if joining_waitlist else "booking",
        ONE_TIME: {"code": code},
    }
    if hold is not None:
        payload["hold"] = str(hold)
    return NewJob(BOOKING_CODE.name, (channel,), now - CODE_AHEAD, payload)


def for_reply(phone: str, text: str, now: dt.datetime) -> NewJob:
    """The front desk's answer to a client's text, to the number that wrote (it goes at once)."""
    return NewJob(TEXT_REPLY.name, ("sms",), now, {"phone": phone, "text": text})


def for_offer(offer_id: object, channels: tuple[str, ...], run_at: dt.datetime) -> NewJob:
    """A freed time offered to a waiting client (booking.waitlist): the payload names the offer its link claims;
    ``run_at`` is after the salon's quiet hours."""
    return NewJob(WAITLIST_OFFER.name, channels, run_at, {"offerId": str(offer_id)})
