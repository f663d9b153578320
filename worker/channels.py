"""The ways a notification leaves: what a channel promises and how one is chosen."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from booking import fields, reasons
from booking.errors import Invalid
from worker.delivery import Delivery


class Transient(Exception):
    """Sending failed in a way that may work later; the message is for the salon to read."""


class Permanent(Exception):
    """Sending can never work for this recipient; retrying is pointless."""


class Skipped(Exception):
    """There is nothing to send on this channel (e.g. the client has no email any more)."""


class Withdrawn(Exception):
    """The job was taken from this worker before its message left (its appointment cancelled or moved, the
    job cancelled, retried or rescued): nothing was sent, and the job's newer state stands."""


class Stopping(Exception):
    """The worker is stopping and this job's message had not begun: nothing was sent, and the job goes back to
    the queue untried."""


# Awaited by a channel at the last moment before the exchange that sends a message (SMTP's MAIL FROM, the
# provider's HTTP request), with nothing else awaited in between, so after waiting for one of its connections:
# raises Withdrawn when the job is no longer this worker's to send, Stopping when the worker stops first.
# Each channel keeps to its own number of connections; the worker sets none.
Gate = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Sent:
    """What the far end said of a message it took, for the salon's job history; ``provider_id`` is its name
    for the message there (an SMS's id, which its delivery reports name)."""

    detail: str
    provider_id: str | None = None


class Channel(Protocol):
    name: str

    async def send(self, delivery: Delivery, gate: Gate) -> Sent:
        """Sends the delivery's message, passing ``gate`` right before its exchange begins; returns what the
        far end said, or raises one of the above."""

    async def close(self) -> None:
        """Drops any open connections."""


class _NoStripe:
    """Where a worker built without Stripe (a benchmark's) sends a payment job: it is tried again later."""

    name = "stripe"

    async def send(self, delivery: Delivery, gate: Gate) -> Sent:
        raise Transient("this worker cannot reach Stripe")

    async def close(self) -> None:
        """Nothing to close."""


@dataclass
class Channels:
    email: Channel
    sms: Channel
    stripe: Channel | None = None  # a payment job's (worker.money); None: payment jobs wait for another worker

    def get(self, name: str) -> Channel:
        return {"email": self.email, "sms": self.sms, "stripe": self.stripe or _NoStripe()}[name]

    async def close(self) -> None:
        await self.email.close()
        await self.sms.close()
        if self.stripe is not None:
            await self.stripe.close()


def e164(phone: str | None, region: str) -> str:
    """The number in E.164, read as client numbers are on input; one that cannot be is a permanent failure."""
    try:
        number = fields.phone(phone, "phone", region)
    except Invalid as exc:
        raise Permanent(exc.message) from None
    if number is None:
        raise Skipped(reasons.NO_PHONE)
    return number
