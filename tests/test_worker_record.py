"""The record never lies: every message a server accepted is on the appointment's timeline, once, and no other.

A busy front desk books, moves and cancels while the mail server and the SMS provider are slow to answer.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import icalendar
import pytest

from booking import appointments, clients, jobs, services, staff
from booking.models import ClientDetails, ServiceDetails, StaffDetails
from db import Database
from tests.servers import SmsApi, SmtpServer


@pytest.fixture(autouse=True)
def empty_queue(io_loop, db: Database) -> None:
    io_loop.run_sync(lambda: db.execute("TRUNCATE notification_jobs, notification_attempts, workers, outbox_messages"))


async def a_booking(db: Database, salon, *, phone: str | None = "+447400900123"):
    bea = await staff.create_staff(db, salon.id, StaffDetails("Bea", "Cutter"))
    cut = await services.create_service(db, salon.id, ServiceDetails("Cut", 45))
    ann = await clients.create_client(db, salon.id, ClientDetails("Ann", "Lee", "ann@example.com", phone, True))
    start = (dt.datetime.now(dt.UTC) + dt.timedelta(days=5)).replace(minute=0, second=0, microsecond=0)
    booked = await appointments.book(db, salon, client_id=ann.id, staff_id=bea.id, service_id=cut.id, start_time=start)
    return booked, start


async def settled(db: Database, appointment_id, timeout: float = 20.0) -> list[jobs.Job]:
    """The appointment's timeline once no job is pending or being sent and no attempt is under way."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy = await db.fetch_one(
            """SELECT 1 AS busy FROM notification_jobs j
                WHERE j.appointment_id = %(id)s AND (j.status IN ('pending', 'processing')
                   OR EXISTS (SELECT FROM notification_attempts a WHERE a.job_id = j.id AND a.outcome = 'started'))""",
            {"id": appointment_id},
        )
        if busy is None:
            break
        await asyncio.sleep(0.1)
    salon_id = (await db.fetch_row("SELECT salon_id FROM appointments WHERE id = %s", (appointment_id,)))["salon_id"]
    return await jobs.appointment_timeline(db, salon_id, appointment_id)


async def test_a_move_and_a_cancel_racing_slow_sends_leave_every_accepted_message_on_record(
    db, make_salon, smtp_server: SmtpServer, sms_api: SmsApi, start_worker
) -> None:
    smtp_server.delay = 0.6
    sms_api.delay = 0.6
    salon = (await make_salon()).salon
    await start_worker(smtp=smtp_server, sms=sms_api)
    booked, start = await a_booking(db, salon)
    await smtp_server.begun.reached(1)  # the confirmation is on its way to both servers
    await sms_api.begun.reached(1)
    await appointments.reschedule(db, salon, booked.id, start_time=start + dt.timedelta(hours=2))
    await smtp_server.begun.reached(2)  # and now the notice of the new time
    await appointments.cancel(db, salon, booked.id)
    timeline = await settled(db, booked.id)

    received = [(str(m["Message-ID"]), "email") for m in smtp_server.messages]
    received += [(str(request["form"]), "sms") for request in sms_api.requests]
    on_record = [(job, a) for job in timeline for a in job.history if a.outcome == "sent"]
    assert len(on_record) == len(received), "each accepted message once on the timeline, and nothing else"
    emailed = {f"<{job.id}.email@salonbook.test>" for job, a in on_record if a.channel == "email"}
    assert {message_id for message_id, channel in received if channel == "email"} == emailed
    kinds = {job.type: job for job in timeline}
    assert kinds["booking_confirmation"].status == "cancelled", "the newer state stays"
    assert set(kinds["booking_confirmation"].channels_done) == {"email", "sms"}, "it went out: on the record"
    assert kinds["cancellation"].status == "completed"
    assert all(a.finished_at is not None for _, a in on_record)


async def test_three_changes_within_a_second_send_calendar_updates_in_order(
    db, make_salon, smtp_server: SmtpServer, start_worker
) -> None:
    """Each change's time is a whole second after the one before, even when the clock has not moved on: as if
    all three came within one second, the booking's own time is set ahead of the clock."""
    salon = (await make_salon()).salon
    await start_worker(smtp=smtp_server)
    booked, start = await a_booking(db, salon, phone=None)
    await smtp_server.wait_for(1)
    await db.execute("UPDATE appointments SET revised_at = revised_at + interval '1 hour' WHERE id = %s", (booked.id,))
    await appointments.reschedule(db, salon, booked.id, start_time=start + dt.timedelta(hours=1))
    await smtp_server.wait_for(2)
    await appointments.cancel(db, salon, booked.id)
    await smtp_server.wait_for(3)
    events = []
    for message in smtp_server.messages:
        [calendar_part] = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
        [event] = icalendar.Calendar.from_ical(calendar_part.get_content()).walk("VEVENT")
        events.append((int(event["SEQUENCE"]), event.decoded("DTSTAMP"), str(calendar_part.get_param("method"))))
    events.sort()
    sequences, stamps, methods = zip(*events, strict=True)
    assert sequences == (0, 1, 2), "booked, moved, cancelled: each a higher SEQUENCE"
    assert stamps[0] < stamps[1] < stamps[2], f"DTSTAMP strictly increasing, even within one second: {stamps}"
    assert stamps[2] - stamps[1] == dt.timedelta(seconds=1), "the clock was behind: one second more"
    assert methods == ("REQUEST", "REQUEST", "CANCEL")
