"""Booking an appointment, and one appointment's page: details, timeline, cancel, move."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import json
import uuid
from urllib.parse import urlencode

from booking import (
    access,
    appointments,
    availability,
    clients,
    fields,
    inbox,
    jobs,
    paths,
    payments,
    saved_cards,
    services,
    staff,
    waitlist,
)
from booking.errors import BookingError, Conflict, Invalid, NotFound, OutsideHours, PaymentProblem, SlotTaken
from booking.locales import money, phone_number
from booking.models import Actor, Client, Service, Staff
from handlers.base import outside_name, status_for
from handlers.html import Errors, Form, form_errors
from handlers.pages.base import SalonPage, page_id, safe_next
from handlers.pages.directory import client_details

CHOICE_FIELDS = ("serviceId", "staffId", "day", "at")  # at: a wished start (HH:MM), from a tap on the calendar
CLIENT_FIELDS = ("firstName", "lastName", "email", "phone", "optedInReminders")
PICKER_FIELDS = ("clientId", "clientSearch", "clientsAfter")
REPEAT_FIELDS = ("repeat.everyWeeks", "repeat.count")  # named as the API's fields, so errors land beside them
BOOKING_FIELDS = (*CHOICE_FIELDS, *PICKER_FIELDS, *CLIENT_FIELDS, "startTime", "notes", *REPEAT_FIELDS)
REPEAT_COUNT = "6"  # occurrences offered when a repeat is chosen: six visits in one go
MOVE_FIELDS = ("day", "staffId", "startTime")
NEW_CLIENT = "new"
ANYONE = ""  # the staff choice "Anyone free"
OTHERS = "*"  # in a service's labels: every member not listed by id
MINUTE = dt.timedelta(minutes=1)
CLIENTS_SHOWN = 8  # matches offered at once; more behind a link, or a longer search


def slot_value(slot: availability.Slot) -> str:
    """A free time's radio button value, 'staff id@start': who and when, so 'anyone free' needs no second field."""
    return f"{slot.staff_id}@{slot.start.isoformat()}"


def is_slot(value: str) -> bool:
    return "@" in value


def parse_slot(value: str) -> tuple[uuid.UUID, dt.datetime]:
    """A free time's value (``slot_value``) read back with the API's own parsers, date bounds included."""
    staff_id, _, start = value.partition("@")
    try:
        return fields.identifier(staff_id, "staff_id"), fields.instant(start, "start_time")
    except Invalid:
        raise Invalid("choose one of the free times", "start_time") from None


def staff_choices(members: list[Staff], service: Service | None = None) -> list[tuple[str, str]]:
    """The staff to choose from: those who perform ``service``, when one is chosen."""
    return [(str(member.id), member.name) for member in members if service is None or service.offered_by(member.id)]


def client_label(client: Client, country: str) -> str:
    """Enough to tell two clients of one name apart at the desk: a number as the salon's country writes it."""
    contact = phone_number(client.phone, country) if client.phone else client.email
    return f"{client.name} ({contact})" if contact else client.name


def optional_id(value: str, field: str) -> uuid.UUID | None:
    return fields.identifier(value, field) if value else None


async def slots_for(
    page: SalonPage, form: Form, fallback_staff: str = "", moving: uuid.UUID | None = None
) -> list[availability.Slot]:
    """The free times for the service, staff and day in ``form``; none until all are usable."""
    try:
        service_id = fields.identifier(form["serviceId"], "service_id")
        day = fields.date(form["day"], "day")
    except Invalid:
        return []
    staff_id = optional_id(form["staffId"] or fallback_staff, "staff_id")
    return await availability.free_slots(
        page.db, page.salon, service_id=service_id, day=day, staff_id=staff_id, now=page.now(), moving=moving
    )


