"""JSON endpoints for the salon's staff, services and clients."""

from __future__ import annotations

import datetime as dt

from booking import clients, services, staff
from booking.errors import Invalid
from booking.models import WorkingHours
from handlers.api import ApiHandler, Body, parse_uuid


def _clock(body: Body, name: str) -> dt.time:
    value = body.text(name, required=True)
    try:
        if len(value) != 5:
            raise ValueError
        return dt.time.fromisoformat(value)
    except ValueError:
        raise Invalid(f"{body.prefix}{name} must be a time like 09:30", body.prefix + name) from None


def _working_hours(body: Body) -> list[WorkingHours]:
    return [
        WorkingHours(span.integer("weekday", required=True), _clock(span, "start"), _clock(span, "end"))
        for span in body.objects("workingHours")
    ]


class StaffListApi(ApiHandler):
    async def get(self) -> None:
        self.write_json(await staff.list_staff(self.db, self.salon.id))

    async def post(self) -> None:
        body = self.body()
        member = await staff.create_staff(
            self.db,
            self.salon.id,
            first_name=body.text("firstName", required=True),
            last_name=body.text("lastName") or "",
            email=body.text("email"),
            working_hours=_working_hours(body),
        )
        self.write_json(member, status=201)


class StaffApi(ApiHandler):
    async def get(self, staff_id: str) -> None:
        self.write_json(await staff.get_staff(self.db, self.salon.id, parse_uuid(staff_id, "staffId")))


class ServiceListApi(ApiHandler):
    async def get(self) -> None:
        self.write_json(await services.list_services(self.db, self.salon.id))

    async def post(self) -> None:
        body = self.body()
        service = await services.create_service(
            self.db,
            self.salon.id,
            name=body.text("name", required=True),
            duration_minutes=body.integer("durationMinutes", required=True),
            price_cents=body.integer("priceCents"),
        )
        self.write_json(service, status=201)


class ServiceApi(ApiHandler):
    async def get(self, service_id: str) -> None:
        self.write_json(await services.get_service(self.db, self.salon.id, parse_uuid(service_id, "serviceId")))


class ClientListApi(ApiHandler):
    async def get(self) -> None:
        self.write_json(await clients.list_clients(self.db, self.salon.id, self.query("search") or ""))

    async def post(self) -> None:
        body = self.body()
        client = await clients.create_client(
            self.db,
            self.salon.id,
            first_name=body.text("firstName", required=True),
            last_name=body.text("lastName") or "",
            email=body.text("email"),
            phone=body.text("phone"),
            opted_in_reminders=bool(body.boolean("optedInReminders")),
            region=self.application.phone_region,
        )
        self.write_json(client, status=201)


class ClientApi(ApiHandler):
    async def get(self, client_id: str) -> None:
        self.write_json(await clients.get_client(self.db, self.salon.id, parse_uuid(client_id, "clientId")))
