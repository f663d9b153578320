"""A salon's rows for reports, each with its time, status, price and source, and the figures worked out from
them by hand (tests/test_booking_reports.py, tests/test_api_reports.py, tests/test_pages_reports.py)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from booking import clients, services, staff
from booking.models import ClientDetails, Salon, ServiceDetails, StaffDetails, WorkingHours
from booking.reports import Period
from db import Database

LONDON = ZoneInfo("Europe/London")
# Monday 21 to Sunday 27 October 2030: British Summer Time ends at 02:00 on the Sunday (the clock goes back).
DST_WEEK = Period(dt.date(2030, 10, 21), dt.date(2030, 10, 27))


def local(day: int, hour: int, minute: int = 0, month: int = 10) -> dt.datetime:
    return dt.datetime(2030, month, day, hour, minute, tzinfo=LONDON)


@dataclass(frozen=True)
class Seeded:
    start: dt.datetime
    minutes: int
    status: str = "booked"
    price_cents: int = 0
    source: str = "front_desk"
    cancelled_by: str | None = None
    cancelled_before: dt.timedelta | None = None  # how long before the start it was cancelled

    @property
    def end(self) -> dt.datetime:
        return self.start.astimezone(dt.UTC) + dt.timedelta(minutes=self.minutes)  # real minutes, not the clock's


SEEDED = [
    Seeded(local(21, 10), 60, "completed", 5000),
    Seeded(local(21, 11), 30, "no_show", 3000, source="online"),
    Seeded(local(22, 10), 45, "cancelled", 4500, "online", "client", dt.timedelta(hours=2)),  # late: cut-off 24 h
    Seeded(local(22, 12), 45, "cancelled", 4500, "front_desk", "client", dt.timedelta(days=3)),
    Seeded(local(23, 10), 30, "cancelled", 2000, "api", "salon", dt.timedelta(hours=1)),  # the salon's: not late
    Seeded(local(23, 11), 30, "cancelled", 2000, "front_desk", None, dt.timedelta(hours=3)),  # late, who: before 0009
    Seeded(local(24, 15), 90, "booked", 8000, "online"),
    Seeded(local(27, 1, 30), 60, "completed", 1500),  # 01:30 BST, in the hour the night repeats
    Seeded(local(27, 23, 30), 60, "completed", 2000),  # into Monday: counted where it starts, its time cut
    Seeded(local(20, 23, 30), 60, "completed", 9999),  # from the Sunday before: only its time inside counts
    Seeded(local(28, 10), 60, "completed", 7777),  # the Monday after
    Seeded(local(24, 9), 30, "held", 0, "online"),  # a time held for a code is not an appointment yet
]
WORKING_HOURS = (
    WorkingHours(0, dt.time(9), dt.time(17)),  # Mondays 8 h
    WorkingHours(2, dt.time(9), dt.time(12)),  # Wednesdays 3 h
    WorkingHours(2, dt.time(13), dt.time(18)),  # and 5 h after lunch
    WorkingHours(6, dt.time(0), dt.time(4)),  # Sundays 00:00-04:00: five real hours the night the clock goes back
)


async def seed(db: Database, salon: Salon, rows: list[Seeded]) -> uuid.UUID:
    bea = await staff.create_staff(db, salon.id, StaffDetails(first_name="Bea", working_hours=WORKING_HOURS))
    cut = await services.create_service(db, salon.id, ServiceDetails(name="Cut", duration_minutes=30))
    ann = await clients.create_client(db, salon.id, ClientDetails(first_name="Ann", email="ann@example.com"))
    for row in rows:
        await db.execute(
            """INSERT INTO appointments (salon_id, client_id, staff_id, service_id, start_time, end_time, status,
                                         price_cents, source, cancelled_by, cancelled_at)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
            (
                salon.id, None if row.status == "held" else ann.id, bea.id, cut.id, row.start, row.end, row.status,
                row.price_cents, row.source, row.cancelled_by,
                row.start - row.cancelled_before if row.cancelled_before else None,
            ),
        )  # fmt: skip
    return bea.id


