"""How the salon is doing over a period: its appointments, revenue, each stylist's booked time, and messages.

A period is whole salon-local days, so a week across a DST change is 167 or 169 hours, as the salon lived it.
An appointment belongs to the period it starts in (as it is now: one moved into another period counts there);
a stylist's booked time is cut at the period's edges, so a late appointment across midnight counts on each
side for what lies there. Money is the price each appointment was booked at (``appointments.price_cents``),
never today's price of its service. Messages come from ``message_outcomes``, which outlives the queue's
clean-up. Money through the salon's Stripe account counts the payments that succeeded, in the period their row was
made (when the client paid, or the desk's act set a fee or a refund going), whatever appointment they are on.
"""

from __future__ import annotations

import asyncio
import calendar
import dataclasses
import datetime as dt
import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import babel

from booking.errors import Invalid
from booking.models import Salon, display_name
from db import Database
from db.rows import reader

MAX_DAYS = 366  # a year, a leap year's included: the longest period one report covers


@dataclass(frozen=True)
class Period:
    """Salon-local days from ``first`` to ``last``, both included."""

    first: dt.date
    last: dt.date

    @classmethod
    def checked(cls, first: dt.date, last: dt.date) -> Period:
        if last < first:
            raise Invalid("{field} is before from", "to")
        if (last - first).days + 1 > MAX_DAYS:
            raise Invalid("{field} is more than {days} days after from", "to", days=str(MAX_DAYS))
        return cls(first, last)

    @classmethod
    def day(cls, day: dt.date) -> Period:
        return cls(day, day)

    @classmethod
    def week(cls, day: dt.date, locale: str) -> Period:
        """The week holding ``day``, starting on the locale's first day (Sunday in the US, Monday in Europe)."""
        first_weekday = babel.Locale.parse(locale, sep="-").first_week_day  # 0 is Monday, like date.weekday()
        first = day - dt.timedelta(days=(day.weekday() - first_weekday) % 7)
        return cls(first, first + dt.timedelta(days=6))

    @classmethod
    def month(cls, day: dt.date) -> Period:
        days = calendar.monthrange(day.year, day.month)[1]
        return cls(day.replace(day=1), day.replace(day=days))

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def whole_month(self) -> bool:
        return self.first.day == 1 and self == Period.month(self.first)

    def previous(self) -> Period:
        """The period just before, to compare with: the month before a whole month, else as many days."""
        if self.whole_month:
            return Period.month(self.first - dt.timedelta(days=1))
        return Period(self.first - dt.timedelta(days=self.days), self.first - dt.timedelta(days=1))

    def following(self) -> Period:
        if self.whole_month:
            return Period.month(self.last + dt.timedelta(days=1))
        return Period(self.last + dt.timedelta(days=1), self.last + dt.timedelta(days=self.days))

    def instants(self, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
        """Where the period starts and ends: the salon's midnights, whatever their offsets."""
        start = dt.datetime.combine(self.first, dt.time(), zone)
        end = dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time(), zone)
        return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


@dataclass(frozen=True)
class AppointmentCounts:
    booked: int  # every appointment of the period, whatever became of it
    completed: int
    cancelled_by_salon: int
    cancelled_by_client: int
    late_cancellations: int  # the client's, inside the salon's cancellation cut-off (as a client's page counts)
    no_shows: int
    online: int  # booked by the client on the booking page
    front_desk: int  # booked by the salon (its pages or its API)


@dataclass(frozen=True)
class StaffLoad:
    staff_id: uuid.UUID
    staff_name: str
    booked_minutes: int  # their appointments that were not cancelled, cut at the period's edges
    working_minutes: int  # their working hours over the period's days, less their time off


@dataclass(frozen=True)
class MessageCounts:
    channel: str
    type: str
    sent: int
    delivered: int | None  # texts the provider saw reach the phone; none for email, whose servers do not say
    failed: int


@dataclass(frozen=True)
class PaymentTotals:
    """Money that moved through the salon's Stripe account: the payments that succeeded."""

    deposits_cents: int  # paid at online booking (those given back are in refunds)
    no_show_fees_cents: int
    late_cancellation_fees_cents: int
    refunds_cents: int  # every refund: early cancellations', the owner's, deposits paid after their time had gone
    net_cents: int  # what the salon kept: deposits and fees, less refunds


@dataclass(frozen=True)
class Report:
    period: Period
    appointments: AppointmentCounts
    revenue_cents: int  # the prices, as booked, of the completed appointments
    staff: list[StaffLoad]
    messages: list[MessageCounts]
    # None when the salon takes no payments (no Stripe account) and none moved in the period: nothing to show
    payments: PaymentTotals | None = None


