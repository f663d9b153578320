"""JSON endpoints for the salon's staff, services and clients."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from booking import (
    access,
    appointments,
    client_data,
    client_history,
    client_notes,
    clients,
    fields,
    services,
    staff,
    time_off,
)
from booking.clients import MAX_SEARCH
from booking.models import ClientDetails, Deposit, ServiceDetails, StaffDetails, StaffOverride, WorkingHours
from handlers import downloads
from handlers.api import ApiHandler, Body


def _working_hours(body: Body) -> tuple[WorkingHours, ...]:
    return tuple(
        WorkingHours(span.integer("weekday", required=True), span.clock("start"), span.clock("end"))
        for span in body.objects("working_hours")
    )


class StaffListApi(ApiHandler):
    async def get(self) -> None:
        limit, after = self.page()
        self.write_page(await staff.list_staff(self.db, self.salon.id, after=after, limit=limit + 1), limit)

    async def post(self) -> None:
        body = self.body()
        details = StaffDetails(
            first_name=body.text("first_name", required=True),
            last_name=body.text("last_name") or "",
            email=body.text("email"),
            working_hours=_working_hours(body),
        )
        member = await staff.create_staff(self.db, self.salon.id, details)
        self.write_json(member, status=201)


class StaffApi(ApiHandler):
    async def get(self, staff_id: str) -> None:
        self.write_json(await staff.get_staff(self.db, self.salon.id, self.path_id(staff_id, "staff_id")))

    async def patch(self, staff_id: str) -> None:
        """Changes the fields the body gives (workingHours replaces the whole week); the others stay."""
        body, member = self.body(), self.path_id(staff_id, "staff_id")
        current = await staff.get_staff(self.db, self.salon.id, member)
        details = StaffDetails(
            first_name=body.text("first_name", required=True) if body.given("first_name") else current.first_name,
            last_name=(body.text("last_name") or "") if body.given("last_name") else current.last_name,
            email=body.text("email") if body.given("email") else current.email,
            working_hours=_working_hours(body) if body.given("working_hours") else current.working_hours,
        )
        self.write_json(await staff.update_staff(self.db, self.salon.id, member, details))


class TimeOffListApi(ApiHandler):
    async def get(self, staff_id: str) -> None:
        member, since = self.path_id(staff_id, "staff_id"), self.query_date("from")
        ended_after = dt.datetime.combine(since, dt.time(), self.salon.zone) if since else self.now()
        self.write_json(await time_off.list_time_off(self.db, self.salon.id, member, now=ended_after))

    async def post(self, staff_id: str) -> None:
        member, body = self.path_id(staff_id, "staff_id"), self.body()
        added = await time_off.add_time_off(
            self.db,
            self.salon.id,
            member,
            start=body.instant("start", required=True),
            end=body.instant("end", required=True),
            reason=body.text("reason"),
        )
        self.write_json(added, status=201)


class TimeOffApi(ApiHandler):
    async def delete(self, staff_id: str, time_off_id: str) -> None:
        member, entry = self.path_id(staff_id, "staff_id"), self.path_id(time_off_id, "time_off_id")
        await time_off.remove_time_off(self.db, self.salon, member, entry, now=self.now())
        self.set_status(204)
        self.finish()


def _staff_ids(body: Body) -> tuple[uuid.UUID, ...] | None:
    """Who performs a service: a list of ids, or null (or left out) for everyone."""
    given = body.texts("staff_ids")
    return None if given is None else tuple(fields.identifier(v, ("staff_ids", i)) for i, v in enumerate(given))


def _staff_overrides(body: Body) -> tuple[StaffOverride, ...]:
    return tuple(
        StaffOverride(own.id("staff_id", required=True), own.integer("duration_minutes"), own.integer("price_cents"))
        for own in body.objects("staff_overrides")
    )


def _deposit(body: Body) -> Deposit | None:
    asked = body.object("deposit")
    if asked is None:
        return None
    percent, amount = asked.integer("percent"), asked.integer("amount_cents")
    return Deposit(percent, amount) if percent is not None or amount is not None else None


# What a service's body may say besides its name, length and price, each read by its own reader.
_SERVICE_PARTS: dict[str, Callable[[Body], Any]] = {
    "buffer_minutes": lambda body: body.integer("buffer_minutes") or 0,
    "staff_ids": _staff_ids,
    "staff_overrides": _staff_overrides,
    "deposit": _deposit,
}


class ServiceListApi(ApiHandler):
    async def get(self) -> None:
        limit, after = self.page()
        self.write_page(await services.list_services(self.db, self.salon.id, after=after, limit=limit + 1), limit)

    async def post(self) -> None:
        body = self.body()
        details = ServiceDetails(
            name=body.text("name", required=True),
            duration_minutes=body.integer("duration_minutes", required=True),
            price_cents=body.integer("price_cents"),
            **{name: read(body) for name, read in _SERVICE_PARTS.items()},
        )
        service = await services.create_service(self.db, self.salon.id, details)
        self.write_json(service, status=201)


class ServiceApi(ApiHandler):
    async def get(self, service_id: str) -> None:
        self.write_json(await services.get_service(self.db, self.salon.id, self.path_id(service_id, "service_id")))

    async def patch(self, service_id: str) -> None:
        """Changes the fields the body gives; the others stay (staffIds null: everyone performs it)."""
        body, the_id = self.body(), self.path_id(service_id, "service_id")
        changes: dict[str, Any] = {name: read(body) for name, read in _SERVICE_PARTS.items() if body.given(name)}
        if body.given("name"):
            changes["name"] = body.text("name", required=True)
        if body.given("duration_minutes"):
            changes["duration_minutes"] = body.integer("duration_minutes", required=True)
        if body.given("price_cents"):
            changes["price_cents"] = body.integer("price_cents")
        current = services.details_of(await services.get_service(self.db, self.salon.id, the_id))
        service = await services.update_service(self.db, self.salon.id, the_id, dataclasses.replace(current, **changes))
        self.write_json(service)


class ClientListApi(ApiHandler):
    async def get(self) -> None:
        limit, after = self.page()
        # The contract's q, else search as before it; both are checked as the document says, even one not used.
        given = [fields.text(value, name, required=False, max_length=MAX_SEARCH)
                 for name in ("q", "search") if (value := self.query(name)) is not None]  # fmt: skip
        search = next((value for value in given if value), "")
        region = self.salon.country
        found = await clients.list_clients(self.db, self.salon.id, search, region=region, after=after, limit=limit + 1)
        self.write_page(found, limit)

    async def post(self) -> None:
        body = self.body()
        details = ClientDetails(
            first_name=body.text("first_name", required=True),
            last_name=body.text("last_name") or "",
            email=body.text("email"),
            phone=body.text("phone"),
            opted_in_reminders=bool(body.boolean("opted_in_reminders")),
        )
        salon = self.salon
        client = await clients.create_client(
            self.db, salon.id, details, region=salon.country, sms_countries=salon.sms_countries
        )
        self.write_json(client, status=201)


class ClientApi(ApiHandler):
    async def get(self, client_id: str) -> None:
        self.write_json(await client_history.on_file(self.db, self.salon.id, self.path_id(client_id, "client_id")))

    async def patch(self, client_id: str) -> None:
        """Changes the fields the body gives (null clears an email or a phone); the others stay."""
        body = self.body()
        changes: dict[str, Any] = {
            name: body.text(name) for name in ("first_name", "last_name", "email", "phone") if body.given(name)
        }
        if "last_name" in changes:
            changes["last_name"] = changes["last_name"] or ""
        if (wanted := body.boolean("opted_in_reminders")) is not None:
            changes["opted_in_reminders"] = wanted
        salon = self.salon
        client = await clients.change_client(
            self.db,
            salon.id,
            self.path_id(client_id, "client_id"),
            changes,
            region=salon.country,
            sms_countries=salon.sms_countries,
        )
        self.write_json(client)


class ClientExportApi(ApiHandler):
    """Everything the salon holds about one client: their details, appointments and messages, written a page
    at a time. The owner's, as on the pages."""

    roles = access.OWNER

    async def get(self, client_id: str) -> None:
        found = await client_data.export(self.db, self.salon.id, self.path_id(client_id, "client_id"))
        await downloads.send_json(self, found, self.salon.zone)


