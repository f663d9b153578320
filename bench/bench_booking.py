"""How fast a booking answers: the product beside its floor and its ceiling.

    .venv/bin/python -m bench.bench_booking [--processes=3] [--pgbouncer]

Starts PostgreSQL (embedded, or BENCH_DATABASE_URL / TEST_DATABASE_URL), an
SMTP server that takes 3 s per message, the product (`server.py`, worker on)
and the reference servers of bench/reference.py, then books appointments
over HTTP with 1 and 20 concurrent clients and prints a Markdown table.

``--processes=N`` runs the product as README's "Running it for real" does: N
web processes (``--worker=false``) and one worker process (``--web=false``),
the clients' requests taking turns among the web processes (as nginx's
upstream does). ``--pgbouncer`` puts Debian's PgBouncer in transaction mode
between the product and PostgreSQL (``--database_url`` through it,
``--direct_database_url`` to PostgreSQL itself, for LISTEN and upgrades); the
reference servers stay connected directly.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import itertools
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import tornado.httpclient

from bench.support import (
    ROOT,
    SlowMailbox,
    free_port,
    fresh_database,
    pgbouncer,
    postgres_server,
    process,
    smtp_server,
    summary,
    table,
    through_pgbouncer,
)
from booking import clients, salons, services, staff
from booking.models import ClientDetails, ServiceDetails, StaffDetails
from db import Database
from db.migrations import upgrade

SMTP_DELAY = 3.0
# (concurrency, requests) per target; the floor waits for SMTP on every booking, so it gets few.
RUNS = {"product": [(1, 500), (20, 2000)], "ceiling": [(1, 500), (20, 2000)], "floor": [(1, 3), (20, 40)]}
WARMUP = 50


@dataclass(frozen=True)
class Salon:
    id: uuid.UUID
    token: str
    client_id: uuid.UUID
    service_id: uuid.UUID


async def prepare(url: str) -> tuple[Database, Salon]:
    db = await Database.connect(url)
    await upgrade(db)
    new = await salons.create_salon(
        db,
        name="Bench Salon",
        timezone="Europe/London",
        owner_email="bench@example.com",
        owner_password="benchmark!",
    )
    client = await clients.create_client(
        db, new.salon.id, ClientDetails(first_name="Ann", email="ann@example.com", opted_in_reminders=True)
    )
    service = await services.create_service(db, new.salon.id, ServiceDetails(name="Cut", duration_minutes=30))
    return db, Salon(new.salon.id, new.api_token, client.id, service.id)


def request_for(target: str, salon: Salon, staff_id: uuid.UUID, start: dt.datetime) -> tuple[str, dict]:
    """The URL path and body one booking takes on ``target``."""
    if target == "product":
        return "/api/v1/appointments", {
            "clientId": str(salon.client_id),
            "staffId": str(staff_id),
            "serviceId": str(salon.service_id),
            "startTime": start.isoformat(),
        }
    return f"/{target}", {
        "salon": str(salon.id),
        "client": str(salon.client_id),
        "staff": str(staff_id),
        "service": str(salon.service_id),
        "start": start.isoformat(),
    }


async def load(
    base_urls: Sequence[str], salon: Salon, staff_id: uuid.UUID, target: str, concurrency: int, count: int
) -> tuple[list[float], float]:
    """Books ``count`` distinct half-hour slots with ``concurrency`` clients, the requests taking turns among
    ``base_urls``; returns latencies and wall time."""
    client = tornado.httpclient.AsyncHTTPClient(force_instance=True, max_clients=concurrency)
    servers = itertools.cycle(base_urls)
    first = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0) + dt.timedelta(days=30)
    slots = iter(range(count))
    latencies: list[float] = []

    async def one_client() -> None:
        for index in slots:
            path, body = request_for(target, salon, staff_id, first + dt.timedelta(minutes=30 * index))
            started = time.perf_counter()
            response = await client.fetch(
                next(servers) + path,
                method="POST",
                body=json.dumps(body),
                headers={"Authorization": f"Bearer {salon.token}", "Content-Type": "application/json"},
                request_timeout=60,
            )
            latencies.append(time.perf_counter() - started)
            assert response.code == 201, response.body

    started = time.perf_counter()
    await asyncio.gather(*(one_client() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    client.close()
    return latencies, elapsed


async def measure(db: Database, salon: Salon, urls: dict[str, list[str]]) -> list[list[object]]:
    rows = []
    for target, runs in RUNS.items():
        for concurrency, count in runs:
            member = await staff.create_staff(db, salon.id, StaffDetails(first_name=f"{target}-{concurrency}"))
            if target != "floor":
                warm = await staff.create_staff(db, salon.id, StaffDetails(first_name=f"warm-{target}-{concurrency}"))
                await load(urls[target], salon, warm.id, target, concurrency, WARMUP)
            latencies, elapsed = await load(urls[target], salon, member.id, target, concurrency, count)
            result = summary(latencies, elapsed)
            rows.append([target, concurrency, count, result["p50_ms"], result["p99_ms"], result["per_s"]])
            print(f"  {target:8} c={concurrency:<3} {result}", flush=True)
    return rows


def verdict(rows: list[list[object]]) -> list[str]:
    by = {(row[0], row[1]): row for row in rows}
    product_1, product_20 = by["product", 1], by["product", 20]
    return [
        f"p50 at 1 client: {product_1[3]:.1f} ms (target < 10)",
        f"p99 at 1 client: {product_1[4]:.1f} ms (target < 25)",
        f"throughput at 20 clients: {product_20[5] / by['ceiling', 20][5]:.0%} of the ceiling (target >= 70 %)",
        f"p50 speed-up over the inline floor: {by['floor', 1][3] / product_1[3]:,.0f}x (target >= 100x)",
    ]


@contextlib.contextmanager
def product(url: str, direct_url: str, smtp_port: int, processes: int) -> Iterator[list[str]]:
    """The product on ``url`` (LISTEN and upgrades on ``direct_url``): one process with its worker, or
    ``processes`` web processes and a worker process; yields the web processes' base URLs."""
    common = [
        f"--database_url={url}",
        f"--direct_database_url={direct_url}",
        "--smtp_host=127.0.0.1",
        f"--smtp_port={smtp_port}",
        "--api_rate=1000000",  # counted in its bucket like any request, never refused: 2,000 bookings in 3 s
        "--logging=warning",
    ]
    ports = [free_port() for _ in range(processes)]
    with contextlib.ExitStack() as stack:
        if processes > 1:
            worker = subprocess.Popen([sys.executable, "server.py", "--web=false", *common], cwd=ROOT)
            stack.callback(worker.wait, 30)
            stack.callback(worker.terminate)
        for port in ports:
            web = [*common, f"--port={port}"] + (["--worker=false"] if processes > 1 else [])
            stack.enter_context(
                process(["server.py", *web], f"http://127.0.0.1:{port}/healthz", log_name=f"product-{port}")
            )
        yield [f"http://127.0.0.1:{port}" for port in ports]


