"""Stripe's webhooks for a salon's account (POST /stripe/webhook/{slug}): signed with that salon's own webhook
secret, checked (providers/stripe.py, 5 minutes' tolerance) before anything of the body is read; a missing or
wrong signature is a 400 and changes nothing. A succeeded deposit, or a card saved (``setup_intent.succeeded``),
books its held time (booking.online.book_paid, once however often the event comes); a deposit paid after its time
was given up goes back whole (a payment job: the answer does not wait for Stripe); a failed attempt is recorded. No
login and no XSRF token: the signature is the proof.
"""

from __future__ import annotations

import logging

import tornado.web

from booking import online, payment_jobs, payments, salons, saved_cards
from handlers.base import BaseHandler
from providers import stripe

log = logging.getLogger(__name__)
SUCCEEDED = ("payment_intent.succeeded", "setup_intent.succeeded")  # the deposit paid; the card saved


class StripeWebhook(BaseHandler):
    def check_xsrf_cookie(self) -> None:
        """Stripe has no form token: the signature stands for it."""

    async def post(self, slug: str) -> None:
        salon = await salons.salon_by_slug(self.db, slug)
        keys = await payments.keys(self.db, salon.id, self.application.web_settings.stripe_api_base) if salon else None
        if salon is None or keys is None or keys.webhook_secret is None:
            raise tornado.web.HTTPError(404, "no salon takes Stripe's webhooks here")
        try:
            event = stripe.verified_event(
                self.request.body, self.request.headers.get(stripe.SIGNATURE_HEADER), keys.webhook_secret
            )
        except stripe.BadSignature as bad:
            log.warning("a Stripe webhook for salon %s refused: %s", salon.id, bad)
            raise tornado.web.HTTPError(400, "the Stripe-Signature does not verify") from None
        if event.intent_id is not None and event.type in SUCCEEDED:
            paid = await online.book_paid(self.db, salon, event.intent_id, self.now(), event.payment_method,
                                          account=keys.account)  # fmt: skip
            if paid is not None and paid.refund_due:  # paid after its time was given up: its refund is a job
                queued = await payment_jobs.refund_unbooked(self.db, salon.id, event.intent_id)
            else:
                queued = paid is not None and paid.booked_now  # the booking's notices
            if queued:
                self.wake_worker()
        elif event.intent_id is not None and event.type == "payment_intent.payment_failed":
            await payments.failed(self.db, salon.id, event.intent_id)
        elif event.intent_id is not None and event.type == "setup_intent.setup_failed":
            await saved_cards.failed(self.db, salon.id, event.intent_id)
        self.write({"received": True})
