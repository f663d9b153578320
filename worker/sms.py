"""SMS through a Twilio-compatible HTTP API, or kept in the outbox when no provider is set.

Attempt details are for the salon's job history ("accepted by the SMS provider"; a refusal in the
provider's own words); the provider's address goes to the log, its message id to the attempt, where the
delivery reports it sends later find it (booking.deliveries). Both channels look up the number's opt-out
just before each text: a STOP counts from the moment it commits.
"""

from __future__ import annotations

import asyncio
import logging
import os

from tornado.httpclient import AsyncHTTPClient, HTTPClientError

from booking import opt_outs, reasons, texting
from db import Database
from outbox import messages as outbox
from providers import twilio
from worker.channels import Gate, Permanent, Sent, Skipped, Transient, e164
from worker.delivery import Delivery
from worker.messages import render_sms

log = logging.getLogger(__name__)


async def _number(db: Database, delivery: Delivery, region: str) -> str:
    """The number to text, in E.164; Permanent when the salon does not text it (booking.texting: a number planned
    before the rule, or before the salon changed its countries), Skipped when it opted out of texts."""
    to = e164(delivery.client_phone, region)
    refused = texting.refusal(to, delivery.salon_sms_countries)
    if refused is not None:
        raise Permanent(reasons.said(reasons.NOT_SENT, reason=refused.message))
    since = await opt_outs.since(db, to)
    if since is not None:
        raise Skipped(reasons.said(reasons.OPTED_OUT_SKIPPED, phone=to, when=delivery.local(since)))
    return to


class TwilioSms:
    """Texts through the provider's API (providers/twilio.py), from ``sender`` or through ``messaging_service``
    when one is given, asking it to report each text's delivery at ``status_callback``; ``connections``
    requests at once."""

    name = "sms"

    def __init__(
        self,
        db: Database,
        *,
        base_url: str,
        account_sid: str,
        auth_token: str,
        sender: str,
        region: str,
        timeout: float,
        connections: int,
        status_callback: str = "",
        messaging_service: str = "",
    ) -> None:
        self.db = db
        self.url = twilio.messages_url(base_url, account_sid)
        self._auth = (account_sid, auth_token)
        self.sender = sender
        self.region = region
        self.timeout = timeout
        self.status_callback = status_callback
        self.messaging_service = messaging_service
        self._slots = asyncio.Semaphore(connections)

    async def send(self, delivery: Delivery, gate: Gate) -> Sent:
        async with self._slots:  # the opt-out and the gate are asked once a request may go
            return await self._send(delivery, gate)

    async def _send(self, delivery: Delivery, gate: Gate) -> Sent:
        to = await _number(self.db, delivery, self.region)
        body = twilio.text_request(
            to, self.sender, render_sms(delivery), self.status_callback, messaging_service=self.messaging_service
        )
        await gate()
        try:
            response = await AsyncHTTPClient().fetch(
                self.url,
                method="POST",
                body=body,
                raise_error=False,
                auth_username=self._auth[0],
                auth_password=self._auth[1],
                connect_timeout=self.timeout,
                request_timeout=self.timeout,
            )
        except (OSError, HTTPClientError) as exc:  # no HTTP answer at all: raise_error=False still raises these
            log.warning("job %s: SMS via %s failed: %r", delivery.job.id, self.url, exc)
            raise Transient(reasons.said(reasons.SMS_UNREACHABLE, why=_why(exc))) from None
        answer = twilio.answer(response.code, response.body)
        log_level = logging.INFO if answer.taken else logging.WARNING
        log.log(log_level, "job %s: SMS: %s answered %d %s", delivery.job.id, self.url, answer.status, answer.said)
        if answer.taken:
            return await self._taken(delivery, to, answer.sid)
        words = f"{answer.said} (HTTP {answer.status})" if answer.said else f"HTTP {answer.status}"
        if answer.transient:
            raise Transient(reasons.said(reasons.SMS_NOT_NOW, phone=to, said=words))
        if answer.code == twilio.UNSUBSCRIBED:
            await self._opted_out_at_the_carrier(to)
        raise Permanent(reasons.said(reasons.SMS_REFUSED, phone=to, said=words))

    async def _taken(self, delivery: Delivery, to: str, message_sid: str | None) -> Sent:
        """The provider took the text. A STOP that committed while it was on its way is said, not hidden."""
        since = await opt_outs.since(self.db, to)
        if since is None:
            return Sent(reasons.ACCEPTED_BY_SMS_PROVIDER, message_sid)
        return Sent(reasons.said(reasons.OPTED_OUT_LATE, phone=to, when=delivery.local(since)), message_sid)

    async def _opted_out_at_the_carrier(self, to: str) -> None:
        """The provider refuses the number (21610: it texted STOP to the carrier): no texts to it here either."""
        async with self.db.transaction() as cur:
            await opt_outs.opt_out(cur, to, reasons.PROVIDER_UNSUBSCRIBED)

    async def close(self) -> None:
        """Nothing to close: Tornado's shared HTTP client belongs to the IOLoop."""


def _why(exc: OSError | HTTPClientError) -> str:
    """Why the provider could not be reached, without its address: "connection refused", "timeout while connecting"."""
    if isinstance(exc, HTTPClientError):
        return (exc.message or str(exc)).lower()
    return os.strerror(exc.errno).lower() if exc.errno and exc.errno > 0 else str(exc) or type(exc).__name__


class OutboxSms:
    """With no provider configured, SMS lands in the outbox beside the caught emails."""

    name = "sms"

    def __init__(self, db: Database, *, sender: str, region: str) -> None:
        self.db = db
        self.sender = sender
        self.region = region

    async def send(self, delivery: Delivery, gate: Gate) -> Sent:
        to = await _number(self.db, delivery, self.region)
        await gate()
        await outbox.store(
            self.db,
            salon_id=delivery.job.salon_id,
            channel="sms",
            sender=self.sender,
            recipients=[to],
            subject="",
            message_id=f"<{delivery.job.id}.sms@salonbook>",
            body=render_sms(delivery),
        )
        return Sent(reasons.KEPT_IN_OUTBOX_SMS)

    async def close(self) -> None:
        """Nothing to close: the database pool belongs to the caller."""
