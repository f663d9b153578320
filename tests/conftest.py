"""Fixtures: a real PostgreSQL, a fresh database per test module, small factories.

By default the tests start an embedded PostgreSQL of their own in a temporary
folder; with TEST_DATABASE_URL they use that server instead (its user must be
allowed to create databases). Either way every module gets a new database,
copied from a template that the migrations built, as the product builds its
own, and drops it afterwards.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tornado.ioloop

from booking import passwords, salons
from booking.salons import NewSalon
from db import Database, migrations, scratch
from handlers.app import Salonbook, WebSettings
from handlers.app import http_server as product_http_server

ROOT = Path(__file__).resolve().parent.parent

pytest_plugins = ("tests.servers", "tests.worker_fixtures", "tests.page_fixtures", "tests.browser")

# scrypt at OWASP's cost takes a third of a second and 128 MiB per hash; the suite hashes hundreds of
# passwords. Hashes made here cost 1/128 of that: the same code, a smaller number (test_booking_passwords
# checks OWASP's cost itself). Processes the tests start (server.py) keep the product's cost.
TEST_PASSWORD_COST = passwords.Cost(n=2**10, r=8, p=1)
passwords.set_cost(TEST_PASSWORD_COST)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A server we may create databases on: TEST_DATABASE_URL or an embedded one."""
    with scratch.server() as url:
        yield url


async def upgrade(url: str) -> tuple[int, int]:
    """Runs the product's migrations on the database at ``url``: (version before, version after)."""
    db = await Database.connect(url, maxsize=1)
    try:
        return await migrations.upgrade(db)
    finally:
        await db.close()


@pytest.fixture(scope="session")
def template_database(postgres_url: str) -> Iterator[str]:
    """A database migrated from nothing, copied for each test module (faster than migrating each time)."""
    with scratch.database(postgres_url, "salonbook_template") as url:
        asyncio.run(upgrade(url))
        yield scratch.name_of(url)


@pytest.fixture(scope="module")
def database_url(postgres_url: str, template_database: str) -> Iterator[str]:
    """A new database with the schema, for this test module only."""
    with scratch.database(postgres_url, "salonbook_test", template=template_database) as url:
        yield url


@pytest.fixture
def db(io_loop: tornado.ioloop.IOLoop, database_url: str) -> Iterator[Database]:
    database = io_loop.run_sync(lambda: Database.connect(database_url, maxsize=20))
    # The limits live in the database now: each test starts with fresh ones, as each test's application did
    # when they lived in its memory.
    io_loop.run_sync(lambda: database.execute("DELETE FROM rate_buckets; DELETE FROM login_tallies"))
    yield database
    io_loop.run_sync(database.close)


@pytest.fixture
def make_salon(db: Database):
    """Creates a salon with an owner and an API token: ``await make_salon(timezone=...)``.

    Without quiet hours unless ``quiet_hours=True`` (a new salon's own: 21:00 to 08:00), so a test's
    reminders go whatever the hour it runs at; the quiet-hours tests set theirs.
    """

    async def make(*, quiet_hours: bool = False, **fields: str) -> NewSalon:
        tag = uuid.uuid4().hex[:8]
        values = {
            "name": f"Salon {tag}",
            "timezone": "Europe/London",
            "owner_email": f"owner-{tag}@example.com",
            "owner_password": "correct horse battery",
            "address": "1 High Street, Bath",
        } | fields
        new = await salons.create_salon(db, **values)
        if quiet_hours:
            return new
        await db.execute("UPDATE salons SET quiet_start = NULL, quiet_end = NULL WHERE id = %s", (new.salon.id,))
        return dataclasses.replace(new, salon=dataclasses.replace(new.salon, quiet_hours=None))

    return make


@pytest.fixture
def web_settings(request: pytest.FixtureRequest) -> WebSettings:
    """The web application's settings: a small body cap, or a test's own (``indirect`` parametrisation)."""
    return getattr(request, "param", WebSettings(max_body_size=16 * 1024))


@pytest.fixture
def app(db: Database, web_settings: WebSettings) -> Salonbook:
    """The web application without a worker: jobs stay queued for the test to inspect."""
    return Salonbook(db=db, cookie_secret="test-cookie-secret", settings=web_settings)


@pytest.fixture
def http_server(app: Salonbook, io_loop: tornado.ioloop.IOLoop, http_server_port):
    """``app`` behind the HTTP server server.py builds (its limits, --xheaders), on pytest-tornasync's port."""
    server = product_http_server(app)
    server.add_socket(http_server_port[0])
    yield server
    server.stop()
    io_loop.run_sync(server.close_all_connections, timeout=30)


@pytest.fixture
def api(http_server_client):
    """``await api("POST", "/appointments", token, {...})`` -> (status, parsed JSON body);
    with ``headers=True`` also the Link header (or None)."""

    async def call(
        method: str, path: str, token: str | None, body: Any = None, *, raw: bytes | None = None, headers: bool = False
    ):
        sent = {"Content-Type": "application/json"}
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        if data is None and method in ("POST", "PATCH", "PUT"):
            data = b""
        response = await http_server_client.fetch(
            "/api/v1" + path,
            method=method,
            headers=sent,
            body=data,
            raise_error=False,
            allow_nonstandard_methods=True,
        )
        payload = json.loads(response.body) if response.body else None
        if headers:
            return response.code, payload, response.headers.get("Link")
        return response.code, payload

    return call


# --- lanes -------------------------------------------------------------------------------------------------
# Every test is in one lane: its own mark (a module that starts servers by itself says `db`), else from what
# it uses: `deploy` (nginx and several processes), `browser` (chromium), `db` (PostgreSQL, and the servers
# around it), else `unit`: no PostgreSQL, browser or network, which `make test-fast` runs in seconds.
LANES = ("unit", "db", "browser", "deploy")
NEEDS_DATABASE = {"postgres_url", "http_server_client", "smtp_server", "sms_api", "localstripe"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if any(item.get_closest_marker(lane) for lane in LANES):
            continue
        module = item.path.name
        if module == "test_deploy.py":
            lane = "deploy"
        elif module.startswith("test_browser_") or module == "test_pages_html.py":
            lane = "browser"
        elif NEEDS_DATABASE & set(getattr(item, "fixturenames", ())):
            lane = "db"
        else:
            lane = "unit"
        item.add_marker(lane)
