"""Email over SMTP with a few reused connections (aiosmtplib)."""

from __future__ import annotations

import asyncio
import email.utils
import socket

import aiosmtplib

from worker.channels import Permanent, Skipped, Transient
from worker.delivery import Delivery
from worker.messages import render_email

_TLS_PORTS = {"tls": 465}


class EmailChannel:
    """Sends each delivery as one email; keeps up to ``connections`` SMTP sessions open between sends."""

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
    ) -> None:
        if tls not in ("none", "starttls", "tls"):
            raise ValueError(f"--smtp_tls must be none, starttls or tls, not {tls!r}")
        self.host, self.port = host, port or _TLS_PORTS.get(tls, 25)
        self.sender = sender
        self.timeout = timeout
        self._envelope_from = email.utils.parseaddr(sender)[1]
        self._login = (username, password) if username else (None, None)
        self._tls = tls
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

    async def send(self, delivery: Delivery) -> str:
        recipient = delivery.client_email
        if not recipient:
            raise Skipped("client has no email address")
        utf8 = not recipient.isascii()  # such an address needs an SMTPUTF8 session, as send_message would ask
        message = render_email(delivery, self.sender, utf8=utf8)
        options = ["SMTPUTF8", "BODY=8BITMIME"] if utf8 else []
        async with self._slots:
            if self._idle:
                try:
                    return await self._transmit(self._idle.pop(), message, recipient, options, reused=True)
                except _IdleSessionDropped:
                    pass  # the server closed a session we kept idle: one fresh one
            return await self._transmit(self._new_client(), message, recipient, options, reused=False)

    async def _transmit(
        self, client: aiosmtplib.SMTP, message: bytes, recipient: str, options: list[str], *, reused: bool
    ) -> str:
        reusable = False
        try:
            async with asyncio.timeout(self.timeout):
                if not client.is_connected:
                    await client.connect()
                _, response = await client.sendmail(self._envelope_from, [recipient], message, mail_options=options)
            reusable = True
            return f"accepted by {self.host}:{self.port} for {recipient}: {response}"
        except aiosmtplib.SMTPRecipientsRefused as exc:
            reusable = True  # aiosmtplib reset the envelope; the session is fine
            refused = exc.recipients[0]
            raise _by_code(refused.code, f"SMTP {refused.code} {refused.message} for {recipient}") from None
        except (aiosmtplib.SMTPDataError, aiosmtplib.SMTPSenderRefused) as exc:
            reusable = True
            detail = f"SMTP {exc.code} {exc.message} for {recipient}"
            # A refused sender is our configuration, not the recipient: worth retrying after a fix.
            raise (
                _by_code(exc.code, detail) if isinstance(exc, aiosmtplib.SMTPDataError) else Transient(detail)
            ) from None
        except TimeoutError:
            raise Transient(f"no answer from {self.host}:{self.port} within {self.timeout:g} s") from None
        except aiosmtplib.SMTPServerDisconnected as exc:
            if reused:
                raise _IdleSessionDropped from exc
            raise Transient(f"{self.host}:{self.port} hung up: {_describe(exc)}") from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise Transient(f"cannot talk to {self.host}:{self.port}: {_describe(exc)}") from None
        except ValueError as exc:  # aiosmtplib refuses an address it cannot send safely
            raise Permanent(f"cannot send to {recipient!r}: {exc}") from None
        finally:
            self._put_back(client, reusable)

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


def _describe(exc: BaseException) -> str:
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return f"SMTP {exc.code} {exc.message}"
    return str(exc) or type(exc).__name__
