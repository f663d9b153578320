"""Email over SMTP with a few reused connections (aiosmtplib).

What each attempt says is written for the salon's job history, in words a
receptionist reads ("accepted by the mail server", "the mail server refused
ann@example.com: 550 5.1.1 no such mailbox"); which server, port and session
said it goes to the log.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import os
import socket

import aiosmtplib

from booking import reasons
from worker.channels import Gate, Permanent, Sent, Skipped, Stopping, Transient, Withdrawn
from worker.delivery import Delivery
from worker.messages import render_email

log = logging.getLogger(__name__)

_TLS_PORTS = {"tls": 465}


class EmailChannel:
    """Sends each delivery as one email; keeps up to ``connections`` SMTP sessions open between sends.

    ``to_outbox`` says the server is the built-in mail catcher: only then does a message name its salon
    (the catcher files it by that header; a real mail server has no business knowing our ids).
    """

    name = "email"

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        connections: int,
        timeout: float,
        username: str = "",
        password: str = "",
        tls: str = "none",
        to_outbox: bool = False,
    ) -> None:
        if tls not in ("none", "starttls", "tls"):
            raise ValueError(f"--smtp_tls must be none, starttls or tls, not {tls!r}")
        self.host, self.port = host, port or _TLS_PORTS.get(tls, 25)
        self.sender = sender
        self.timeout = timeout
        self._envelope_from = email.utils.parseaddr(sender)[1]
        self._login = (username, password) if username else (None, None)
        self._tls = tls
        self._to_outbox = to_outbox
        # How the job history names the far end, and what it says when a message got there.
        self._server = int(to_outbox)  # which of booking.reasons.MAIL's sentences say what went wrong
        self._accepted = reasons.KEPT_IN_OUTBOX_EMAIL if to_outbox else reasons.ACCEPTED_BY_MAIL_SERVER
        self._local_hostname = socket.getfqdn()  # once, here: it may ask DNS
        self._slots = asyncio.Semaphore(connections)
        self._idle: list[aiosmtplib.SMTP] = []

    def _new_client(self) -> aiosmtplib.SMTP:
        username, password = self._login
        return aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            username=username,
            password=password,
            use_tls=self._tls == "tls",
            start_tls=self._tls == "starttls",
            timeout=self.timeout,
            local_hostname=self._local_hostname,
        )

    async def send(self, delivery: Delivery, gate: Gate) -> Sent:
        recipient = delivery.client_email
        if not recipient:
            raise Skipped(reasons.NO_EMAIL)
        utf8 = not recipient.isascii()  # such an address needs an SMTPUTF8 session, as send_message would ask
        message = render_email(delivery, self.sender, utf8=utf8, salon_header=self._to_outbox)
        options = ["SMTPUTF8", "BODY=8BITMIME"] if utf8 else []
        async with self._slots:
            if self._idle:
                try:
                    return await self._transmit(
                        self._idle.pop(), delivery, gate, message, recipient, options, reused=True
                    )
                except _IdleSessionDropped:
                    pass  # the server closed a session we kept idle: one fresh one
            return await self._transmit(self._new_client(), delivery, gate, message, recipient, options, reused=False)

    async def _transmit(
        self,
        client: aiosmtplib.SMTP,
        delivery: Delivery,
        gate: Gate,
        message: bytes,
        recipient: str,
        options: list[str],
        *,
        reused: bool,
    ) -> Sent:
        reusable = False
        server = self._server

        def said(what: str, **values: str) -> str:
            return reasons.said(reasons.MAIL[what][server], **values)

        try:
            async with asyncio.timeout(self.timeout):
                if not client.is_connected:
                    await client.connect()
                await gate()  # after waiting for a session and connecting: the message's exchange starts next
                _, response = await client.sendmail(self._envelope_from, [recipient], message, mail_options=options)
            reusable = True
            log.info("job %s: %s:%d took the email: %s", delivery.job.id, self.host, self.port, response)
            return Sent(self._accepted)
        except (Withdrawn, Stopping):
            reusable = True  # nothing was said to the server
            raise
        except aiosmtplib.SMTPRecipientsRefused as exc:
            reusable = True  # aiosmtplib reset the envelope; the session is fine
            refused = exc.recipients[0]
            self._log_failure(delivery, exc)
            raise _by_code(
                refused.code, said("recipient", recipient=recipient, said=f"{refused.code} {refused.message}")
            ) from None
        except aiosmtplib.SMTPDataError as exc:
            reusable = True
            self._log_failure(delivery, exc)
            raise _by_code(exc.code, said("message", recipient=recipient, said=f"{exc.code} {exc.message}")) from None
        except aiosmtplib.SMTPSenderRefused as exc:
            reusable = True
            self._log_failure(delivery, exc)
            # A refused sender is our configuration, not the recipient: worth retrying after a fix.
            raise Transient(said("sender", sender=exc.sender, said=f"{exc.code} {exc.message}")) from None
        except aiosmtplib.SMTPAuthenticationError as exc:
            self._log_failure(delivery, exc)
            raise Transient(said("login", said=f"{exc.code} {exc.message}")) from None
        except TimeoutError as exc:
            self._log_failure(delivery, exc)
            raise Transient(said("silent", seconds=f"{self.timeout:g}")) from None
        except aiosmtplib.SMTPServerDisconnected as exc:
            if reused:
                raise _IdleSessionDropped from exc
            self._log_failure(delivery, exc)
            raise Transient(said("hung up")) from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            self._log_failure(delivery, exc)
            raise Transient(said("unreachable", why=_why(exc))) from None
        except ValueError as exc:  # aiosmtplib refuses an address it cannot send safely
            raise Permanent(reasons.said(reasons.MAIL_CANNOT_SEND, recipient=repr(recipient), why=str(exc))) from None
        finally:
            self._put_back(client, reusable)

    def _log_failure(self, delivery: Delivery, exc: BaseException) -> None:
        log.warning("job %s: email via %s:%d failed: %r", delivery.job.id, self.host, self.port, exc)

    def _put_back(self, client: aiosmtplib.SMTP, reusable: bool) -> None:
        if reusable and client.is_connected:
            self._idle.append(client)
        else:
            client.close()

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for client in idle:
            client.close()


class _IdleSessionDropped(Exception):
    pass


def _by_code(code: int, detail: str) -> Exception:
    return Permanent(detail) if code >= 500 else Transient(detail)


def _why(exc: BaseException) -> str:
    """Why a server could not be reached, without its address: the socket's error, which aiosmtplib wraps."""
    cause = exc.__cause__ if isinstance(exc, aiosmtplib.SMTPConnectError) and exc.__cause__ else exc
    if isinstance(cause, aiosmtplib.SMTPResponseException):
        return f"{cause.code} {cause.message}"
    if isinstance(cause, aiosmtplib.SMTPServerDisconnected):
        return reasons.IT_HUNG_UP
    if isinstance(cause, socket.gaierror):
        return reasons.NO_SUCH_HOST
    if isinstance(cause, OSError) and cause.errno:
        return os.strerror(cause.errno).lower()  # e.g. "connection refused"
    return str(cause) or type(cause).__name__
