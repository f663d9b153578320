"""A body declared larger than the product takes is refused as soon as the headers are in, never read.

The HTTPServer's own cap (``max_body_size``, the same figure) would close the
connection with a bare 400 and no words; ``BodyLimit`` answers first, with
the API's JSON 413, then takes the connection from Tornado: the body is
neither read into memory nor waited for.
"""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Awaitable

from tornado import gen, httputil, iostream
from tornado.http1connection import HTTP1Connection

from handlers.relay import Relay

log = logging.getLogger(__name__)

# After answering, what the client still sends is read and dropped for a moment before closing: closing
# with unread data resets the connection, and a client still sending could lose the answer.
LINGER_SECONDS = 2.0
LINGER_BYTES = 1024 * 1024


def declared_length(headers: httputil.HTTPHeaders) -> int | None:
    """The body's length as its Content-Length says; None when there is none, or none Tornado would accept."""
    value = headers.get("Content-Length", "").strip()
    return int(value) if value.isdigit() else None


class BodyLimit(Relay):
    """Stands in front of the application's delegate for one request; refuses a declared body over ``limit``."""

    def __init__(self, inner: httputil.HTTPMessageDelegate, connection: httputil.HTTPConnection, limit: int) -> None:
        super().__init__(inner)
        self.connection = connection
        self.limit = limit

    def headers_received(
        self, start_line: httputil.RequestStartLine | httputil.ResponseStartLine, headers: httputil.HTTPHeaders
    ) -> Awaitable[None] | None:
        declared = declared_length(headers)
        if declared is None or declared <= self.limit or not isinstance(self.connection, HTTP1Connection):
            return self.inner.headers_received(start_line, headers)
        if isinstance(start_line, httputil.RequestStartLine):
            log.warning(
                "413 %s %s: a body of %d bytes, over %d", start_line.method, start_line.path, declared, self.limit
            )
        # Tornado stops reading this connection once it is detached, and waits for the answer below.
        return refuse(self.connection.detach(), self.limit)


async def refuse(stream: iostream.IOStream, limit: int) -> None:
    """Writes the 413, says that was all, drops what still comes for a moment, then closes."""
    error = {"error": {"code": "too_large", "message": f"the body is larger than {limit} bytes"}}
    body = json.dumps(error).encode()
    head = (
        "HTTP/1.1 413 Payload Too Large\r\n"
        "Content-Type: application/json; charset=UTF-8\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    try:
        await stream.write(head.encode() + body)
        stream.socket.shutdown(socket.SHUT_WR)
        deadline = stream.io_loop.time() + LINGER_SECONDS
        dropped = 0
        while dropped < LINGER_BYTES:
            chunk = await gen.with_timeout(
                deadline, stream.read_bytes(64 * 1024, partial=True), quiet_exceptions=iostream.StreamClosedError
            )
            dropped += len(chunk)
    except (iostream.StreamClosedError, TimeoutError, OSError):
        pass  # the client has gone, or had its moment
    finally:
        stream.close()
