"""The channel that moves money: a payment job's fee charged or refund made through the salon's Stripe account
(booking.payment_jobs.move), as the other channels send a message. A declined card is final; Stripe out of reach is
tried again, under the same idempotency key, and what an earlier attempt made is found before asking again."""

from __future__ import annotations

import asyncio
import uuid

from booking import payment_jobs, payments
from booking.errors import PaymentProblem
from db import Database
from worker.channels import Gate, Permanent, Sent, Skipped, Transient
from worker.delivery import Delivery


class StripeChannel:
    name = "stripe"

    def __init__(self, db: Database, api_base: str, *, connections: int) -> None:
        """``api_base``: where Stripe is (the tests: localstripe, or a proxy in front of it); ``connections``:
        payments moved at once."""
        self.db = db
        self.api_base = api_base
        self._slots = asyncio.Semaphore(connections)

    async def send(self, delivery: Delivery, gate: Gate) -> Sent:
        payment_id = uuid.UUID(str(delivery.job.payload.get("paymentId")))
        try:
            async with self._slots:
                moved = await payment_jobs.move(self.db, payment_id, self.api_base, gate=gate)
        except PaymentProblem as problem:
            raise Transient(problem.message) from None
        if moved.status == payments.PaymentStatus.SUCCEEDED:
            return Sent(moved.detail)
        if moved.status == payments.PaymentStatus.PENDING:
            raise Transient(moved.detail)
        if moved.status == payments.PaymentStatus.CANCELED:  # no longer due, or gone: nothing to move
            raise Skipped(moved.detail)
        raise Permanent(moved.detail)

    async def close(self) -> None:
        """Holds no connection: each call to Stripe has its own client."""
