"""The built-in mail catcher: an SMTP server on loopback that keeps every message in the outbox.

It runs on the current asyncio loop (no thread), so it starts and stops with
the process and stores through the same database pool.
"""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import logging
import uuid

from aiosmtpd.smtp import SMTP, Envelope, Session

from db import Database
from outbox import messages
from outbox.messages import SALON_HEADER

log = logging.getLogger(__name__)


class _Keeper:
    """aiosmtpd handler: stores the message, or asks the sender to try again later."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        headers = email.parser.BytesHeaderParser(policy=email.policy.default).parsebytes(raw)
        try:
            await messages.store(
                self.db,
                salon_id=_salon_id(headers.get(SALON_HEADER)),
                channel="email",
                sender=envelope.mail_from or "",
                recipients=envelope.rcpt_tos,
                subject=str(headers.get("Subject", "")),
                message_id=headers.get("Message-ID"),
                body=raw.decode("utf-8", errors="replace"),
            )
        except Exception:
            log.exception("mail catcher could not store a message")
            return "451 4.3.0 could not store the message; try again later"
        return "250 OK"


def _salon_id(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value).strip()) if value else None
    except ValueError:
        return None


class MailCatcher:
    """An SMTP server whose mail lands in outbox_messages."""

    def __init__(self, db: Database) -> None:
        self._handler = _Keeper(db)
        self._server: asyncio.Server | None = None

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listens on ``host:port`` (0: any free port) and returns the port."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SMTP(self._handler, hostname="salonbook-outbox", loop=loop), host, port
        )
        bound: int = self._server.sockets[0].getsockname()[1]
        log.info("mail catcher listening on %s:%d", host, bound)
        return bound

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
