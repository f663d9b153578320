"""The notification pages: counts, filters, retry and cancel, a job's attempt history."""

from __future__ import annotations

import datetime as dt
import re

from booking import jobs
from jobqueue import queue

TOMORROW = dt.date.today() + dt.timedelta(days=1)


async def booked_jobs(make_booking, salon) -> dict[str, queue.QueuedJob]:
    booked = await make_booking(salon.salon, types=("booking_confirmation", "reminder_24h", "reminder_2h"))
    return {job.type: job for job in booked.jobs}


async def fail_once(db, job_id, detail: str) -> None:
    """What a worker leaves after an SMS provider error: pending again, one attempt on record."""
    await db.execute(
        """UPDATE notification_jobs SET attempts = 1, error = %s, run_at = now() + interval '1 minute'
            WHERE id = %s""",
        (detail, job_id),
    )
    await db.execute(
        """INSERT INTO notification_attempts (job_id, attempt, channel, outcome, detail, worker_id)
           VALUES (%s, 1, 'email', 'sent', '250 OK', 'w1'), (%s, 1, 'sms', 'transient', %s, 'w1')""",
        (job_id, job_id, detail),
    )


async def test_the_jobs_page_counts_lists_and_refreshes_itself(logged_in, make_booking) -> None:
    session, salon = await logged_in()
    await booked_jobs(make_booking, salon)
    page = await session.get("/jobs")
    assert page.code == 200
    body = page.body.decode()
    assert re.search(r"pending <b>3</b>", body) and re.search(r"completed <b>0</b>", body)
    assert body.count("Ann Example") == 3
    assert "Reminder, 2 h before" in body and re.search(r", \d\d:\d\d:\d\d (GMT|BST)", body)
    assert 'src="/static/live.js' in body and 'data-part="jobs_live" data-refresh="5"' in body
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in body, "without JS: the same address"
    assert body.count(">Cancel…</a>") == 3, "cancelling asks first"
    for job_id in re.findall(r'href="/jobs/([0-9a-f-]+)/cancel\?next=%2Fjobs"', body):
        assert f'href="/jobs/{job_id}"' in body

    part = await session.part("/jobs?status=pending", "jobs_live")
    assert part.code == 200 and part.headers["Vary"] == "X-Salonbook-Part"
    fragment = part.body.decode().strip()
    assert fragment.startswith('<div id="jobs-live" data-part="jobs_live"'), fragment[:200]
    assert "<html" not in fragment and '<form method="get" action="/jobs"' not in fragment, "the list alone"
    assert fragment.count("Ann Example") == 3 and 'aria-current="page">pending <b>3</b>' in fragment
    assert (await session.part("/jobs", "no_such_part")).body.decode().startswith("<!doctype html>"), "else the page"

    only_reminders = (await session.get("/jobs?type=reminder_24h&status=pending")).body.decode()
    assert only_reminders.count("Ann Example") == 1
    assert '<option value="reminder_24h" selected>' in only_reminders
    assert "No notifications match" in (await session.get("/jobs?status=completed")).body.decode()


async def test_bad_filters_are_named_and_kept(logged_in) -> None:
    session, _ = await logged_in()
    bad_status = await session.get("/jobs?status=lost&date=2030-01-01")
    assert bad_status.code == 400
    assert b'id="status-error">status must be one of' in bad_status.body
    assert b'value="2030-01-01"' in bad_status.body
    bad_day = await session.get("/jobs?date=someday")
    assert bad_day.code == 400
    assert b'id="date-error">date must be a date like' in bad_day.body


async def test_cancel_and_retry_go_back_to_the_same_filtered_list(logged_in, make_booking, db) -> None:
    session, salon = await logged_in()
    reminder = (await booked_jobs(make_booking, salon))["reminder_2h"]
    back = "/jobs?status=pending&type=reminder_2h"
    asked = await session.get(f"/jobs/{reminder.id}/cancel?next=%2Fjobs%3Fstatus%3Dpending%26type%3Dreminder_2h")
    assert asked.code == 200 and b"Cancel the reminder, 2 h before for Ann Example?" in asked.body
    assert b'<input type="hidden" name="next" value="/jobs?status=pending&amp;type=reminder_2h">' in asked.body
    assert b'href="/jobs?status=pending&amp;type=reminder_2h">No, keep it' in asked.body
    assert (await jobs.get_job(db, salon.salon.id, reminder.id)).status == "pending", "asking changes nothing"
    cancelled = await session.post(f"/jobs/{reminder.id}/cancel", {"next": back})
    assert (cancelled.code, cancelled.headers["Location"]) == (303, back)
    assert (await jobs.get_job(db, salon.salon.id, reminder.id)).status == "cancelled"
    assert b"nothing to cancel" in (await session.get(f"/jobs/{reminder.id}/cancel")).body
    again = await session.post(f"/jobs/{reminder.id}/cancel", {"next": back})
    assert again.code == 409
    assert b"A cancelled job cannot be cancelled" in again.body

    retried = await session.post(f"/jobs/{reminder.id}/retry", {"next": "//evil.example/"})
    assert (retried.code, retried.headers["Location"]) == (303, "/jobs"), "never off-site"
    assert (await jobs.get_job(db, salon.salon.id, reminder.id)).status == "pending"
    assert (await session.post(f"/jobs/{reminder.id}/retry", {}, xsrf=False)).code == 403


