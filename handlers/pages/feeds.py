"""The calendar feed's buttons: the owner's on the staff page, a stylist's own on their account page."""

from __future__ import annotations

from booking import access, calendar_feeds, paths
from handlers.pages.base import SalonPage, page_id


class FeedPage(SalonPage):
    roles = access.FEEDS

    def back(self) -> str:
        return paths.ACCOUNT() if self.is_stylist else f"{paths.STAFF()}/{self.path_args[0]}/edit"


class RenewFeed(FeedPage):
    async def post(self, staff_id: str) -> None:
        """The new address, shown once (201, like a new API token)."""
        member = page_id(staff_id)
        self.own_staff(member)
        public_url = self.application.web_settings.public_url
        made = await calendar_feeds.renew(self.db, self.salon.id, member, public_url)
        self.render_page("calendar_feed.html", 201, url=made.url, back=self.back())


class RevokeFeed(FeedPage):
    async def post(self, staff_id: str) -> None:
        member = page_id(staff_id)
        self.own_staff(member)
        await calendar_feeds.revoke(self.db, self.salon.id, member)
        self.render_page("calendar_feed.html", url="", back=self.back())
