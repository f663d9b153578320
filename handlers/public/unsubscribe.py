"""A client turns their reminders off from an email: one click in their mail program (RFC 8058), or a page.

The link (``booking.links``, purpose "unsubscribe") names the client. GET and HEAD only ask: mail scanners
open links. A POST turns the reminders off and answers the page that says so, never a redirect, which RFC
8058's one-click POST would not follow.
"""

from __future__ import annotations

import tornado.web

from booking import clients, links, salons
from booking.models import Client, Salon
from handlers.public.base import ClientPage


class UnsubscribePage(ClientPage):
    salon: Salon
    token_in_path = True

    def check_xsrf_cookie(self) -> None:
        """A mail program's one-click POST (body ``List-Unsubscribe=One-Click``) carries no form token; the
        signed link is the proof, and turning reminders off is all it can do."""

    async def load(self, token: str) -> Client:
        """The client the link names; a link that is not one, or a client since erased, is a 404."""
        client_id = links.read("unsubscribe", token, (await self.application.links()).secret)
        found = await clients.of_link(self.db, client_id) if client_id else None
        if found is None:
            raise tornado.web.HTTPError(404)
        salon_id, client = found
        self.salon = await salons.get_salon(self.db, salon_id)
        return client

    async def get(self, token: str) -> None:
        client = await self.load(token)
        self.render_page("public/unsubscribe.html", client=client, done=not client.opted_in_reminders)

    head = get

    async def post(self, token: str) -> None:
        client = await self.load(token)
        await clients.unsubscribe(self.db, client.id)
        self.render_page("public/unsubscribe.html", client=client, done=True)
