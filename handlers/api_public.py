"""The online booking API, without a token: a salon's services and free times, holds and their codes.

Under /api/public/{slug}; 404 for a salon that does not take bookings online.
"""

from __future__ import annotations

from booking import online, salons, self_service, services
from booking.errors import Invalid, NotFound
from handlers.api import JsonHandler


class PublicJson(JsonHandler):
    """Every answer under /api/public counts against the client address's allowance, before anything else."""

    async def prepare(self) -> None:
        await self.within_public_rate()
        await super().prepare()


class PublicApi(PublicJson):
    async def prepare(self) -> None:
        await super().prepare()
        self.salon = online.open_salon(await salons.salon_by_slug(self.db, self.path_args[0]))

    def hold_request(self) -> online.Request:
        body = self.body()
        return online.Request(
            service_id=body.id("service_id", required=True),
            staff_id=body.id("staff_id"),
            start_time=body.instant("start_time", required=True),
            first_name=body.text("first_name", required=True),
            last_name=body.text("last_name") or "",
            email=body.text("email"),
            phone=body.text("phone"),
            opted_in_reminders=bool(body.boolean("opted_in_reminders")),
        )


class PublicServicesApi(PublicApi):
    async def get(self, _slug: str) -> None:
        self.write_json(await services.list_services(self.db, self.salon.id))


class PublicSlotsApi(PublicApi):
    async def get(self, _slug: str) -> None:
        service_id, day = self.query_id("service_id"), self.query_date("date")
        if service_id is None:
            raise Invalid("{field} is required", "service_id")
        if day is None:
            raise Invalid("{field} is required, as YYYY-MM-DD", "date")
        slots = await self_service.free_times(
            self.db, self.salon, service_id=service_id, day=day, staff_id=self.query_id("staff_id"), now=self.now()
        )
        found = [{"start_time": slot.start, "staff_id": slot.staff_id, "staff_name": slot.staff_name} for slot in slots]
        self.write_json({"slots": found})


class PublicBookingsApi(PublicApi):
    async def post(self, _slug: str) -> None:
        hold = await self.hold_online(self.salon, self.hold_request())
        answer = {"hold_id": hold.id, "expires_at": hold.expires_at, "verify_by": hold.verify_by}
        self.write_json(answer | {"sent_to": hold.sent_to}, status=202)


class PublicVerifyApi(PublicApi):
    async def post(self, _slug: str, hold_id: str) -> None:
        body = self.body()
        the_id = self.path_id(hold_id, "hold_id")
        appointment = await online.verify(self.db, self.salon, the_id, body.text("code", required=True), now=self.now())
        if isinstance(appointment, online.DepositDue):  # booked once Stripe says the deposit is paid, the card saved
            api_base = self.application.web_settings.stripe_api_base
            self.write_json(await online.start_paying(self.db, self.salon, the_id, api_base), status=202)
            return
        self.wake_worker()
        self.write_json(appointment, status=201)


class UnknownPublicApi(PublicJson):
    """Any other path under /api/public: a JSON 404 (no token is asked for here)."""

    def get(self, *_: str) -> None:
        raise NotFound("no such endpoint")

    post = patch = put = delete = get
