"""Salonbook: one process that serves the booking pages and sends the notifications.

    python server.py                      # embedded PostgreSQL + built-in mail catcher
    python server.py --database_url=...   # a real PostgreSQL (or PgBouncer in front of it: see
                                          # --direct_database_url)
    python server.py --web=false           # a worker-only process (--worker=false: web only)
    python server.py create-salon --name=... --timezone=... --owner_email=... --owner_password=...
    python server.py backup [--backup_to=FILE]   # pg_dump of the database, while it runs
    python server.py restore FILE [--force]       # into an empty database (--force: replace it)

This module only wires things together: options, PostgreSQL, the schema's
upgrade, the web application, the worker, the nightly backups and the signals
that stop them.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import signal
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any

import config
import logs
from booking import api_tokens, installation, salons
from booking.errors import BookingError
from config import options
from db import Database, backups, migrations
from db.embedded import EmbeddedPostgres
from db.listener import Listener
from db.nightly import NightlyBackups
from handlers.app import Salonbook, WebSettings, http_server
from jobqueue import queue
from outbox.catcher import CatcherAddress, MailCatcher
from worker.runner import Worker
from worker.settings import MailSettings, SmsSettings, WorkerSettings
from worker.wiring import build_channels

log = logging.getLogger("salonbook")


@contextlib.asynccontextmanager
async def postgres() -> AsyncIterator[str]:
    """The database URL: --database_url, or an embedded server stopped on exit."""
    if options.database_url:
        yield options.database_url
        return
    embedded = EmbeddedPostgres(options.data_dir)
    loop = asyncio.get_running_loop()
    url = await loop.run_in_executor(None, embedded.start)
    try:
        yield url
    finally:
        await loop.run_in_executor(None, embedded.stop)


@contextlib.asynccontextmanager
async def database(url: str, size: int) -> AsyncIterator[Database]:
    db = await Database.connect(url, maxsize=size)
    try:
        yield db
    finally:
        await db.close()


def direct(url: str) -> str:
    """The URL for what needs a session of its own (LISTEN) or may outlast a pooler's limits (upgrades, backups):
    --direct_database_url; the embedded server's own; else "" (--database_url may name PgBouncer in transaction
    mode, so nothing session-bound goes through it)."""
    return options.direct_database_url or ("" if options.database_url else url)


async def schema_ready(url: str) -> bool:
    """Upgrades the schema; False, with the reason on stderr, when this code cannot run on the database."""
    try:
        async with database(url, 1) as db:
            await migrations.upgrade(db)
    except (migrations.SchemaTooNew, migrations.NotSalonbook) as exc:
        print(f"salonbook: {exc}", file=sys.stderr)
        return False
    return True


def backups_folder() -> Path:
    return Path(options.data_dir) / "backups"


def stop_signal() -> asyncio.Event:
    """An event set by SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    return stop


async def start_mail_catcher(db: Database, stack: contextlib.AsyncExitStack) -> CatcherAddress:
    catcher = MailCatcher(db)
    address = await catcher.start("127.0.0.1", options.outbox_port)
    stack.push_async_callback(catcher.stop)
    log.info("no --smtp_host: mail is caught and shown at /outbox (SMTP on 127.0.0.1:%d)", address.port)
    return address


async def start_worker(url: str, catcher: CatcherAddress | None, stack: contextlib.AsyncExitStack) -> Worker:
    """The worker on its own small pool, so web load cannot starve it of connections; it listens for new jobs
    on the direct connection, if there is one, else it polls."""
    settings = config.load(WorkerSettings)
    worker_db = await stack.enter_async_context(database(url, settings.concurrency + 2))
    channels = build_channels(config.load(MailSettings), config.load(SmsSettings), settings, worker_db, catcher)
    worker = Worker(worker_db, direct(url), settings, channels)
    await worker.start()
    stack.push_async_callback(worker.stop)
    return worker


async def start_backups(db: Database, url: str, stack: contextlib.AsyncExitStack) -> NightlyBackups:
    nightly = NightlyBackups(db, url, backups_folder(), hour=options.backup_hour, keep=options.keep_backups)
    await nightly.start()
    stack.push_async_callback(nightly.stop)
    log.info("nightly backups at %02d:00 into %s", options.backup_hour, nightly.folder.resolve())
    return nightly


async def start_web(
    db: Database,
    url: str,
    worker: Worker | None,
    catcher: CatcherAddress | None,
    nightly: NightlyBackups | None,
    stack: contextlib.AsyncExitStack,
) -> None:
    app = Salonbook(
        db=db,
        worker=worker,
        backups=nightly,
        cookie_secret=options.cookie_secret or await installation.signing_secret(db),
        settings=config.load(WebSettings),
        outbox_enabled=catcher is not None or not options.sms_provider_url,  # mail or texts are kept
    )
    if direct(url):
        revocations = Listener(direct(url), api_tokens.TOKENS_CHANNEL, app.tokens.forget)
        revocations.start()
        stack.push_async_callback(revocations.stop)
    else:
        app.tokens.ttl = 0.0  # no LISTEN, no word of a revocation elsewhere: each request asks the database

    server = http_server(app)
    server.listen(options.port, options.address)

    async def stop_serving() -> None:
        # Not listening from here on (nginx moves on to the other processes); the requests begun finish.
        cut_short = await server.shut_down(options.shutdown_timeout)
        if cut_short:
            log.warning("%d requests still unanswered after --shutdown_timeout were cut short", cut_short)

    stack.push_async_callback(stop_serving)
    print(f"Salonbook is running: open http://{options.address}:{options.port}/", flush=True)


