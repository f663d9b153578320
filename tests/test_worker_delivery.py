"""The worker against a real PostgreSQL, a real SMTP server and a real SMS API: what is sent, when, and what is kept."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time

import pytest

from booking import appointments
from db import Database
from jobqueue import claims, queue
from tests.servers import SmsApi, SmtpServer
from worker.held import HeldChecks


@pytest.fixture(autouse=True)
def empty_queue(io_loop, db: Database) -> None:
    """Tests share a database: leftover jobs of one must not be sent by the next one's worker."""
    io_loop.run_sync(lambda: db.execute("TRUNCATE notification_jobs, notification_attempts, workers, outbox_messages"))


async def job_row(db: Database, job_id) -> dict:
    return await db.fetch_one("SELECT * FROM notification_jobs WHERE id = %s", (job_id,))


async def wait_for_status(db: Database, job_id, *statuses: str, timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        row = await job_row(db, job_id)
        if row["status"] in statuses:
            return row
        if time.monotonic() > deadline:
            pytest.fail(f"job stayed {row['status']} (wanted {statuses}); error: {row['error']}")
        await asyncio.sleep(0.05)


async def until(read, expected, timeout: float = 10.0):
    """Polls ``await read()`` until it equals ``expected``; fails with the last value otherwise."""
    deadline = time.monotonic() + timeout
    value = await read()
    while value != expected and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        value = await read()
    assert value == expected
    return value


async def details_of(db: Database, job_id) -> list[tuple[int, str, str]]:
    """What the job's history says of each attempt, as the salon reads it."""
    rows = await db.fetch_all(
        "SELECT attempt, channel, detail FROM notification_attempts WHERE job_id = %s ORDER BY id", (job_id,)
    )
    return [(r["attempt"], r["channel"], r["detail"]) for r in rows]


async def attempts_of(db: Database, job_id) -> list[tuple[int, str, str]]:
    rows = await db.fetch_all(
        "SELECT attempt, channel, outcome FROM notification_attempts WHERE job_id = %s ORDER BY id", (job_id,)
    )
    return [(r["attempt"], r["channel"], r["outcome"]) for r in rows]


# --- pickup ------------------------------------------------------------------


async def test_notify_delivers_at_once_without_waiting_for_the_poll(
    db, make_salon, make_booking, smtp_server: SmtpServer, start_worker
) -> None:
    worker = await start_worker(smtp=smtp_server, poll_interval=60)
    for _ in range(200):  # the LISTEN connection is up before we book
        if worker.status()["listening"]:
            break
        await asyncio.sleep(0.05)
    assert worker.status()["listening"], "LISTEN is up within 10 s"
    salon = await make_salon()
    booked = await make_booking(salon.salon)
    await smtp_server.wait_for(1, timeout=10)  # far below the 60 s poll
    await wait_for_status(db, booked.jobs[0].id, "completed")


async def test_poll_delivers_when_nobody_notifies(db, make_salon, smtp_server: SmtpServer, start_worker) -> None:
    salon = await make_salon()
    worker = await start_worker(smtp=smtp_server, poll_interval=0.5)
    await worker._listener.stop()  # NOTIFY off: only the poll can find the job
    client = await db.fetch_one(
        "INSERT INTO clients (salon_id, first_name, email, opted_in_reminders) "
        "VALUES (%s, 'Cy', 'cy@example.com', true) RETURNING id",
        (salon.salon.id,),
    )
    # written without NOTIFY, as a job whose run_at has just come
    job = await db.fetch_one(
        "INSERT INTO notification_jobs (salon_id, client_id, type, channels) "
        "VALUES (%s, %s, 'cancellation', '{email}') RETURNING id",
        (salon.salon.id, client["id"]),
    )
    messages = await smtp_server.wait_for(1, timeout=10)
    assert "cancelled" in messages[0]["Subject"]
    await wait_for_status(db, job["id"], "completed")


# --- content -----------------------------------------------------------------


async def test_confirmation_email_has_text_html_local_time_and_an_invitation(
    db, make_salon, make_booking, smtp_server: SmtpServer, start_worker
) -> None:
    new = await make_salon(name="Hair & Co", timezone="Europe/London", address="1 High Street, Bath")
    start = dt.datetime(2031, 12, 2, 10, 0, tzinfo=dt.UTC)  # a Tuesday, GMT
    booked = await make_booking(new.salon, start=start)
    await start_worker(smtp=smtp_server)
    [message] = await smtp_server.wait_for(1)
    assert message["Subject"] == "Your appointment at Hair & Co is confirmed"
    assert message["Message-ID"] == f"<{booked.jobs[0].id}.email@salonbook.test>"
    assert message["X-Salonbook-Salon"] is None, "a real mail server is not told our salon ids"
    assert message["To"].addresses[0].addr_spec == "ann@example.com"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for body in (text, html):
        assert "Tuesday, 2 December, 10:00 GMT" in body
        assert "1 High Street, Bath" in body
        assert "Bea Cutter" in body
    assert "Hair &amp; Co" in html  # autoescaped
    assert "Cut &amp; colour" in html
    [ics] = [part for part in message.iter_attachments() if part.get_content_type() == "text/calendar"]
    calendar = ics.get_content()
    assert "METHOD:REQUEST" in calendar
    assert f"UID:{booked.appointment_id}@salonbook" in calendar
    assert "DTSTART:20311202T100000Z" in calendar


async def test_names_cannot_pose_as_addresses_in_headers(
    db, make_salon, make_booking, smtp_server: SmtpServer, start_worker
) -> None:
    new = await make_salon(name='Cut, "Colour" <&> Co', email="salon@example.com")
    booked = await make_booking(new.salon)
    await db.execute(
        "UPDATE clients SET first_name = %s, last_name = %s WHERE id = %s",
        ('Ann "The Boss"', "<boss@example.com>, Bea", booked.client_id),
    )
    await start_worker(smtp=smtp_server)
    [message] = await smtp_server.wait_for(1)
    [to] = message["To"].addresses
    assert (to.addr_spec, to.display_name) == ("ann@example.com", "Ann The Boss boss@example.com Bea")
    [reply_to] = message["Reply-To"].addresses
    assert (reply_to.addr_spec, reply_to.display_name) == ("salon@example.com", "Cut Colour & Co")
    [sender] = message["From"].addresses
    assert (sender.addr_spec, sender.display_name) == ("bookings@salonbook.test", "Cut Colour & Co")
    assert message["Subject"] == 'Your appointment at Cut, "Colour" <&> Co is confirmed', "a subject is no address"


async def test_line_breaks_in_names_cannot_add_a_header(
    db, make_salon, make_booking, smtp_server: SmtpServer, start_worker
) -> None:
    new = await make_salon(name="Evil\r\nBcc: salon-victim@example.com", email="salon@example.com")
    booked = await make_booking(new.salon)
    await db.execute(
        "UPDATE clients SET first_name = %s, last_name = %s WHERE id = %s",
        ("Ann\r\nX-Injected: yes", "Example\nCc: client-victim@example.com", booked.client_id),
    )
    await start_worker(smtp=smtp_server)
    [message] = await smtp_server.wait_for(1)
    assert message["Subject"] == "Your appointment at Evil Bcc: salon-victim@example.com is confirmed"
    assert message["To"].addresses[0].display_name == "Ann X-Injected: yes Example Cc: client-victim@example.com"
    assert message["Reply-To"].addresses[0].addr_spec == "salon@example.com"
    assert message["From"].addresses[0].display_name == "Evil Bcc: salon-victim@example.com"
    assert sorted(message.keys()) == sorted(
        ["Subject", "From", "To", "Reply-To", "Date", "Message-ID", "List-Unsubscribe", "List-Unsubscribe-Post",
         "MIME-Version", "Content-Type"]
    )  # fmt: skip
    await wait_for_status(db, booked.jobs[0].id, "completed")


async def test_time_is_written_in_the_salons_zone(make_salon, make_booking, smtp_server, start_worker) -> None:
    new = await make_salon(timezone="America/New_York")
    await make_booking(new.salon, start=dt.datetime(2031, 7, 1, 14, 30, tzinfo=dt.UTC))
    await start_worker(smtp=smtp_server)
    [message] = await smtp_server.wait_for(1)
    assert "Tuesday, 1 July, 10:30 EDT" in message.get_body(("plain",)).get_content()


async def test_cancellation_carries_a_cancel_invitation_and_reminders_none(
    make_salon, make_booking, smtp_server: SmtpServer, start_worker
) -> None:
    new = await make_salon()
    await make_booking(new.salon, types=("cancellation",))
    await make_booking(new.salon, types=("reminder_24h",), start=dt.datetime.now(dt.UTC) + dt.timedelta(hours=5))
    await start_worker(smtp=smtp_server)
    messages = await smtp_server.wait_for(2)
    by_subject = {m["Subject"]: m for m in messages}
    cancel = by_subject[f"Your appointment at {new.salon.name} is cancelled"]
    [ics] = [p for p in cancel.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert "METHOD:CANCEL" in ics.get_content()
    reminder = by_subject[f"Reminder: your appointment at {new.salon.name} is tomorrow"]
    assert list(reminder.iter_attachments()) == []


async def test_rescheduled_notice_names_old_and_new_time_with_a_later_sequence(
    db, make_salon, make_booking, smtp_server: SmtpServer, start_worker
) -> None:
    new = await make_salon(timezone="Europe/London")
    start = dt.datetime(2031, 12, 2, 10, 0, tzinfo=dt.UTC)
    booked = await make_booking(
        new.salon,
        start=start,
        types=("rescheduled",),
        payload={"previousStartTime": (start - dt.timedelta(days=1)).isoformat()},
    )
    await db.execute(
        "UPDATE notification_jobs SET created_at = now() + interval '1 hour' WHERE id = %s", (booked.jobs[0].id,)
    )
    await start_worker(smtp=smtp_server)
    [message] = await smtp_server.wait_for(1)
    assert message["Subject"].endswith("has moved")
    text = message.get_body(("plain",)).get_content()
    assert "from Monday, 1 December, 10:00 GMT to Tuesday, 2 December, 10:00 GMT" in text
    [ics] = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    sequence = int(next(line for line in ics.get_content().splitlines() if line.startswith("SEQUENCE:"))[9:])
    assert sequence >= 3600


# --- retries and failures ----------------------------------------------------


async def test_transient_failure_is_retried_with_the_same_message_id(
    db, make_salon, make_booking, smtp_server: SmtpServer, start_worker
) -> None:
    new = await make_salon()
    smtp_server.refuse_next("ann@example.com", "451 4.7.1 greylisted, try later")
    booked = await make_booking(new.salon)
    await start_worker(smtp=smtp_server)
    [message] = await smtp_server.wait_for(1)
    row = await wait_for_status(db, booked.jobs[0].id, "completed")
    assert message["Message-ID"] == f"<{booked.jobs[0].id}.email@salonbook.test>"
    assert row["attempts"] == 2
    assert row["error"] is None
    assert await attempts_of(db, booked.jobs[0].id) == [(1, "email", "transient"), (2, "email", "sent")]


async def test_transient_failure_waits_before_the_retry(
    db, make_salon, make_booking, smtp_server: SmtpServer, start_worker
) -> None:
    new = await make_salon()
    smtp_server.refuse("ann@example.com", "421 4.3.2 system not accepting network messages")
    booked = await make_booking(new.salon)
    await start_worker(smtp=smtp_server, retry_base_delay=300)
    row = await wait_for_status(db, booked.jobs[0].id, "pending")
    while row["attempts"] == 0 or row["error"] is None:
        row = await job_row(db, booked.jobs[0].id)
        await asyncio.sleep(0.05)
    delay = (row["run_at"] - row["updated_at"]).total_seconds()
    assert 0.8 * 300 <= delay <= 1.2 * 300
    assert (
        row["error"]
        == "email: the mail server refused ann@example.com: 421 4.3.2 system not accepting network messages"
    )


async def test_permanent_failure_fails_at_once_with_a_readable_error(
    db, make_salon, make_booking, smtp_server: SmtpServer, start_worker
) -> None:
    new = await make_salon()
    smtp_server.refuse("ann@example.com", "550 5.1.1 mailbox unavailable")
    booked = await make_booking(new.salon)
    await start_worker(smtp=smtp_server)
    row = await wait_for_status(db, booked.jobs[0].id, "failed")
    assert row["attempts"] == 1
    assert row["error"] == "email: the mail server refused ann@example.com: 550 5.1.1 mailbox unavailable"
    assert smtp_server.messages == []


async def test_job_fails_when_its_attempts_are_used_up(
    db, make_salon, make_booking, smtp_server: SmtpServer, start_worker
) -> None:
    new = await make_salon()
    smtp_server.refuse("ann@example.com", "452 4.2.2 mailbox full")
    booked = await make_booking(new.salon, max_attempts=3)
    await start_worker(smtp=smtp_server, retry_base_delay=0.05)
    row = await wait_for_status(db, booked.jobs[0].id, "failed")
    assert row["attempts"] == 3
    assert "mailbox full" in row["error"]
    assert "gave up after 3 attempts" in row["error"]
    assert [a[2] for a in await attempts_of(db, booked.jobs[0].id)] == ["transient"] * 3


async def test_smtp_server_down_is_transient(
    db, make_salon, make_booking, smtp_server: SmtpServer, start_worker
) -> None:
    new = await make_salon()
    await smtp_server.stop()
    booked = await make_booking(new.salon)
    await start_worker(smtp=smtp_server, retry_base_delay=0.3)
    row = await job_row(db, booked.jobs[0].id)
    while row["error"] is None:
        row = await job_row(db, booked.jobs[0].id)
        await asyncio.sleep(0.02)
    assert row["error"] == "email: could not reach the mail server: connection refused"
    await smtp_server.start()
    await smtp_server.wait_for(1)
    await wait_for_status(db, booked.jobs[0].id, "completed")


async def test_retry_sends_only_the_channel_that_failed(
    db, make_salon, make_booking, smtp_server: SmtpServer, sms_api: SmsApi, start_worker
) -> None:
    new = await make_salon(name="Cutters")
    sms_api.answer_next(503, {"message": "try later"})
    booked = await make_booking(new.salon, phone="07400 900123")
    await start_worker(smtp=smtp_server, sms=sms_api)
    row = await wait_for_status(db, booked.jobs[0].id, "completed")
    assert len(smtp_server.messages) == 1  # not sent again on the retry
    assert len(sms_api.requests) == 2
    assert row["channels_done"] == ["email", "sms"]
    assert await attempts_of(db, booked.jobs[0].id) == [
        (1, "email", "sent"),
        (1, "sms", "transient"),
        (2, "sms", "sent"),
    ]
    request = sms_api.requests[-1]
    assert request["account"] == "AC123"
    assert request["auth"].startswith("Basic ")
    assert request["form"]["To"] == "+447400900123"
    assert request["form"]["From"] == "+15005550006"
    assert request["form"]["Body"].startswith("Cutters: ")


async def test_sms_4xx_and_a_bad_number_are_permanent(
    db, make_salon, make_booking, smtp_server: SmtpServer, sms_api: SmsApi, start_worker
) -> None:
    new = await make_salon()
    sms_api.answer_next(400, {"code": 21211, "message": "The 'To' number is not valid"})
    refused = await make_booking(new.salon, email=None, phone="+447400900124")
    garbled = await make_booking(new.salon, email=None, phone="not a number")
    await start_worker(smtp=smtp_server, sms=sms_api)
    row = await wait_for_status(db, refused.jobs[0].id, "failed")
    assert (
        row["error"]
        == "sms: the SMS provider refused the message to +447400900124: The 'To' number is not valid (HTTP 400)"
    )
    row = await wait_for_status(db, garbled.jobs[0].id, "failed")
    assert row["error"].startswith("sms: 'not a number' is not a phone number")
    assert len(sms_api.requests) == 1


async def test_a_number_the_salon_does_not_text_fails_at_send_time_and_its_email_still_goes(
    db, make_salon, make_booking, smtp_server: SmtpServer, sms_api: SmsApi, start_worker
) -> None:
    """Jobs planned before the salon's countries said otherwise (or before the rule) meet it in both channels."""
    new = await make_salon()
    abroad = await make_booking(new.salon, phone="+37477123456")  # email and text
    premium = await make_booking(new.salon, email=None, phone="+44 901 234 5678")
    await start_worker(smtp=smtp_server, sms=sms_api)
    row = await wait_for_status(db, abroad.jobs[0].id, "failed")
    assert row["error"] == (
        "sms: not sent: the salon texts mobile numbers in GB only; +37477123456 is a number from AM"
    ) and row["channels_done"] == ["email"]
    row = await wait_for_status(db, premium.jobs[0].id, "failed")
    assert row["error"] == "sms: not sent: +449012345678 cannot take texts: it is a premium-rate number"
    assert sms_api.requests == [] and len(await smtp_server.wait_for(1)) == 1


async def test_without_a_provider_sms_lands_in_the_outbox(
    db, make_salon, make_booking, smtp_server: SmtpServer, start_worker
) -> None:
    new = await make_salon()
    booked = await make_booking(new.salon, email=None, phone="+44 7400 900125")
    await start_worker(smtp=smtp_server)
    await wait_for_status(db, booked.jobs[0].id, "completed")
    [kept] = await db.fetch_all("SELECT * FROM outbox_messages")
    assert kept["channel"] == "sms"
    assert kept["recipients"] == ["+447400900125"]
    assert kept["salon_id"] == new.salon.id
    assert new.salon.name in kept["body"]
    [(_, _, detail)] = await details_of(db, booked.jobs[0].id)
    assert detail == "kept in the outbox (no SMS provider configured)"


async def test_history_says_what_happened_in_plain_words_and_the_log_keeps_the_details(
    db, make_salon, make_booking, smtp_server: SmtpServer, sms_api: SmsApi, start_worker, caplog
) -> None:
    caplog.set_level(logging.INFO, logger="worker")
    new = await make_salon()
    booked = await make_booking(new.salon, phone="+447400900126")
    await start_worker(smtp=smtp_server, sms=sms_api)
    await wait_for_status(db, booked.jobs[0].id, "completed")
    assert sorted(await details_of(db, booked.jobs[0].id)) == [
        (1, "email", "accepted by the mail server"),
        (1, "sms", "accepted by the SMS provider"),
    ]
    logged = caplog.text
    job = booked.jobs[0].id
    assert f"job {job}: 127.0.0.1:{smtp_server.port} took the email: OK queued" in logged
    assert (
        f"job {job}: SMS: {sms_api.url}/2010-04-01/Accounts/AC123/Messages.json answered 201 {sms_api.sids[0]}"
        in logged
    )
    assert "ann@example.com" not in logged and "7400900126" not in logged, "ids in the log, not addresses"


async def test_servers_out_of_reach_are_named_in_plain_words(
    db, make_salon, make_booking, smtp_server: SmtpServer, sms_api: SmsApi, start_worker
) -> None:
    new = await make_salon()
    await smtp_server.stop()
    sms_api.stop()
    booked = await make_booking(new.salon, phone="+447400900127")
    await start_worker(smtp=smtp_server, sms=sms_api, retry_base_delay=60)
    row = await wait_for_status(db, booked.jobs[0].id, "pending")
    while row["error"] is None:
        row = await wait_for_status(db, booked.jobs[0].id, "pending")
    assert sorted(await details_of(db, booked.jobs[0].id)) == [
        (1, "email", "could not reach the mail server: connection refused"),
        (1, "sms", "could not reach the SMS provider: connection refused"),
    ]


# --- the check before sending ------------------------------------------------


async def test_reminder_not_sent_after_cancel(db, make_salon, make_booking, smtp_server, start_worker) -> None:
    new = await make_salon()
    booked = await make_booking(new.salon, types=("reminder_24h",))
    await db.execute("UPDATE appointments SET status = 'cancelled' WHERE id = %s", (booked.appointment_id,))
    await start_worker(smtp=smtp_server)
    row = await wait_for_status(db, booked.jobs[0].id, "cancelled")
    assert row["error"] == "appointment was cancelled"
    assert await attempts_of(db, booked.jobs[0].id) == [(1, "email", "skipped")]
    assert smtp_server.messages == []


async def test_reminder_not_sent_for_a_moved_appointment(
    db, make_salon, make_booking, smtp_server, start_worker
) -> None:
    new = await make_salon(timezone="Europe/London")
    start = dt.datetime(2031, 12, 2, 10, 0, tzinfo=dt.UTC)
    booked = await make_booking(new.salon, types=("reminder_2h",), start=start)
    await db.execute(
        "UPDATE appointments SET start_time = start_time + interval '1 day', end_time = end_time + interval '1 day' "
        "WHERE id = %s",
        (booked.appointment_id,),
    )
    await start_worker(smtp=smtp_server)
    row = await wait_for_status(db, booked.jobs[0].id, "cancelled")
    assert row["error"] == "appointment moved to Wednesday, 3 December, 10:00 GMT"
    assert smtp_server.messages == []


async def test_reminder_not_sent_once_the_appointment_started(
    db, make_salon, make_booking, smtp_server, start_worker
) -> None:
    new = await make_salon()
    booked = await make_booking(
        new.salon,
        types=("reminder_2h",),
        start=dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=5),
    )
    await start_worker(smtp=smtp_server)
    row = await wait_for_status(db, booked.jobs[0].id, "cancelled")
    assert row["error"] == "appointment already started; reminder not sent"
    assert smtp_server.messages == []


async def test_an_outcome_the_database_refused_is_recorded_later_and_not_sent_again(
    db, make_salon, make_booking, smtp_server: SmtpServer, start_worker
) -> None:
    """While recording fails (as during a PostgreSQL restart) the sent job is not forgotten, nor sent twice."""
    await db.execute("CREATE SEQUENCE refused_writes")  # a sequence counts what a rolled-back write did
    await db.execute(
        """CREATE FUNCTION refuse_history() RETURNS trigger LANGUAGE plpgsql AS
           $$ BEGIN PERFORM nextval('refused_writes'); RAISE EXCEPTION 'database is restarting'; END $$"""
    )
    await db.execute(
        # The attempt row is written before the send; its outcome is written after, by an UPDATE: refuse that.
        "CREATE TRIGGER refuse BEFORE UPDATE ON notification_attempts FOR EACH ROW EXECUTE FUNCTION refuse_history()"
    )
    try:
        await start_worker(smtp=smtp_server)
        booked = await make_booking((await make_salon()).salon)
        await smtp_server.wait_for(1, timeout=10)
        for _ in range(200):  # two failed writes of the outcome
            refused = await db.fetch_row("SELECT last_value, is_called FROM refused_writes")
            if refused["is_called"] and refused["last_value"] >= 2:
                break
            await asyncio.sleep(0.05)
        assert refused["last_value"] >= 2, "the worker tried to record the outcome twice within 10 s"
        assert (await job_row(db, booked.jobs[0].id))["status"] == "processing"
    finally:
        await db.execute("DROP TRIGGER refuse ON notification_attempts")
        await db.execute("DROP FUNCTION refuse_history()")
        await db.execute("DROP SEQUENCE refused_writes")
    await wait_for_status(db, booked.jobs[0].id, "completed", timeout=10)
    assert await attempts_of(db, booked.jobs[0].id) == [(1, "email", "sent")]
    assert len(smtp_server.messages) == 1


# --- claims ------------------------------------------------------------------


async def test_a_send_that_lost_its_claim_is_recorded_and_the_newer_state_stays(
    db, make_salon, make_booking, smtp_server: SmtpServer, start_worker
) -> None:
    new = await make_salon()
    smtp_server.delay = 1.0
    booked = await make_booking(new.salon)
    await start_worker(smtp=smtp_server)
    await smtp_server.begun.reached(1)  # the email's DATA has begun: it is on its way
    async with db.transaction() as cur:  # the salon cancels it while the email is on its way
        await queue.cancel_live(cur, booked.appointment_id, ["booking_confirmation"], "cancelled by hand")
    await smtp_server.wait_for(1)
    await until(lambda: attempts_of(db, booked.jobs[0].id), [(1, "email", "sent")])
    row = await job_row(db, booked.jobs[0].id)
    assert (row["status"], row["error"]) == ("cancelled", "cancelled by hand"), "the newer state stays"
    assert row["channels_done"] == ["email"], "what went out is done: a retry would not send it again"
    [attempt] = await db.fetch_all("SELECT * FROM notification_attempts WHERE job_id = %s", (booked.jobs[0].id,))
    assert attempt["claim_lost"] and attempt["finished_at"] is not None


async def test_nothing_leaves_after_a_cancel_but_what_had_begun_while_claimed_jobs_wait_for_a_slow_server(
    db, make_salon, make_booking, smtp_server: SmtpServer, start_worker
) -> None:
    """A worker holds more jobs than it sends at once; those waiting for a connection when their appointment is
    cancelled are not sent: the check is made just before each message leaves, not when the job was claimed."""
    new = await make_salon()
    smtp_server.delay = 1.5
    booked = [await make_booking(new.salon) for _ in range(6)]
    await start_worker(smtp=smtp_server, concurrency=2, batch_size=10)
    await until(lambda: _count(db, "processing"), 6)  # all six claimed at once
    await smtp_server.begun.reached(2)
    on_their_way = smtp_server.begun.n  # both connections are busy for the next 1.5 s
    for booking in booked:
        await appointments.cancel(db, new.salon, booking.appointment_id)
    await until(lambda: _count(db, "completed"), 6, timeout=20)  # the six cancellation notices
    confirmations = {str(b.jobs[0].id): b.jobs[0].id for b in booked}
    arrived = [m for m in smtp_server.messages if _job_of(m) in confirmations]
    assert on_their_way == 2
    assert len(arrived) == on_their_way, "only confirmations whose DATA had begun before the cancel arrive"
    for job_id in confirmations.values():
        row = await job_row(db, job_id)
        assert row["status"] == "cancelled", "the cancel's state stays"
        [attempt] = await db.fetch_all("SELECT * FROM notification_attempts WHERE job_id = %s", (job_id,))
        if any(_job_of(m) == str(job_id) for m in arrived):
            assert (attempt["outcome"], row["channels_done"]) == ("sent", ["email"])
        else:
            assert attempt["outcome"] == "skipped"
            assert attempt["detail"] == "not sent: appointment was cancelled by the salon"
            assert row["channels_done"] == [], "not sent: a retry would send it"
        assert attempt["claim_lost"] and attempt["finished_at"] is not None


def _job_of(message) -> str:
    """The job id in a message's Message-ID (<job.email@host>)."""
    return str(message["Message-ID"]).strip("<>").split(".", 1)[0]


async def _count(db: Database, status: str) -> int:
    row = await db.fetch_row("SELECT count(*) AS n FROM notification_jobs WHERE status = %s", (status,))
    return int(row["n"])


async def test_stopping_mid_send_resolves_the_attempt_of_a_job_cancelled_meanwhile(
    db, make_salon, make_booking, smtp_server: SmtpServer, start_worker
) -> None:
    """The job is no longer the worker's when it stops, but its attempt row still is: it may have gone out."""
    new = await make_salon()
    smtp_server.delay = 5.0
    booked = await make_booking(new.salon)
    worker = await start_worker(smtp=smtp_server, shutdown_timeout=0.3)
    await smtp_server.begun.reached(1)
    async with db.transaction() as cur:
        await queue.cancel_live(cur, booked.appointment_id, ["booking_confirmation"], "cancelled by hand")
    await worker.stop()  # the send is cut off
    [attempt] = await db.fetch_all("SELECT * FROM notification_attempts WHERE job_id = %s", (booked.jobs[0].id,))
    assert attempt["outcome"] == "unconfirmed"
    assert "may have gone out" in attempt["detail"]
    assert attempt["claim_lost"] and attempt["finished_at"] is not None
    assert (await job_row(db, booked.jobs[0].id))["status"] == "cancelled"


async def test_stopping_takes_back_the_attempt_of_a_claimed_job_cancelled_before_it_was_tried(
    db, make_salon, make_booking, smtp_server: SmtpServer, start_worker
) -> None:
    new = await make_salon()
    smtp_server.delay = 5.0
    await make_booking(new.salon)  # the first, sent first
    second = await make_booking(new.salon)
    worker = await start_worker(smtp=smtp_server, concurrency=1, shutdown_timeout=0.3)
    await until(lambda: _count(db, "processing"), 2)
    await smtp_server.begun.reached(1)  # the first one, the salon's oldest due job: the second waits for the slot
    async with db.transaction() as cur:
        await queue.cancel_live(cur, second.appointment_id, ["booking_confirmation"], "cancelled by hand")
    await worker.stop()
    assert await db.fetch_all("SELECT * FROM notification_attempts WHERE job_id = %s", (second.jobs[0].id,)) == []
    assert (await job_row(db, second.jobs[0].id))["status"] == "cancelled"
    left = await db.fetch_one("SELECT count(*) AS n FROM notification_attempts WHERE outcome = 'started'")
    assert left["n"] == 0, "no attempt stays 'being sent'"


async def test_claim_takes_each_job_once_and_only_due_ones(db, make_salon, make_booking) -> None:
    new = await make_salon()
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    for _ in range(5):
        await make_booking(new.salon)
    await make_booking(new.salon, run_at=later)
    first, second, third = await asyncio.gather(
        claims.claim_due(db, "a", 3), claims.claim_due(db, "b", 3), claims.claim_due(db, "c", 3)
    )
    ids = [job.id for job in first + second + third]
    assert len(ids) == 5
    assert len(set(ids)) == 5
    assert {job.attempts for job in first + second + third} == {1}


async def test_the_check_before_sending_answers_each_job_of_a_batch_for_itself(db, make_salon, make_booking) -> None:
    new = await make_salon()
    for _ in range(5):
        await make_booking(new.salon)
    held, cancelled, deleted, rescued, taken = await claims.claim_due(db, "w", 10)
    await db.execute(
        "UPDATE notification_jobs SET status = 'cancelled', error = 'moved' WHERE id = %s", (cancelled.id,)
    )
    await db.execute("DELETE FROM notification_jobs WHERE id = %s", (deleted.id,))
    await db.execute("UPDATE notification_jobs SET status = 'pending', locked_by = NULL WHERE id = %s", (rescued.id,))
    await db.execute("UPDATE notification_jobs SET locked_by = 'another' WHERE id = %s", (taken.id,))
    assert await claims.still_held(db, [held, cancelled, deleted, rescued, taken, held]) == [
        None,
        "moved",
        "the notification was deleted",
        "the notification was put back in the queue meanwhile",
        "the notification was taken by another worker meanwhile",
        None,
    ]


class CountingDatabase(Database):
    """The test database, counting the statements it is given."""

    statements = 0

    async def fetch_all(self, sql, params=None):
        CountingDatabase.statements += 1
        return await super().fetch_all(sql, params)


async def test_checks_asked_together_go_in_one_statement_and_later_ones_in_the_next(
    db, make_salon, make_booking
) -> None:
    new = await make_salon()
    for _ in range(5):
        await make_booking(new.salon)
    jobs = await claims.claim_due(db, "w", 10)
    await db.execute("UPDATE notification_jobs SET status = 'cancelled', error = 'moved' WHERE id = %s", (jobs[1].id,))
    checks = HeldChecks(CountingDatabase(db.pool, db.dsn))
    CountingDatabase.statements = 0
    first = asyncio.gather(*(checks.ask(job) for job in jobs[:3]))
    await asyncio.sleep(0)  # the first three's statement is on its way when the last two ask
    second = asyncio.gather(*(checks.ask(job) for job in jobs[3:]))
    assert await first == [None, "moved", None]
    assert await second == [None, None]
    assert CountingDatabase.statements == 2


async def test_rescue_returns_a_dead_workers_job_to_pending(
    db, make_salon, make_booking, smtp_server: SmtpServer, start_worker
) -> None:
    new = await make_salon()
    booked = await make_booking(new.salon)
    await db.execute(
        "INSERT INTO workers (id, hostname, pid, heartbeat_at) "
        "VALUES ('gone', 'elsewhere', 1, now() - interval '1 hour')"
    )
    [claimed] = await claims.claim_due(db, "gone", 10)
    assert claimed.id == booked.jobs[0].id
    await start_worker(smtp=smtp_server, dead_after=2)
    await smtp_server.wait_for(1)
    row = await wait_for_status(db, booked.jobs[0].id, "completed")
    assert row["attempts"] == 2
    assert await db.fetch_one("SELECT 1 FROM workers WHERE id = 'gone'") is None


async def test_rescue_fails_a_job_without_attempts_left(db, make_salon, make_booking) -> None:
    new = await make_salon()
    booked = await make_booking(new.salon, max_attempts=1)
    await claims.claim_due(db, "vanished", 10)  # no workers row at all
    [rescued] = await claims.rescue(db, dead_after=30, stale_after=300)
    assert rescued["id"] == booked.jobs[0].id
    assert rescued["status"] == "failed"
    assert rescued["error"] == "worker vanished stopped during attempt 1; no attempts left"


async def test_rescue_frees_a_job_held_longer_than_stale_after(db, make_salon, make_booking) -> None:
    new = await make_salon()
    booked = await make_booking(new.salon)
    await db.execute("INSERT INTO workers (id, hostname, pid) VALUES ('slow', 'here', 1)")
    await claims.claim_due(db, "slow", 10)
    assert await claims.rescue(db, dead_after=30, stale_after=300) == []
    await db.execute("UPDATE notification_jobs SET locked_at = now() - interval '301 seconds'")
    [rescued] = await claims.rescue(db, dead_after=30, stale_after=300)
    assert rescued["status"] == "pending"
    assert rescued["error"] == "attempt 1 was still running after 300 s; will try again"
    assert (await job_row(db, booked.jobs[0].id))["locked_by"] is None


async def test_listen_connection_killed_reconnects_and_still_delivers_promptly(
    db, make_salon, make_booking, smtp_server: SmtpServer, start_worker
) -> None:
    new = await make_salon()
    worker = await start_worker(smtp=smtp_server, poll_interval=60)
    await _until(lambda: worker.status()["listening"])
    killed = await db.fetch_one(
        "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity "
        "WHERE query = %s AND pid <> pg_backend_pid()",
        (f"LISTEN {queue.NOTIFY_CHANNEL}",),
    )
    assert killed["n"] == 1
    await _until(lambda: not worker.status()["listening"])
    await _until(lambda: worker.status()["listening"])
    await make_booking(new.salon)
    await smtp_server.wait_for(1, timeout=10)  # the 60 s poll did not do it


async def _until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("condition not met in time")
        await asyncio.sleep(0.02)


async def test_a_slow_server_holds_a_window_of_batches_not_the_whole_queue(
    db, make_salon, make_booking, smtp_server: SmtpServer, start_worker
) -> None:
    new = await make_salon()
    smtp_server.delay = 0.1
    for _ in range(12):
        await make_booking(new.salon)
    await start_worker(smtp=smtp_server, concurrency=1, batch_size=2)
    most = 0
    while len(smtp_server.messages) < 12:
        row = await db.fetch_one("SELECT count(*) AS n FROM notification_jobs WHERE status = 'processing'")
        most = max(most, row["n"])
        await asyncio.sleep(0.01)
    assert 2 < most <= 6, "two batches sending at most, three waiting for their outcomes to be written"
    await until(lambda: _statuses(db), ["completed"] * 12)


async def _statuses(db: Database) -> list[str]:
    return [row["status"] for row in await db.fetch_all("SELECT status FROM notification_jobs")]


async def test_stop_puts_claimed_but_unsent_jobs_back(
    db, make_salon, make_booking, smtp_server: SmtpServer, start_worker
) -> None:
    new = await make_salon()
    smtp_server.delay = 0.5
    for _ in range(6):
        await make_booking(new.salon)
    worker = await start_worker(smtp=smtp_server, concurrency=1, batch_size=6)
    await smtp_server.wait_for(1)
    await worker.stop()
    rows = await db.fetch_all("SELECT status, attempts FROM notification_jobs")
    statuses = sorted(r["status"] for r in rows)
    assert "processing" not in statuses
    assert statuses.count("completed") == len(smtp_server.messages)
    assert all(r["attempts"] == 0 for r in rows if r["status"] == "pending")
    assert statuses.count("pending") >= 1
    assert await db.fetch_one("SELECT 1 FROM workers WHERE id = %s", (worker.id,)) is None
