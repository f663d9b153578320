"""JSON endpoints for the salon's staff, services and clients."""

from __future__ import annotations

from typing import Any

from booking import access, client_data, clients, fields, services, staff
from booking.clients import MAX_SEARCH
from booking.models import ClientDetails, ServiceDetails, StaffDetails, WorkingHours
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
        )
        service = await services.create_service(self.db, self.salon.id, details)
        self.write_json(service, status=201)


class ServiceApi(ApiHandler):
    async def get(self, service_id: str) -> None:
        self.write_json(await services.get_service(self.db, self.salon.id, self.path_id(service_id, "service_id")))


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
        self.write_json(await clients.get_client(self.db, self.salon.id, self.path_id(client_id, "client_id")))

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
