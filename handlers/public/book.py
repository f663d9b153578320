"""A salon's booking page for clients: service, stylist or anyone, day and time, who they are, the code.

Each choice is a link (GET: the back button and a shared link work); only holding the time and typing the
code are POSTs. No script needed; 404 unless the salon takes bookings online.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from typing import Any

import tornado.web

from booking import fields, links, locales, online, paths, salons, self_service, services, staff
from booking.errors import BookingError, Invalid, NotFound
from booking.models import Salon
from booking.notice_types import N_
from handlers.base import Refused
from handlers.html import Form
from handlers.public.base import ClientPage, DayStrip

DETAILS = ("firstName", "lastName", "email", "phone", "optedInReminders")
HONEYPOT = "website"  # hidden from people (off screen, out of the tab order); a bot filling every field fills it

# What the client is asked to fix, beside the field, in the salon's language.
FIX = {
    "firstName": N_("Please give your first name."),
    "lastName": N_("Please shorten your last name."),
    "email": N_("Please give a valid email address, or leave it empty and give a mobile number."),
    "phone": N_("Please give a mobile number we can text, with its area code."),
}
FORM_FIELDS = {"first_name": "firstName", "last_name": "lastName", "email": "email", "phone": "phone"}
# A number the salon does not text (booking.texting), said beside the phone field instead.
NOT_TEXTED = {
    "sms_country": N_(
        "This salon texts only mobile numbers from these countries: %(countries)s. Please give your email "
        "address, or a mobile number from one of them."
    ),
    "sms_number": N_("That number cannot receive texts. Please give a mobile number, or your email address."),
}
NO_TEXTS = N_("This salon does not send texts. Please give your email address.")


class BookingPage(ClientPage):
    salon: Salon

    async def prepare(self) -> None:
        await super().prepare()
        try:
            await self.within_public_rate()
        except Refused:
            with contextlib.suppress(NotFound):
                self.salon = await self.open_salon()  # the refusal then speaks the salon's language
            raise
        self.salon = await self.open_salon()

    async def open_salon(self) -> Salon:
        return online.open_salon(await salons.salon_by_slug(self.db, self.path_args[0]))

    def chosen_id(self, name: str) -> uuid.UUID | None:
        """An id chosen in an earlier step (query or form); "any" or none is None."""
        value = self.get_argument(name, "")
        return fields.identifier(value, name) if value and value != "any" else None

    def fix(self, field: str, error: BookingError) -> str:
        """What the client is asked to fix beside ``field``, in the salon's language."""
        countries = self.salon.sms_countries
        if error.code not in NOT_TEXTED:
            return self.gettext(FIX[field])
        if not countries:
            return self.gettext(NO_TEXTS)
        names = locales.country_names(countries, self.salon.locale)
        return self.gettext(NOT_TEXTED[error.code]) % {"countries": names}


