"""The plain objects the domain hands out."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from db.rows import reader
from jobqueue.queue import QueuedJob


def display_name(first_name: str, last_name: str) -> str:
    """How a person is named on pages and in messages: 'Ann Example', or 'Ann' alone."""
    return f"{first_name} {last_name}".strip()


# A reminder held back by quiet hours still goes only if the spell ends at least this long before the start.
QUIET_MARGIN = dt.timedelta(minutes=30)


# --- states and roles: each a type, from the row reader to the template (a StrEnum is its own value) ---


class AppointmentStatus(StrEnum):
    HELD = "held"  # an online booking waiting for its code (booking.online)
    BOOKED = "booked"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    NO_SHOW = "no_show"


class Outcome(StrEnum):
    """What became of a booked appointment once it started, as the desk marks it (its status too)."""

    COMPLETED = "completed"
    NO_SHOW = "no_show"


class Source(StrEnum):
    """Where an appointment was booked."""

    FRONT_DESK = "front_desk"
    ONLINE = "online"
    API = "api"


class Actor(StrEnum):
    """Who made a change: the client themselves (their link, a text) or the salon."""

    CLIENT = "client"
    SALON = "salon"


class Change(StrEnum):
    """What a client may do to an appointment by themselves, each until its own cut-off."""

    CANCEL = "cancel"
    MOVE = "move"


class Role(StrEnum):
    OWNER = "owner"  # everything, settings, team and tokens included
    RECEPTIONIST = "receptionist"  # the front desk
    STYLIST = "stylist"  # one staff member: the calendar, their own week, their own appointments and clients


@dataclass(frozen=True)
class QuietHours:
    """No reminder goes out from ``start`` to ``end`` on the salon's clock (the span may pass midnight)."""

    start: dt.time
    end: dt.time

    def holds(self, moment: dt.time) -> bool:
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def end_after(self, instant: dt.datetime, zone: ZoneInfo) -> dt.datetime | None:
        """The end of the quiet spell ``instant`` falls in (in UTC), or None when it falls in none.

        The end is read on the wall clock of its own day, so a spell across a DST change lasts an hour more
        or less; an end the clock skips (inside a spring-forward hour) is read an hour late, never early.
        """
        local = instant.astimezone(zone)
        if not self.holds(local.time()):
            return None
        day = local.date() if local.time() < self.end else local.date() + dt.timedelta(days=1)
        return dt.datetime.combine(day, self.end, zone).astimezone(dt.UTC)

    def place(self, moment: dt.datetime, start: dt.datetime, zone: ZoneInfo) -> dt.datetime | None:
        """When a reminder meant for ``moment`` may go, for an appointment at ``start``: at ``moment`` outside
        these hours, else when they end if that is at least QUIET_MARGIN before ``start``; None: not at all."""
        end = self.end_after(moment, zone)
        if end is None:
            return moment
        return end if end <= start - QUIET_MARGIN else None


@dataclass(frozen=True)
class OnlineBooking:
    enabled: bool = False
    min_notice_minutes: int = 120  # no online booking sooner than this
    max_days_ahead: int = 60  # nor further ahead than this


@dataclass(frozen=True)
class Reminder:
    """One reminder of a salon's plan: this many minutes before the start (30 to 7 days)."""

    minutes_before: int


DEFAULT_REMINDERS = (Reminder(1440), Reminder(120))  # 24 h and 2 h: the plan of a salon that chose none


@dataclass(frozen=True)
class ThankYou:
    """The thank-you after an attended appointment: off until the salon turns it on, with its review link."""

    enabled: bool = False
    hours_after: int = 2  # after the appointment was marked completed
    review_url: str = ""


# The salons table's columns a Salon is made of (Salon.from_row): every statement that reads a salon selects these.
SALON_COLUMNS = (
    "id", "slug", "name", "address", "timezone", "email", "phone", "country", "locale", "currency", "quiet_start",
    "quiet_end", "cancel_cutoff_minutes", "reschedule_cutoff_minutes", "online_booking", "online_min_notice_minutes",
    "online_max_days_ahead", "sms_countries", "reminder_minutes", "thank_you_enabled", "thank_you_hours_after",
    "thank_you_review_url", "no_show_fee_percent", "late_cancellation_fee_percent",
)  # fmt: skip


def salon_columns(table: str = "") -> str:
    """SALON_COLUMNS for a SELECT or RETURNING list, each prefixed with ``table.`` when the salons table is aliased."""
    return ", ".join(f"{table}.{column}" if table else column for column in SALON_COLUMNS)


