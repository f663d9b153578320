"""Worker processes (``server.py --web=false``) against one database: killed, stopped, and side by side."""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from db import Database
from jobqueue import queue
from tests.conftest import ROOT
from tests.servers import SmtpServer


@pytest.fixture(autouse=True)
def empty_queue(io_loop, db: Database) -> None:
    io_loop.run_sync(lambda: db.execute("TRUNCATE notification_jobs, notification_attempts, workers, outbox_messages"))


@pytest.fixture
def spawn_worker(database_url: str, tmp_path: Path) -> Iterator:
    """Starts worker-only ``server.py --web=false`` processes against the test database; kills leftovers afterwards."""
    processes: list[subprocess.Popen] = []

    def spawn(smtp: SmtpServer, **options: object) -> subprocess.Popen:
        values = {
            "poll_interval": 0.5,
            "heartbeat_interval": 0.5,
            "dead_after": 2,
            "retry_base_delay": 0.2,
            "shutdown_timeout": 10,
        } | options
        log = open(tmp_path / f"worker-{len(processes)}.log", "wb")  # noqa: SIM115 - outlives this call
        process = subprocess.Popen(
            [
                sys.executable,
                "server.py",
                "--web=false",
                f"--database_url={database_url}",
                "--smtp_host=127.0.0.1",
                f"--smtp_port={smtp.port}",
                *(f"--{k}={v}" for k, v in values.items()),
            ],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        processes.append(process)
        return process

    yield spawn
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()


async def bulk_bookings(db: Database, salon_id, count: int) -> list:
    """``count`` appointments of one client, one confirmation job each, written in one go."""
    async with db.transaction() as cur:
        await cur.execute(
            """WITH st AS (INSERT INTO staff (salon_id, first_name) VALUES (%(salon)s, 'Bea') RETURNING id),
                    sv AS (INSERT INTO services (salon_id, name, duration_minutes)
                           VALUES (%(salon)s, 'Cut', 30) RETURNING id),
                    cl AS (INSERT INTO clients (salon_id, first_name, email, opted_in_reminders)
                           VALUES (%(salon)s, 'Ann', 'ann@example.com', true) RETURNING id),
                    ap AS (INSERT INTO appointments (salon_id, client_id, staff_id, service_id, start_time, end_time)
                           SELECT %(salon)s, cl.id, st.id, sv.id, t, t + interval '30 minutes'
                             FROM st, sv, cl,
                                  generate_series(%(first)s::timestamptz, %(first)s::timestamptz
                                                  + (%(count)s - 1) * interval '1 hour', interval '1 hour') AS t
                           RETURNING id, client_id, start_time, end_time)
               INSERT INTO notification_jobs (salon_id, client_id, appointment_id, type, channels, payload)
               SELECT %(salon)s, ap.client_id, ap.id, 'booking_confirmation', '{email}',
                      jsonb_build_object('startTime', to_char(ap.start_time AT TIME ZONE 'UTC',
                                                              'YYYY-MM-DD"T"HH24:MI:SS+00:00'),
                                         'endTime', to_char(ap.end_time AT TIME ZONE 'UTC',
                                                            'YYYY-MM-DD"T"HH24:MI:SS+00:00'))
                 FROM ap
               RETURNING id""",
            {
                "salon": salon_id,
                "count": count,
                "first": dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0) + dt.timedelta(days=1),
            },
        )
        ids = [row["id"] for row in await cur.fetchall()]
        await cur.execute("NOTIFY salonbook_jobs")
    return ids


async def statuses(db: Database) -> collections.Counter:
    rows = await db.fetch_all("SELECT status, count(*) AS n FROM notification_jobs GROUP BY status")
    return collections.Counter({row["status"]: row["n"] for row in rows})


