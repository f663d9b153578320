"""Paying a booking's deposit: Stripe's card field on our page (the card number goes from the client's browser to
Stripe only), then the page's own check, which books the time once Stripe says the payment succeeded; the signed
webhook (handlers/stripe_webhook.py) may have booked it first.

The page loads Stripe.js from --stripe_js_url: its Content-Security-Policy allows that one origin besides our own.
"""

from __future__ import annotations

import urllib.parse
import uuid

from booking import fields, links, online, paths, payments
from booking.notice_types import N_
from handlers.html import CONTENT_SECURITY_POLICY
from handlers.public.book import BookingPage

NOT_PAID = N_("The payment has not gone through. Please try again, or use another card.")


def origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class PayPage(BookingPage):
    """The deposit's amount, the time it holds, and the card field."""

    async def get(self, _slug: str, hold_id: str) -> None:
        await self.show(fields.identifier(hold_id, "hold_id"))

    async def show(self, hold_id: uuid.UUID, problem: str | None = None) -> None:
        settings = self.application.web_settings
        deposit = await online.start_deposit(self.db, self.salon, hold_id, settings.stripe_api_base)
        stripe_js = origin(settings.stripe_js_url)
        self.set_header(
            "Content-Security-Policy",
            CONTENT_SECURITY_POLICY.replace("default-src 'self'", f"default-src 'self'; script-src 'self' {stripe_js}; "
                                            f"connect-src 'self' {stripe_js} {origin(settings.stripe_api_base)}")
            .replace("frame-src 'self'", f"frame-src 'self' {stripe_js}"),
        )  # fmt: skip
        self.render_page(
            "public/book_pay.html",
            deposit=deposit,
            stripe_js_url=settings.stripe_js_url,
            paid_url=paths.BOOKING_PAID(slug=self.salon.slug, hold=hold_id),
            problem=problem or (self.gettext(NOT_PAID) if deposit.failure else None),
        )


class PaidPage(PayPage):
    """Where the card field goes once Stripe has the payment: booked (to the appointment's page) when Stripe says
    it succeeded, else the card field again with what went wrong."""

    async def get(self, _slug: str, hold_id: str) -> None:
        the_id = fields.identifier(hold_id, "hold_id")
        settings = self.application.web_settings
        paid = await online.check_deposit(self.db, self.salon, the_id, settings.stripe_api_base, self.now())
        if paid is None:
            await self.show(the_id, self.gettext(NOT_PAID))
            return
        if paid.appointment_id is None:  # paid after its time was given up: all of it goes back
            await payments.refund_unbooked(self.db, self.salon.id, paid.intent_id, settings.stripe_api_base)
            self.render_page("public/book_paid_late.html", 409)
            return
        if paid.booked_now:
            self.wake_worker()
        token = links.sign("manage", paid.appointment_id, (await self.application.links()).secret)
        self.redirect(f"{paths.MANAGE(token=token)}?done=booked", status=303)
