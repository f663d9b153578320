"""The receptionist's view of the notification queue: did it go out, and if not, try again."""

from __future__ import annotations

from booking.errors import Invalid
from handlers.api import parse_date
from handlers.pages.base import Form, SalonPage, form_errors, page_id, safe_next
from worker import queue

FILTERS = ("status", "type", "date")
LIMIT = 200


class JobsPage(SalonPage):
    async def get(self) -> None:
        form = {name: self.get_query_argument(name, "").strip() for name in FILTERS}
        counts = await queue.stats(self.db, self.salon.id)
        try:
            day = parse_date(form["date"], "date") if form["date"] else None
            jobs = await queue.list_jobs(
                self.db, self.salon.id, status=form["status"] or None, type=form["type"] or None, day=day, limit=LIMIT
            )
        except Invalid as error:
            self.render_jobs(form, counts, [], status=400, errors=form_errors(error, form))
            return
        self.render_jobs(form, counts, jobs)

    def render_jobs(self, form: Form, counts: dict[str, int], jobs: list[queue.Job], **extra: object) -> None:
        self.render_page(
            "jobs.html",
            form=form,
            counts=counts,
            jobs=jobs,
            refresh=True,
            limit=LIMIT,
            status_choices=[(status, status) for status in queue.JOB_STATUSES],
            type_choices=[(kind, kind.replace("_", " ")) for kind in queue.JOB_TYPES],
            **({"errors": {}} | extra),
        )


class JobPage(SalonPage):
    async def get(self, job_id: str) -> None:
        job = await queue.get_job(self.db, self.salon.id, page_id(job_id))
        self.render_page("job.html", job=job, refresh=True)


class RetryJob(SalonPage):
    async def post(self, job_id: str) -> None:
        await queue.retry_job(self.db, self.salon.id, page_id(job_id))
        self.wake_worker()
        self.redirect(safe_next(self.get_body_argument("next", None), "/jobs"), status=303)


class CancelJob(SalonPage):
    async def post(self, job_id: str) -> None:
        await queue.cancel_job(self.db, self.salon.id, page_id(job_id))
        self.redirect(safe_next(self.get_body_argument("next", None), "/jobs"), status=303)
