"""A stylist's calendar feed: the address their calendar program subscribes to, and the API that makes and
revokes it (booking/calendar_feeds.py)."""

from __future__ import annotations

from booking import access, calendar_feeds
from handlers.api import ApiHandler
from handlers.base import BaseHandler


class CalendarFeed(BaseHandler):
    """``GET /cal/{token}.ics``: no login, the token is the key; a revoked or made-up one is a 404."""

    token_in_path = True

    async def get(self, token: str) -> None:
        await self.within_public_rate()
        found = await calendar_feeds.feed(self.db, token, self.now())
        self.set_header("Content-Type", "text/calendar; charset=utf-8")
        self.set_header("Cache-Control", "no-store")  # a stylist's day: not for caches on the way
        self.finish(calendar_feeds.ics(found))


class CalendarFeedApi(ApiHandler):
    """The owner makes or revokes any stylist's feed; a stylist's token, their own only."""

    roles = access.FEEDS

    async def post(self, staff_id: str) -> None:
        member = self.path_id(staff_id, "staff_id")
        access.own_staff(self.bearer, member)
        public_url = self.application.web_settings.public_url
        self.write_json(await calendar_feeds.renew(self.db, self.salon.id, member, public_url), status=201)

    async def delete(self, staff_id: str) -> None:
        member = self.path_id(staff_id, "staff_id")
        access.own_staff(self.bearer, member)
        await calendar_feeds.revoke(self.db, self.salon.id, member)
        self.set_status(204)
        self.finish()
