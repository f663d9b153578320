"""The tallies /metrics reads agree with counting the rows, whatever changed them: inserts, claims,
outcomes, upserts, a salon's deletion cascading, a TRUNCATE, and folds running side by side."""

from __future__ import annotations

import asyncio

from booking import deliveries, jobs
from booking.deliveries import Report
from db import Database, tallies
from tests.worker_fixtures import a_sent_text


async def counted(db: Database, table: str) -> dict[str, int]:
    rows = await db.fetch_all(f"SELECT status, count(*) AS n FROM {table} GROUP BY status")
    return {row["status"]: row["n"] for row in rows}


async def agree(db: Database) -> dict[str, int]:
    """Asserts the tallies of both counted tables equal their counts; returns the jobs' counts."""
    for table in ("notification_jobs", "sms_deliveries"):
        assert await tallies.counts(db, table) == await counted(db, table), table
    return await counted(db, "notification_jobs")


async def test_jobs_are_tallied_through_every_kind_of_change(db: Database, make_salon, make_booking) -> None:
    ours, theirs = await make_salon(), await make_salon()
    for _ in range(3):
        await make_booking(ours.salon, types=("booking_confirmation", "reminder_24h"))
    await make_booking(theirs.salon)
    assert (await agree(db)).get("pending", 0) >= 7

    await db.execute("UPDATE notification_jobs SET status = 'completed' WHERE type = 'reminder_24h'")
    await db.execute("UPDATE notification_jobs SET attempts = attempts")  # no status changes: nothing added
    await db.execute(
        "UPDATE notification_jobs SET status = 'failed' WHERE salon_id = %s AND status = 'pending'", (theirs.salon.id,)
    )
    await agree(db)

    await db.execute("DELETE FROM salons WHERE id = %s", (theirs.salon.id,))  # cascades to its jobs
    assert (await agree(db)).get("failed", 0) == 0
    assert (await jobs.totals(db))["failed"] == 0, "a status with none is there, at 0"

    await db.execute("TRUNCATE notification_jobs, notification_attempts")
    assert await agree(db) == {}


async def test_delivery_reports_are_tallied_through_their_upserts(db: Database, make_salon) -> None:
    salon_id = (await make_salon()).salon.id
    one, two = await a_sent_text(db, salon_id), await a_sent_text(db, salon_id)
    await deliveries.record(db, Report(one, "queued"))
    await deliveries.record(db, Report(two, "queued"))
    await deliveries.record(db, Report(one, "delivered"))
    await deliveries.record(db, Report(one, "sent"))  # never goes back: changes nothing
    known = await deliveries.counts(db)
    assert (known["queued"], known["delivered"], known["sent"]) == (1, 1, 0)
    await agree(db)


async def test_folds_side_by_side_keep_the_totals(db: Database, make_salon, make_booking) -> None:
    new = await make_salon()
    for _ in range(5):
        await make_booking(new.salon)
    await asyncio.gather(*(tallies.fold(db) for _ in range(8)), *(agree(db) for _ in range(4)))
    await agree(db)
    rows = await db.fetch_all("SELECT tally, status, count(*) AS n FROM status_tallies GROUP BY tally, status")
    assert rows and all(row["n"] == 1 for row in rows), "folded: one row per status"