class EraseClientApi(ApiHandler):
    roles = access.OWNER

    async def post(self, client_id: str) -> None:
        self.write_json(await client_data.erase(self.db, self.salon.id, self.path_id(client_id, "client_id")))


class ClientAppointmentsApi(ApiHandler):
    """A client's appointments, coming and past, newest first, a page at a time."""

    async def get(self, client_id: str) -> None:
        the_id = self.path_id(client_id, "client_id")
        limit, after = self.page()
        await clients.get_client(self.db, self.salon.id, the_id)  # another salon's client: 404, not an empty list
        self.write_paged(await appointments.client_history(self.db, self.salon.id, the_id, after=after, limit=limit))


class ClientNotesApi(ApiHandler):
    async def get(self, client_id: str) -> None:
        the_id = self.path_id(client_id, "client_id")
        limit, after = self.page()
        await clients.get_client(self.db, self.salon.id, the_id)
        found = await client_notes.list_notes(self.db, self.salon.id, the_id, after=after, limit=limit + 1)
        self.write_page(found, limit)

    async def post(self, client_id: str) -> None:
        text = self.body().text("text", required=True)
        maker = self.bearer.maker
        note = await client_notes.add(
            self.db,
            self.salon.id,
            self.path_id(client_id, "client_id"),
            text,
            author=maker.email if maker else "API token",
            author_id=maker.id if maker else None,
            now=self.now(),
        )
        self.write_json(note, status=201)