async def until(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {timeout:g} s")
        await asyncio.sleep(0.1)


async def exited(process: subprocess.Popen, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while process.poll() is None:
        if time.monotonic() > deadline:
            pytest.fail(f"worker process {process.pid} still running after {timeout:g} s")
        await asyncio.sleep(0.05)
    return process.returncode


async def test_job_of_a_killed_worker_is_delivered_by_another(
    db, make_salon, make_booking, smtp_server: SmtpServer, spawn_worker
) -> None:
    new = await make_salon()
    smtp_server.delay = 30.0  # the first worker never finishes its send
    booked = await make_booking(new.salon)
    job_id = booked.jobs[0].id
    doomed = spawn_worker(smtp_server)

    async def mid_send() -> bool:
        row = await db.fetch_one("SELECT status FROM notification_jobs WHERE id = %s", (job_id,))
        return row["status"] == "processing" and smtp_server.in_data.now > 0

    await until(mid_send, 20, "the first worker starting to send")
    doomed.send_signal(signal.SIGKILL)
    await exited(doomed, 5)
    smtp_server.delay = 0.0
    spawn_worker(smtp_server)
    [message] = await smtp_server.wait_for(1, timeout=60)
    assert message["Message-ID"].startswith(f"<{job_id}.email@")
    row = await db.fetch_one("SELECT status, attempts, error FROM notification_jobs WHERE id = %s", (job_id,))
    for _ in range(50):
        if row["status"] == "completed":
            break
        await asyncio.sleep(0.1)
        row = await db.fetch_one("SELECT status, attempts, error FROM notification_jobs WHERE id = %s", (job_id,))
    assert row["status"] == "completed"
    assert row["attempts"] == 2


async def test_a_message_the_server_took_before_the_kill_is_on_record_as_unconfirmed(
    db, make_salon, make_booking, smtp_server: SmtpServer, spawn_worker
) -> None:
    """Killed after the mail server kept the message but before it said so: nobody can know it went out."""
    new = await make_salon()
    smtp_server.hold_reply = 30.0
    job_id = (await make_booking(new.salon)).jobs[0].id
    doomed = spawn_worker(smtp_server)
    await smtp_server.wait_for(1, timeout=20)
    doomed.send_signal(signal.SIGKILL)
    await exited(doomed, 5)
    smtp_server.hold_reply = 0.0
    spawn_worker(smtp_server)
    first, again = await smtp_server.wait_for(2, timeout=60)
    assert first["Message-ID"] == again["Message-ID"] == f"<{job_id}.email@salonbook.localhost>"
    await until(lambda: _all_completed(db, 1), 10, "the resend being recorded")
    history = await db.fetch_all(
        "SELECT attempt, outcome, detail FROM notification_attempts WHERE job_id = %s ORDER BY id", (job_id,)
    )
    assert [(row["attempt"], row["outcome"]) for row in history] == [(1, "unconfirmed"), (2, "sent")]
    assert "may have gone out" in history[0]["detail"]


async def test_a_worker_killed_mid_send_of_a_job_cancelled_meanwhile_leaves_no_attempt_being_sent(
    db, make_salon, make_booking, smtp_server: SmtpServer, spawn_worker
) -> None:
    """The cancel took the job from the worker, so the rescue of its jobs does not see it; its attempt is
    resolved all the same once the worker is known to be gone, and nothing is sent again."""
    new = await make_salon()
    smtp_server.delay = 30.0
    booked = await make_booking(new.salon)
    job_id = booked.jobs[0].id
    doomed = spawn_worker(smtp_server)
    await smtp_server.begun.reached(1, timeout=20)
    async with db.transaction() as cur:
        await queue.cancel_live(cur, booked.appointment_id, ["booking_confirmation"], "cancelled by hand")
    doomed.send_signal(signal.SIGKILL)
    await exited(doomed, 5)
    spawn_worker(smtp_server)

    async def resolved() -> bool:
        row = await db.fetch_one("SELECT outcome FROM notification_attempts WHERE job_id = %s", (job_id,))
        return row["outcome"] != "started"

    await until(resolved, 30, "the attempt being resolved")
    [attempt] = await db.fetch_all("SELECT * FROM notification_attempts WHERE job_id = %s", (job_id,))
    assert (attempt["outcome"], attempt["claim_lost"]) == ("unconfirmed", True)
    assert "may have gone out" in attempt["detail"] and attempt["finished_at"] is not None
    row = await db.fetch_one("SELECT status, error FROM notification_jobs WHERE id = %s", (job_id,))
    assert (row["status"], row["error"]) == ("cancelled", "cancelled by hand")
    assert smtp_server.messages == [], "the cancelled job is not sent again"


async def test_sigterm_mid_batch_loses_nothing(db, make_salon, smtp_server: SmtpServer, spawn_worker) -> None:
    new = await make_salon()
    smtp_server.delay = 0.3
    ids = await bulk_bookings(db, new.salon.id, 20)
    stopping = spawn_worker(smtp_server, concurrency=2, batch_size=10)
    await smtp_server.wait_for(3, timeout=30)
    stopping.send_signal(signal.SIGTERM)
    assert await exited(stopping, 15) == 0
    counts = await statuses(db)
    assert counts["processing"] == 0
    assert counts["completed"] == len(smtp_server.messages)  # what was in flight finished
    assert counts["pending"] == 20 - counts["completed"]
    unsure = await db.fetch_one(
        "SELECT count(*) AS n FROM notification_attempts WHERE outcome IN ('started', 'unconfirmed')"
    )
    assert unsure["n"] == 0, "what was sent is recorded; what was never tried leaves no attempt behind"
    smtp_server.delay = 0.0
    spawn_worker(smtp_server)
    await smtp_server.wait_for(20, timeout=30)
    await until(lambda: _all_completed(db, 20), 10, "all 20 jobs completing")
    received = collections.Counter(smtp_server.message_ids())
    assert sorted(received) == sorted(f"<{job_id}.email@salonbook.localhost>" for job_id in ids)
    assert set(received.values()) == {1}


async def _all_completed(db: Database, count: int) -> bool:
    return (await statuses(db))["completed"] == count


async def test_three_processes_drain_3000_jobs_each_sent_exactly_once(
    db, make_salon, smtp_server: SmtpServer, spawn_worker
) -> None:
    new = await make_salon()
    processes = [spawn_worker(smtp_server, poll_interval=1) for _ in range(3)]
    ids = await bulk_bookings(db, new.salon.id, 3000)
    await smtp_server.wait_for(3000, timeout=60)
    await until(lambda: _all_completed(db, 3000), 20, "all 3000 jobs completing")
    received = collections.Counter(smtp_server.message_ids())
    assert len(received) == 3000
    assert set(received.values()) == {1}, [mid for mid, n in received.items() if n > 1][:5]
    assert set(received) == {f"<{job_id}.email@salonbook.localhost>" for job_id in ids}
    workers = await db.fetch_all("SELECT worker_id, count(*) AS n FROM notification_attempts GROUP BY worker_id")
    assert len(workers) == 3, "each process took a share"
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        assert await exited(process, 15) == 0