def _repeat(form: Form) -> appointments.Repeat | None:
    """The repeat the form asks for, or None for one appointment (no weeks chosen)."""
    if not form["repeat.everyWeeks"]:
        return None
    checks = fields.Checks()  # both fields' errors at once
    weeks = checks(fields.whole_number, form["repeat.everyWeeks"], ("repeat", "every_weeks"), *appointments.EVERY_WEEKS)
    count = checks(fields.whole_number, form["repeat.count"], ("repeat", "count"), *appointments.OCCURRENCES)
    checks.done()
    return appointments.Repeat(weeks, count)


def wished_slot(slots: list[availability.Slot], at: str, zone: dt.tzinfo) -> availability.Slot | None:
    """The free time starting at the wished salon-local ``at`` (HH:MM), if there is one."""
    return next((slot for slot in slots if slot.start.astimezone(zone).strftime("%H:%M") == at), None)


class NewAppointmentPage(SalonPage):
    """Pick service, staff and day (a GET), then client and one of the free times (the POST).

    The client is found by a search (part ``client_choices``, fetched as it is typed; without JS the
    "Find" button posts the form back with everything typed kept), never one long list.
    """

    parts = ("client_choices",)

    async def get(self) -> None:
        today = self.now().astimezone(self.salon.zone).date().isoformat()
        form = {name: self.get_query_argument(name, "") for name in BOOKING_FIELDS}
        form["day"] = form["day"] or today
        form["optedInReminders"] = self.get_query_argument("optedInReminders", "on")  # a new client: on unless unticked
        form["repeat.count"] = form["repeat.count"] or REPEAT_COUNT
        await self.show(form, {})

    async def post(self) -> None:
        form = self.read_form(BOOKING_FIELDS)
        if self.get_body_argument("action", "") == "find":
            await self.show(form, {})
            return
        try:
            repeat = _repeat(form)
            client_id = await self._client_id(form)
            staff_id, start_time = parse_slot(form["startTime"])
            service_id = fields.identifier(form["serviceId"], "service_id")
            if repeat is not None:
                series = await appointments.book_series(
                    self.db, self.salon, repeat, client_id=client_id, staff_id=staff_id, service_id=service_id,
                    start_time=start_time, notes=form["notes"], now=self.now(),
                )  # fmt: skip
            else:
                appointment = await appointments.book(
                    self.db, self.salon, client_id=client_id, staff_id=staff_id, service_id=service_id,
                    start_time=start_time, notes=form["notes"], now=self.now(),
                )  # fmt: skip
        except (Invalid, SlotTaken) as error:
            await self.show(form, form_errors(error, form, self.gettext), status_for(error, 400))
            return
        self.wake_worker()
        if repeat is None:
            self.redirect(paths.APPOINTMENT(id=appointment.id), status=303)
            return
        self.render_page(
            "appointment_series.html", 201, series=series, client_id=client_id, service_id=service_id, staff_id=staff_id
        )

    async def _client_id(self, form: Form) -> uuid.UUID:
        """The chosen client, or a new one added from the inline fields (then chosen, if booking fails)."""
        if form["clientId"] != NEW_CLIENT:
            if not form["clientId"]:
                raise Invalid("find and choose a client, or choose 'New client' and fill in their details", "client_id")
            return fields.identifier(form["clientId"], "client_id")
        salon = self.salon
        client = await clients.create_client(
            self.db, salon.id, client_details(form), region=salon.country, sms_countries=salon.sms_countries
        )
        form["clientId"] = str(client.id)
        return client.id

    async def client_choices(self, form: Form, errors: Errors) -> dict[str, object]:
        """The chosen client (kept whatever the search), the search's matches and the link to more of them."""
        chosen: Client | None = None
        if form["clientId"] not in ("", NEW_CLIENT):
            try:
                chosen = await clients.get_client(
                    self.db, self.salon.id, fields.identifier(form["clientId"], "client_id")
                )
            except (Invalid, NotFound):
                chosen = None  # booking with it says why
        found: list[Client] = []
        more = ""
        if form["clientSearch"].strip():
            try:
                found = await clients.list_clients(
                    self.db,
                    self.salon.id,
                    form["clientSearch"],
                    region=self.salon.country,
                    after=optional_id(form["clientsAfter"], "clients_after"),
                    limit=CLIENTS_SHOWN + 1,
                )
            except Invalid as error:
                errors["clientSearch"] = error.describe(lambda _: self.gettext("the search"), self.words.gettext)
            if len(found) > CLIENTS_SHOWN:
                found = found[:CLIENTS_SHOWN]
                following = {name: form[name] for name in (*CHOICE_FIELDS, "clientId", "clientSearch")}
                more = f"{paths.NEW_APPOINTMENT()}?" + urlencode(following | {"clientsAfter": str(found[-1].id)})
        if chosen is not None:
            found = [client for client in found if client.id != chosen.id]
        label = functools.partial(client_label, country=self.salon.country)
        return {"chosen": chosen, "found": found, "more_clients": more, "client_label": label}

    async def show(self, form: Form, errors: Errors, status: int = 200) -> None:
        if self.part == "client_choices":
            choices = await self.client_choices(form, errors)
            self.render_page("appointment_new.html", status, form=form, errors=errors, **choices)
            return
        service_list, staff_list, slots, choices = await asyncio.gather(
            services.list_services(self.db, self.salon.id),
            staff.list_staff(self.db, self.salon.id),
            slots_for(self, form),
            self.client_choices(form, errors),
        )
        service = next((s for s in service_list if str(s.id) == form["serviceId"]), None)
        members = staff_choices(staff_list, service)
        labels = self.service_labels(service_list, staff_list)
        shown = form["staffId"] if any(value == form["staffId"] for value, _ in members) else ANYONE  # as the select
        wished = wished_slot(slots, form["at"], self.salon.zone) if form["at"] else None
        if wished is not None and not form["startTime"]:
            form = form | {"startTime": slot_value(wished)}
        self.render_page(
            "appointment_new.html",
            status,
            form=form,
            errors=errors,
            slots=slots,
            slot_value=slot_value,
            wish_missed=bool(form["at"] and slots and wished is None),
            service_choices=[(service_id, theirs.get(shown, theirs[OTHERS])) for service_id, theirs in labels.items()],
            service_labels=json.dumps(labels),  # for static/booking.js; autoescape makes it an attribute's value
            repeat_choices=[
                (str(n), self.words.ngettext("Every week", "Every %(num)d weeks", n) % {"num": n})
                for n in range(appointments.EVERY_WEEKS[0], appointments.EVERY_WEEKS[1] + 1)
            ],
            staff_choices=members,
            **choices,
        )

    def service_labels(self, service_list: list[Service], staff_list: list[Staff]) -> dict[str, dict[str, str]]:
        """Each service's labels (by service id) for the staff choices: ANYONE's, a listed member's (by id), and
        OTHERS' for every member not listed.

        A member's label gives their own length, or says they do not perform it (it stays choosable, as it was
        before a member was chosen); anyone's gives the service's length, or the range of its performers' when
        they differ. Only members whose label differs are listed, so the map grows with the salon's own lengths
        and who-does-what rows, not with staff times services. The page draws the chosen member's labels;
        static/booking.js swaps in another's when the choice changes: the length the desk reads is the booked one.
        """
        everyone = frozenset(member.id for member in staff_list)

        def length(shortest: dt.timedelta, longest: dt.timedelta | None = None) -> str:
            if longest in (None, shortest):
                return self.gettext("%(minutes)s min", minutes=shortest // MINUTE)
            return self.gettext(
                "%(shortest)s\u2013%(longest)s min", shortest=shortest // MINUTE, longest=longest // MINUTE
            )

        def labels(service: Service) -> dict[str, str]:
            own = service.length_for  # the member's own length, else the service's
            listed = (
                service.staff_ids
                if service.staff_ids is not None
                else [o.staff_id for o in service.staff_overrides if o.duration_minutes]
            )
            others = (
                f"{service.name} ({length(dt.timedelta(minutes=service.duration_minutes))})"
                if service.staff_ids is None
                else self.gettext("%(service)s (not with this staff member)", service=service.name)
            )
            return {
                ANYONE: f"{service.name} ({length(*service.lengths_among(everyone))})",
                OTHERS: others,
                **{str(member): f"{service.name} ({length(own(member))})" for member in listed},
            }

        return {str(service.id): labels(service) for service in service_list}


class AppointmentView(SalonPage):
    """Details, the notification timeline (a part that refreshes itself), and the forms to cancel or move it.

    A stylist sees their own appointments' details only: the rest is the front desk's."""

    parts = ("timeline",)

    async def show(
        self, appointment_id: uuid.UUID, form: Form, errors: Errors, status: int = 200, warning: str = ""
    ) -> None:
        if self.is_stylist:
            appointment = await appointments.get_appointment(self.db, self.salon.id, appointment_id)
            self.own_staff(appointment.staff_id)
            self.render_page("appointment_stylist.html", appointment=appointment)
            return
        if self.part == "timeline":
            appointment, timeline, answers = await asyncio.gather(
                appointments.get_appointment(self.db, self.salon.id, appointment_id),
                jobs.appointment_timeline(self.db, self.salon.id, appointment_id),
                inbox.about(self.db, self.salon.id, appointment_id),
            )
            self.render_page("appointment.html", appointment=appointment, timeline=timeline, answers=answers)
            return
        appointment = await appointments.get_appointment(self.db, self.salon.id, appointment_id)
        local_start = appointment.start_time.astimezone(self.salon.zone)
        form = form | {"day": form.get("day") or local_start.date().isoformat()}  # the move starts on its own day
        timeline, answers, offers, staff_list, service, slots = await asyncio.gather(
            jobs.appointment_timeline(self.db, self.salon.id, appointment_id),
            inbox.about(self.db, self.salon.id, appointment_id),
            waitlist.offers_about(self.db, self.salon.id, appointment_id),
            staff.list_staff(self.db, self.salon.id),
            services.get_service(self.db, self.salon.id, appointment.service_id),
            slots_for(
                self,
                form | {"serviceId": str(appointment.service_id)},
                str(appointment.staff_id),
                moving=appointment_id,
            ),
        )
        moved = await payments.of_appointment(self.db, self.salon.id, appointment_id)
        card = await saved_cards.on_file(self.db, self.salon.id, appointment_id)
        typed = bool(form.get("startTime")) and not is_slot(form["startTime"])
        self.render_page(
            "appointment.html",
            status,
            appointment=appointment,
            timeline=timeline,
            answers=answers,
            offers=offers,
            payments=moved,
            card=card,
            refundable=payments.refundable(moved) if self.current_user.role == "owner" else [],
            paid=lambda payment: money(payment.amount_cents, payment.currency, self.page_locale),
            slots=slots,
            outcome_open=appointments.outcome_open(appointment.start_time, self.now()),
            staff_choices=staff_choices(staff_list, service),
            slot_value=slot_value,
            typed=typed,
            typed_form=form if typed else {"startTime": local_start.strftime("%Y-%m-%dT%H:%M"), "staffId": ""},
            form=form,
            errors=errors,
            warning=warning,
        )


class AppointmentPage(AppointmentView):
    roles = access.EVERYONE

    async def get(self, appointment_id: str) -> None:
        form = {name: self.get_query_argument(name, "") for name in MOVE_FIELDS}
        the_id = page_id(appointment_id)
        if self.is_stylist:
            await self.show(the_id, form, {})
            return
        await jobs.failures_seen(self.db, self.salon.id, appointment_id=the_id)  # its notices are on the page
        await self.show(the_id, form, {})


class CancelAppointment(SalonPage):
    """GET asks "are you sure?" (the appointment's page links here); the POST cancels, as it always did."""

    async def get(self, appointment_id: str) -> None:
        appointment = await appointments.get_appointment(self.db, self.salon.id, page_id(appointment_id))
        self.render_page("appointment_cancel.html", appointment=appointment)

    async def post(self, appointment_id: str) -> None:
        """Cancels the one, or with ``following=on`` (a repeat booking's choice) the later ones of its series too."""
        following = self.get_body_argument("following", "") == "on"
        by = Actor.CLIENT if self.get_body_argument("byClient", "") == "on" else Actor.SALON
        appointment = await appointments.cancel(
            self.db, self.salon, page_id(appointment_id), by=by, at_desk=True, following=following, now=self.now()
        )
        self.wake_worker()
        self.redirect(paths.APPOINTMENT(id=appointment.id), status=303)


class RescheduleAppointment(AppointmentView):
    """Moves to a picked free time (slot), or to a typed salon-local time and staff member.

    A typed time outside the staff member's working hours is a warning, not a refusal: the page says so
    and moves only when "Move anyway" sends the same time again with ``outsideHours=ok``.
    """

    async def post(self, appointment_id: str) -> None:
        the_id = page_id(appointment_id)
        form = self.read_form((*MOVE_FIELDS, "outsideHours", "next", "following"))
        try:
            staff_id: uuid.UUID | None
            if is_slot(form["startTime"]):
                staff_id, start_time = parse_slot(form["startTime"])
            else:
                staff_id = optional_id(form["staffId"], "staff_id")
                start_time = fields.local_instant(form["startTime"], self.salon.zone, "start_time")
            await appointments.reschedule(
                self.db,
                self.salon,
                the_id,
                start_time=start_time,
                staff_id=staff_id,
                outside_hours=form["outsideHours"] == "ok",
                following=form["following"] == "on",
                now=self.now(),
            )
        except OutsideHours as warning:
            await self.show(the_id, form, {}, warning=warning.describe(outside_name, self.words.gettext))
            return
        except BookingError as error:  # a time taken, time off, a stylist who does not do it, a series' clash
            await self.show(the_id, form, form_errors(error, form, self.gettext), status_for(error, 400))
            return
        self.wake_worker()
        self.redirect(safe_next(form["next"], paths.APPOINTMENT(id=the_id)), status=303)  # a drag: the calendar


class RefundDeposit(AppointmentView):
    """The owner gives back the deposit or a fee chosen (``refundPayment``; none: the deposit), or the amount typed
    of it; an error shows beside the amount."""

    roles = access.OWNER

    async def post(self, appointment_id: str) -> None:
        the_id = page_id(appointment_id)
        typed, chosen = self.get_body_argument("refundAmount", ""), self.get_body_argument("refundPayment", "")
        api_base = self.application.web_settings.stripe_api_base
        try:
            await appointments.get_appointment(self.db, self.salon.id, the_id)
            amount = fields.money(typed, "amount_cents", self.salon.currency, self.salon.locale)
            payment_id = optional_id(chosen, "payment_id")
            await payments.refund(self.db, self.salon.id, the_id, amount, api_base, payment_id)
        except (Invalid, Conflict, PaymentProblem) as error:
            form = dict.fromkeys(MOVE_FIELDS, "") | {"refundAmount": typed, "refundPayment": chosen}
            message = error.describe(lambda _: self.gettext("the amount"), self.words.gettext)
            await self.show(the_id, form, {"refundAmount": message}, status=400)
            return
        self.redirect(f"{paths.APPOINTMENT(id=the_id)}#payments-title", status=303)


class RecordVisit(SalonPage):
    """After the start: the client came (completed) or did not (no-show)."""

    async def post(self, appointment_id: str) -> None:
        appointment = await appointments.record_outcome(
            self.db, self.salon, page_id(appointment_id), self.get_body_argument("outcome", ""), now=self.now()
        )
        self.redirect(paths.APPOINTMENT(id=appointment.id), status=303)
