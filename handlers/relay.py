"""A request's delegate that passes everything on: the base of those that stand in front of the application's."""

from __future__ import annotations

from collections.abc import Awaitable

from tornado import httputil


class Relay(httputil.HTTPMessageDelegate):
    """Hands each part of one request to ``inner``; a subclass overrides only what it watches."""

    def __init__(self, inner: httputil.HTTPMessageDelegate) -> None:
        self.inner = inner

    def headers_received(
        self, start_line: httputil.RequestStartLine | httputil.ResponseStartLine, headers: httputil.HTTPHeaders
    ) -> Awaitable[None] | None:
        return self.inner.headers_received(start_line, headers)

    def data_received(self, chunk: bytes) -> Awaitable[None] | None:
        return self.inner.data_received(chunk)

    def finish(self) -> None:
        self.inner.finish()

    def on_connection_close(self) -> None:
        self.inner.on_connection_close()
