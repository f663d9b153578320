"""The receptionist's view of the notification queue: did it go out, and if not, try again."""

from __future__ import annotations

from booking import fields, jobs, paths
from booking.errors import Invalid
from booking.notice_types import TYPES
from handlers.html import Errors, Form, form_errors
from handlers.pages.base import SalonPage, page_id, safe_next

FILTERS = ("status", "type", "date")
PER_PAGE = 200


class JobsPage(SalonPage):
    parts = ("jobs_live",)

    async def get(self) -> None:
        form = {name: self.get_query_argument(name, "").strip() for name in FILTERS}
        counts = await jobs.stats(self.db, self.salon.id)
        try:
            found = await jobs.list_jobs(
                self.db,
                self.salon.id,
                status=form["status"] or None,
                type=form["type"] or None,
                day=fields.date(form["date"], "date") if form["date"] else None,
                after=self.page_after(),
                limit=PER_PAGE + 1,
            )
        except Invalid as error:
            self.render_jobs(form, counts, [], status=400, errors=form_errors(error, form, self.gettext))
            return
        shown, next_page = self.one_page(found, PER_PAGE)
        await jobs.failures_seen(self.db, self.salon.id, job_ids=[job.id for job in shown])
        self.render_jobs(form, counts, shown, next_page)

    def render_jobs(
        self,
        form: Form,
        counts: dict[str, int],
        found: list[jobs.Job],
        next_page: str = "",
        status: int = 200,
        errors: Errors | None = None,
    ) -> None:
        self.render_page(
            "jobs.html",
            status,
            form=form,
            counts=counts,
            jobs=found,
            refresh=True,
            next_page=next_page,
            status_choices=[(status, self.gettext(status)) for status in jobs.STATUSES],  # as _forms.html names them
            type_choices=[(name, self.gettext(kind.label)) for name, kind in TYPES.items()],
            errors=errors or {},
        )


class JobPage(SalonPage):
    parts = ("job_live",)

    async def get(self, job_id: str) -> None:
        job = await jobs.get_job(self.db, self.salon.id, page_id(job_id))
        await jobs.failures_seen(self.db, self.salon.id, job_ids=[job.id])
        self.render_page("job.html", job=job, refresh=True)


class RetryJob(SalonPage):
    async def post(self, job_id: str) -> None:
        await jobs.retry_job(self.db, self.salon.id, page_id(job_id))
        self.wake_worker()
        self.redirect(safe_next(self.get_body_argument("next", None), paths.JOBS()), status=303)


class CancelJob(SalonPage):
    """GET asks "are you sure?" (the list and the job's page link here); the POST cancels, as before."""

    async def get(self, job_id: str) -> None:
        job = await jobs.get_job(self.db, self.salon.id, page_id(job_id))
        back = safe_next(self.get_query_argument("next", None), paths.JOB(id=job.id))
        self.render_page("job_cancel.html", job=job, back=back)

    async def post(self, job_id: str) -> None:
        await jobs.cancel_job(self.db, self.salon.id, page_id(job_id))
        self.redirect(safe_next(self.get_body_argument("next", None), paths.JOBS()), status=303)