async def test_a_jobs_page_shows_its_attempts_in_plain_words(logged_in, make_booking, db) -> None:
    session, salon = await logged_in()
    confirmation = (await booked_jobs(make_booking, salon))["booking_confirmation"]
    await fail_once(db, confirmation.id, "SMS provider answered 503: try later")
    page = await session.get(f"/jobs/{confirmation.id}")
    assert page.code == 200
    body = page.body.decode()
    assert "Booking confirmation for Ann Example" in body
    assert re.search(r"Attempt 1: email\s+sent at \w{3},? \d+ \w{3}, \d\d:\d\d:\d\d (GMT|BST)", body)
    assert re.search(r"Attempt 1: SMS\s+failed \(will try again\) at .*SMS provider answered 503", body)
    assert "next try" in body
    listed = (await session.get("/jobs")).body.decode()
    assert "SMS provider answered 503: try later" in listed, "the last error is on the list too"
    appointment_id = (await jobs.get_job(db, salon.salon.id, confirmation.id)).appointment_id
    timeline = (await session.get(f"/appointments/{appointment_id}")).body.decode()
    assert "SMS provider answered 503" in timeline and "attempts 1 of 3" in timeline


async def test_a_message_sent_after_the_job_was_cancelled_and_one_unconfirmed_read_plainly(
    logged_in, make_booking, db
) -> None:
    session, salon = await logged_in()
    confirmation = (await booked_jobs(make_booking, salon))["booking_confirmation"]
    await db.execute(
        """UPDATE notification_jobs SET status = 'cancelled', error = 'appointment was cancelled', attempts = 2,
                  channels_done = '{email}'
            WHERE id = %s""",
        (confirmation.id,),
    )
    await db.execute(
        """INSERT INTO notification_attempts (job_id, attempt, channel, outcome, detail, worker_id, finished_at,
                                              claim_lost)
           VALUES (%s, 1, 'email', 'unconfirmed', 'the worker stopped while sending: this message may have gone out',
                   'w1', now(), false),
                  (%s, 2, 'email', 'sent', 'accepted', 'w2', now(), true)""",
        (confirmation.id, confirmation.id),
    )
    body = (await session.get(f"/jobs/{confirmation.id}")).body.decode()
    assert re.search(r"Attempt 1: email\s+sent, unconfirmed at .*may have gone out", body)
    assert re.search(
        r"Attempt 2: email\s+sent at [^<]*, then the notification was cancelled \(appointment was cancelled\)", body
    )


async def test_another_salons_jobs_are_not_found(logged_in, make_booking) -> None:
    session, _ = await logged_in()
    _, theirs = await logged_in()
    their_job = (await booked_jobs(make_booking, theirs))["reminder_24h"]
    assert (await session.get(f"/jobs/{their_job.id}")).code == 404
    assert (await session.post(f"/jobs/{their_job.id}/cancel", {})).code == 404
    assert (await session.post(f"/jobs/{their_job.id}/retry", {})).code == 404
    assert b"Ann Example" not in (await session.get("/jobs")).body


async def test_the_outbox_does_not_exist_without_the_mail_catcher(logged_in) -> None:
    session, _ = await logged_in()
    assert (await session.get("/outbox")).code == 404
    assert (await session.get("/no/such/page")).code == 404


async def fail_for_good(db, job_id) -> None:
    """What a worker leaves after three 4xx answers: failed, no attempts left."""
    await db.execute(
        "UPDATE notification_jobs SET status = 'failed', attempts = 3, error = '451 try later' WHERE id = %s", (job_id,)
    )
    await db.execute(
        """INSERT INTO notification_attempts (job_id, attempt, channel, outcome, detail, worker_id)
           SELECT %s, n, 'email', 'transient', '451 try later', 'w1' FROM generate_series(1, 3) n""",
        (job_id,),
    )


async def test_a_failed_notification_says_so_truthfully_and_is_counted_until_someone_looks(
    logged_in, make_booking, db
) -> None:
    session, salon = await logged_in()
    booked = await make_booking(salon.salon, start=dt.datetime.combine(TOMORROW, dt.time(10), dt.UTC))
    [job] = booked.jobs
    await fail_for_good(db, job.id)

    day = (await session.get(f"/?date={TOMORROW}")).body.decode()
    assert '<span class="unread failed">1<span class="visually-hidden"> failed</span>' in day, "the menu counts it"
    assert "1 notice failed" in day, "the calendar marks its appointment"
    page = (await session.get(f"/jobs/{job.id}")).body.decode()
    assert page.count("failed, then tried again") == 2 and page.count("failed (no attempts left)") == 1
    assert "will try again" not in page, "its last attempt does not promise another"

    day = (await session.get(f"/?date={TOMORROW}")).body.decode()
    assert 'class="unread failed"' not in day and "notice failed" not in day, "looked at: no longer counted"
    await db.execute("UPDATE notification_jobs SET status = 'cancelled' WHERE id = %s", (job.id,))
    assert (await session.post(f"/jobs/{job.id}/retry", {})).code == 303
    await db.execute("UPDATE notification_jobs SET status = 'failed' WHERE id = %s", (job.id,))
    assert 'class="unread failed"' in (await session.get("/")).body.decode(), "failing again counts again"
