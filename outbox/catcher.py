"""The built-in mail catcher: an SMTP server on loopback that keeps the worker's messages in the outbox.

It runs on the current asyncio loop (no thread), so it starts and stops with
the process and stores through the same database pool.

Only this process's worker may drop mail here: each catcher makes a login
when it starts, which the worker's email channel proves with SMTP AUTH. Any
other local program could otherwise file mail under whichever salon its
``X-Salonbook-Salon`` header names; without the login MAIL FROM is answered
530, with a wrong one AUTH is answered 535, and nothing is stored. The login
travels over loopback without TLS (aiosmtpd's ``auth_require_tls=False``):
whoever can read loopback traffic could read the process's memory too.
"""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import hmac
import logging
import secrets
import uuid
from dataclasses import dataclass, field

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from db import Database
from outbox import messages
from outbox.messages import SALON_HEADER

log = logging.getLogger(__name__)

_USERNAME = "salonbook-worker"


@dataclass(frozen=True)
class CatcherAddress:
    """Where this process's mail catcher listens, and the login only this process knows."""

    host: str
    port: int
    username: str
    password: str = field(repr=False)


class _AiosmtpdOwnWarning(logging.Filter):
    """aiosmtpd 1.4 logs "Session.login_data is deprecated" on every successful AUTH: its own smtp_AUTH sets
    that attribute. Nothing we do causes it, and nothing for whoever reads our log to act on."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Session.login_data is deprecated" not in record.getMessage()


_AIOSMTPD_OWN_WARNING = _AiosmtpdOwnWarning()


class _Keeper:
    """aiosmtpd handler: refuses mail from anyone who has not logged in; stores the rest, or asks to try later."""

    def __init__(self, db: Database, password: str) -> None:
        self.db = db
        self._password = password.encode()

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: object
    ) -> AuthResult:
        """aiosmtpd's authenticator: the catcher's own login, compared in constant time, and nothing else."""
        good = (
            isinstance(auth_data, LoginPassword)
            and hmac.compare_digest(auth_data.login, _USERNAME.encode())
            and hmac.compare_digest(auth_data.password, self._password)
        )
        if not good:
            log.warning("mail catcher: a login that is not the worker's was refused")
        return AuthResult(success=good, handled=False)  # handled=False: aiosmtpd answers 535 itself

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, mail_options: list[str]
    ) -> str:
        if not session.authenticated:
            log.warning("mail catcher: mail from %r without the worker's login was refused", address)
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if not session.authenticated:  # MAIL FROM already refused it; never store what might slip past
            return "530 5.7.0 Authentication required"
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
    """An SMTP server whose mail, from this process's worker only, lands in outbox_messages."""

    def __init__(self, db: Database) -> None:
        self._password = secrets.token_urlsafe(32)
        self._handler = _Keeper(db, self._password)
        self._server: asyncio.Server | None = None

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> CatcherAddress:
        """Listens on ``host:port`` (0: any free port); returns where, with the login the worker must use."""
        loop = asyncio.get_running_loop()
        logging.getLogger("mail.log").addFilter(_AIOSMTPD_OWN_WARNING)  # added once, however many catchers
        self._server = await loop.create_server(
            lambda: SMTP(
                self._handler,
                hostname="salonbook-outbox",
                loop=loop,
                authenticator=self._handler.authenticate,
                auth_require_tls=False,  # loopback only; see the module's docstring
            ),
            host,
            port,
        )
        bound: int = self._server.sockets[0].getsockname()[1]
        log.info("mail catcher listening on %s:%d", host, bound)
        return CatcherAddress(host, bound, _USERNAME, self._password)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
