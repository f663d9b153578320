"""Reports: each figure computed here, independently, from the rows the test writes, and compared with the salon's
report of the same period; at the edges (a DST change, midnight, a later price, a move, a cleaned-up queue)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from booking import appointments, clients, payments, reports, services, staff, time_off
from booking.errors import Invalid
from booking.models import ClientDetails, ServiceDetails, StaffDetails
from booking.reports import Period
from db import Database
from tests.report_fixtures import (
    DST_WEEK,
    PAID,
    PAID_IN_DST_WEEK,
    PAID_THE_WEEK_BEFORE,
    SEEDED,
    WORKING_HOURS,
    expected,
    local,
    seed,
    seed_payments,
)


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
    bea = await seed(db, salon, SEEDED)
    other = (await make_salon(timezone="Europe/London")).salon
    await seed(db, other, SEEDED)  # another salon's rows, the same times: never in this one's figures

    found = await reports.report(db, salon, period)

    counts, revenue, booked = expected(SEEDED, period)
    assert found.appointments.__dict__ == counts
    assert found.revenue_cents == revenue
    [bea_load] = [load for load in found.staff if load.staff_id == bea] or [None]
    assert (bea_load.booked_minutes if bea_load else 0) == booked


async def test_working_minutes_are_the_hours_as_lived_across_a_dst_change(db: Database, make_salon) -> None:
    salon = (await make_salon(timezone="Europe/London")).salon
    bea = await seed(db, salon, [])
    week = await reports.report(db, salon, DST_WEEK)
    assert [(load.staff_id, load.working_minutes) for load in week.staff] == [(bea, (8 + 3 + 5 + 5) * 60)]
    before = await reports.report(db, salon, DST_WEEK.previous())
    assert before.staff[0].working_minutes == (8 + 3 + 5 + 4) * 60, "an ordinary Sunday night is 4 hours"


async def test_time_off_is_not_working_time(db: Database, make_salon) -> None:
    salon = (await make_salon(timezone="Europe/London")).salon
    bea = await seed(db, salon, [])
    afternoon_off = (local(21, 13), local(21, 20))  # Monday from 13:00: four of her hours (to 17:00)
    sunday_night_off = (local(26, 22), local(27, 2))  # the DST night's first three real hours, to 02:00 GMT
    for start, end in (afternoon_off, sunday_night_off):
        await time_off.add_time_off(db, salon.id, bea, start=start, end=end, reason="away")
    week = await reports.report(db, salon, DST_WEEK)
    assert week.staff[0].working_minutes == (8 + 3 + 5 + 5 - 4 - 3) * 60


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


async def test_money_is_the_payments_that_went_through_in_the_period_they_were_made(db: Database, make_salon) -> None:
    salon = (await make_salon(timezone="Europe/London")).salon
    await seed_payments(db, salon)
    other = (await make_salon(timezone="Europe/London")).salon
    await seed_payments(db, other, [row for row in PAID if row.kind == "refund"])  # never in this salon's figures

    week, before = await reports.report(db, salon, DST_WEEK), await reports.report(db, salon, DST_WEEK.previous())

    def figures(report: reports.Report) -> tuple[int, ...]:
        assert report.payments is not None, "money moved: the figures show"
        money = report.payments
        return (money.deposits_cents, money.no_show_fees_cents, money.late_cancellation_fees_cents,
                money.refunds_cents, money.net_cents)  # fmt: skip

    assert figures(week) == PAID_IN_DST_WEEK, "pending, failed and canceled ones count nothing"
    assert figures(before) == PAID_THE_WEEK_BEFORE


async def test_money_shows_only_for_a_salon_that_takes_payments_or_had_some(db: Database, make_salon) -> None:
    salon = (await make_salon(timezone="Europe/London")).salon
    assert (await reports.report(db, salon, DST_WEEK)).payments is None, "no Stripe account, no money moved"
    change = payments.AccountChange("sk_test_abcdefgh1234", "pk_test_abcdefgh1234", None)
    await payments.save_account(db, salon.id, change)
    assert (await reports.report(db, salon, DST_WEEK)).payments == reports.PaymentTotals(0, 0, 0, 0, 0)
    await payments.remove_account(db, salon.id)
    await seed_payments(db, salon)
    assert (await reports.report(db, salon, DST_WEEK)).payments is not None, "disconnected: what moved still shows"
    assert (await reports.report(db, salon, DST_WEEK.following().following())).payments is None
