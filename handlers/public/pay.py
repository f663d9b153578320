"""Paying a booking's deposit, or saving the client's card where a fee may apply: Stripe's card field on our page
(the card number goes from the client's browser to Stripe only), then the page's own check, which books the time
once Stripe says the payment (or the card's SetupIntent) succeeded; the signed webhook (handlers/stripe_webhook.py)
may have booked it first.

The page loads Stripe.js from --stripe_js_url: its Content-Security-Policy allows that one origin besides our own.
"""

from __future__ import annotations

import urllib.parse
import uuid

from booking import fields, links, online, paths, payment_jobs
from booking.errors import PaymentProblem
from booking.notice_types import N_
from handlers.html import CONTENT_SECURITY_POLICY
from handlers.public.book import BookingPage

NOT_PAID = N_("The payment has not gone through. Please try again, or use another card.")
NOT_SAVED = N_("The card has not been saved. Please try again, or use another card.")


# Stripe out of reach, or refusing the salon's keys: the client is asked to try again in a minute, the hold's
# time counting down meanwhile (the API answers 502 with its JSON error).
RETRY_AFTER = 60


def origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class PayPage(BookingPage):
    """The deposit's amount (or the fees a saved card may be charged), the time it holds, and the card field."""

    async def get(self, _slug: str, hold_id: str) -> None:
        await self.show(fields.identifier(hold_id, "hold_id"))

    async def show(self, hold_id: uuid.UUID, not_through: bool = False) -> None:
        """The card field; ``not_through``: the client came back from it, and Stripe says nothing succeeded."""
        settings = self.application.web_settings
        try:
            asked = await online.start_paying(self.db, self.salon, hold_id, settings.stripe_api_base)
        except PaymentProblem:
            await self.unreachable(hold_id)
            return
        stripe_js = origin(settings.stripe_js_url)
        self.set_header(
            "Content-Security-Policy",
            CONTENT_SECURITY_POLICY.replace("default-src 'self'", f"default-src 'self'; script-src 'self' {stripe_js}; "
                                            f"connect-src 'self' {stripe_js} {origin(settings.stripe_api_base)}")
            .replace("frame-src 'self'", f"frame-src 'self' {stripe_js}"),
        )  # fmt: skip
        card_only = isinstance(asked, online.CardAsked)
        self.render_page(
            "public/book_pay.html",
            deposit=None if card_only else asked,
            card=asked if card_only else None,
            fees=asked.fees,
            stripe_js_url=settings.stripe_js_url,
            paid_url=paths.BOOKING_PAID(slug=self.salon.slug, hold=hold_id),
            problem=self.gettext(NOT_SAVED if card_only else NOT_PAID) if not_through or asked.failure else None,
        )

    async def unreachable(self, hold_id: uuid.UUID) -> None:
        """Stripe cannot be reached just now (or refuses): a page saying so in the salon's language, with the time
        the hold still holds and a way back to the card field."""
        self.set_header("Retry-After", str(RETRY_AFTER))
        self.render_page(
            "public/book_pay_unreachable.html",
            503,
            until=await online.held_until(self.db, self.salon.id, hold_id),
            pay_url=paths.BOOKING_PAY(slug=self.salon.slug, hold=hold_id),
        )


class PaidPage(PayPage):
    """Where the card field goes once Stripe has the payment or the card: booked (to the appointment's page) when
    Stripe says it succeeded, else the card field again with what went wrong."""

    async def get(self, _slug: str, hold_id: str) -> None:
        the_id = fields.identifier(hold_id, "hold_id")
        settings = self.application.web_settings
        try:
            paid = await online.check_paid(self.db, self.salon, the_id, settings.stripe_api_base, self.now())
        except PaymentProblem:
            await self.unreachable(the_id)
            return
        if paid is None:
            await self.show(the_id, not_through=True)
            return
        if paid.refund_due:  # paid after its time was given up: all of it goes back, by the worker
            if await payment_jobs.refund_unbooked(self.db, self.salon.id, paid.intent_id):
                self.wake_worker()
            self.render_page("public/book_paid_late.html", 409)
            return
        if paid.appointment_id is None:  # a card saved after its time was given up: nothing was paid
            self.render_page("public/book_again.html", 409)
            return
        if paid.booked_now:
            self.wake_worker()
        token = links.sign("manage", paid.appointment_id, (await self.application.links()).secret)
        self.redirect(f"{paths.MANAGE(token=token)}?done=booked", status=303)
