"""The SMS provider's protocol (Twilio's, and every provider that copies it), in one place: how a text is
asked for and answered, how a webhook is signed and answered, what its statuses and error codes mean.

Sending: POST {base}/2010-04-01/Accounts/{sid}/Messages.json, a form with To, From (or MessagingServiceSid), Body
and StatusCallback,
basic auth sid:token; the JSON answer has ``sid`` on success, ``code`` and ``message`` on errors.
Webhooks (a client's text, a delivery report) carry X-Twilio-Signature: the base64 HMAC-SHA1, keyed with the
auth token, of the webhook's URL followed by each POST parameter's name and value, sorted by name.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass
from xml.sax.saxutils import escape

SIGNATURE_HEADER = "X-Twilio-Signature"
SENDER = re.compile(r"\+?[0-9A-Za-z]{1,31}")  # a number in E.164, or a sender's name (alphanumeric)
MESSAGE_SID = re.compile(r"[0-9A-Za-z]{1,64}")

# How far a text got, by the provider's status; a status it may add later is not known.
RANKS = {
    "accepted": 0,
    "scheduled": 0,
    "queued": 1,
    "sending": 2,
    "sent": 3,
    "delivery_unknown": 4,
    "delivered": 5,
    "undelivered": 5,
    "failed": 5,
    "read": 6,
}

# The provider's error codes a salon meets, in its words (https://www.twilio.com/docs/api/errors).
ERRORS = {
    21211: "not a valid phone number",
    21408: "texts to that country are not enabled",
    21610: "the number has texted STOP",
    21614: "not a mobile number",
    30001: "the provider's queue was full",
    30002: "the SMS account is suspended",
    30003: "unreachable handset",
    30004: "blocked by the recipient or the carrier",
    30005: "unknown handset: the number may not exist",
    30006: "a landline or an unreachable carrier",
    30007: "filtered by the carrier",
    30008: "unknown error at the carrier",
}
UNSUBSCRIBED = 21610  # the provider will not text this number: it opted out with the carrier


def problem(error_code: int | None) -> str:
    """What went wrong with a text, in words with the provider's code: 'unreachable handset (30003)'."""
    if error_code is None:
        return "no reason given"
    return f"{ERRORS.get(error_code, 'error')} ({error_code})"


# --- sending ------------------------------------------------------------------


def messages_url(base_url: str, account_sid: str) -> str:
    """Where texts are asked for, under the provider's ``base_url``."""
    return f"{base_url.rstrip('/')}/2010-04-01/Accounts/{urllib.parse.quote(account_sid, safe='')}/Messages.json"


def text_request(to: str, sender: str, body: str, status_callback: str = "", *, messaging_service: str = "") -> str:
    """The form that asks for one text; ``status_callback`` is where the provider reports how it went.

    With a ``messaging_service`` (its SID, MG...) the text goes through it: the service picks the sender from its
    pool, and From is left out, as Twilio asks.
    """
    form = {"To": to} | ({"MessagingServiceSid": messaging_service} if messaging_service else {"From": sender})
    form |= {"Body": body} | ({"StatusCallback": status_callback} if status_callback else {})
    return urllib.parse.urlencode(form)


@dataclass(frozen=True)
class Answer:
    """The provider's answer to a text: its id when taken; else its error code and its own words."""

    status: int  # the HTTP status
    sid: str | None
    code: int | None
    message: str

    @property
    def taken(self) -> bool:
        return 200 <= self.status < 300

    @property
    def transient(self) -> bool:
        """Worth trying again later: the provider's trouble (5xx) or its rate limit (429)."""
        return self.status >= 500 or self.status == 429

    @property
    def said(self) -> str:
        """What the provider said, for the salon and the log: its message, or the text's id."""
        return self.message or self.sid or ""


def answer(status: int, body: bytes | None) -> Answer:
    """Reads the provider's JSON answer; anything that is not its shape reads as saying nothing."""
    try:
        data = json.loads(body or b"")
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    code = data.get("code")
    return Answer(status, str(data["sid"]) if data.get("sid") else None, code if isinstance(code, int) else None,
                  str(data.get("message") or ""))  # fmt: skip


# --- webhooks -----------------------------------------------------------------


def signature(url: str, params: Iterable[tuple[bytes, bytes]], auth_token: str) -> str:
    """What the provider signs a webhook with: the URL, then every parameter's name and value, sorted."""
    signed = url.encode() + b"".join(name + value for name, value in sorted(params))
    return base64.b64encode(hmac.new(auth_token.encode(), signed, hashlib.sha1).digest()).decode()


def signed_by_provider(url: str, params: Iterable[tuple[bytes, bytes]], auth_token: str, given: str) -> bool:
    """Whether ``given`` is the provider's signature of this call; never without an auth token.

    Twilio signs the address with or without its port, as it was configured: its own validator accepts both
    (the port written, or the scheme's default when none is; and no port), and so does this.
    """
    if not (auth_token and given):
        return False
    params = list(params)
    return any(
        hmac.compare_digest(given.encode(), signature(address, params, auth_token).encode())
        for address in _with_and_without_port(url)
    )


_DEFAULT_PORTS = {"https": 443, "http": 80}


def _with_and_without_port(url: str) -> tuple[str, str]:
    """``https://host/path`` as ``https://host:443/path`` and as itself; ``https://host:8443/path`` as itself
    and as ``https://host/path`` (what twilio-python's RequestValidator compares)."""
    parts = urllib.parse.urlsplit(url)
    port = parts.port or _DEFAULT_PORTS.get(parts.scheme)
    host = parts.netloc.rsplit(":", 1)[0] if parts.port is not None else parts.netloc
    with_port = parts._replace(netloc=f"{host}:{port}" if port else host).geturl()
    return with_port, parts._replace(netloc=host).geturl()


def twiml(reply: str | None) -> str:
    """The answer to a client's text: TwiML, with a <Message> when there is something to say back."""
    message = f"<Message>{escape(reply)}</Message>" if reply else ""
    return f'<?xml version="1.0" encoding="UTF-8"?><Response>{message}</Response>'