@dataclass(frozen=True)
class Salon:
    id: uuid.UUID
    slug: str
    name: str
    address: str
    timezone: str
    email: str
    phone: str
    country: str = "GB"  # reads phone numbers typed without +country
    locale: str = "en-GB"  # the language clients read, and how times and money are written
    currency: str = "GBP"
    quiet_hours: QuietHours | None = QuietHours(dt.time(21), dt.time(8))
    cancel_cutoff_minutes: int = 1440  # clients may cancel online until this long before the start
    reschedule_cutoff_minutes: int = 1440
    online_booking: OnlineBooking = OnlineBooking()
    sms_countries: tuple[str, ...] = ("GB",)  # texts go to these countries' mobiles only (booking.texting)
    reminders: tuple[Reminder, ...] = DEFAULT_REMINDERS  # the plan in force: new bookings and moves follow it
    thank_you: ThankYou = ThankYou()
    # The fees a card saved at online booking may be charged (a percent of the price; 0: none), with Stripe only.
    no_show_fee_percent: int = 0
    late_cancellation_fee_percent: int = 0  # a client's cancellation inside cancel_cutoff_minutes

    @property
    def charges_fees(self) -> bool:
        """A fee may apply (once the salon's Stripe account is connected): the card is saved at online booking."""
        return self.no_show_fee_percent > 0 or self.late_cancellation_fee_percent > 0

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def reminder_plan(self) -> tuple[int, ...]:
        """The plan as minutes before the start."""
        return tuple(reminder.minutes_before for reminder in self.reminders)

    def client_deadline(self, start: dt.datetime, change: Change) -> dt.datetime:
        """The last moment a client may ``change`` an appointment at ``start`` online."""
        minutes = self.cancel_cutoff_minutes if change == Change.CANCEL else self.reschedule_cutoff_minutes
        return start.astimezone(dt.UTC) - dt.timedelta(minutes=minutes)  # real minutes, across a clock change

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Salon:
        """From the salons table's columns (SALON_COLUMNS), as every statement that reads a salon selects them."""
        start, end = row.pop("quiet_start"), row.pop("quiet_end")
        online = OnlineBooking(
            row.pop("online_booking"), row.pop("online_min_notice_minutes"), row.pop("online_max_days_ahead")
        )
        quiet = QuietHours(start, end) if start is not None and end is not None else None
        texted = tuple(row.pop("sms_countries"))
        reminders = tuple(Reminder(minutes) for minutes in row.pop("reminder_minutes"))
        thanks = ThankYou(
            row.pop("thank_you_enabled"), row.pop("thank_you_hours_after"), row.pop("thank_you_review_url")
        )
        return cls(
            **row, quiet_hours=quiet, online_booking=online, sms_countries=texted, reminders=reminders, thank_you=thanks
        )


@dataclass(frozen=True)
class User:
    id: uuid.UUID
    salon_id: uuid.UUID
    email: str
    role: Role
    staff_id: uuid.UUID | None = None  # a stylist's staff member; nobody else has one
    locale: str | None = None  # the language their pages are in; None: the salon's


read_user = reader(User)  # the users table's reader: a login, a session's user, a team's new member


@dataclass(frozen=True)
class ApiToken:
    """A token as the salon sees it: the secret itself is shown once, when made, and never stored."""

    id: uuid.UUID
    name: str
    created_at: dt.datetime


@dataclass(frozen=True)
class WorkingHours:
    weekday: int  # 0 = Monday
    start: dt.time
    end: dt.time


@dataclass(frozen=True)
class Staff:
    id: uuid.UUID
    first_name: str
    last_name: str
    email: str | None
    working_hours: tuple[WorkingHours, ...] = ()

    @property
    def name(self) -> str:
        return display_name(self.first_name, self.last_name)


@dataclass(frozen=True)
class StaffDetails:
    """What the salon says about a staff member: the input of adding and editing one."""

    first_name: str
    last_name: str = ""
    email: str | None = None
    working_hours: tuple[WorkingHours, ...] = ()


@dataclass(frozen=True)
class TimeOff:
    """A staff member away from ``start`` to ``end`` (a holiday, a sick day); ``affected``: the ids of the
    appointments booked inside it when it was added, for the desk to move or cancel."""

    id: uuid.UUID
    staff_id: uuid.UUID
    start: dt.datetime
    end: dt.datetime
    reason: str
    affected: tuple[uuid.UUID, ...] = ()


@dataclass(frozen=True)
class StaffOverride:
    """A staff member's own length or price for a service (None: the service's)."""

    staff_id: uuid.UUID
    duration_minutes: int | None = None
    price_cents: int | None = None


@dataclass(frozen=True)
class Deposit:
    """What a service asks at online booking (with the salon's Stripe account): a percent of the price, or an
    amount (at most the price)."""

    percent: int | None = None
    amount_cents: int | None = None

    def of(self, price_cents: int, step: int = 1) -> int:
        """The deposit on ``price_cents``, in whole ``step``s (half a step up): a currency's smallest amount in
        cents (``locales.smallest_cents``: 100 for one without cents); 0 when there is nothing to ask."""
        if self.percent is not None:
            return (price_cents * self.percent + 50 * step) // (100 * step) * step
        return min(self.amount_cents or 0, price_cents)


@dataclass(frozen=True)
class ServiceDetails:
    """What the salon says about a service: the input of adding and editing one."""

    name: str
    duration_minutes: int
    price_cents: int | None = None
    buffer_minutes: int = 0  # the stylist stays busy this long after it; not the client's time
    staff_ids: tuple[uuid.UUID, ...] | None = None  # who performs it; None: everyone
    staff_overrides: tuple[StaffOverride, ...] = ()
    deposit: Deposit | None = None


