"""A web process that is told to stop (SIGTERM) stops listening at once, answers every request it has begun,
then closes its idle connections and exits 0: the process's half of a rolling restart behind nginx."""

from __future__ import annotations

import asyncio
import http.client
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from tornado.netutil import bind_sockets

from booking.salons import NewSalon
from handlers.app import Salonbook, http_server
from tests.conftest import ROOT
from tests.processes import clean_env, free_port, wait_for_health


@pytest.fixture
def web_process(database_url: str, tmp_path: Path) -> Iterator[tuple[subprocess.Popen, int, Path]]:
    """A web-only ``server.py`` on the test database that lets begun requests take up to 30 s at the stop."""
    port = free_port()
    log = tmp_path / "web.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "server.py"),
                f"--port={port}",
                f"--database_url={database_url}",
                "--worker=false",
                "--smtp_host=127.0.0.1",
                "--shutdown_timeout=30",
            ],
            env=clean_env(),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_health(port, process)
        yield process, port, log
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


def _closed_by_server(connection: http.client.HTTPConnection) -> bool:
    assert connection.sock is not None
    connection.sock.settimeout(10)
    try:
        return connection.sock.recv(1) == b""
    except ConnectionResetError:
        return True


def test_a_stopping_web_process_answers_what_it_began_and_refuses_the_rest(
    web_process: tuple[subprocess.Popen, int, Path], make_salon, io_loop
) -> None:
    process, port, log = web_process
    salon: NewSalon = io_loop.run_sync(make_salon)

    idle = http.client.HTTPConnection("127.0.0.1", port, timeout=10)  # kept alive, between requests at the stop
    idle.request("GET", "/login")
    login_page = idle.getresponse()
    login_page.read()
    xsrf = login_page.headers["Set-Cookie"].split(";")[0].removeprefix("_xsrf=")

    begun = http.client.HTTPConnection("127.0.0.1", port, timeout=30)  # a login: a password check takes a while
    form = {"email": salon.owner.email, "password": "correct horse battery", "_xsrf": xsrf}
    begun.request(
        "POST",
        "/login",
        urllib.parse.urlencode(form),
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"_xsrf={xsrf}"},
    )
    connected = http.client.HTTPConnection("127.0.0.1", port, timeout=10)  # as nginx: connected, request to come
    connected.connect()

    process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 10
    while not _refused(port):
        assert time.monotonic() < deadline, "still taking new connections 10 s after SIGTERM"
        time.sleep(0.02)
    assert process.poll() is None, "refusing new connections, while the ones it has wait for their answers"

    logged_in = begun.getresponse()
    assert logged_in.status == 303, logged_in.read()
    assert "session=" in (logged_in.headers["Set-Cookie"] or "")
    # Nothing else is begun now; the connected one's request is still owed its answer.
    connected.request("GET", "/healthz")
    health = connected.getresponse()
    assert health.status == 200, health.read()
    health.read()

    assert _closed_by_server(idle), "an idle kept-alive connection is closed once the answers are out"
    assert _closed_by_server(connected)
    assert process.wait(timeout=30) == 0, log.read_text()
    assert "cut short" not in log.read_text()


async def test_connections_queued_when_the_server_stops_are_answered_not_reset(app: Salonbook) -> None:
    """The kernel completes a connection before the process accepts it; stopping must not reset those."""
    server = http_server(app)
    [listening] = bind_sockets(0, "127.0.0.1")
    port = listening.getsockname()[1]
    server.add_sockets([listening])
    client = socket.create_connection(("127.0.0.1", port))  # blocking: the IOLoop has not run, nothing accepted it
    client.sendall(b"GET /healthz HTTP/1.1\r\nHost: salon\r\nConnection: close\r\n\r\n")
    server.stop()  # still without letting the IOLoop run: the connection waits in the listening socket's queue
    assert _refused(port)

    client.setblocking(False)
    loop = asyncio.get_running_loop()
    answer = b""
    while chunk := await asyncio.wait_for(loop.sock_recv(client, 65536), 10):
        answer += chunk
    client.close()
    assert answer.startswith(b"HTTP/1.1 200 "), answer[:200]
    assert await server.shut_down(5) == 0
