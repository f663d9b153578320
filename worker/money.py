"""The channel that moves money: a payment job's fee charged or refund made through the salon's Stripe account
(booking.payments.move), as the other channels send a message. A declined card is final; Stripe out of reach is
tried again, under the same idempotency key, and what an earlier attempt made is found before asking again."""

from __future__ import annotations

import logging
import os
import signal
import uuid
from collections.abc import Callable

from booking import payments
from booking.errors import PaymentProblem
from db import Database
from worker.channels import Gate, Permanent, Sent, Transient
from worker.delivery import Delivery

log = logging.getLogger(__name__)

# Test-only: the worker process kills itself (SIGKILL) right after Stripe answers and before the answer is recorded,
# the crash the rescue and the key must put right (tests/test_payments_fees.py).
KILL_AFTER_ANSWER = "SALONBOOK_TEST_KILL_AFTER_STRIPE_ANSWER"


def _killed() -> None:
    log.warning("%s is set: this worker process kills itself after Stripe's answer", KILL_AFTER_ANSWER)
    os.kill(os.getpid(), signal.SIGKILL)


class StripeChannel:
    name = "stripe"

    def __init__(self, db: Database, api_base: str, answered: Callable[[], None] | None = None) -> None:
        """``api_base``: where Stripe is (the tests: localstripe); ``answered`` runs right after each answer."""
        self.db = db
        self.api_base = api_base
        if answered is None:
            answered = _killed if os.environ.get(KILL_AFTER_ANSWER) == "1" else (lambda: None)
        self.answered = answered

    async def send(self, delivery: Delivery, gate: Gate) -> Sent:
        payment_id = uuid.UUID(str(delivery.job.payload.get("paymentId")))
        try:
            moved = await payments.move(self.db, payment_id, self.api_base, gate=gate, answered=self.answered)
        except PaymentProblem as problem:
            raise Transient(problem.message) from None
        if moved.status == payments.PaymentStatus.SUCCEEDED:
            return Sent(moved.detail)
        if moved.status == payments.PaymentStatus.PENDING:
            raise Transient(moved.detail)
        raise Permanent(moved.detail)

    async def close(self) -> None:
        """Holds no connection: each call to Stripe has its own client."""
