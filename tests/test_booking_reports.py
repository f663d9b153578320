"""Reports: each figure computed here, independently, from the rows the test writes, and compared with the salon's
report of the same period; at the edges (a DST change, midnight, a later price, a move, a cleaned-up queue)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest

from booking import appointments, clients, reports, services, staff
from booking.errors import Invalid
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
    Seeded(local(23, 10), 30, "cancelled", 2000, "api", "salon", dt.timedelta(hours=1)),
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


async def _seed(db: Database, salon: Salon, rows: list[Seeded]) -> uuid.UUID:
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


def _expected(rows: list[Seeded], period: Period) -> tuple[dict[str, int], int, int]:
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
        "late_cancellations": sum(
            row.cancelled_by == "client" and row.cancelled_before is not None
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


@pytest.mark.parametrize(
    "period",
    [DST_WEEK, DST_WEEK.previous(), DST_WEEK.following(), Period.day(dt.date(2030, 10, 27)), Period.month(
        dt.date(2030, 10, 1))],
    ids=["the DST week", "the week before", "the week after", "the DST night", "October"],
)  # fmt: skip
async def test_a_report_counts_what_happened_in_the_period_as_the_rows_say(
    db: Database, make_salon, period: Period
) -> None:
    salon = (await make_salon(timezone="Europe/London")).salon
    bea = await _seed(db, salon, SEEDED)
    other = (await make_salon(timezone="Europe/London")).salon
    await _seed(db, other, SEEDED)  # another salon's rows, the same times: never in this one's figures

    found = await reports.report(db, salon, period)

    counts, revenue, booked = _expected(SEEDED, period)
    assert found.appointments.__dict__ == counts
    assert found.revenue_cents == revenue
    [bea_load] = [load for load in found.staff if load.staff_id == bea] or [None]
    assert (bea_load.booked_minutes if bea_load else 0) == booked


async def test_working_minutes_are_the_hours_as_lived_across_a_dst_change(db: Database, make_salon) -> None:
    salon = (await make_salon(timezone="Europe/London")).salon
    bea = await _seed(db, salon, [])
    week = await reports.report(db, salon, DST_WEEK)
    assert [(load.staff_id, load.working_minutes) for load in week.staff] == [(bea, (8 + 3 + 5 + 5) * 60)]
    before = await reports.report(db, salon, DST_WEEK.previous())
    assert before.staff[0].working_minutes == (8 + 3 + 5 + 4) * 60, "an ordinary Sunday night is 4 hours"


async def test_revenue_keeps_the_price_booked_and_a_moved_or_cancelled_one_counts_where_it_ended_up(
    db: Database, make_salon
) -> None:
    salon = (await make_salon(timezone="Europe/London")).salon
    bea = await staff.create_staff(db, salon.id, StaffDetails(first_name="Bea", working_hours=WORKING_HOURS))
    cut = await services.create_service(db, salon.id, ServiceDetails(name="Cut", duration_minutes=30, price_cents=4000))
    ann = await clients.create_client(db, salon.id, ClientDetails(first_name="Ann"))
    booking = {"client_id": ann.id, "staff_id": bea.id, "service_id": cut.id}
    before = local(14, 9) - dt.timedelta(days=7)
    kept = await appointments.book(db, salon, **booking, start_time=local(21, 10), now=before)
    moved = await appointments.book(db, salon, **booking, start_time=local(21, 11), now=before)
    moved_then_cancelled = await appointments.book(db, salon, **booking, start_time=local(21, 12), now=before)
    await services.update_service(
        db, salon.id, cut.id, ServiceDetails(name="Cut", duration_minutes=30, price_cents=9000)
    )
    await appointments.record_outcome(db, salon, kept.id, "completed", now=local(21, 10, 30))
    await appointments.reschedule(db, salon, moved.id, start_time=local(28, 9), now=before)
    await appointments.reschedule(db, salon, moved_then_cancelled.id, start_time=local(28, 11), now=before)
    await appointments.cancel(db, salon, moved_then_cancelled.id, now=before)

    week, following = await reports.report(db, salon, DST_WEEK), await reports.report(db, salon, DST_WEEK.following())
    assert (week.appointments.booked, week.appointments.completed, week.revenue_cents) == (1, 1, 4000)
    assert (following.appointments.booked, following.appointments.cancelled_by_salon) == (2, 1)


async def test_messages_are_counted_per_channel_and_type_after_the_queue_forgets_them(db: Database, make_salon) -> None:
    salon = (await make_salon(timezone="Europe/London")).salon
    ann = await clients.create_client(db, salon.id, ClientDetails(first_name="Ann", email="a@example.com"))

    async def job(kind: str, channels: list[str]) -> uuid.UUID:
        row = await db.fetch_row(
            """INSERT INTO notification_jobs (salon_id, client_id, type, channels, status, locked_by)
               VALUES (%s, %s, %s, %s, 'processing', 'w1') RETURNING id""",
            (salon.id, ann.id, kind, channels),
        )
        return row["id"]

    async def attempt(job_id: uuid.UUID, channel: str, outcome: str, sid: str | None = None) -> None:
        row = await db.fetch_row(
            """INSERT INTO notification_attempts (job_id, attempt, channel, outcome, worker_id)
               VALUES (%s, 1, %s, 'started', 'w1') RETURNING id""",
            (job_id, channel),
        )
        await db.execute(
            "UPDATE notification_attempts SET outcome = %s, provider_id = %s, finished_at = %s WHERE id = %s",
            (outcome, sid, local(22, 10), row["id"]),
        )

    both = await job("booking_confirmation", ["email", "sms"])
    await attempt(both, "email", "sent")
    await db.execute("INSERT INTO sms_deliveries (message_sid, status, rank) VALUES ('SM1', 'delivered', 5)")
    await attempt(both, "sms", "sent", "SM1")  # the report came first
    reminder = await job("reminder_24h", ["sms"])
    await attempt(reminder, "sms", "sent", "SM2")
    await db.execute("INSERT INTO sms_deliveries (message_sid, status, rank) VALUES ('SM2', 'sent', 3)")
    await db.execute("UPDATE sms_deliveries SET status = 'delivered', rank = 5 WHERE message_sid = 'SM2'")
    failing = await job("reminder_24h", ["sms", "email"])
    await attempt(failing, "email", "sent")
    await attempt(failing, "sms", "permanent")
    await db.execute(
        """UPDATE notification_jobs SET status = 'failed', channels_done = '{email}', processed_at = %s
            WHERE id = %s""",
        (local(22, 11), failing),
    )
    await db.execute("UPDATE notification_jobs SET status = 'completed', processed_at = %s WHERE id <> %s",
                     (local(22, 10), failing))  # fmt: skip
    await db.execute("DELETE FROM notification_jobs WHERE salon_id = %s", (salon.id,))  # the clean-up
    await db.execute("DELETE FROM sms_deliveries WHERE message_sid IN ('SM1', 'SM2')")

    week = await reports.report(db, salon, DST_WEEK)
    assert [(m.channel, m.type, m.sent, m.delivered, m.failed) for m in week.messages] == [
        ("email", "booking_confirmation", 1, None, 0),
        ("email", "reminder_24h", 1, None, 0),
        ("sms", "booking_confirmation", 1, 1, 0),
        ("sms", "reminder_24h", 1, 1, 1),
    ]
    assert (await reports.report(db, salon, DST_WEEK.previous())).messages == []


@pytest.mark.unit
def test_periods_start_on_the_locales_first_day_and_compare_with_the_one_before() -> None:
    thursday = dt.date(2026, 12, 3)
    assert Period.week(thursday, "en-GB") == Period(dt.date(2026, 11, 30), dt.date(2026, 12, 6))
    assert Period.week(thursday, "en-US") == Period(dt.date(2026, 11, 29), dt.date(2026, 12, 5))
    assert Period.month(dt.date(2028, 3, 15)).previous() == Period(dt.date(2028, 2, 1), dt.date(2028, 2, 29))
    assert Period(dt.date(2026, 1, 10), dt.date(2026, 1, 12)).previous() == Period(
        dt.date(2026, 1, 7), dt.date(2026, 1, 9)
    )
    assert Period.month(dt.date(2026, 12, 1)).following() == Period(dt.date(2027, 1, 1), dt.date(2027, 1, 31))
    assert Period.checked(dt.date(2028, 1, 1), dt.date(2028, 12, 31)).days == 366
    with pytest.raises(Invalid, match="more than 366 days"):
        Period.checked(dt.date(2026, 1, 1), dt.date(2027, 1, 2))
    with pytest.raises(Invalid, match="before from"):
        Period.checked(dt.date(2026, 1, 2), dt.date(2026, 1, 1))
