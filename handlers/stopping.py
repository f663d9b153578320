"""A web server that stops without cutting a request short: the half of a rolling restart a process owns.

On SIGTERM a web process behind nginx must (1) stop listening at once, so
nginx's next connection is refused and goes to another process; (2) answer
every request it has begun; (3) then close what is left: kept-alive
connections waiting for a next request. Tornado's ``close_all_connections``
closes connections in the middle of a request too, so ``WebServer`` knows,
for each connection, whether it owes an answer.

A connection owes one from the moment it is accepted until its first answer
has gone (nginx sends its request as soon as it connects, and the bytes may
still be unread when the stop begins), and again from each later request's
headers until that answer has gone. In between it is idle.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import tornado.httpserver
from tornado import httputil, iostream
from tornado.http1connection import HTTP1ServerConnection

from handlers.relay import Relay


class WebServer(tornado.httpserver.HTTPServer):
    """Tornado's HTTPServer, plus ``shut_down``: stop listening, let begun requests finish, close the rest."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # HTTPServer is configured in ``initialize``; this runs after it
        self._owing: dict[iostream.IOStream, bool] = {}  # each open connection: does it owe an answer?
        self._unstarted: set[iostream.IOStream] = set()  # accepted, not yet asked for its first request
        self._in_flight = 0  # how many owe one
        self._quiet = asyncio.Event()  # set while none does
        self._quiet.set()

    @property
    def requests_in_flight(self) -> int:
        """Connections that owe an answer: a request begun, or a new connection whose request is on its way."""
        return self._in_flight

    def handle_stream(self, stream: iostream.IOStream, address: tuple[Any, ...]) -> None:
        self._unstarted.add(stream)
        self._mark(stream, owing=True)
        super().handle_stream(stream, address)

    def start_request(self, server_conn: object, request_conn: httputil.HTTPConnection) -> httputil.HTTPMessageDelegate:
        # Tornado asks for a delegate when a connection opens, and again once each answer has gone: from
        # then on the connection is idle until the next request's headers arrive.
        assert isinstance(server_conn, HTTP1ServerConnection)
        stream = server_conn.stream
        if stream in self._unstarted:
            self._unstarted.discard(stream)
        else:
            self._mark(stream, owing=False)
        delegate = super().start_request(server_conn, request_conn)
        return _Watched(delegate, lambda: self._mark(stream, owing=True))

    def on_close(self, server_conn: object) -> None:
        super().on_close(server_conn)
        assert isinstance(server_conn, HTTP1ServerConnection)
        self._unstarted.discard(server_conn.stream)
        self._count(self._owing.pop(server_conn.stream, False), False)

    def stop(self) -> None:
        """Stops listening; first takes every connection the kernel has already completed for us.

        Closing a listening socket resets the connections queued on it, and
        nginx may already have sent a booking down one of those: it would
        not send that again elsewhere. Taking them first leaves only the
        instant between the last ``accept`` and the ``close``.
        """
        if not self._stopped:
            for sock in list(self._sockets.values()):
                self._take_queued(sock)
        super().stop()

    async def shut_down(self, timeout: float) -> int:
        """Stops listening, waits up to ``timeout`` seconds for the requests begun, then closes every connection.

        Returns how many connections still owed an answer when they were closed (0 unless the timeout ran out).
        """
        self.stop()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._quiet.wait(), timeout)
        cut_short = self.requests_in_flight
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.close_all_connections(), timeout)
        return cut_short

    def _take_queued(self, sock: socket.socket) -> None:
        # Tornado's own accept loop (netutil.add_accept_handler), run once more by hand; the socket is
        # non-blocking, so an empty queue raises BlockingIOError.
        while True:
            try:
                connection, address = sock.accept()
            except BlockingIOError:
                return
            except ConnectionAbortedError:
                continue
            self._handle_connection(connection, address)

    def _mark(self, stream: iostream.IOStream, *, owing: bool) -> None:
        self._count(self._owing.get(stream, False), owing)
        self._owing[stream] = owing

    def _count(self, was: bool, now: bool) -> None:
        self._in_flight += int(now) - int(was)
        if self._in_flight:
            self._quiet.clear()
        else:
            self._quiet.set()


class _Watched(Relay):
    """Passes one request through to the application, telling the server when its headers arrive."""

    def __init__(self, inner: httputil.HTTPMessageDelegate, on_headers: Callable[[], None]) -> None:
        super().__init__(inner)
        self.on_headers = on_headers

    def headers_received(
        self, start_line: httputil.RequestStartLine | httputil.ResponseStartLine, headers: httputil.HTTPHeaders
    ) -> Awaitable[None] | None:
        self.on_headers()
        return super().headers_received(start_line, headers)
