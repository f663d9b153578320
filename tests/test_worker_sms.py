"""Texts against the real worker, the web application and the SMS stand-in together: each text asks for its
delivery report and the report lands on its attempt (however early or out of order it comes), and a STOP that
commits while a text is claimed or already on its way is honoured, or the attempt says why it was not."""

from __future__ import annotations

import asyncio
import time

import pytest

from booking import opt_outs
from db import Database
from handlers.app import Salonbook
from tests.servers import SmsApi, SmtpServer, a_number, app_with_provider
from tests.test_worker_delivery import wait_for_status


@pytest.fixture
def app(db, http_server_port) -> Salonbook:
    return app_with_provider(db, http_server_port[1])


@pytest.fixture
def public_url(app: Salonbook, http_server) -> str:
    """Where the provider reaches the product (the web application is listening)."""
    return app.web_settings.public_url


@pytest.fixture(autouse=True)
def empty_queue(io_loop, db: Database) -> None:
    io_loop.run_sync(lambda: db.execute("TRUNCATE notification_jobs, notification_attempts, workers, outbox_messages"))


async def history(api, token: str, job_id) -> list[dict]:
    status, job = await api("GET", f"/jobs/{job_id}", token)
    assert status == 200, job
    return job["history"]


async def until_reported(api, token: str, job_id, status: str) -> dict:
    deadline = time.monotonic() + 10
    while (found := await history(api, token, job_id))[-1]["deliveryStatus"] != status:
        assert time.monotonic() < deadline, f"delivery status stayed {found[-1]['deliveryStatus']!r}"
        await asyncio.sleep(0.05)
    return found[-1]


async def test_a_text_asks_for_its_report_and_the_report_lands_on_its_attempt(
    db, api, make_salon, make_booking, smtp_server: SmtpServer, sms_api: SmsApi, start_worker, public_url
) -> None:
    new = await make_salon()
    booked = await make_booking(new.salon, email=None, phone=a_number())
    await start_worker(smtp=smtp_server, sms=sms_api, public_url=public_url)
    await wait_for_status(db, booked.jobs[0].id, "completed")
    [request] = sms_api.requests
    assert request["form"]["StatusCallback"] == f"{public_url}/sms/status"
    [attempt] = await history(api, new.api_token, booked.jobs[0].id)
    assert (attempt["outcome"], attempt["deliveryStatus"], attempt["errorCode"]) == ("sent", None, None)
    assert (await sms_api.report(sms_api.sids[0], "sent")).code == 204
    await until_reported(api, new.api_token, booked.jobs[0].id, "sent")
    await sms_api.report(sms_api.sids[0], "undelivered", 30003)
    attempt = await until_reported(api, new.api_token, booked.jobs[0].id, "undelivered")
    assert attempt["errorCode"] == 30003 and attempt["statusAt"]
    status, listed = await api("GET", f"/jobs?appointmentId={booked.appointment_id}", new.api_token)
    assert status == 200 and listed[0]["deliveryStatus"] == "undelivered" and listed[0]["deliveryErrorCode"] == 30003


async def test_with_a_messaging_service_texts_go_through_it_instead_of_from_the_number(
    db, make_salon, make_booking, smtp_server: SmtpServer, sms_api: SmsApi, start_worker, public_url
) -> None:
    new = await make_salon()
    booked = await make_booking(new.salon, email=None, phone=a_number())
    service = "MG" + "0123456789abcdef" * 2
    await start_worker(smtp=smtp_server, sms=sms_api, public_url=public_url, messaging_service=service)
    await wait_for_status(db, booked.jobs[0].id, "completed")
    [request] = sms_api.requests
    form = request["form"]
    assert form["MessagingServiceSid"] == service and "From" not in form
    assert form["To"] and form["Body"] and form["StatusCallback"] == f"{public_url}/sms/status"


@pytest.mark.parametrize("reports", [["sent", "delivered"], ["delivered", "sent"], ["delivered", "delivered"]])
async def test_reports_before_the_worker_recorded_the_send_twice_or_out_of_order_end_delivered(
    db, api, make_salon, make_booking, smtp_server, sms_api: SmsApi, start_worker, public_url, reports
) -> None:
    new = await make_salon()
    booked = await make_booking(new.salon, email=None, phone=a_number())
    sms_api.reports_before_answering = reports  # the provider reports while the worker still waits for its answer
    await start_worker(smtp=smtp_server, sms=sms_api, public_url=public_url)
    await wait_for_status(db, booked.jobs[0].id, "completed")
    [attempt] = await history(api, new.api_token, booked.jobs[0].id)
    assert attempt["deliveryStatus"] == "delivered"
    times = await db.fetch_row(
        """SELECT d.reported_at, a.finished_at FROM notification_attempts a
             JOIN sms_deliveries d ON d.message_sid = a.provider_id WHERE a.job_id = %s""",
        (booked.jobs[0].id,),
    )
    assert times["reported_at"] < times["finished_at"], "the report came before the send was recorded"


