"""Booking an appointment, and one appointment's page: details, timeline, cancel, move."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

from booking import appointments, availability, clients, services, staff
from booking.errors import Invalid, SlotTaken
from booking.models import Client, Salon, Staff
from handlers.api import parse_date, parse_uuid
from handlers.base import status_for
from handlers.pages.base import Errors, Form, SalonPage, form_errors, page_id
from worker import queue

CHOICE_FIELDS = ("serviceId", "staffId", "day")
CLIENT_FIELDS = ("firstName", "lastName", "email", "phone", "optedInReminders")
BOOKING_FIELDS = (*CHOICE_FIELDS, "clientId", *CLIENT_FIELDS, "slot", "notes")
MOVE_FIELDS = ("day", "staffId", "slot", "startTime")
NEW_CLIENT = "new"
# The domain names the time it refuses "startTime"; on these forms the time is picked as a slot.
SLOT_ALIASES = {"startTime": "slot"}


def slot_value(slot: availability.Slot) -> str:
    """A radio button's value: who and when, so 'anyone free' needs no second field."""
    return f"{slot.staff_id}@{slot.start.isoformat()}"


def parse_slot(value: str) -> tuple[uuid.UUID, dt.datetime]:
    staff_id, _, start = value.partition("@")
    try:
        return uuid.UUID(staff_id), dt.datetime.fromisoformat(start)
    except ValueError:
        raise Invalid("choose one of the free times", "slot") from None


def local_instant(value: str, salon: Salon, field: str) -> dt.datetime:
    """A ``datetime-local`` value read as the salon's wall-clock time; a time the clocks skip is refused."""
    try:
        naive = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise Invalid("give a date and time like 2030-05-01 10:00", field) from None
    if naive.tzinfo is not None:
        return naive
    instant = naive.replace(tzinfo=salon.zone)
    if instant.astimezone(dt.UTC).astimezone(salon.zone).replace(tzinfo=None) != naive:
        raise Invalid(f"{naive:%H:%M} does not exist that day in {salon.timezone}: the clocks go forward", field)
    return instant


def staff_choices(members: list[Staff]) -> list[tuple[str, str]]:
    return [(str(member.id), member.name) for member in members]


def client_label(client: Client) -> str:
    """Enough to tell two clients of one name apart at the desk."""
    contact = client.phone or client.email
    return f"{client.name} ({contact})" if contact else client.name


def optional_id(value: str, field: str) -> uuid.UUID | None:
    return parse_uuid(value, field) if value else None


async def slots_for(
    page: SalonPage, form: Form, fallback_staff: str = "", moving: uuid.UUID | None = None
) -> list[availability.Slot]:
    """The free times for the service, staff and day in ``form``; none until all are usable."""
    try:
        service_id = parse_uuid(form["serviceId"], "serviceId")
        day = parse_date(form["day"], "day")
    except Invalid:
        return []
    staff_id = optional_id(form["staffId"] or fallback_staff, "staffId")
    return await availability.free_slots(
        page.db, page.salon, service_id=service_id, day=day, staff_id=staff_id, moving=moving
    )


