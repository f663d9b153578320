"""The mail catcher and the salon-facing queue functions (job list, history, retry, cancel, counts)."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Iterator

import aiosmtplib
import pytest

from booking import jobs
from booking.errors import Conflict, NotFound
from db import Database
from jobqueue import claims
from outbox import messages as outbox
from outbox.catcher import CatcherAddress, MailCatcher
from tests.servers import SmtpServer
from tests.worker_fixtures import TEST_SENDER
from worker.channels import Channels
from worker.settings import MailSettings, SmsSettings, WorkerSettings
from worker.wiring import build_channels


@pytest.fixture(autouse=True)
def empty_queue(io_loop, db: Database) -> None:
    io_loop.run_sync(lambda: db.execute("TRUNCATE notification_jobs, notification_attempts, workers, outbox_messages"))


@pytest.fixture
def catcher(io_loop, db: Database) -> Iterator[CatcherAddress]:
    catcher = MailCatcher(db)
    address = io_loop.run_sync(catcher.start)
    yield address
    io_loop.run_sync(catcher.stop)


async def _until_status(db: Database, job_id, status: str) -> None:
    deadline = time.monotonic() + 20
    while (
        await jobs.get_job(
            db,
            (await db.fetch_one("SELECT salon_id FROM notification_jobs WHERE id = %s", (job_id,)))["salon_id"],
            job_id,
        )
    ).status != status:
        assert time.monotonic() < deadline, f"job never became {status}"
        await asyncio.sleep(0.05)


def channels_as_wired(db: Database, catcher: CatcherAddress | None, **mail: object) -> Channels:
    """The channels server.py would build: the given mail settings, no SMS provider."""
    settings = MailSettings(mail_from=TEST_SENDER, **mail)  # type: ignore[arg-type]
    return build_channels(settings, SmsSettings(), WorkerSettings(concurrency=2, send_timeout=5), db, catcher)


async def test_mail_catcher_keeps_worker_mail_under_its_salon(
    db, make_salon, make_booking, catcher: CatcherAddress, start_worker
) -> None:
    new = await make_salon(name="Catch Me")
    booked = await make_booking(new.salon)
    await start_worker(channels=channels_as_wired(db, catcher))
    await _until_status(db, booked.jobs[0].id, "completed")
    [kept] = await outbox.list_for_salon(db, new.salon.id)
    assert kept.channel == "email"
    assert kept.subject == "Your appointment at Catch Me is confirmed"
    assert kept.message_id == f"<{booked.jobs[0].id}.email@salonbook.test>"
    assert kept.recipients == ("ann@example.com",)
    assert "Content-Type: text/calendar" in kept.body
    assert f"X-Salonbook-Salon: {new.salon.id}" in kept.body, "the catcher files it by the salon it names"
    assert await outbox.get(db, new.salon.id, kept.id) == kept
    other = await make_salon()
    assert await outbox.get(db, other.salon.id, kept.id) is None
    [attempt] = (await jobs.get_job(db, new.salon.id, booked.jobs[0].id)).history
    assert attempt.detail == "kept in the outbox (no mail server configured)"


async def test_a_real_mail_server_is_not_told_the_salon(
    db, make_salon, make_booking, smtp_server: SmtpServer, catcher: CatcherAddress, start_worker
) -> None:
    new = await make_salon()
    await make_booking(new.salon)
    await start_worker(channels=channels_as_wired(db, catcher, smtp_host="127.0.0.1", smtp_port=smtp_server.port))
    [message] = await smtp_server.wait_for(1)
    assert message["X-Salonbook-Salon"] is None
    assert not [name for name in message if "salon" in name.lower()]
    assert await db.fetch_all("SELECT id FROM outbox_messages") == [], "nothing went to the catcher either"


async def test_mail_catcher_refuses_mail_without_the_workers_login(db, make_salon, catcher: CatcherAddress) -> None:
    victim = await make_salon()
    forged = (
        f"From: a@example.com\r\nTo: b@example.com\r\nSubject: pay here\r\nX-Salonbook-Salon: {victim.salon.id}\r\n"
        "\r\nhi\r\n"
    )
    route = {"sender": "a@example.com", "recipients": ["b@example.com"], "hostname": catcher.host, "port": catcher.port}
    with pytest.raises(aiosmtplib.SMTPSenderRefused) as stranger:
        await aiosmtplib.send(forged, **route)
    assert stranger.value.code == 530
    with pytest.raises(aiosmtplib.SMTPAuthenticationError) as guesser:
        await aiosmtplib.send(forged, **route, username=catcher.username, password="a guess")
    assert guesser.value.code == 535
    assert await db.fetch_all("SELECT id FROM outbox_messages") == [], "stored nowhere"
    assert await outbox.list_for_salon(db, victim.salon.id) == []


async def test_job_list_history_and_counts_for_the_salon(
    db, make_salon, make_booking, smtp_server: SmtpServer, start_worker
) -> None:
    ours, theirs = await make_salon(timezone="Europe/London"), await make_salon()
    smtp_server.refuse("ann@example.com", "550 5.1.1 mailbox unavailable")
    failed = await make_booking(ours.salon)
    later = await make_booking(
        ours.salon, types=("reminder_24h",), run_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=5)
    )
    await make_booking(theirs.salon)
    await start_worker(smtp=smtp_server)
    await _until_status(db, failed.jobs[0].id, "failed")

    listed = await jobs.list_jobs(db, ours.salon.id)
    assert [j.id for j in listed] == [later.jobs[0].id, failed.jobs[0].id]  # newest first, ours only
    assert listed[0].client_name == "Ann Example"
    assert listed[0].appointment_start == later.start
    assert listed[0].next_try == listed[0].run_at
    assert [j.id for j in await jobs.list_jobs(db, ours.salon.id, status="failed")] == [failed.jobs[0].id]
    assert [j.id for j in await jobs.list_jobs(db, ours.salon.id, type="reminder_24h")] == [later.jobs[0].id]
    by_appointment = await jobs.list_jobs(db, ours.salon.id, appointment_id=failed.appointment_id)
    assert [j.id for j in by_appointment] == [failed.jobs[0].id]
    today = dt.datetime.now(dt.UTC).astimezone(ours.salon.zone).date()
    assert failed.jobs[0].id in [j.id for j in await jobs.list_jobs(db, ours.salon.id, day=today)]
    assert await jobs.list_jobs(db, ours.salon.id, day=today - dt.timedelta(days=3)) == []

    detail = await jobs.get_job(db, ours.salon.id, failed.jobs[0].id)
    assert [(a.attempt, a.channel, a.outcome) for a in detail.history] == [(1, "email", "permanent")]
    assert detail.history[0].detail == "the mail server refused ann@example.com: 550 5.1.1 mailbox unavailable"
    with pytest.raises(NotFound):
        await jobs.get_job(db, theirs.salon.id, failed.jobs[0].id)

    assert await jobs.stats(db, ours.salon.id) == {
        "pending": 1,
        "processing": 0,
        "completed": 0,
        "failed": 1,
        "cancelled": 0,
    }
    assert await jobs.totals(db) == {
        "pending": 1,
        "processing": 0,
        "completed": 0,
        "failed": 2,
        "cancelled": 0,
    }


async def test_retry_gives_a_failed_job_its_attempts_again(
    db, make_salon, make_booking, smtp_server: SmtpServer, start_worker
) -> None:
    new = await make_salon()
    smtp_server.refuse("ann@example.com", "550 5.1.1 mailbox unavailable")
    booked = await make_booking(new.salon)
    job_id = booked.jobs[0].id
    worker = await start_worker(smtp=smtp_server)
    await _until_status(db, job_id, "failed")
    with pytest.raises(Conflict):
        await jobs.cancel_job(db, new.salon.id, job_id)
    other = await make_salon()
    with pytest.raises(NotFound):
        await jobs.retry_job(db, other.salon.id, job_id)

    smtp_server.accept("ann@example.com")  # the mailbox is fixed
    await worker.stop()  # else it may claim the job between the retry and our look at it
    retried = await jobs.retry_job(db, new.salon.id, job_id)
    assert retried.status == "pending"
    assert retried.attempts == 0
    assert (
        retried.error == "email: the mail server refused ann@example.com: 550 5.1.1 mailbox unavailable"
    )  # until retried
    await start_worker(smtp=smtp_server)
    await smtp_server.wait_for(1)
    await _until_status(db, job_id, "completed")
    with pytest.raises(Conflict, match="it was sent"):  # a completed one
        await jobs.retry_job(db, new.salon.id, job_id)


async def test_cancel_stops_a_pending_job(db, make_salon, make_booking) -> None:
    new = await make_salon()
    booked = await make_booking(new.salon, run_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
    cancelled = await jobs.cancel_job(db, new.salon.id, booked.jobs[0].id)
    assert cancelled.status == "cancelled"
    assert cancelled.error == "cancelled by the salon"
    with pytest.raises(Conflict):
        await jobs.cancel_job(db, new.salon.id, booked.jobs[0].id)


async def test_old_completed_jobs_are_deleted_in_batches(db, make_salon, make_booking) -> None:
    new = await make_salon()
    kept = await make_booking(new.salon)
    for _ in range(3):
        await make_booking(new.salon)
    await db.execute("UPDATE notification_jobs SET status = 'completed', processed_at = now() - interval '8 days'")
    await db.execute(
        "UPDATE notification_jobs SET processed_at = now() - interval '6 days' WHERE id = %s", (kept.jobs[0].id,)
    )
    assert await claims.delete_completed(db, older_than_days=7, batch=2) == 3
    [left] = await db.fetch_all("SELECT id FROM notification_jobs")
    assert left["id"] == kept.jobs[0].id
