"""A client's own appointment, through the link in their messages: see it; confirm, move or cancel it.

GET and HEAD never change anything (mail scanners open links); every action is a POST form.
"""

from __future__ import annotations

import datetime as dt

import tornado.web

from booking import appointments, fields, links, paths, salons, self_service
from booking.models import Actor, Appointment, Salon
from handlers.public.base import ClientPage, DayStrip


class LinkedAppointment(ClientPage):
    """The appointment a manage link names: 404 for a link that is not one, 410 once it has ended."""

    salon: Salon
    appointment: Appointment
    token_in_path = True

    async def load(self, token: str) -> Appointment:
        appointment_id = links.read("manage", token, (await self.application.links()).secret)
        appointment = await appointments.find(self.db, appointment_id) if appointment_id else None
        if appointment is None:
            raise tornado.web.HTTPError(404)
        self.salon = await salons.get_salon(self.db, appointment.salon_id)
        if appointment.end_time <= self.now():
            self.render_page("public/passed.html", 410, appointment=appointment)
            raise tornado.web.Finish()
        self.appointment = appointment
        return appointment

    def show(self, status: int = 200, **context: object) -> None:
        now = self.now()
        choices = self_service.choices(self.salon, self.appointment, now)
        self.render_page(
            "public/manage.html",
            status,
            appointment=self.appointment,
            choices=choices,
            token=self.path_args[0],
            **({"done": "", "told": ()} | context),
        )

    def back_to_page(self, token: str, done: str) -> None:
        self.redirect(f"{paths.MANAGE(token=token)}?done={done}", status=303)


class ManagePage(LinkedAppointment):
    async def get(self, token: str) -> None:
        appointment = await self.load(token)
        done = self.get_query_argument("done", "")
        self.show(done=done, told=await self_service.told(self.db, self.salon, appointment, done))

    head = get


class ConfirmAppointment(LinkedAppointment):
    async def post(self, token: str) -> None:
        appointment = await self.load(token)
        await appointments.confirm(self.db, self.salon, appointment.id, now=self.now())
        self.back_to_page(token, "confirmed")


class CancelAppointment(LinkedAppointment):
    async def post(self, token: str) -> None:
        appointment = await self.load(token)
        await appointments.cancel(self.db, self.salon, appointment.id, by=Actor.CLIENT, now=self.now())
        self.wake_worker()
        self.back_to_page(token, "cancelled")


class RescheduleAppointment(LinkedAppointment):
    """GET: the free times of the same service and staff member on a day, the days with none marked, and with
    ``startTime`` chosen among them the question "Move to …?"; POST (its answer): move there."""

    async def get(self, token: str) -> None:
        appointment = await self.load(token)
        now = self.now()
        first, last = self_service.open_days(self.salon, now)
        strip = DayStrip.around(self._day(first, last), first, last)
        asked = {"service_id": appointment.service_id, "staff_id": appointment.staff_id, "moving": appointment.id}
        free = await self_service.free_days(self.db, self.salon, days=strip.days, now=now, **asked)
        slots = await self_service.free_times(self.db, self.salon, day=strip.day, now=now, **asked)
        chosen = self.get_query_argument("startTime", "")
        self.render_page(
            "public/reschedule.html",
            appointment=appointment,
            choices=self_service.choices(self.salon, appointment, now),
            token=token,
            strip=strip.with_free(free, choose=False),
            slots=slots,
            chosen=next((slot for slot in slots if slot.start.isoformat() == chosen), None),
        )

    head = get

    def _day(self, first: dt.date, last: dt.date) -> dt.date:
        """The day asked for (?date=), kept inside the days a client may choose."""
        try:
            asked = dt.date.fromisoformat(self.get_query_argument("date", ""))
        except ValueError:
            asked = self.appointment.start_time.astimezone(self.salon.zone).date()
        return min(max(asked, first), last)

    async def post(self, token: str) -> None:
        appointment = await self.load(token)
        start = fields.instant(self.get_body_argument("startTime", ""), "start_time")
        await self_service.move(self.db, self.salon, appointment, start, self.now())
        self.wake_worker()
        self.back_to_page(token, "moved")