class NewAppointmentPage(SalonPage):
    """Pick service, staff and day (a GET), then client and one of the free times (the POST)."""

    async def get(self) -> None:
        today = dt.datetime.now(self.salon.zone).date().isoformat()
        form = {name: self.get_query_argument(name, "") for name in BOOKING_FIELDS}
        form["day"] = form["day"] or today
        await self.show(form, {})

    async def post(self) -> None:
        form = self.read_form(BOOKING_FIELDS)
        try:
            client_id = await self._client_id(form)
            staff_id, start_time = parse_slot(form["slot"])
            appointment = await appointments.book(
                self.db,
                self.salon,
                client_id=client_id,
                staff_id=staff_id,
                service_id=parse_uuid(form["serviceId"], "serviceId"),
                start_time=start_time,
                notes=form["notes"],
                max_attempts=self.application.max_attempts,
            )
        except (Invalid, SlotTaken) as error:
            await self.show(form, form_errors(error, form, SLOT_ALIASES), status_for(error, 400))
            return
        self.wake_worker()
        self.redirect(f"/appointments/{appointment.id}", status=303)

    async def _client_id(self, form: Form) -> uuid.UUID:
        """The chosen client, or a new one added from the inline fields (then chosen, if booking fails)."""
        if form["clientId"] != NEW_CLIENT:
            if not form["clientId"]:
                raise Invalid("choose a client, or choose 'New client' and fill in their details", "clientId")
            return parse_uuid(form["clientId"], "clientId")
        client = await clients.create_client(
            self.db,
            self.salon.id,
            first_name=form["firstName"],
            last_name=form["lastName"],
            email=form["email"],
            phone=form["phone"],
            opted_in_reminders=bool(form["optedInReminders"]),
            region=self.application.phone_region,
        )
        form["clientId"] = str(client.id)
        return client.id

    async def show(self, form: Form, errors: Errors, status: int = 200) -> None:
        client_list, service_list, staff_list, slots = await asyncio.gather(
            clients.list_clients(self.db, self.salon.id),
            services.list_services(self.db, self.salon.id),
            staff.list_staff(self.db, self.salon.id),
            slots_for(self, form),
        )
        self.render_page(
            "appointment_new.html",
            status,
            form=form,
            errors=errors,
            slots=slots,
            slot_value=slot_value,
            service_choices=[(str(s.id), f"{s.name} ({s.duration_minutes} min)") for s in service_list],
            staff_choices=staff_choices(staff_list),
            client_choices=[(NEW_CLIENT, "New client…")] + [(str(c.id), client_label(c)) for c in client_list],
        )


class AppointmentView(SalonPage):
    """Details, the notification timeline, and the forms to cancel or move it."""

    async def show(self, appointment_id: uuid.UUID, form: Form, errors: Errors, status: int = 200) -> None:
        appointment = await appointments.get_appointment(self.db, self.salon.id, appointment_id)
        timeline, staff_list, slots = await asyncio.gather(
            queue.appointment_timeline(self.db, self.salon.id, appointment_id),
            staff.list_staff(self.db, self.salon.id),
            slots_for(
                self,
                form | {"serviceId": str(appointment.service_id)},
                str(appointment.staff_id),
                moving=appointment_id,
            ),
        )
        self.render_page(
            "appointment.html",
            status,
            appointment=appointment,
            timeline=timeline,
            slots=slots,
            started=appointment.start_time <= dt.datetime.now(dt.UTC),
            staff_choices=staff_choices(staff_list),
            slot_value=slot_value,
            form=form,
            errors=errors,
        )


class AppointmentPage(AppointmentView):
    async def get(self, appointment_id: str) -> None:
        form = {name: self.get_query_argument(name, "") for name in MOVE_FIELDS}
        await self.show(page_id(appointment_id), form, {})


class CancelAppointment(SalonPage):
    async def post(self, appointment_id: str) -> None:
        appointment = await appointments.cancel(
            self.db, self.salon, page_id(appointment_id), max_attempts=self.application.max_attempts
        )
        self.wake_worker()
        self.redirect(f"/appointments/{appointment.id}", status=303)


class RescheduleAppointment(AppointmentView):
    """Moves to a picked free time (slot), or to a typed salon-local time and staff member."""

    async def post(self, appointment_id: str) -> None:
        the_id = page_id(appointment_id)
        form = self.read_form(MOVE_FIELDS)
        try:
            if form["slot"]:
                staff_id, start_time = parse_slot(form["slot"])
            else:
                staff_id = optional_id(form["staffId"], "staffId")
                start_time = local_instant(form["startTime"], self.salon, "startTime")
            await appointments.reschedule(
                self.db,
                self.salon,
                the_id,
                start_time=start_time,
                staff_id=staff_id,
                max_attempts=self.application.max_attempts,
            )
        except (Invalid, SlotTaken) as error:
            aliases = SLOT_ALIASES if form["slot"] else None
            await self.show(the_id, form, form_errors(error, form, aliases), status_for(error, 400))
            return
        self.wake_worker()
        self.redirect(f"/appointments/{the_id}", status=303)


class RecordVisit(SalonPage):
    """After the start: the client came (completed) or did not (no-show)."""

    async def post(self, appointment_id: str) -> None:
        appointment = await appointments.record_visit(
            self.db, self.salon, page_id(appointment_id), self.get_body_argument("outcome", "")
        )
        self.redirect(f"/appointments/{appointment.id}", status=303)
