"""JSON endpoints for booking, listing, cancelling and moving appointments."""

from __future__ import annotations

from booking import access, appointments, payments
from booking.errors import Invalid
from booking.models import Actor, Source
from handlers.api import ApiHandler


class AppointmentListApi(ApiHandler):
    async def get(self) -> None:
        day = self.query_date("date") or self.now().astimezone(self.salon.zone).date()
        limit, after = self.page()
        self.write_page(await appointments.list_day(self.db, self.salon, day, after=after, limit=limit + 1), limit)

    async def post(self) -> None:
        """One appointment (201 with it), or with ``repeat`` a series (201 with what was booked and what not)."""
        body = self.body()
        client_id, staff_id = body.id("client_id", required=True), body.id("staff_id", required=True)
        service_id, start_time = body.id("service_id", required=True), body.instant("start_time", required=True)
        notes, repeat = body.text("notes") or "", body.object("repeat")
        if repeat is None:
            booked: object = await appointments.book(
                self.db, self.salon, client_id=client_id, staff_id=staff_id, service_id=service_id,
                start_time=start_time, notes=notes, source=Source.API, now=self.now(),
            )  # fmt: skip
        else:
            every = appointments.Repeat(repeat.integer("every_weeks", True), repeat.integer("count", True))
            booked = await appointments.book_series(
                self.db, self.salon, every, client_id=client_id, staff_id=staff_id, service_id=service_id,
                start_time=start_time, notes=notes, source=Source.API, now=self.now(),
            )  # fmt: skip
        self.wake_worker()
        self.write_json(booked, status=201)


class AppointmentApi(ApiHandler):
    async def get(self, appointment_id: str) -> None:
        the_id = self.path_id(appointment_id, "appointment_id")
        self.write_json(await appointments.get_detail(self.db, self.salon.id, the_id))

    async def patch(self, appointment_id: str) -> None:
        body = self.body()
        start_time, staff_id = body.instant("start_time"), body.id("staff_id")
        if start_time is None and staff_id is None:
            raise Invalid("give startTime, staffId or both", "start_time")
        appointment = await appointments.reschedule(
            self.db,
            self.salon,
            self.path_id(appointment_id, "appointment_id"),
            start_time=start_time,
            staff_id=staff_id,
            following=bool(body.boolean("following")),
            now=self.now(),
        )
        self.wake_worker()
        self.write_json(appointment)


class CancelAppointmentApi(ApiHandler):
    async def post(self, appointment_id: str) -> None:
        """No body cancels the one; ``{"following": true}`` also the later ones of its repeat booking;
        ``{"byClient": true}``: at the client's word (their cancellation: inside the cut-off, a late one)."""
        body = self.body() if self.request.body else None
        following = bool(body.boolean("following")) if body else False
        by = Actor.CLIENT if body and body.boolean("by_client") else Actor.SALON
        appointment = await appointments.cancel(
            self.db, self.salon, self.path_id(appointment_id, "appointment_id"), by=by, at_desk=True,
            following=following, now=self.now(),
        )  # fmt: skip
        self.wake_worker()
        self.write_json(appointment)


class AppointmentOutcomeApi(ApiHandler):
    """The desk says what became of an appointment: completed or no_show, from its start until 7 days after."""

    async def post(self, appointment_id: str) -> None:
        outcome = self.body().text("outcome", required=True)
        the_id = self.path_id(appointment_id, "appointment_id")
        self.write_json(await appointments.record_outcome(self.db, self.salon, the_id, outcome, now=self.now()))


class AppointmentPaymentsApi(ApiHandler):
    """Every money movement on the appointment through the salon's Stripe account, oldest first."""

    async def get(self, appointment_id: str) -> None:
        the_id = self.path_id(appointment_id, "appointment_id")
        await appointments.get_appointment(self.db, self.salon.id, the_id)  # another salon's: 404
        self.write_json(await payments.of_appointment(self.db, self.salon.id, the_id))


class AppointmentRefundApi(ApiHandler):
    """The owner gives back the deposit paid on the appointment, or the deposit or fee ``paymentId``, or
    ``amountCents`` of it: 201 with the refund."""

    roles = access.OWNER

    async def post(self, appointment_id: str) -> None:
        the_id = self.path_id(appointment_id, "appointment_id")
        body = self.body()
        amount, payment_id = body.integer("amount_cents"), body.id("payment_id")
        await appointments.get_appointment(self.db, self.salon.id, the_id)  # another salon's: 404
        api_base = self.application.web_settings.stripe_api_base
        refunded = await payments.refund(self.db, self.salon.id, the_id, amount, api_base, payment_id)
        self.write_json(refunded, status=201)
