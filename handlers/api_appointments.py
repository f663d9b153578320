"""JSON endpoints for booking, listing, cancelling and moving appointments."""

from __future__ import annotations

import datetime as dt

from booking import appointments
from booking.errors import Invalid
from handlers.api import ApiHandler, parse_date, parse_uuid


class AppointmentListApi(ApiHandler):
    async def get(self) -> None:
        date = self.query("date")
        day = parse_date(date, "date") if date else dt.datetime.now(self.salon.zone).date()
        self.write_json(await appointments.list_day(self.db, self.salon, day))

    async def post(self) -> None:
        body = self.body()
        appointment = await appointments.book(
            self.db,
            self.salon,
            client_id=body.id("clientId", required=True),
            staff_id=body.id("staffId", required=True),
            service_id=body.id("serviceId", required=True),
            start_time=body.instant("startTime", required=True),
            notes=body.text("notes") or "",
            max_attempts=self.application.max_attempts,
        )
        self.wake_worker()
        self.write_json(appointment, status=201)


class AppointmentApi(ApiHandler):
    async def get(self, appointment_id: str) -> None:
        self.write_json(
            await appointments.get_appointment(self.db, self.salon.id, parse_uuid(appointment_id, "appointmentId"))
        )

    async def patch(self, appointment_id: str) -> None:
        body = self.body()
        start_time, staff_id = body.instant("startTime"), body.id("staffId")
        if start_time is None and staff_id is None:
            raise Invalid("give startTime, staffId or both", "startTime")
        appointment = await appointments.reschedule(
            self.db,
            self.salon,
            parse_uuid(appointment_id, "appointmentId"),
            start_time=start_time,
            staff_id=staff_id,
            max_attempts=self.application.max_attempts,
        )
        self.wake_worker()
        self.write_json(appointment)


class CancelAppointmentApi(ApiHandler):
    async def post(self, appointment_id: str) -> None:
        appointment = await appointments.cancel(
            self.db,
            self.salon,
            parse_uuid(appointment_id, "appointmentId"),
            max_attempts=self.application.max_attempts,
        )
        self.wake_worker()
        self.write_json(appointment)