# The appointments' counts and the payments' totals, side by side in one statement; the period's payments are
# found by the day their row was made (payments_by_day). A late cancellation is counted as the client's page
# counts it (appointments.CLIENT_COUNTS): never the salon's own.
APPOINTMENTS = """
SELECT counts.*, money.*
  FROM (
SELECT count(*) AS booked,
       count(*) FILTER (WHERE status = 'completed') AS completed,
       count(*) FILTER (WHERE status = 'cancelled' AND cancelled_by = 'salon') AS cancelled_by_salon,
       count(*) FILTER (WHERE status = 'cancelled' AND cancelled_by = 'client') AS cancelled_by_client,
       count(*) FILTER (WHERE status = 'cancelled' AND cancelled_by IS DISTINCT FROM 'salon'
                          AND cancelled_at > start_time - %(cutoff)s * interval '1 minute') AS late_cancellations,
       count(*) FILTER (WHERE status = 'no_show') AS no_shows,
       count(*) FILTER (WHERE source = 'online') AS online,
       count(*) FILTER (WHERE source <> 'online') AS front_desk,
       coalesce(sum(price_cents) FILTER (WHERE status = 'completed'), 0) AS revenue_cents
  FROM appointments
 WHERE salon_id = %(salon)s AND start_time >= %(start)s AND start_time < %(end)s AND status <> 'held'
       ) counts CROSS JOIN (
SELECT coalesce(sum(amount_cents) FILTER (WHERE kind = 'deposit'), 0) AS deposits_cents,
       coalesce(sum(amount_cents) FILTER (WHERE kind = 'fee' AND reason = 'no_show'), 0) AS no_show_fees_cents,
       coalesce(sum(amount_cents) FILTER (WHERE kind = 'fee' AND reason = 'late_cancellation'), 0)
           AS late_cancellation_fees_cents,
       coalesce(sum(amount_cents) FILTER (WHERE kind = 'refund'), 0) AS refunds_cents,
       coalesce(sum(CASE WHEN kind = 'refund' THEN -amount_cents ELSE amount_cents END), 0) AS net_cents,
       count(*) > 0 OR EXISTS (SELECT FROM stripe_accounts WHERE salon_id = %(salon)s) AS shows_payments
  FROM payments
 WHERE salon_id = %(salon)s AND status = 'succeeded' AND created_at >= %(start)s AND created_at < %(end)s
       ) money"""

# Working hours are wall-clock times: each day's are made instants in the salon's zone, so a shift across a
# DST change is as long as it really was; time off is taken out of them. An appointment is at most 12 hours
# (services.duration_minutes), so one that reaches into the period started at most a day before it: the index
# on start_time bounds the scan.
_STAFF = """
WITH shifts AS (
    SELECT h.staff_id,
           range_agg(tstzrange((d.day + h.starts) AT TIME ZONE %(zone)s, (d.day + h.ends) AT TIME ZONE %(zone)s))
               AS spans
      FROM (SELECT day::date FROM generate_series(%(first)s::date, %(last)s::date, interval '1 day') AS day) d
      JOIN working_hours h ON h.weekday = extract(isodow FROM d.day) - 1
      JOIN staff m ON m.id = h.staff_id AND m.salon_id = %(salon)s
     GROUP BY h.staff_id
), away AS (
    SELECT staff_id, range_agg(during) AS spans
      FROM time_off
     WHERE salon_id = %(salon)s AND during && tstzrange(%(start)s, %(end)s)
     GROUP BY staff_id
), working AS (
    SELECT s.staff_id,
           (SELECT sum(upper(span) - lower(span))
              FROM unnest(s.spans - coalesce(a.spans, '{}'::tstzmultirange)) AS span) AS length
      FROM shifts s LEFT JOIN away a USING (staff_id)
), booked AS (
    SELECT a.staff_id,
           sum(least(a.end_time, %(end)s) - greatest(a.start_time, %(start)s)) AS length
      FROM appointments a
     WHERE a.salon_id = %(salon)s AND a.status IN ('booked', 'completed', 'no_show')
       AND a.start_time >= %(start)s::timestamptz - interval '1 day' AND a.start_time < %(end)s
       AND a.end_time > %(start)s
     GROUP BY a.staff_id
)
SELECT m.id AS staff_id, m.first_name, m.last_name,
       coalesce(extract(epoch FROM booked.length)::bigint / 60, 0) AS booked_minutes,
       coalesce(extract(epoch FROM working.length)::bigint / 60, 0) AS working_minutes
  FROM staff m
  LEFT JOIN working ON working.staff_id = m.id
  LEFT JOIN booked ON booked.staff_id = m.id
 WHERE m.salon_id = %(salon)s AND (working.staff_id IS NOT NULL OR booked.length IS NOT NULL)
 ORDER BY m.first_name, m.last_name, m.id"""

_MESSAGES = """
SELECT channel, type,
       count(*) FILTER (WHERE outcome = 'sent') AS sent,
       CASE WHEN channel = 'sms' THEN count(*) FILTER (WHERE delivered) END AS delivered,
       count(*) FILTER (WHERE outcome = 'failed') AS failed
  FROM message_outcomes
 WHERE salon_id = %(salon)s AND decided_at >= %(start)s AND decided_at < %(end)s
   AND channel IN ('email', 'sms')  -- a payment job's 'stripe' moved money, it sent no message
 GROUP BY channel, type
 ORDER BY channel, type"""

_read_counts = reader(AppointmentCounts)
_read_payments = reader(PaymentTotals)
_read_messages = reader(MessageCounts)


async def report(db: Database, salon: Salon, period: Period) -> Report:
    """The salon's figures for ``period``: three indexed reads of that salon's rows, side by side (appointments and
    payments in one)."""
    start, end = period.instants(salon.zone)
    asked = {
        "salon": salon.id,
        "start": start,
        "end": end,
        "first": period.first,
        "last": period.last,
        "zone": salon.timezone,
        "cutoff": salon.cancel_cutoff_minutes,
    }
    counts, staff, messages = await asyncio.gather(
        db.fetch_row(APPOINTMENTS, asked), db.fetch_all(_STAFF, asked), db.fetch_all(_MESSAGES, asked)
    )
    revenue = counts.pop("revenue_cents")
    money = {name: int(counts.pop(name)) for name in (f.name for f in dataclasses.fields(PaymentTotals))}
    shows_payments = counts.pop("shows_payments")
    return Report(
        period=period,
        appointments=_read_counts(counts),
        revenue_cents=int(revenue),
        staff=[
            StaffLoad(
                row["staff_id"],
                display_name(row["first_name"], row["last_name"]),
                int(row["booked_minutes"]),
                int(row["working_minutes"]),
            )
            for row in staff
        ],
        messages=[_read_messages(row) for row in messages],
        payments=_read_payments(money) if shows_payments else None,
    )
