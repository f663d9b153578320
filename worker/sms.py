"""SMS through a Twilio-compatible HTTP API, or kept in the outbox when no provider is set."""

from __future__ import annotations

import json
import urllib.parse

from tornado.httpclient import AsyncHTTPClient

from db import Database
from outbox import messages as outbox
from worker.channels import Permanent, Transient, e164
from worker.delivery import Delivery
from worker.messages import render_sms


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
        if response.code == 599:  # Tornado's code for "no HTTP answer at all"
            raise Transient(f"cannot reach the SMS provider: {response.error}")
        said = _provider_message(response.body)
        if 200 <= response.code < 300:
            return f"accepted by the SMS provider for {to}{': ' + said if said else ''}"
        detail = f"SMS provider answered HTTP {response.code}{': ' + said if said else ''} for {to}"
        if response.code >= 500 or response.code == 429:
            raise Transient(detail)
        raise Permanent(detail)

    async def close(self) -> None:
        """Nothing to close: Tornado's shared HTTP client belongs to the IOLoop."""


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
        return f"kept in the outbox for {to} (no SMS provider configured)"

    async def close(self) -> None:
        """Nothing to close: the database pool belongs to the caller."""
