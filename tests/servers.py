"""Real servers for the worker's tests: an SMTP server and a Twilio-like SMS API, on the test's loop.

Both can be told how to answer (accept, delay, refuse with 4xx or 5xx, be
down) and record what they received. The SMS API also plays the provider's
other half: it posts signed webhooks (a client's text, a delivery report) to
the product, as Twilio would.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import contextlib
import email.parser
import email.policy
import hashlib
import hmac
import json
import secrets
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
import tornado.httpserver
import tornado.ioloop
import tornado.testing
import tornado.web
from aiosmtpd.smtp import SMTP, Envelope, Session
from tornado.httpclient import AsyncHTTPClient, HTTPResponse

from db import Database
from handlers.app import Salonbook, WebSettings

AUTH_TOKEN = "secret"  # the provider's auth token: the worker's fixtures log in with it, webhooks are signed with it


class Count:
    """How many times something began (a message's DATA, a text's request): a test lines a race up on it."""

    def __init__(self) -> None:
        self.n = 0
        self._changed = asyncio.Event()

    def add(self) -> None:
        self.n += 1
        self._changed.set()

    async def reached(self, n: int, timeout: float = 10.0) -> None:
        """Returns once ``n`` have begun; fails the test if that takes longer than ``timeout``."""
        deadline = time.monotonic() + timeout
        while self.n < n:
            left = deadline - time.monotonic()
            if left <= 0:
                pytest.fail(f"{n} expected to have begun within {timeout:g} s, {self.n} did")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), left)


class AtOnce:
    """How many of something are under way now (messages in DATA, texts' requests), and the most there were."""

    def __init__(self) -> None:
        self.now = 0
        self.most = 0

    @contextlib.contextmanager
    def one(self) -> Iterator[None]:
        self.now += 1
        self.most = max(self.most, self.now)
        try:
            yield
        finally:
            self.now -= 1


class SmtpServer:
    """aiosmtpd on the current loop (no thread), with per-recipient behaviour."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.port = 0
        self.delay = 0.0  # seconds each DATA takes
        self.hold_reply = 0.0  # seconds between keeping a message and saying so: the sender cannot know it went
        self.in_data = AtOnce()  # messages being received
        self.begun = Count()  # messages whose DATA has begun
        self._next_replies: dict[str, collections.deque[str]] = collections.defaultdict(collections.deque)
        self._always: dict[str, str] = {}
        self._server: asyncio.Server | None = None
        self._sessions: list[SMTP] = []
        self._arrived = asyncio.Event()

    # --- behaviour ---
    def refuse(self, recipient: str, reply: str) -> None:
        """Answer RCPT TO ``recipient`` with ``reply`` (e.g. '550 5.1.1 mailbox unavailable') every time."""
        self._always[recipient.lower()] = reply

    def accept(self, recipient: str) -> None:
        """Forget any refusal for ``recipient``."""
        self._always.pop(recipient.lower(), None)
        self._next_replies.pop(recipient.lower(), None)

    def refuse_next(self, recipient: str, reply: str, times: int = 1) -> None:
        """Answer the next ``times`` RCPT TO ``recipient`` with ``reply``, then accept."""
        self._next_replies[recipient.lower()].extend([reply] * times)

    # --- life ---
    async def start(self, port: int | None = None) -> int:
        loop = asyncio.get_running_loop()

        def session() -> SMTP:
            smtp = SMTP(self, hostname="test-smtp", loop=loop)
            self._sessions.append(smtp)
            return smtp

        self._server = await loop.create_server(session, "127.0.0.1", port or self.port or 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        """Down: no listener, and every open session cut."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for smtp in self._sessions:
            if smtp.transport is not None:
                smtp.transport.close()
        self._sessions.clear()
        await asyncio.sleep(0)

    # --- aiosmtpd hooks ---
    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        queued = self._next_replies.get(address.lower())
        if queued:
            return queued.popleft()
        if address.lower() in self._always:
            return self._always[address.lower()]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.begun.add()
        with self.in_data.one():
            if self.delay:
                await asyncio.sleep(self.delay)
        if server.transport is None or server.transport.is_closing():
            return "421 4.4.2 sender hung up before the end"  # never acknowledged: not delivered
        parser = email.parser.BytesParser(policy=email.policy.default)
        message = parser.parsebytes(envelope.original_content or b"")
        message.received_at = time.monotonic()  # type: ignore[attr-defined]
        self.messages.append(message)
        self._arrived.set()
        if self.hold_reply:
            await asyncio.sleep(self.hold_reply)
        return "250 OK queued"

    # --- looking ---
    def message_ids(self) -> list[str]:
        return [str(m["Message-ID"]) for m in self.messages]

    async def wait_for(self, count: int, timeout: float = 30.0) -> list[EmailMessage]:
        """Waits until ``count`` messages arrived; fails the test with what did arrive otherwise."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                pytest.fail(
                    f"expected {count} emails within {timeout:g} s, got {len(self.messages)}: "
                    f"{[m['Subject'] for m in self.messages][:10]}"
                )
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), min(left, 0.5))
        return self.messages


def twilio_signature(url: str, params: list[tuple[str, str]], auth_token: str = AUTH_TOKEN) -> str:
    """X-Twilio-Signature as Twilio documents it: HMAC-SHA1 of the URL followed by each parameter's name and
    value, sorted, keyed with the auth token, in base64. Written here apart from the product's, so the two
    check each other (and tests/test_sms_webhooks.py checks both against Twilio's own example)."""
    signed = url + "".join(name + value for name, value in sorted(params))
    return base64.b64encode(hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()).decode()


def a_number() -> str:
    """A mobile number no other test uses (tests share the module's database), one a salon in GB texts."""
    return f"+4474009{secrets.randbelow(100_000):05d}"


def app_with_provider(db: Database, port: int) -> Salonbook:
    """As server.py builds it with a provider: webhooks are signed for --public_url with --sms_auth_token."""
    settings = WebSettings(
        public_url=f"http://127.0.0.1:{port}",
        sms_provider_url="https://api.twilio.example",
        sms_auth_token=AUTH_TOKEN,
    )
    return Salonbook(db=db, cookie_secret="test-cookie-secret", settings=settings)


class SmsApi:
    """A Twilio-compatible Messages.json endpoint that records each POST, answering each text with an id of
    its own; and the webhooks Twilio sends back, signed."""

    def __init__(self) -> None:
        self.requests: list[dict[str, object]] = []
        self.sids: list[str] = []  # the id given to each text taken, in order
        self.delay = 0.0  # seconds each request takes before it is recorded and answered
        self.arrived = asyncio.Event()  # a request came in (set before the delay)
        self.begun = Count()  # requests that came in
        self.in_flight = AtOnce()  # requests not answered yet
        # Delivery reports posted to a text's StatusCallback before its request is answered: the provider can be
        # faster than the worker that is still waiting for that answer.
        self.reports_before_answering: list[str] = []
        self.next_answers: collections.deque[tuple[int, dict[str, object]]] = collections.deque()
        self.url = ""
        self._server: tornado.httpserver.HTTPServer | None = None

    async def report(self, message_sid: str, status: str, error_code: int | None = None) -> HTTPResponse:
        """Tells the product how the text went, as Twilio does: a signed POST to its StatusCallback."""
        form = self._taken(message_sid)
        params = [("MessageSid", message_sid), ("SmsSid", message_sid), ("MessageStatus", status),
                  ("SmsStatus", status), ("To", form["To"]), ("From", form["From"]), ("AccountSid", "AC123"),
                  ("ApiVersion", "2010-04-01")]  # fmt: skip
        if error_code is not None:
            params.append(("ErrorCode", str(error_code)))
        return await self.post_signed(form["StatusCallback"], params)

    def _taken(self, message_sid: str) -> dict[str, str]:
        for request in self.requests:
            if request.get("sid") == message_sid:
                form: dict[str, str] = request["form"]  # type: ignore[assignment]
                return form
        raise AssertionError(f"no text was taken as {message_sid}")

    async def text_in(self, url: str, sender: str, body: str, *, message_sid: str | None = None) -> HTTPResponse:
        """A client's text to our number, as Twilio posts it to the messaging webhook at ``url``."""
        params = [("MessageSid", message_sid or f"SM{uuid.uuid4().hex}"), ("AccountSid", "AC123"),
                  ("From", sender), ("To", "+15005550006"), ("Body", body), ("NumMedia", "0")]  # fmt: skip
        return await self.post_signed(url, params)

    @staticmethod
    async def post_signed(
        url: str, params: list[tuple[str, str]], *, signature: str | None = None, auth_token: str = AUTH_TOKEN
    ) -> HTTPResponse:
        """POSTs ``params`` as a form with X-Twilio-Signature (``signature``, or the right one for ``url``)."""
        return await AsyncHTTPClient().fetch(
            url,
            method="POST",
            body=urllib.parse.urlencode(params),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": signature or twilio_signature(url, params, auth_token),
            },
            raise_error=False,
        )

    def answer_next(self, code: int, body: dict[str, object], times: int = 1) -> None:
        self.next_answers.extend([(code, body)] * times)

    async def start(self) -> str:
        """Listens on a free port of the running loop; returns the base URL."""
        api = self

        class Messages(tornado.web.RequestHandler):
            async def post(self, account: str) -> None:
                api.arrived.set()
                api.begun.add()
                with api.in_flight.one():
                    if api.delay:
                        await asyncio.sleep(api.delay)
                form = {k: v[0] for k, v in urllib.parse.parse_qs(self.request.body.decode()).items()}
                request = {"account": account, "auth": self.request.headers.get("Authorization"), "form": form}
                api.requests.append(request)
                sid = f"SM{uuid.uuid4().hex}"
                code, body = api.next_answers.popleft() if api.next_answers else (201, {"sid": sid, "status": "queued"})
                if body.get("sid") == sid:
                    request["sid"] = sid
                    api.sids.append(sid)
                    for status in api.reports_before_answering:
                        reported = await api.report(sid, status)
                        assert reported.code == 204, reported.body
                self.set_status(code)
                self.write(json.dumps(body))

        app = tornado.web.Application([(r"/2010-04-01/Accounts/([^/]+)/Messages\.json", Messages)])
        sock, port = tornado.testing.bind_unused_port()
        self._server = tornado.httpserver.HTTPServer(app)
        self._server.add_sockets([sock])
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def wait_for(self, count: int, timeout: float = 30.0) -> list[dict[str, str]]:
        """The forms of the first ``count`` texts sent; fails the test if they do not come within ``timeout``."""
        deadline = time.monotonic() + timeout
        while len(self.requests) < count:
            if time.monotonic() > deadline:
                pytest.fail(f"expected {count} texts within {timeout:g} s, got {len(self.requests)}")
            await asyncio.sleep(0.05)
        return [request["form"] for request in self.requests[:count]]  # type: ignore[misc]

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()


@pytest.fixture
def smtp_server(io_loop: tornado.ioloop.IOLoop) -> Iterator[SmtpServer]:
    server = SmtpServer()
    io_loop.run_sync(server.start)
    yield server
    io_loop.run_sync(server.stop)


@pytest.fixture
def sms_api(io_loop: tornado.ioloop.IOLoop) -> Iterator[SmsApi]:
    api = SmsApi()
    io_loop.run_sync(api.start)
    yield api
    api.stop()
