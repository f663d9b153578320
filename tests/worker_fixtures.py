"""Worker fixtures: bookings written with plain SQL plus jobqueue.queue.enqueue, and in-process workers.

The SMTP and SMS servers they talk to are in tests/servers.py.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import pytest
import tornado.ioloop

from db import Database
from jobqueue import queue as job_queue
from jobqueue.claims import ClaimedJob
from tests.servers import SmsApi, SmtpServer
from worker.channels import Channels
from worker.delivery import Delivery
from worker.runner import Worker
from worker.settings import MailSettings, SmsSettings, WorkerSettings
from worker.wiring import build_channels

TEST_SENDER = "Salonbook Tests <bookings@salonbook.test>"
LATER = dt.datetime(2030, 5, 6, 9, 0, tzinfo=dt.UTC)  # "now" for tests of pure decisions


def claimed_job(kind: str = "booking_confirmation", *, now: dt.datetime = LATER, **fields: object) -> ClaimedJob:
    """A job as a worker holds it, about an appointment a day after ``now``, to email and text; no database."""
    start = now + dt.timedelta(days=1)
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "salon_id": uuid.uuid4(),
        "client_id": uuid.uuid4(),
        "appointment_id": uuid.uuid4(),
        "type": kind,
        "payload": {"startTime": start.isoformat(), "endTime": (start + dt.timedelta(minutes=45)).isoformat()},
        "channels": ("email", "sms"),
        "channels_done": (),
        "attempts": 1,
        "max_attempts": 3,
        "locked_by": "w1",
        "locked_at": now,
        "created_at": now,
    }
    return ClaimedJob(**(values | fields))


def delivery_for(job: ClaimedJob, **fields: object) -> Delivery:
    """What a worker reads for ``job``: Ann's booked appointment at Hair by Ann, at the time the job says."""
    planned = job.payload.get("startTime")
    start = dt.datetime.fromisoformat(planned) if planned else None  # None: a notice not about an appointment
    values: dict[str, object] = {
        "salon_name": "Hair by Ann",
        "salon_address": "1 High Street, Bath",
        "salon_timezone": "Europe/London",
        "salon_email": "desk@hair.example",
        "salon_phone": "+44 1225 123456",
        "salon_locale": "en-GB",
        "salon_sms_countries": ("GB",),
        "client_first_name": "Ann",
        "client_last_name": "Example",
        "client_email": "ann@example.com",
        "client_phone": "+447400900123",
        "appointment_status": "booked" if start else None,
        "start_time": start,
        "end_time": start + dt.timedelta(minutes=45) if start else None,
        "appointment_created_at": job.created_at if start else None,
        "staff_first_name": "Bea",
        "staff_last_name": "Cutter",
        "service_name": "Cut & colour",
    }
    return Delivery(job=job, **(values | fields))


async def a_sent_text(db: Database, salon_id: uuid.UUID) -> str:
    """The id the provider gave a text the product sent (a reply, its attempt naming that id), for its reports."""
    sid = f"SM{uuid.uuid4().hex}"
    job = await db.fetch_row(
        """INSERT INTO notification_jobs (salon_id, type, channels, channels_done, status, payload)
           VALUES (%s, 'text_reply', '{sms}', '{sms}', 'completed', '{"phone": "+447400900123"}') RETURNING id""",
        (salon_id,),
    )
    await db.execute(
        """INSERT INTO notification_attempts (job_id, attempt, channel, outcome, worker_id, provider_id)
           VALUES (%s, 1, 'sms', 'sent', 'a worker', %s)""",
        (job["id"], sid),
    )
    return sid


@dataclass(frozen=True)
class Booked:
    salon_id: uuid.UUID
    appointment_id: uuid.UUID
    client_id: uuid.UUID
    start: dt.datetime
    jobs: list[job_queue.QueuedJob]