async def main(arguments: argparse.Namespace) -> None:
    with (
        postgres_server() as server_url,
        fresh_database(server_url) as url,
        smtp_server(SlowMailbox(SMTP_DELAY)) as smtp_port,
        pgbouncer(server_url) if arguments.pgbouncer else contextlib.nullcontext("") as bouncer,
    ):
        db, salon = await prepare(url)
        reference_port = free_port()
        reference_args = [
            "bench/reference.py",
            f"--database_url={url}",
            f"--smtp_port={smtp_port}",
            f"--port={reference_port}",
            "--logging=warning",
        ]
        pooled = through_pgbouncer(url, bouncer) if bouncer else url
        with (
            product(pooled, url, smtp_port, arguments.processes) as product_urls,
            process(reference_args, f"http://127.0.0.1:{reference_port}/healthz", log_name="reference"),
        ):
            reference = [f"http://127.0.0.1:{reference_port}"]
            urls = {"product": product_urls, "ceiling": reference, "floor": reference}
            rows = await measure(db, salon, urls)
        await db.close()
    print()
    how = f"{arguments.processes} web process(es)" + (" and a worker process" if arguments.processes > 1 else "")
    print(
        f"product: {how}, " + ("through PgBouncer (transaction mode)" if arguments.pgbouncer else "connected directly")
    )
    print(table(["target", "clients", "bookings", "p50 ms", "p99 ms", "bookings/s"], rows))
    print()
    print("\n".join(verdict(rows)))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=1, help="web processes (more than 1: and a worker process)")
    parser.add_argument("--pgbouncer", action="store_true", help="the product through PgBouncer in transaction mode")
    asyncio.run(main(parser.parse_args()))
