"""The links a client follows from a message: signed, short enough for a text, naming one thing.

A token is the thing's id and an HMAC of it under the installation's link secret (kept in the
database, shared by every process), so no table of tokens is needed and a changed character fails.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import uuid
from dataclasses import dataclass

from booking import paths

_MAC_BYTES = 12  # 96 bits: beyond guessing, and the token stays 38 characters


def sign(purpose: str, thing: uuid.UUID, secret: str) -> str:
    """A token for ``thing`` that only works for ``purpose`` ("manage", "unsubscribe", ...)."""
    raw = thing.bytes + _mac(purpose, thing, secret)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def read(purpose: str, token: str, secret: str) -> uuid.UUID | None:
    """The id a token names, or None if it was not made by ``sign`` for ``purpose``."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    if len(raw) != 16 + _MAC_BYTES or not token.isascii():
        return None
    thing = uuid.UUID(bytes=raw[:16])
    if not hmac.compare_digest(raw[16:], _mac(purpose, thing, secret)):
        return None
    if sign(purpose, thing, secret) != token:  # one spelling per token: no padding or alphabet tricks
        return None
    return thing


def _mac(purpose: str, thing: uuid.UUID, secret: str) -> bytes:
    return hmac.new(secret.encode(), f"{purpose}:{thing}".encode(), hashlib.sha256).digest()[:_MAC_BYTES]


def absolute(public_url: str, path: str) -> str:
    """``path`` (booking.paths) at the installation's public address, as messages and the provider need it."""
    return public_url.rstrip("/") + path


@dataclass(frozen=True)
class Links:
    """The addresses messages give: the installation's public address and the key that signs them."""

    public_url: str
    secret: str

    def manage(self, appointment_id: uuid.UUID) -> str:
        """The client's page for one appointment: confirm, move or cancel it."""
        return absolute(self.public_url, paths.MANAGE(token=sign("manage", appointment_id, self.secret)))

    def unsubscribe(self, client_id: uuid.UUID) -> str:
        """Where a client turns their reminders off: one click from a mail program (RFC 8058), or a page."""
        return absolute(self.public_url, paths.UNSUBSCRIBE(token=sign("unsubscribe", client_id, self.secret)))

    def offer(self, offer_id: uuid.UUID) -> str:
        """A waitlist offer's page: the time offered, to claim it or leave the list."""
        return absolute(self.public_url, paths.OFFER(token=sign("offer", offer_id, self.secret)))

    def appointment_page(self, appointment_id: uuid.UUID | str) -> str:
        """The front desk's page of an appointment, for notices to the salon."""
        return absolute(self.public_url, paths.APPOINTMENT(id=appointment_id))
