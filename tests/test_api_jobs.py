"""The queue through the JSON API: list, filter, inspect, retry, cancel, count; plus /metrics."""

from __future__ import annotations

import datetime as dt

from prometheus_client.parser import text_string_to_metric_families

from db import Database
from tests.api_fixtures import IN_A_WEEK, set_up_directory


async def _book(api, token: str) -> dict:
    ids = await set_up_directory(api, token)
    status, booked = await api("POST", "/appointments", token, ids | {"startTime": IN_A_WEEK.isoformat()})
    assert status == 201, booked
    return booked


async def test_jobs_are_listed_filtered_and_counted(api, make_salon) -> None:
    salon = await make_salon()
    booked = await _book(api, salon.api_token)
    status, jobs = await api("GET", "/jobs", salon.api_token)
    assert status == 200
    assert {job["type"] for job in jobs} == {"booking_confirmation", "reminder_24h", "reminder_2h"}
    assert all(job["clientName"] == "Ann Lee" and job["channels"] == ["email", "sms"] for job in jobs)
    status, reminders = await api("GET", "/jobs?type=reminder_2h&status=pending", salon.api_token)
    assert [job["type"] for job in reminders] == ["reminder_2h"]
    status, mine = await api("GET", f"/jobs?appointmentId={booked['id']}&limit=2", salon.api_token)
    assert status == 200 and len(mine) == 2
    run_day = (IN_A_WEEK - dt.timedelta(hours=24)).astimezone(salon.salon.zone).date()
    status, that_day = await api("GET", f"/jobs?date={run_day}", salon.api_token)
    assert [job["type"] for job in that_day] == ["reminder_24h"]
    status, stats = await api("GET", "/jobs/stats", salon.api_token)
    assert status == 200
    assert stats == {"pending": 3, "processing": 0, "completed": 0, "failed": 0, "cancelled": 0}


async def test_a_day_of_jobs_is_the_salons_day_midnight_to_midnight(api, make_salon) -> None:
    salon = await make_salon(timezone="America/New_York")
    status, _ = await api("PATCH", "/salon", salon.api_token, {"quietHours": None})
    assert status == 200
    ids = await set_up_directory(api, salon.api_token)
    day = (dt.datetime.now(salon.salon.zone) + dt.timedelta(days=7)).date()
    start = dt.datetime.combine(day, dt.time(1, 30), salon.salon.zone)  # its 2-hour reminder: 23:30 the day before
    status, booked = await api("POST", "/appointments", salon.api_token, ids | {"startTime": start.isoformat()})
    assert status == 201, booked
    days = {}
    for offset in (-1, 0):
        status, found = await api("GET", f"/jobs?date={day + dt.timedelta(days=offset)}", salon.api_token)
        assert status == 200, found
        days[offset] = sorted(job["type"] for job in found)
    assert days == {-1: ["reminder_24h", "reminder_2h"], 0: []}, "run_at read on New York's clock"


async def test_cancel_then_retry_a_job(api, make_salon) -> None:
    salon = await make_salon()
    booked = await _book(api, salon.api_token)
    reminder = next(job for job in booked["notificationJobs"] if job["type"] == "reminder_24h")
    status, cancelled = await api("POST", f"/jobs/{reminder['id']}/cancel", salon.api_token)
    assert status == 200 and cancelled["status"] == "cancelled"
    status, again = await api("POST", f"/jobs/{reminder['id']}/cancel", salon.api_token)
    assert status == 409, again
    status, retried = await api("POST", f"/jobs/{reminder['id']}/retry", salon.api_token)
    assert status == 200 and retried["status"] == "pending"
    status, twice = await api("POST", f"/jobs/{reminder['id']}/retry", salon.api_token)
    assert status == 409, twice
    status, detail = await api("GET", f"/jobs/{reminder['id']}", salon.api_token)
    assert status == 200 and detail["id"] == reminder["id"] and detail["history"] == []


async def test_another_salons_job_is_404(api, make_salon) -> None:
    ours, theirs = await make_salon(), await make_salon()
    booked = await _book(api, theirs.api_token)
    job_id = booked["notificationJobs"][0]["id"]
    for method, path in (("GET", ""), ("POST", "/retry"), ("POST", "/cancel")):
        status, body = await api(method, f"/jobs/{job_id}{path}", ours.api_token)
        assert status == 404, (path, body)
    status, listed = await api("GET", "/jobs", ours.api_token)
    assert listed == []


async def test_metrics_show_jobs_by_status(api, make_salon, http_server_client, db: Database) -> None:
    salon = await make_salon()
    await _book(api, salon.api_token)
    response = await http_server_client.fetch("/metrics")
    text = response.body.decode()
    pending = await db.fetch_one("SELECT count(*) AS n FROM notification_jobs WHERE status = 'pending'")
    assert f'salonbook_notification_jobs{{status="pending"}} {float(pending["n"])}' in text
    assert 'salonbook_notification_jobs{status="failed"} 0.0' in text
    assert "salonbook_http_request_duration_seconds_bucket" in text


async def test_metrics_say_the_format_they_are_written_in(http_server_client) -> None:
    plain = await http_server_client.fetch("/metrics")
    assert plain.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    families = {family.name for family in text_string_to_metric_families(plain.body.decode())}
    assert "salonbook_notification_jobs" in families
    asked = {"Accept": "application/openmetrics-text; version=1.0.0,text/plain;version=0.0.4;q=0.5"}
    open_metrics = await http_server_client.fetch("/metrics", headers=asked)
    assert open_metrics.headers["Content-Type"].startswith("application/openmetrics-text; version=1.0.0")
    assert open_metrics.body.endswith(b"# EOF\n")
    assert plain.headers["Vary"] == "Accept"


async def test_healthz_reports_database_and_worker(http_server_client) -> None:
    response = await http_server_client.fetch("/healthz")
    assert response.code == 200
    assert b'"database": "ok"' in response.body