def expected(rows: list[Seeded], period: Period) -> tuple[dict[str, int], int, int]:
    """The counts, the revenue and Bea's booked minutes of ``period``, worked out from the rows by hand."""
    # in UTC: Python subtracts two times of one zone by their clocks, and a night of the change would lie
    start = dt.datetime.combine(period.first, dt.time(), LONDON).astimezone(dt.UTC)
    end = dt.datetime.combine(period.last + dt.timedelta(days=1), dt.time(), LONDON).astimezone(dt.UTC)
    inside = [row for row in rows if start <= row.start < end and row.status != "held"]
    cancelled = [row for row in inside if row.status == "cancelled"]
    counts = {
        "booked": len(inside),
        "completed": sum(row.status == "completed" for row in inside),
        "cancelled_by_salon": sum(row.cancelled_by == "salon" for row in cancelled),
        "cancelled_by_client": sum(row.cancelled_by == "client" for row in cancelled),
        "late_cancellations": sum(  # the client's, or of unknown hand (before 0009): never the salon's own
            row.cancelled_by != "salon" and row.cancelled_before is not None
            and row.cancelled_before < dt.timedelta(hours=24) for row in cancelled
        ),
        "no_shows": sum(row.status == "no_show" for row in inside),
        "online": sum(row.source == "online" for row in inside),
        "front_desk": sum(row.source != "online" for row in inside),
    }  # fmt: skip
    revenue = sum(row.price_cents for row in inside if row.status == "completed")
    booked = sum(
        (min(row.end, end) - max(row.start, start)).total_seconds() // 60
        for row in rows
        if row.status in ("booked", "completed", "no_show") and row.start < end and row.end > start
    )
    return counts, revenue, int(booked)


@dataclass(frozen=True)
class Paid:
    """A payment's row as the deposit page, the fee jobs or a refund write it, made at ``at``."""

    at: dt.datetime
    kind: str
    reason: str
    cents: int
    status: str = "succeeded"


PAID = [
    Paid(local(21, 10), "deposit", "deposit", 1000),
    Paid(local(24, 9), "deposit", "deposit", 800),
    Paid(local(22, 11), "fee", "no_show", 1500),
    Paid(local(23, 18), "fee", "late_cancellation", 900),
    Paid(local(25, 12), "refund", "early_cancellation", 800),
    Paid(local(27, 23, 59), "refund", "owner", 150),  # the week's last minute
    Paid(local(26, 10), "fee", "no_show", 2000, "pending"),  # asked, not taken: nothing yet
    Paid(local(26, 11), "deposit", "deposit", 700, "failed"),
    Paid(local(26, 12), "deposit", "deposit", 600, "canceled"),
    Paid(local(15, 10), "deposit", "deposit", 500),  # the week before
    Paid(local(28, 0), "fee", "late_cancellation", 3333),  # the Monday after
]
# DST_WEEK's money, worked out from PAID by hand: deposits, no-show fees, late cancellation fees, refunds, net
PAID_IN_DST_WEEK = (1800, 1500, 900, 950, 3250)
PAID_THE_WEEK_BEFORE = (500, 0, 0, 0, 500)


async def seed_payments(db: Database, salon: Salon, rows: list[Paid] = PAID) -> None:
    """The rows, on no appointment (a report counts money whatever it was for)."""
    for n, row in enumerate(rows):
        await db.execute(
            """INSERT INTO payments (salon_id, kind, reason, amount_cents, currency, stripe_payment_intent_id,
                                     status, idempotency_key, created_at)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)""",
            (salon.id, row.kind, row.reason, row.cents, salon.currency, f"pi_{uuid.uuid4().hex}", row.status,
             None if row.kind == "deposit" else f"report-{salon.id}-{n}", row.at),
        )  # fmt: skip
