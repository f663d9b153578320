"""The SMS provider's webhooks: a client's text (POST /sms/inbound) and a text's delivery report (POST /sms/status).

They speak the provider's format (providers/twilio.py), and its signature, keyed with --sms_auth_token over
the webhook's address under --public_url, is checked here before anything is read: a missing or wrong one is
a 403; without an auth token (no provider configured) every call is one. No login and no XSRF token: the
signature is the proof.
"""

from __future__ import annotations

import logging
import re

import tornado.web

from booking import deliveries, inbound
from booking.errors import Invalid
from handlers.base import BaseHandler
from providers import twilio

log = logging.getLogger(__name__)


class ProviderWebhook(BaseHandler):
    """A call from the SMS provider, signed; answers are JSON errors or what the provider expects."""

    def check_xsrf_cookie(self) -> None:
        """The provider has no form token: the signature, checked in ``prepare``, stands for it."""

    async def prepare(self) -> None:
        await super().prepare()
        url = f"{self.application.web_settings.public_url.rstrip('/')}{self.request.path}"
        if self.request.query:
            url += f"?{self.request.query}"
        # Tornado keeps names as latin-1 text and values as the bytes that came: both back to what was signed.
        params = [
            (name.encode("latin-1"), value) for name, values in self.request.body_arguments.items() for value in values
        ]
        given = self.request.headers.get(twilio.SIGNATURE_HEADER, "")
        if not twilio.signed_by_provider(url, params, self.application.web_settings.sms_auth_token, given):
            raise tornado.web.HTTPError(403, f"{twilio.SIGNATURE_HEADER} is missing or wrong")

    def field(self, name: str, shape: re.Pattern[str]) -> str:
        """A parameter the provider always sends, checked for its shape; a missing or bad one is a 400 naming it."""
        value = self.get_body_argument(name, "").strip()
        if not shape.fullmatch(value):
            raise Invalid("{field} is missing" if not value else "{field} is not what the provider sends", name)
        return value

    def optional_field(self, name: str, shape: re.Pattern[str]) -> str | None:
        """A parameter the provider may leave out: None then; a bad one is a 400 naming it."""
        return self.field(name, shape) if self.get_body_argument(name, "").strip() else None


class InboundSms(ProviderWebhook):
    """A client texted our number: acted on (STOP, START, HELP, CONFIRM) or kept for the inbox; answered in
    TwiML, with a <Message> when there is something to say back."""

    async def post(self) -> None:
        sender = self.field("From", twilio.SENDER)
        message_sid = self.optional_field("MessageSid", twilio.MESSAGE_SID)
        text = inbound.IncomingText(sender, self.get_body_argument("Body", ""), message_sid)
        received = await inbound.receive(self.db, text, links=await self.application.links())
        log.info("text %s: %s", received.id, received.action)
        self.set_header("Content-Type", "text/xml; charset=UTF-8")
        self.finish(twilio.twiml(received.reply))


class SmsStatus(ProviderWebhook):
    """How a text we sent is doing: kept on its attempt (never going back), 21610 opting the number out."""

    async def post(self) -> None:
        message_sid = self.field("MessageSid", twilio.MESSAGE_SID)
        code = self.get_body_argument("ErrorCode", "").strip()
        report = deliveries.Report(
            message_sid,
            self.get_body_argument("MessageStatus", "").strip().lower(),
            int(code) if code.isascii() and code.isdigit() and len(code) < 9 else None,
        )
        if not await deliveries.reported(self.db, report, self.optional_field("To", twilio.SENDER)):
            log.info("text %s: status %r kept as it was", message_sid, report.status)
        self.set_status(204)
        self.finish()
