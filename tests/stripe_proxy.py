"""A fault between the worker and localstripe, on the tests' side: an HTTP proxy that passes every request on,
except that the first one that moves money (a PaymentIntent or a refund made) has its answer kept. localstripe
has answered, so the money moved; the proxy says so (``answered``) and never hands that answer on, so the test can
SIGKILL the worker between Stripe's answer and our record, the crash the rescue and the key must put right."""

from __future__ import annotations

import asyncio

from tornado.httpclient import AsyncHTTPClient, HTTPClientError
from tornado.httpserver import HTTPServer
from tornado.web import Application, RequestHandler

from tests.processes import free_port

MOVES_MONEY = ("/v1/payment_intents", "/v1/refunds")  # the POSTs that make one (not a confirm, not a cancel)
PASSED_ON = ("Content-Type", "Request-Id", "Idempotency-Key", "Stripe-Version")


class _Forward(RequestHandler):
    def initialize(self, proxy: StripeProxy) -> None:
        self.proxy = proxy
        self.gone: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def on_connection_close(self) -> None:
        if not self.gone.done():
            self.gone.set_result(None)

    async def _forward(self) -> None:
        request = self.request
        headers = {k: v for k, v in request.headers.get_all() if k.lower() not in ("host", "content-length")}
        try:
            answer = await AsyncHTTPClient().fetch(
                f"{self.proxy.target}{request.uri}", method=request.method, headers=headers,
                body=request.body if request.method in ("POST", "PUT", "PATCH") else None,
                allow_nonstandard_methods=True, decompress_response=True,
            )  # fmt: skip
        except HTTPClientError as error:
            if error.response is None:
                raise
            answer = error.response
        if request.method == "POST" and request.path in MOVES_MONEY and not self.proxy.answered.is_set():
            self.proxy.kept.append(answer.body)
            self.proxy.answered.set()
            await self.gone  # the worker is killed with the answer unread: what follows writes to a closed stream
            return
        self.set_status(answer.code)
        for name in PASSED_ON:
            if name in answer.headers:
                self.set_header(name, answer.headers[name])
        self.write(answer.body)

    get = post = delete = _forward


class StripeProxy:
    """``api_base`` for the worker's --stripe_api_base; ``answered`` is set once a money-moving answer is kept."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.port = free_port()
        self.api_base = f"http://127.0.0.1:{self.port}"
        self.answered = asyncio.Event()
        self.kept: list[bytes] = []
        self.server = HTTPServer(Application([(r".*", _Forward, {"proxy": self})]))
        self.server.listen(self.port, "127.0.0.1")

    async def wait_answered(self, timeout: float) -> None:
        await asyncio.wait_for(self.answered.wait(), timeout)

    def stop(self) -> None:
        self.server.stop()
