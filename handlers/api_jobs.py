"""JSON endpoints for the notification queue: list, inspect, retry, cancel, count."""

from __future__ import annotations

from booking.errors import Invalid
from handlers.api import ApiHandler, parse_date, parse_uuid
from worker import queue

MAX_LIMIT = 500


class JobListApi(ApiHandler):
    async def get(self) -> None:
        appointment = self.query("appointmentId")
        day = self.query("date")
        limit = self.query("limit") or "50"
        if not limit.isdigit() or not 1 <= int(limit) <= MAX_LIMIT:
            raise Invalid(f"limit must be a whole number from 1 to {MAX_LIMIT}", "limit")
        jobs = await queue.list_jobs(
            self.db,
            self.salon.id,
            status=self.query("status"),
            type=self.query("type"),
            appointment_id=parse_uuid(appointment, "appointmentId") if appointment else None,
            day=parse_date(day, "date") if day else None,
            limit=int(limit),
        )
        self.write_json(jobs)


class JobStatsApi(ApiHandler):
    async def get(self) -> None:
        self.write_json(await queue.stats(self.db, self.salon.id))


class JobApi(ApiHandler):
    async def get(self, job_id: str) -> None:
        self.write_json(await queue.get_job(self.db, self.salon.id, parse_uuid(job_id, "jobId")))


class RetryJobApi(ApiHandler):
    async def post(self, job_id: str) -> None:
        job = await queue.retry_job(self.db, self.salon.id, parse_uuid(job_id, "jobId"))
        self.wake_worker()
        self.write_json(job)


class CancelJobApi(ApiHandler):
    async def post(self, job_id: str) -> None:
        self.write_json(await queue.cancel_job(self.db, self.salon.id, parse_uuid(job_id, "jobId")))
