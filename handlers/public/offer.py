"""A waitlist offer, through the link in its message: the time offered, to claim it or to leave the list.

GET and HEAD change nothing (mail scanners open links); claiming and leaving are POST forms. A claim that
loses the race (someone else's claim of the time came first) is a 409 page with the next free times, and
the client stays on the list.
"""

from __future__ import annotations

import tornado.web

from booking import links, paths, salons, self_service, waitlist
from booking.errors import Conflict
from booking.models import Salon
from handlers.public.base import ClientPage


class LinkedOffer(ClientPage):
    """The offer a link names: 404 for a link that is not one."""

    salon: Salon
    offer: waitlist.Offer
    token_in_path = True

    async def load(self, token: str) -> waitlist.Offer:
        offer_id = links.read("offer", token, (await self.application.links()).secret)
        offer = await waitlist.find_offer(self.db, offer_id) if offer_id else None
        if offer is None:
            raise tornado.web.HTTPError(404)
        self.salon = await salons.get_salon(self.db, offer.salon_id)
        self.offer = offer
        return offer

    async def show(self, state: str, status: int = 200) -> None:
        """The offer's page: ``state`` open (claim or leave), gone (with the next free times), claimed, left or
        ended."""
        nearest = await self_service.next_free(self.db, self.salon, self.offer, self.now()) if state == "gone" else []
        manage = ""
        if self.offer.appointment_id is not None:
            manage = paths.MANAGE(token=links.sign("manage", self.offer.appointment_id, await self._secret()))
        self.render_page(
            "public/offer.html", status, offer=self.offer, state=state, token=self.path_args[0], nearest=nearest,
            manage=manage,
        )  # fmt: skip

    async def _secret(self) -> str:
        return (await self.application.links()).secret


class OfferPage(LinkedOffer):
    async def get(self, token: str) -> None:
        offer = await self.load(token)
        if offer.appointment_id is not None:
            await self.show("claimed")
        elif offer.entry_status != waitlist.EntryStatus.WAITING:
            await self.show("ended")
        elif offer.start_time <= self.now() or not await waitlist.still_free(self.db, offer):
            await self.show("gone")
        else:
            await self.show("open")

    head = get


class ClaimOffer(LinkedOffer):
    async def post(self, token: str) -> None:
        offer = await self.load(token)
        try:
            appointment = await self_service.claim_offer(self.db, self.salon, offer.id, self.now())
        except self_service.OfferGone:
            await self.show("gone", 409)
            return
        except Conflict:
            self.offer = await waitlist.find_offer(self.db, offer.id) or offer
            await self.show("claimed" if self.offer.appointment_id else "ended", 409)
            return
        self.wake_worker()
        manage = paths.MANAGE(token=links.sign("manage", appointment.id, await self._secret()))
        self.redirect(f"{manage}?done=booked", status=303)


class LeaveWaitlist(LinkedOffer):
    async def post(self, token: str) -> None:
        offer = await self.load(token)
        if await waitlist.leave(self.db, self.salon.id, offer.entry_id, self.now()):
            await self.show("left")
        else:  # left before (a second click), or booked, or past its days
            await self.show("left" if offer.entry_status == waitlist.EntryStatus.LEFT else "ended", 409)