class BookPage(BookingPage):
    """GET: the next choice to make, from what the query says is chosen; POST: hold the time."""

    async def get(self, _slug: str) -> None:
        service_id = self.chosen_id("serviceId")
        if service_id is None:
            chosen = await services.list_services(self.db, self.salon.id)
            self.render_page("public/book.html", step="service", services=chosen)
        elif not self.get_query_argument("staffId", ""):
            await self.show("staff", service_id, staff=await staff.list_staff(self.db, self.salon.id))
        elif not self.get_query_argument("startTime", ""):
            await self.show_times(service_id)
        else:
            await self.show_details(service_id, dict.fromkeys(DETAILS, ""), {})

    head = get

    async def show(self, step: str, service_id: uuid.UUID, status: int = 200, **context: Any) -> None:
        service = await services.get_service(self.db, self.salon.id, service_id)
        member_id = self.chosen_id("staffId")
        member = await staff.get_staff(self.db, self.salon.id, member_id) if member_id else None
        chosen = {"serviceId": str(service.id), "staffId": self.get_argument("staffId", "")}
        if "staff" in context:  # the staff step: only those who perform the service
            context["staff"] = [one for one in context["staff"] if service.offered_by(one.id)]
        context |= {"step": step, "service": service, "member": member, "chosen": chosen}
        self.render_page("public/book.html", status, **context)

    async def show_times(self, service_id: uuid.UUID) -> None:
        """A week of days, the empty ones marked: the day asked for, or (none asked) the first with a free time."""
        now, staff_id = self.now(), self.chosen_id("staffId")
        first, last = self_service.open_days(self.salon, now)
        try:
            asked: dt.date | None = min(max(dt.date.fromisoformat(self.get_query_argument("date", "")), first), last)
        except ValueError:
            asked = None
        strip = DayStrip.around(asked or first, first, last)
        free = await self_service.free_days(
            self.db, self.salon, service_id=service_id, days=strip.days, staff_id=staff_id, now=now
        )
        strip = strip.with_free(free, choose=asked is None)
        slots = await self_service.free_times(
            self.db, self.salon, service_id=service_id, day=strip.day, staff_id=staff_id, now=now
        )
        await self.show("time", service_id, strip=strip, slots=slots)

    async def show_details(self, service_id: uuid.UUID, form: Form, errors: dict[str, str], status: int = 200) -> None:
        start = fields.instant(self.get_argument("startTime"), "start_time")
        await self.show("details", service_id, status, start=start, form=form, errors=errors)

    async def post(self, _slug: str) -> None:
        if self.get_body_argument(HONEYPOT, ""):
            raise tornado.web.HTTPError(400)
        service_id = self.chosen_id("serviceId")
        if service_id is None:
            raise Invalid("{field} is required", "service_id")
        form = self.read_form(DETAILS)
        try:
            hold = await self.hold_online(self.salon, self.hold_request(service_id, form))
        except BookingError as error:
            field = FORM_FIELDS.get(str(error.field[0])) if error.field else None
            if field is None:
                raise  # the time, not the person: the error page says to choose again
            await self.show_details(service_id, form, {field: self.fix(field, error)}, status=400)
            return
        self.redirect(paths.BOOKING_CODE(slug=self.salon.slug, hold=hold.id), status=303)

    def hold_request(self, service_id: uuid.UUID, form: Form) -> online.Request:
        return online.Request(
            service_id=service_id,
            staff_id=self.chosen_id("staffId"),
            start_time=fields.instant(self.get_body_argument("startTime", ""), "start_time"),
            first_name=form["firstName"],
            last_name=form["lastName"],
            email=form["email"],
            phone=form["phone"],
            opted_in_reminders=bool(form["optedInReminders"]),
        )


class CodePage(BookingPage):
    """The code the client was sent: the right one books the held time and opens their appointment's page."""

    async def get(self, _slug: str, hold_id: str) -> None:
        hold = await self.live_hold(hold_id)
        if hold.paying:
            self.redirect(paths.BOOKING_PAY(slug=self.salon.slug, hold=hold.id), status=303)
            return
        self.render_page("public/book_code.html", hold=hold, tries_left=None)

    head = get

    async def live_hold(self, hold_id: str) -> online.Hold:
        found = await online.get_hold(self.db, self.salon, fields.identifier(hold_id, "hold_id"))
        if found is None:
            self.render_page("public/book_again.html", 409)
            raise tornado.web.Finish()
        return found

    async def post(self, _slug: str, hold_id: str) -> None:
        hold = await self.live_hold(hold_id)
        try:
            appointment = await online.verify(
                self.db, self.salon, hold.id, self.get_body_argument("code", ""), now=self.now()
            )
        except online.WrongCode as wrong:
            if wrong.tries_left:
                self.render_page("public/book_code.html", 400, hold=hold, tries_left=wrong.tries_left)
            else:
                self.render_page("public/book_again.html", 409)
            return
        if isinstance(appointment, online.DepositDue):
            self.redirect(paths.BOOKING_PAY(slug=self.salon.slug, hold=hold.id), status=303)
            return
        self.wake_worker()
        token = links.sign("manage", appointment.id, (await self.application.links()).secret)
        self.redirect(f"{paths.MANAGE(token=token)}?done=booked", status=303)
