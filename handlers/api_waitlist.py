"""The waitlist through the JSON API: the desk's list and adding a client to it; a stranger joining online."""

from __future__ import annotations

from booking import fields, online, waitlist
from booking.models import Source
from handlers.api import ApiHandler, Body
from handlers.api_public import PublicApi


def read_wish(body: Body) -> waitlist.Wish:
    """What a client waits for, as a JSON body says it (``earliest`` and ``latest`` optional, "HH:MM")."""
    earliest, latest = body.text("earliest"), body.text("latest")
    return waitlist.Wish(
        service_id=body.id("service_id", required=True),
        staff_id=body.id("staff_id"),
        from_date=fields.date(body.text("from_date", required=True), "from_date"),
        to_date=fields.date(body.text("to_date", required=True), "to_date"),
        earliest=None if earliest is None else fields.clock(earliest, "earliest"),
        latest=None if latest is None else fields.clock(latest, "latest"),
    )


class WaitlistApi(ApiHandler):
    async def get(self) -> None:
        limit, after = self.page()
        self.write_page(await waitlist.list_entries(self.db, self.salon.id, after=after, limit=limit + 1), limit)

    async def post(self) -> None:
        body = self.body()
        client_id = body.id("client_id", required=True)
        entry = await waitlist.add(self.db, self.salon, client_id, read_wish(body), source=Source.API, now=self.now())
        self.write_json(entry, status=201)


class PublicWaitlistApi(PublicApi):
    async def post(self, _slug: str) -> None:
        body = self.body()
        request = online.WaitlistRequest(
            wish=read_wish(body),
            first_name=body.text("first_name", required=True),
            last_name=body.text("last_name") or "",
            email=body.text("email"),
            phone=body.text("phone"),
        )
        joined = await self.join_waitlist_online(self.salon, request)
        answer = {"entry_id": joined.id, "expires_at": joined.expires_at, "verify_by": joined.verify_by}
        self.write_json(answer | {"sent_to": joined.sent_to}, status=202)


class PublicWaitlistVerifyApi(PublicApi):
    async def post(self, _slug: str, entry_id: str) -> None:
        code = self.body().text("code", required=True)
        entry = await online.verify_join(self.db, self.salon, self.path_id(entry_id, "entry_id"), code, now=self.now())
        self.write_json(entry, status=201)
