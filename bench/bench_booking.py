"""How fast a booking answers: the product beside its floor and its ceiling.

    .venv/bin/python -m bench.bench_booking

Starts PostgreSQL (embedded, or BENCH_DATABASE_URL / TEST_DATABASE_URL), an
SMTP server that takes 3 s per message, the product (`server.py`, worker on)
and the reference servers of bench/reference.py, then books appointments
over HTTP with 1 and 20 concurrent clients and prints a Markdown table.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
import uuid
from dataclasses import dataclass

import tornado.httpclient

from bench.support import (
    SlowMailbox,
    free_port,
    fresh_database,
    postgres_server,
    process,
    smtp_server,
    summary,
    table,
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
    base_url: str, salon: Salon, staff_id: uuid.UUID, target: str, concurrency: int, count: int
) -> tuple[list[float], float]:
    """Books ``count`` distinct half-hour slots with ``concurrency`` clients; returns latencies and wall time."""
    client = tornado.httpclient.AsyncHTTPClient(force_instance=True, max_clients=concurrency)
    first = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0) + dt.timedelta(days=30)
    slots = iter(range(count))
    latencies: list[float] = []

    async def one_client() -> None:
        for index in slots:
            path, body = request_for(target, salon, staff_id, first + dt.timedelta(minutes=30 * index))
            started = time.perf_counter()
            response = await client.fetch(
                base_url + path,
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


async def measure(db: Database, salon: Salon, urls: dict[str, str]) -> list[list[object]]:
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


async def main() -> None:
    with (
        postgres_server() as server_url,
        fresh_database(server_url) as url,
        smtp_server(SlowMailbox(SMTP_DELAY)) as smtp_port,
    ):
        db, salon = await prepare(url)
        product_port, reference_port = free_port(), free_port()
        product_args = [
            "server.py",
            f"--database_url={url}",
            f"--direct_database_url={url}",  # LISTEN, as on a PostgreSQL without a pooler
            "--smtp_host=127.0.0.1",
            f"--smtp_port={smtp_port}",
            f"--port={product_port}",
            "--api_rate=1000000",  # counted in its bucket like any request, never refused: 2,000 bookings in 3 s
            "--logging=warning",
        ]
        reference_args = [
            "bench/reference.py",
            f"--database_url={url}",
            f"--smtp_port={smtp_port}",
            f"--port={reference_port}",
            "--logging=warning",
        ]
        with (
            process(product_args, f"http://127.0.0.1:{product_port}/healthz", log_name="product"),
            process(reference_args, f"http://127.0.0.1:{reference_port}/healthz", log_name="reference"),
        ):
            urls = {"product": f"http://127.0.0.1:{product_port}"} | dict.fromkeys(
                ("ceiling", "floor"), f"http://127.0.0.1:{reference_port}"
            )
            rows = await measure(db, salon, urls)
        await db.close()
    print()
    print(table(["target", "clients", "bookings", "p50 ms", "p99 ms", "bookings/s"], rows))
    print()
    print("\n".join(verdict(rows)))


if __name__ == "__main__":
    asyncio.run(main())