@dataclass(frozen=True)
class Service:
    id: uuid.UUID
    name: str
    duration_minutes: int
    price_cents: int | None
    buffer_minutes: int = 0
    staff_ids: tuple[uuid.UUID, ...] | None = None  # None: everyone
    staff_overrides: tuple[StaffOverride, ...] = ()
    deposit: Deposit | None = None  # asked at online booking, with the salon's Stripe account

    def offered_by(self, staff_id: uuid.UUID) -> bool:
        return self.staff_ids is None or staff_id in self.staff_ids

    def length_for(self, staff_id: uuid.UUID) -> dt.timedelta:
        """The member's own length for it, else the service's."""
        own = next((o.duration_minutes for o in self.staff_overrides if o.staff_id == staff_id), None)
        return dt.timedelta(minutes=own or self.duration_minutes)

    def lengths_among(self, staff_ids: frozenset[uuid.UUID]) -> tuple[dt.timedelta, dt.timedelta]:
        """The shortest and longest length of those of ``staff_ids`` who perform it: what "anyone" may take.

        The service's own when none of them does, so a service nobody performs yet still reads as its length.
        Walks the service's own rows, not the staff: a salon's full list of services stays quick to label."""
        own = {o.staff_id: o.duration_minutes for o in self.staff_overrides if o.duration_minutes}
        if self.staff_ids is None:
            theirs = [m for staff_id, m in own.items() if staff_id in staff_ids]
            minutes = set(theirs) | ({self.duration_minutes} if len(theirs) < len(staff_ids) else set())
        else:
            minutes = {own.get(staff_id, self.duration_minutes) for staff_id in self.staff_ids if staff_id in staff_ids}
        shortest, longest = (min(minutes), max(minutes)) if minutes else (self.duration_minutes,) * 2
        return dt.timedelta(minutes=shortest), dt.timedelta(minutes=longest)


@dataclass(frozen=True)
class ClientDetails:
    """What the salon types about a client: the input of adding and editing one."""

    first_name: str
    last_name: str = ""
    email: str | None = None
    phone: str | None = None  # as typed; read with the salon's region
    opted_in_reminders: bool = False


@dataclass(frozen=True)
class Client:
    id: uuid.UUID
    first_name: str
    last_name: str
    email: str | None
    phone: str | None
    opted_in_reminders: bool
    erased_at: dt.datetime | None = None  # their personal data was erased on request; the history stays
    sms_opt_out: bool = False  # their number texted STOP: no texts to it until it texts START

    @property
    def name(self) -> str:
        return display_name(self.first_name, self.last_name)


@dataclass(frozen=True)
class ClientHistory:
    """What a client's appointments add up to."""

    visits: int  # completed appointments
    no_shows: int
    late_cancellations: int  # the client's cancellations inside the salon's cut-off (as it is now); not the salon's

    spent_cents: int  # money taken from the client, each cent once: the rule is booking.client_history's


@dataclass(frozen=True)
class ClientOnFile(Client):
    """A client with what their history adds up to: the client's page, GET /clients/{id}."""

    history: ClientHistory = ClientHistory(0, 0, 0, 0)


@dataclass(frozen=True)
class Revision:
    """The appointment as of one change: 0 when booked, one more per change; ``at`` grows by whole seconds."""

    number: int
    at: dt.datetime


@dataclass(frozen=True)
class Appointment:
    id: uuid.UUID
    salon_id: uuid.UUID
    client_id: uuid.UUID  # (a held online booking has none yet; no answer shows one)
    staff_id: uuid.UUID
    service_id: uuid.UUID
    start_time: dt.datetime
    end_time: dt.datetime
    status: AppointmentStatus
    notes: str
    notification_jobs: tuple[QueuedJob, ...] = field(default=())
    # Names for pages; filled by the reads that join them.
    client_name: str = ""
    staff_name: str = ""
    staff_first_name: str = ""  # all a client's pages say of the staff member
    service_name: str = ""
    source: Source = Source.FRONT_DESK
    cancelled_by: Actor | None = None
    moved_by: Actor | None = None  # who made the latest move
    client_confirmed_at: dt.datetime | None = None  # "I'll be there"
    price_cents: int = 0  # the service's price when it was booked
    series_id: uuid.UUID | None = None  # the repeat booking it is one of
    outcome: Outcome | None = None  # completed or no_show, once the desk has said
    buffer_minutes: int = 0  # the stylist stays busy this long after end_time; the client does not


@dataclass(frozen=True)
class CalendarEntry:
    """An appointment as a stylist's calendar feed shows it: nothing of the client's but their first name."""

    id: uuid.UUID
    start_time: dt.datetime
    end_time: dt.datetime
    status: AppointmentStatus
    service_name: str
    client_first_name: str
    revision: int  # the event's SEQUENCE
    revised_at: dt.datetime  # its DTSTAMP
    created_at: dt.datetime


read_calendar_entry = reader(CalendarEntry)
