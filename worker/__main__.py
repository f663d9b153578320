"""A worker-only process: ``python -m worker --database_url=... [--smtp_host=...]``.

Takes the same options as server.py (config.py). Without --smtp_host, mail
goes to a mail catcher of this process's own, so it still lands in the outbox.
Stops cleanly on SIGINT/SIGTERM: unsent claims go back to pending.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

import tornado.options

import config
from config import options
from db import Database
from db.embedded import EmbeddedPostgres
from db.schema import apply_schema
from outbox.catcher import MailCatcher
from worker import Worker, WorkerSettings, build_channels

log = logging.getLogger("worker")


async def run() -> None:
    loop = asyncio.get_running_loop()
    embedded = None if options.database_url else EmbeddedPostgres(options.data_dir)
    url = options.database_url or await loop.run_in_executor(None, embedded.start)  # type: ignore[union-attr]
    db = await Database.connect(url, maxsize=options.concurrency + 2)
    catcher = None
    try:
        await apply_schema(db)
        outbox_port = None
        if not options.smtp_host:
            catcher = MailCatcher(db)
            outbox_port = await catcher.start()
        worker = Worker(db, url, WorkerSettings.from_options(options), build_channels(options, db, outbox_port))
        await worker.start()
        stopping = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stopping.set)
        await stopping.wait()
        log.info("stopping")
        await worker.stop()
    finally:
        if catcher is not None:
            await catcher.stop()
        await db.close()
        if embedded is not None:
            await loop.run_in_executor(None, embedded.stop)


def main() -> int:
    try:
        config.parse(sys.argv)
    except tornado.options.Error as exc:
        print(f"python -m worker: {exc}", file=sys.stderr)
        return 2
    asyncio.run(run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
