"""Joining a salon's waitlist from its booking page, when no time suits: the days and times that would, who
the client is, then the code sent to their email or phone (as for a booking). 404 unless the salon takes
bookings online."""

from __future__ import annotations

import tornado.web

from booking import fields, online, paths, services, staff, waitlist
from booking.errors import BookingError, Invalid
from booking.notice_types import N_
from handlers.html import Form
from handlers.public.book import FORM_FIELDS, HONEYPOT, BookingPage

WISH_FIELDS = ("fromDate", "toDate", "earliest", "latest")
PERSON_FIELDS = ("firstName", "lastName", "email", "phone")
# What the client is asked to fix beside a field of their wish, in the salon's language.
WISH_FIX = {
    "fromDate": N_("Please give the first day you could come."),
    "toDate": N_("Please give a last day that is not before the first day, nor in the past."),
    "earliest": N_("Please give a time such as 09:30, or leave it empty."),
    "latest": N_("Please give a time such as 17:00, not before the earliest, or leave it empty."),
}
WISH_FORM_FIELDS = {"from_date": "fromDate", "to_date": "toDate", "earliest": "earliest", "latest": "latest"}


class JoinWaitlistPage(BookingPage):
    """GET: the form, its days from the day the client was looking at; POST: join and send the code."""

    async def get(self, _slug: str) -> None:
        day = self.get_query_argument("date", "")
        form = dict.fromkeys((*WISH_FIELDS, *PERSON_FIELDS), "") | {"fromDate": day, "toDate": day}
        await self.show(form, {})

    head = get

    async def show(self, form: Form, errors: dict[str, str], status: int = 200) -> None:
        service_id = self.chosen_id("serviceId")
        if service_id is None:
            raise Invalid("{field} is required", "service_id")
        member_id = self.chosen_id("staffId")
        self.render_page(
            "public/waitlist_join.html", status, form=form, errors=errors,
            service=await services.get_service(self.db, self.salon.id, service_id),
            member=await staff.get_staff(self.db, self.salon.id, member_id) if member_id else None,
            chosen={"serviceId": str(service_id), "staffId": self.get_argument("staffId", "")},
        )  # fmt: skip

    async def post(self, _slug: str) -> None:
        if self.get_body_argument(HONEYPOT, ""):
            raise tornado.web.HTTPError(400)
        form = self.read_form((*WISH_FIELDS, *PERSON_FIELDS))
        try:
            joined = await self.join_waitlist_online(self.salon, self.request_of(form))
        except BookingError as error:
            errors = {
                field: self.wish_fix(field, each) for each in (error.every if isinstance(error, Invalid) else (error,))
                if each.field and (field := self.form_field(str(each.field[0])))
            }  # fmt: skip
            if not errors:
                raise
            await self.show(form, errors, status=400)
            return
        self.redirect(paths.WAITLIST_CODE(slug=self.salon.slug, entry=joined.id), status=303)

    def form_field(self, name: str) -> str | None:
        return WISH_FORM_FIELDS.get(name) or FORM_FIELDS.get(name)

    def wish_fix(self, field: str, error: BookingError) -> str:
        return self.gettext(WISH_FIX[field]) if field in WISH_FIX else self.fix(field, error)

    def request_of(self, form: Form) -> online.WaitlistRequest:
        checks = fields.Checks()
        service_id = self.chosen_id("serviceId")
        if service_id is None:
            raise Invalid("{field} is required", "service_id")
        from_date = checks(fields.date, form["fromDate"], "from_date")
        to_date = checks(fields.date, form["toDate"], "to_date")
        earliest = checks(fields.clock, form["earliest"], "earliest") if form["earliest"] else None
        latest = checks(fields.clock, form["latest"], "latest") if form["latest"] else None
        wish = waitlist.Wish(service_id, self.chosen_id("staffId"), from_date, to_date, earliest, latest)
        if from_date and to_date:
            checks(waitlist.checked, self.salon, wish, self.now())
        checks.done()
        return online.WaitlistRequest(wish, form["firstName"], form["lastName"], form["email"], form["phone"])


class WaitlistCodePage(BookingPage):
    """The code the client was sent: the right one puts them on the list."""

    async def get(self, _slug: str, entry_id: str) -> None:
        self.render_page("public/waitlist_code.html", hold=await self.waiting(entry_id), tries_left=None, done=False)

    head = get

    async def waiting(self, entry_id: str) -> online.Hold:
        found = await online.get_hold(self.db, self.salon, entry_id=fields.identifier(entry_id, "entry_id"))
        if found is None:
            self.render_page("public/waitlist_code.html", 409, hold=None, tries_left=None, done=False)
            raise tornado.web.Finish()
        return found

    async def post(self, _slug: str, entry_id: str) -> None:
        hold = await self.waiting(entry_id)
        try:
            await online.verify_join(self.db, self.salon, hold.id, self.get_body_argument("code", ""), now=self.now())
        except online.WrongCode as wrong:
            status = 400 if wrong.tries_left else 409
            self.render_page("public/waitlist_code.html", status, hold=hold if wrong.tries_left else None,
                             tries_left=wrong.tries_left, done=False)  # fmt: skip
            return
        self.render_page("public/waitlist_code.html", hold=hold, tries_left=None, done=True)
