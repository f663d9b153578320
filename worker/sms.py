"""SMS through a Twilio-compatible HTTP API, or kept in the outbox when no provider is set.

Attempt details are for the salon's job history ("accepted by the SMS provider"; a refusal in the
provider's own words); the provider's message id and address go to the log.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.parse

from tornado.httpclient import AsyncHTTPClient, HTTPClientError

from db import Database
from outbox import messages as outbox
from worker.channels import Permanent, Transient, e164
from worker.delivery import Delivery
from worker.messages import render_sms

log = logging.getLogger(__name__)


class TwilioSms:
    """POST {base}/2010-04-01/Accounts/{sid}/Messages.json with To, From, Body; basic auth sid:token."""

    name = "sms"

    def __init__(
        self, *, base_url: str, account_sid: str, auth_token: str, sender: str, region: str, timeout: float
    ) -> None:
        sid = urllib.parse.quote(account_sid, safe="")
        self.url = f"{base_url.rstrip('/')}/2010-04-01/Accounts/{sid}/Messages.json"
        self._auth = (account_sid, auth_token)
        self.sender = sender
        self.region = region
        self.timeout = timeout

    async def send(self, delivery: Delivery) -> str:
        to = e164(delivery.client_phone, self.region)
        body = urllib.parse.urlencode({"To": to, "From": self.sender, "Body": render_sms(delivery)})
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
            raise Transient(f"could not reach the SMS provider: {_why(exc)}") from None
        said = _provider_message(response.body)
        log_level = logging.INFO if 200 <= response.code < 300 else logging.WARNING
        log.log(log_level, "job %s: SMS for %s: %s answered %d %s", delivery.job.id, to, self.url, response.code, said)
        if 200 <= response.code < 300:
            return "accepted by the SMS provider"
        words = f"{said} (HTTP {response.code})" if said else f"HTTP {response.code}"
        if response.code >= 500 or response.code == 429:
            raise Transient(f"the SMS provider could not take the message to {to} for now: {words}")
        raise Permanent(f"the SMS provider refused the message to {to}: {words}")

    async def close(self) -> None:
        """Nothing to close: Tornado's shared HTTP client belongs to the IOLoop."""


def _why(exc: OSError | HTTPClientError) -> str:
    """Why the provider could not be reached, without its address: "connection refused", "timeout while connecting"."""
    if isinstance(exc, HTTPClientError):
        return (exc.message or str(exc)).lower()
    return os.strerror(exc.errno).lower() if exc.errno and exc.errno > 0 else str(exc) or type(exc).__name__


def _provider_message(body: bytes | None) -> str:
    """Twilio's JSON says ``message`` on errors and ``sid`` on success; anything else is ignored."""
    try:
        data = json.loads(body or b"")
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    return str(data.get("message") or data.get("sid") or "")


class OutboxSms:
    """With no provider configured, SMS lands in the outbox beside the caught emails."""

    name = "sms"

    def __init__(self, db: Database, *, sender: str, region: str) -> None:
        self.db = db
        self.sender = sender
        self.region = region

    async def send(self, delivery: Delivery) -> str:
        to = e164(delivery.client_phone, self.region)
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
        return "kept in the outbox (no SMS provider configured)"

    async def close(self) -> None:
        """Nothing to close: the database pool belongs to the caller."""