async def serve() -> int:
    """Web, worker or both (--web, --worker) until SIGINT/SIGTERM; the parts stop in reverse order."""
    if not (options.web or options.worker):
        print("nothing to run: --web=false and --worker=false", file=sys.stderr)
        return 2
    stop = stop_signal()
    queue.configure(config.load(queue.QueueSettings))
    async with postgres() as url:
        if not await schema_ready(direct(url) or url):
            return 2
        await serve_on(url, stop)
    log.info("stopped")
    return 0


async def serve_on(url: str, stop: asyncio.Event) -> None:
    """The parts on the database at ``url``, until ``stop`` is set."""
    async with database(url, options.pool_size) as db, contextlib.AsyncExitStack() as stack:
        # An external database's backups are its administrator's job (README).
        nightly = None if options.database_url else await start_backups(db, url, stack)
        catcher = None if options.smtp_host else await start_mail_catcher(db, stack)
        worker = await start_worker(url, catcher, stack) if options.worker else None
        if options.web:
            await start_web(db, url, worker, catcher, nightly, stack)
        else:
            print("Salonbook worker is running (no web server: --web=false)", flush=True)
        # What start-up made (modules, templates, locale data: tens of thousands of objects) lives as long as the
        # process; frozen, a full collection no longer walks it. A long read (an export) makes the collector run
        # a full collection every few seconds, and each took 25-50 ms of the IOLoop's time, 2 ms frozen.
        gc.collect()
        gc.freeze()
        await stop.wait()
        log.info("stopping: no new requests or claims; finishing what is in flight")


async def create_salon() -> int:
    async with postgres() as url:
        if not await schema_ready(direct(url) or url):
            return 2
        async with database(url, 2) as db:
            try:
                new = await salons.create_salon(
                    db,
                    name=options.name,
                    timezone=options.timezone,
                    owner_email=options.owner_email,
                    owner_password=options.owner_password,
                    country=options.country,
                    locale=options.locale,
                )
            except BookingError as exc:
                print(f"create-salon: {exc.field or 'error'}: {exc.message}", file=sys.stderr)
                return 2
    print(json.dumps({"salon_id": str(new.salon.id), "slug": new.salon.slug, "api_token": new.api_token}))
    return 0


async def backup() -> int:
    """Writes a backup of the configured (or embedded) database; prints {"backup": path, "bytes": n}."""
    target = Path(options.backup_to) if options.backup_to else backups.default_path(backups_folder())
    async with postgres() as url:
        try:
            made = await backups.dump(direct(url) or url, target)
        except backups.BackupFailed as exc:
            print(f"backup: {exc}", file=sys.stderr)
            return 1
    print(json.dumps({"backup": str(made.path), "bytes": made.bytes}))
    return 0


async def restore(path: str) -> int:
    """Restores a backup into the configured (or embedded) database; the next start upgrades it."""
    async with postgres() as url, database(url, 2) as db:
        try:
            restored = await backups.restore(
                db, direct(url) or url, Path(path), force=options.force, copies=backups_folder()
            )
        except backups.RestoreRefused as exc:
            print(f"restore: {exc}", file=sys.stderr)
            return 2
        except backups.BackupFailed as exc:
            print(f"restore: {exc}", file=sys.stderr)
            return 1
    known = len(migrations.known())
    if restored.schema_version > known:  # restored all the same: newer code can run it
        print(f"restore: note: {migrations.SchemaTooNew(restored.schema_version, known)}", file=sys.stderr)
    copy = restored.replaced_copy
    print(
        json.dumps(
            {
                "restored": str(restored.path),
                "schema_version": restored.schema_version,
                "replaced_copy": str(copy) if copy else None,
            }
        )
    )
    return 0


# Each command and the number of arguments it takes.
COMMANDS: dict[str, tuple[Callable[..., Coroutine[Any, Any, int]], int]] = {
    "create-salon": (create_salon, 0),
    "backup": (backup, 0),
    "restore": (restore, 1),
}
USAGE = "[--option=value ...] [create-salon | backup | restore FILE]"


def main(argv: list[str]) -> int:
    try:
        rest = config.parse(argv)
    except config.Error as exc:
        print(f"{argv[0]}: {exc}", file=sys.stderr)
        return 2
    logs.keep_private()
    if not rest:
        return asyncio.run(serve())
    command, arity = COMMANDS.get(rest[0], (None, -1))
    if command is None or len(rest) - 1 != arity:
        print(f"usage: {argv[0]} {USAGE}", file=sys.stderr)
        return 2
    return asyncio.run(command(*rest[1:]))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
