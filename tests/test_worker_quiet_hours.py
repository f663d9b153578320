"""Quiet hours at send time: a reminder that falls due inside them (the salon changed its hours, a retry or a
backlog pushed it there, or it was planned before they existed) waits for their end, or is skipped with the
reason "quiet hours" when that end is too near the appointment. Notices of what just happened go at once."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from db import Database
from tests.servers import SmtpServer
from tests.test_worker_delivery import attempts_of, job_row, until, wait_for_status

LONDON = ZoneInfo("Europe/London")


@pytest.fixture(autouse=True)
def empty_queue(io_loop, db: Database) -> None:
    io_loop.run_sync(lambda: db.execute("TRUNCATE notification_jobs, notification_attempts, workers, outbox_messages"))


async def quiet_now(db: Database, salon_id) -> dt.datetime:
    """Makes the salon's quiet hours run from an hour ago to an hour from now; returns when they end."""
    now = dt.datetime.now(LONDON).replace(second=0, microsecond=0)
    start, end = now - dt.timedelta(hours=1), now + dt.timedelta(hours=1)
    await db.execute(
        "UPDATE salons SET quiet_start = %s, quiet_end = %s WHERE id = %s", (start.time(), end.time(), salon_id)
    )
    return end.astimezone(dt.UTC)


async def test_a_reminder_due_in_quiet_hours_waits_for_their_end_without_spending_an_attempt(
    db, make_salon, make_booking, smtp_server: SmtpServer, start_worker
) -> None:
    salon = (await make_salon()).salon
    ends = await quiet_now(db, salon.id)
    booked = await make_booking(salon, start=ends + dt.timedelta(hours=3), types=("reminder_2h",))
    await start_worker(smtp=smtp_server)

    async def waiting() -> tuple[str, dt.datetime, int]:
        row = await job_row(db, booked.jobs[0].id)
        return row["status"], row["run_at"], row["attempts"]

    await until(waiting, ("pending", ends, 0))
    row = await job_row(db, booked.jobs[0].id)
    assert row["error"].startswith("quiet hours: it goes at "), row["error"]
    assert await attempts_of(db, booked.jobs[0].id) == [], "nothing was tried"
    assert smtp_server.messages == []


async def test_a_reminder_whose_quiet_hours_end_too_near_the_appointment_is_skipped(
    db, make_salon, make_booking, smtp_server: SmtpServer, start_worker
) -> None:
    salon = (await make_salon()).salon
    ends = await quiet_now(db, salon.id)
    booked = await make_booking(salon, start=ends + dt.timedelta(minutes=29), types=("reminder_2h",))
    await start_worker(smtp=smtp_server)
    row = await wait_for_status(db, booked.jobs[0].id, "cancelled")
    assert row["error"].startswith("quiet hours: it could go at "), row["error"]
    assert row["error"].endswith("less than 30 minutes before the appointment")
    assert await attempts_of(db, booked.jobs[0].id) == [(1, "email", "skipped")]
    assert smtp_server.messages == []


async def test_what_just_happened_goes_at_once_in_quiet_hours(
    db, make_salon, make_booking, smtp_server: SmtpServer, start_worker
) -> None:
    salon = (await make_salon()).salon
    await quiet_now(db, salon.id)
    booked = await make_booking(salon, types=("booking_confirmation",))
    await start_worker(smtp=smtp_server)
    await wait_for_status(db, booked.jobs[0].id, "completed")
    assert len(smtp_server.messages) == 1