@pytest.fixture
def make_booking(db: Database):
    """Writes staff, service, client and appointment rows and enqueues its jobs in one transaction.

    ``await make_booking(salon, email=..., phone=..., start=..., types=(...), run_at=...)``
    """

    async def make(
        salon,
        *,
        email: str | None = "ann@example.com",
        phone: str | None = None,
        start: dt.datetime | None = None,
        minutes: int = 45,
        types: tuple[str, ...] = ("booking_confirmation",),
        run_at: dt.datetime | None = None,
        max_attempts: int = 3,
        payload: dict | None = None,
    ) -> Booked:
        start = start or dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=2)
        end = start + dt.timedelta(minutes=minutes)
        channels = tuple(c for c, have in (("email", email), ("sms", phone)) if have)
        async with db.transaction() as cur:
            await cur.execute(
                "INSERT INTO staff (salon_id, first_name, last_name) VALUES (%s, 'Bea', 'Cutter') RETURNING id",
                (salon.id,),
            )
            staff_id = (await cur.fetchone())["id"]
            await cur.execute(
                "INSERT INTO services (salon_id, name, duration_minutes) VALUES (%s, 'Cut & colour', %s) RETURNING id",
                (salon.id, minutes),
            )
            service_id = (await cur.fetchone())["id"]
            await cur.execute(
                """INSERT INTO clients (salon_id, first_name, last_name, email, phone, opted_in_reminders)
                   VALUES (%s, 'Ann', 'Example', %s, %s, true) RETURNING id""",
                (salon.id, email, phone),
            )
            client_id = (await cur.fetchone())["id"]
            await cur.execute(
                """INSERT INTO appointments (salon_id, client_id, staff_id, service_id, start_time, end_time)
                   VALUES (%s, %s, %s, %s, %s, %s) RETURNING id""",
                (salon.id, client_id, staff_id, service_id, start, end),
            )
            appointment_id = (await cur.fetchone())["id"]
            body = {"startTime": start.isoformat(), "endTime": end.isoformat()} | (payload or {})
            jobs = await job_queue.enqueue(
                cur,
                salon_id=salon.id,
                client_id=client_id,
                appointment_id=appointment_id,
                jobs=[job_queue.NewJob(t, channels, run_at or dt.datetime.now(dt.UTC), body) for t in types],
            )
            await cur.execute(
                "UPDATE notification_jobs SET max_attempts = %s WHERE appointment_id = %s",
                (max_attempts, appointment_id),
            )
        return Booked(salon.id, appointment_id, client_id, start, jobs)

    return make


@pytest.fixture
def start_worker(io_loop: tornado.ioloop.IOLoop, database_url: str):
    """Starts in-process workers with fast test settings; all are stopped after the test.

    ``await start_worker(smtp=smtp_server, sms=sms_api or None, channels=..., **settings)``
    """
    started: list[tuple[Worker, Database]] = []

    async def start(
        *,
        smtp: SmtpServer | None = None,
        sms: SmsApi | None = None,
        channels: Channels | None = None,
        messaging_service: str = "",
        **settings: float | str,
    ) -> Worker:
        values = {
            "poll_interval": 0.5,
            "retry_base_delay": 0.2,
            "heartbeat_interval": 0.5,
            "dead_after": 2.0,
            "send_timeout": 5.0,
            "shutdown_timeout": 5.0,
        } | settings
        worker_settings = WorkerSettings(**values)
        pool = await Database.connect(database_url, maxsize=worker_settings.concurrency + 2)
        if channels is None:
            assert smtp is not None, "give the worker an SMTP server or channels"
            mail = MailSettings(smtp_host="127.0.0.1", smtp_port=smtp.port, mail_from=TEST_SENDER)
            texts = SmsSettings(
                sms_provider_url=sms.url if sms else "",
                sms_account_sid="AC123",
                sms_auth_token="secret",
                sms_from="+15005550006",
                sms_messaging_service_sid=messaging_service,
            )
            channels = build_channels(mail, texts, worker_settings, pool, None)
        worker = Worker(pool, database_url, worker_settings, channels)
        await worker.start()
        started.append((worker, pool))
        return worker

    yield start
    for worker, pool in started:
        io_loop.run_sync(worker.stop)
        io_loop.run_sync(pool.close)
