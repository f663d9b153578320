"""JSON endpoints for the notification queue: list, inspect, retry, cancel, count."""

from __future__ import annotations

from booking import jobs
from handlers.api import ApiHandler


class JobListApi(ApiHandler):
    async def get(self) -> None:
        limit, after = self.page()
        found = await jobs.list_jobs(
            self.db,
            self.salon.id,
            status=self.query("status"),
            type=self.query("type"),
            appointment_id=self.query_id("appointment_id"),
            day=self.query_date("date"),
            after=after,
            limit=limit + 1,
        )
        self.write_page(found, limit)


class JobStatsApi(ApiHandler):
    async def get(self) -> None:
        self.write_json(await jobs.stats(self.db, self.salon.id))


class JobApi(ApiHandler):
    async def get(self, job_id: str) -> None:
        self.write_json(await jobs.get_job(self.db, self.salon.id, self.path_id(job_id, "job_id")))


class RetryJobApi(ApiHandler):
    async def post(self, job_id: str) -> None:
        job = await jobs.retry_job(self.db, self.salon.id, self.path_id(job_id, "job_id"))
        self.wake_worker()
        self.write_json(job)


class CancelJobApi(ApiHandler):
    async def post(self, job_id: str) -> None:
        self.write_json(await jobs.cancel_job(self.db, self.salon.id, self.path_id(job_id, "job_id")))