async def test_stop_while_a_reminder_is_claimed_keeps_it_from_going_by_text(
    db, api, make_salon, make_booking, smtp_server, sms_api: SmsApi, start_worker, public_url
) -> None:
    new = await make_salon()
    slow_number = a_number()
    slow = await make_booking(new.salon, email=None, phone=slow_number)  # holds the worker's one place a second
    ann = a_number()
    reminded = await make_booking(new.salon, email=None, phone=ann, types=("reminder_2h",))
    both = await make_booking(new.salon, email="ann@example.com", phone=ann, types=("reminder_2h",))
    sms_api.delay = 1.0
    await start_worker(smtp=smtp_server, sms=sms_api, public_url=public_url, concurrency=1)
    await asyncio.wait_for(sms_api.arrived.wait(), 10)
    claimed = await db.fetch_all(
        "SELECT status FROM notification_jobs WHERE id = ANY(%s)", ([reminded.jobs[0].id, both.jobs[0].id],)
    )
    assert [row["status"] for row in claimed] == ["processing"] * 2, "both claimed, waiting for the place"
    assert (await sms_api.text_in(f"{public_url}/sms/inbound", ann, "STOP")).code == 200
    row = await wait_for_status(db, reminded.jobs[0].id, "cancelled")
    assert row["error"] == f"{ann} opted out of texts: texted STOP"
    await wait_for_status(db, both.jobs[0].id, "completed")
    await wait_for_status(db, slow.jobs[0].id, "completed")
    assert [request["form"]["To"] for request in sms_api.requests] == [slow_number], "nothing texted to Ann"
    for job in (reminded, both):
        [attempt] = [a for a in await history(api, new.api_token, job.jobs[0].id) if a["channel"] == "sms"]
        assert attempt["outcome"] == "skipped" and f"{ann} opted out of texts on " in attempt["detail"], attempt
    assert len(smtp_server.messages) == 1, "the reminder that also goes by email still went by email"


async def test_stop_while_the_text_is_on_its_way_is_said_in_its_attempt(
    db, api, make_salon, make_booking, smtp_server, sms_api: SmsApi, start_worker, public_url
) -> None:
    new = await make_salon()
    ann = a_number()
    booked = await make_booking(new.salon, email=None, phone=ann, types=("reminder_2h",))
    sms_api.delay = 1.0
    await start_worker(smtp=smtp_server, sms=sms_api, public_url=public_url)
    await asyncio.wait_for(sms_api.arrived.wait(), 10)
    await sms_api.text_in(f"{public_url}/sms/inbound", ann, "stop")
    await wait_for_status(db, booked.jobs[0].id, "cancelled")
    deadline = time.monotonic() + 10
    while (attempt := (await history(api, new.api_token, booked.jobs[0].id))[0])["outcome"] == "started":
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    assert attempt["outcome"] == "sent" and attempt["claimLost"], attempt
    assert attempt["detail"].startswith(f"accepted by the SMS provider, although {ann} opted out of texts on ")
    assert attempt["detail"].endswith("while this one was already on its way")


async def test_a_number_the_provider_calls_unsubscribed_is_opted_out(
    db, make_salon, make_booking, smtp_server, sms_api: SmsApi, start_worker, public_url
) -> None:
    new = await make_salon()
    ann = a_number()
    booked = await make_booking(new.salon, email=None, phone=ann)
    sms_api.answer_next(400, {"code": 21610, "message": "Attempt to send to unsubscribed recipient"})
    await start_worker(smtp=smtp_server, sms=sms_api, public_url=public_url)
    row = await wait_for_status(db, booked.jobs[0].id, "failed", "cancelled")
    for _ in range(200):  # the opt-out cancels the job in its own transaction, before the attempt is recorded
        attempt = await db.fetch_row("SELECT outcome, detail FROM notification_attempts WHERE job_id = %s",
                                     (booked.jobs[0].id,))  # fmt: skip
        if attempt["outcome"] != "started":
            break
        await asyncio.sleep(0.05)
    assert "Attempt to send to unsubscribed recipient (HTTP 400)" in attempt["detail"]
    assert row["status"] == "cancelled", "the opt-out cancelled the text-only job"
    assert await opt_outs.since(db, ann) is not None


async def test_each_channel_keeps_to_its_own_connections_and_neither_waits_for_the_other(
    db, make_salon, make_booking, smtp_server: SmtpServer, sms_api: SmsApi, start_worker, public_url
) -> None:
    """``concurrency`` is per channel: two emails in DATA at most and two texts' requests at most, side by side."""
    new = await make_salon()
    booked = [await make_booking(new.salon) for _ in range(4)]
    booked += [await make_booking(new.salon, email=None, phone=a_number()) for _ in range(4)]
    smtp_server.delay = sms_api.delay = 0.5  # long enough that both channels are seen busy at once on a loaded machine
    await start_worker(smtp=smtp_server, sms=sms_api, public_url=public_url, concurrency=2, batch_size=10)
    together = 0
    while len(smtp_server.messages) + len(sms_api.requests) < 8:
        together = max(together, smtp_server.in_data.now + sms_api.in_flight.now)
        await asyncio.sleep(0.01)
    assert (smtp_server.in_data.most, sms_api.in_flight.most, together) == (2, 2, 4)
    for one in booked:
        await wait_for_status(db, one.jobs[0].id, "completed")
