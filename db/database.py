"""One aiopg pool with the few ways the code talks to PostgreSQL, and connections kept outside it for the worker's
statements that follow each other.

aiopg connections are in autocommit mode: a plain query is its own
transaction, and ``transaction()`` is an explicit BEGIN/COMMIT on one
connection. Rows come back as dicts.

A restart of PostgreSQL leaves dead connections in the pool. They are found
on first use: the pool is emptied and the statement is tried once more on a
fresh connection. Only a first statement is retried, so nothing can run twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any, Protocol

import aiopg
import psycopg2
import psycopg2.errors
import psycopg2.extras

log = logging.getLogger(__name__)

Row = dict[str, Any]
Params = Sequence[Any] | dict[str, Any] | None

_CONNECTION_ERRORS = (psycopg2.OperationalError, psycopg2.InterfaceError)


class DatabaseUnavailable(Exception):
    """PostgreSQL cannot be reached; the request may be tried again later."""


def _is_connection_error(exc: BaseException, conn: aiopg.Connection) -> bool:
    return isinstance(exc, _CONNECTION_ERRORS) and (conn.closed or isinstance(exc, psycopg2.InterfaceError))


class Queries(Protocol):
    """What runs a statement and reads its rows: the pool (``Database``) or a connection kept for a stream of
    statements (``KeptConnection``)."""

    async def fetch_all(self, sql: str, params: Params = None) -> list[Row]: ...


class Database:
    """A pool of connections to one database."""

    def __init__(self, pool: aiopg.Pool, dsn: str) -> None:
        self.pool = pool
        self.dsn = dsn

    @classmethod
    async def connect(cls, dsn: str, *, minsize: int = 1, maxsize: int = 10, timeout: float = 10.0) -> Database:
        pool = await aiopg.create_pool(dsn, minsize=minsize, maxsize=maxsize, timeout=timeout, enable_hstore=False)
        return cls(pool, dsn)

    def kept_connection(self) -> KeptConnection:
        """A connection of its own to this database, outside the pool, for statements that follow each other."""
        return KeptConnection(self.dsn, self.pool.timeout)

    async def close(self) -> None:
        self.pool.close()
        await self.pool.wait_closed()

    @contextlib.asynccontextmanager
    async def _cursor(
        self, first_statement: str, params: Params, *, as_dicts: bool = True
    ) -> AsyncIterator[aiopg.Cursor]:
        """A cursor on which ``first_statement`` has run, on a live connection."""
        factory = psycopg2.extras.RealDictCursor if as_dicts else None
        for retry in (True, False):
            try:
                conn = await self.pool.acquire()
            except _CONNECTION_ERRORS as exc:
                raise DatabaseUnavailable(str(exc).strip()) from exc
            except TimeoutError as exc:  # every connection stayed busy for the pool's timeout: try again shortly
                raise DatabaseUnavailable("every database connection is busy") from exc
            try:
                cur = await conn.cursor(cursor_factory=factory)
                try:
                    await cur.execute(first_statement, params)
                except _CONNECTION_ERRORS as exc:
                    if not _is_connection_error(exc, conn):
                        raise
                    conn.close()
                    await self.pool.clear()  # its neighbours died with it
                    if retry:
                        log.warning("database connection lost (%s); reconnecting", str(exc).strip())
                        continue
                    raise DatabaseUnavailable(str(exc).strip()) from exc
                try:
                    yield cur
                finally:
                    cur.close()
                return
            finally:
                await self.pool.release(conn)

    async def fetch_all(self, sql: str, params: Params = None) -> list[Row]:
        async with self._cursor(sql, params, as_dicts=False) as cur:
            return _dicts(cur, await cur.fetchall())

    async def fetch_one(self, sql: str, params: Params = None) -> Row | None:
        async with self._cursor(sql, params, as_dicts=False) as cur:
            row = await cur.fetchone()
            return None if row is None else _dicts(cur, [row])[0]

    async def fetch_row(self, sql: str, params: Params = None) -> Row:
        """The row a statement always returns, such as an INSERT ... RETURNING."""
        row = await self.fetch_one(sql, params)
        assert row is not None, f"no row from {sql}"
        return row

    async def execute(self, sql: str, params: Params = None) -> int:
        """Runs one statement; returns the number of rows it touched."""
        async with self._cursor(sql, params) as cur:
            return cur.rowcount

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiopg.Cursor]:
        """A cursor inside BEGIN ... COMMIT; any exception rolls back."""
        async with self._cursor("BEGIN", None) as cur:
            try:
                yield cur
                await cur.execute("COMMIT")
            except BaseException as exc:
                if not cur.connection.closed:
                    with contextlib.suppress(*_CONNECTION_ERRORS):
                        await cur.execute("ROLLBACK")
                if isinstance(exc, _CONNECTION_ERRORS):
                    raise DatabaseUnavailable(str(exc).strip()) from exc
                raise


class _Lost(Exception):
    """The kept connection was found dead when a statement was sent on it."""


class KeptConnection:
    """One connection kept for a stream of statements, one at a time: the worker's claims, its checks before
    sending, its records. Through the pool each statement also pays for the pool's acquire and release and a new
    cursor, more of the IOLoop's CPU than its own round trip (docs/performance.md, "fifth look").

    Connected on first use and again after it died (PostgreSQL restarted); as through the pool, a statement sent
    on a connection found dead is sent once more on a new one, and a second failure is DatabaseUnavailable.
    """

    def __init__(self, dsn: str, timeout: float) -> None:
        self._dsn = dsn
        self._timeout = timeout
        self._cursor: aiopg.Cursor | None = None
        self._turn = asyncio.Lock()

    async def fetch_all(self, sql: str, params: Params = None) -> list[Row]:
        async with self._turn:
            try:
                return await self._fetch(sql, params)
            except _Lost as lost:
                log.warning("database connection lost (%s); reconnecting", lost)
            try:
                return await self._fetch(sql, params)
            except _Lost as lost:
                raise DatabaseUnavailable(str(lost)) from lost

    async def connect(self) -> None:
        """Connects now rather than on the first statement, which then answers as soon as any other."""
        async with self._turn:
            await self._open()

    async def close(self) -> None:
        async with self._turn:
            self._forget()

    async def _fetch(self, sql: str, params: Params) -> list[Row]:
        cur = await self._open()
        try:
            await cur.execute(sql, params)
            return _dicts(cur, await cur.fetchall())
        except _CONNECTION_ERRORS as exc:
            if not _is_connection_error(exc, cur.connection):
                raise
            self._forget()
            raise _Lost(str(exc).strip()) from exc
        except (asyncio.CancelledError, TimeoutError):  # cut off mid-statement: the connection's state is unknown
            self._forget()
            raise

    async def _open(self) -> aiopg.Cursor:
        if self._cursor is None:
            try:
                conn = await aiopg.connect(self._dsn, timeout=self._timeout, enable_hstore=False)
            except (*_CONNECTION_ERRORS, TimeoutError) as exc:
                raise DatabaseUnavailable(str(exc).strip() or "the database did not answer in time") from exc
            self._cursor = await conn.cursor()
        return self._cursor

    def _forget(self) -> None:
        if self._cursor is not None:
            self._cursor.connection.close()
            self._cursor = None


def _dicts(cur: aiopg.Cursor, rows: list[tuple[Any, ...]]) -> list[Row]:
    """Rows as plain dicts, made in C: a dict cursor makes each column's entry in Python, which costs more than
    reading the rows (30 us a row of 25 columns; an export reads hundreds of thousands, on the IOLoop)."""
    assert cur.description is not None, "the statement returns rows"
    names = [column.name for column in cur.description]
    return [dict(zip(names, row, strict=True)) for row in rows]
