"""Free times at a chain's size, and whether strangers asking for them stall everyone else.

    .venv/bin/python -m bench.bench_slots [--scale=1.0] [--samples=100] [--clients=4] [--seconds=10]

Starts PostgreSQL (embedded, or BENCH_DATABASE_URL / TEST_DATABASE_URL) and
makes a database with the real migrations, the chain of bench/chain.py
without its jobs (at --scale=1: 200 salons, 1,000,000 appointments) and a
salon at the limits: 200 staff working 09:00-18:00 Monday to Saturday, a
60-minute cut, online booking on; one day empty, the next with 20,000
appointments (100 five-minute ones each). On `server.py` (worker off, behind
--xheaders so each client can speak from an address of its own) it times,
one request at a time, `GET /api/public/{slug}/slots` for anyone on the empty
day, for anyone on the full day and for one member on the full day.

Then the stall: --clients strangers, each from its own address, ask for
anyone's free times on the full day as fast as they are answered, while a
probe asks another salon's services every 10 ms; the probe's latency beside
the same with nobody asking. Once with the limit lifted (what the search
costs), once with the product's default --public_rate (what a stranger gets).
Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import tornado.httpclient

from bench import chain
from bench.support import free_port, fresh_database, percentile, postgres_server, process, table
from booking import passwords
from db import Database
from db.migrations import upgrade

SALON = uuid.UUID("00000000-0000-0000-0000-00000000b16a")
CUT = uuid.UUID("00000000-0000-0000-0000-0000000000c1")
STAFF = 200
PER_MEMBER = 100  # five-minute appointments on the full day, one after another from 09:00: 20,000
ZONE = "Europe/London"
PROBE_EVERY = 0.01
LIFTED = 1_000_000.0  # --public_rate with the limit lifted

SALON_AT_THE_LIMITS = """
INSERT INTO salons (id, slug, name, timezone, online_booking) VALUES (%(salon)s, 'at-the-limits', 'At the limits',
                                                                      %(zone)s, true);
INSERT INTO staff (id, salon_id, first_name, last_name)
SELECT md5('limits-staff' || k)::uuid, %(salon)s, 'Stylist', lpad(k::text, 3, '0') FROM generate_series(1, %(staff)s) k;
INSERT INTO working_hours (staff_id, weekday, starts, ends)
SELECT md5('limits-staff' || k)::uuid, d, '09:00', '18:00'
  FROM generate_series(1, %(staff)s) k, generate_series(0, 5) d;
INSERT INTO services (id, salon_id, name, duration_minutes) VALUES (%(cut)s, %(salon)s, 'Cut', 60),
                                                                  (md5('limits-quick')::uuid, %(salon)s, 'Quick', 5);
INSERT INTO clients (id, salon_id, first_name) VALUES (md5('limits-client')::uuid, %(salon)s, 'Bench');
INSERT INTO appointments (salon_id, client_id, staff_id, service_id, start_time, end_time)
SELECT %(salon)s, md5('limits-client')::uuid, md5('limits-staff' || k)::uuid, md5('limits-quick')::uuid, t,
       t + interval '5 minutes'
  FROM generate_series(1, %(staff)s) k, generate_series(0, %(per_member)s - 1) i,
       LATERAL (SELECT (%(full_day)s + time '09:00' + i * interval '5 minutes') AT TIME ZONE %(zone)s AS t) times;
UPDATE salons SET online_booking = true WHERE slug = 'chain-1';
ANALYZE salons, staff, working_hours, services, clients, appointments"""


@dataclass(frozen=True)
class Days:
    empty: dt.date  # the Tuesday after next
    full: dt.date  # the Wednesday after next

    @classmethod
    def ahead(cls) -> Days:
        today = dt.datetime.now(ZoneInfo(ZONE)).date()
        tuesday = today + dt.timedelta(days=7 - today.weekday() + 7 + 1)
        return cls(tuesday, tuesday + dt.timedelta(days=1))


async def prepare(url: str, size: chain.Size, days: Days) -> None:
    """The chain without its jobs, then the salon at the limits."""
    db = await Database.connect(url)
    try:
        await upgrade(db)
    finally:
        await db.close()
    await asyncio.to_thread(chain.generate, url, size, passwords.hash_password_sync("unused"), jobs=False)
    db = await Database.connect(url)
    try:
        params = {"salon": SALON, "cut": CUT, "zone": ZONE, "staff": STAFF, "per_member": PER_MEMBER}
        await db.execute(SALON_AT_THE_LIMITS, params | {"full_day": days.full})
    finally:
        await db.close()


@contextmanager
def server(url: str, public_rate: float) -> Iterator[str]:
    port = free_port()
    args = [
        "server.py",
        f"--database_url={url}",
        f"--direct_database_url={url}",  # LISTEN, as on a PostgreSQL without a pooler
        "--worker=false",
        "--smtp_host=127.0.0.1",
        f"--port={port}",
        "--xheaders",
        f"--public_rate={public_rate}",
        "--logging=warning",
    ]
    with process(args, f"http://127.0.0.1:{port}/healthz", log_name="slots"):
        yield f"http://127.0.0.1:{port}"


class Client:
    """Timed requests, from one client address unless told another."""

    def __init__(self, base_url: str, address: str) -> None:
        self.base_url, self.address = base_url, address
        self.http = tornado.httpclient.AsyncHTTPClient(force_instance=True)

    async def get(self, path: str, address: str | None = None) -> tuple[float, int, bytes]:
        started = time.perf_counter()
        response = await self.http.fetch(
            self.base_url + path,
            headers={"X-Real-Ip": address or self.address},
            raise_error=False,
            request_timeout=120,
        )
        return time.perf_counter() - started, response.code, response.body


def slots_path(day: dt.date, staff_id: uuid.UUID | None = None) -> str:
    member = f"&staffId={staff_id}" if staff_id else ""
    return f"/api/public/at-the-limits/slots?serviceId={CUT}&date={day}{member}"


async def one_at_a_time(base_url: str, days: Days, samples: int) -> list[list[object]]:
    """p50 / p99 (ms) of each free-time search, one request at a time."""
    client = Client(base_url, "198.51.100.1")
    rows = []
    first = await first_stylist(client, days)
    for name, path in (
        ("anyone, empty day", slots_path(days.empty)),
        ("anyone, 20,000 appointments", slots_path(days.full)),
        ("one member, 20,000 appointments", slots_path(days.full, first)),
    ):
        for _ in range(3):
            await client.get(path)
        taken = []
        for _ in range(samples):
            took, code, _ = await client.get(path)
            assert code == 200, (path, code)
            taken.append(took)
        rows.append([name, f"{percentile(taken, 0.5) * 1000:,.1f}", f"{percentile(taken, 0.99) * 1000:,.1f}", samples])
    return rows


async def first_stylist(client: Client, days: Days) -> uuid.UUID:
    """The first stylist by name: anyone's first free start on the empty day is theirs."""
    _, _, body = await client.get(slots_path(days.empty))
    return uuid.UUID(json.loads(body)["slots"][0]["staffId"])


async def probe(base_url: str, seconds: float) -> list[float]:
    """Another salon's services every PROBE_EVERY seconds for ``seconds``, each from a visitor of its own (one
    address would meet the limit): their latencies."""
    client = Client(base_url, "")
    taken: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        visitor = len(taken)
        address = f"10.{visitor >> 16 & 255}.{visitor >> 8 & 255}.{visitor & 255}"
        took, code, _ = await client.get("/api/public/chain-1/services", address)
        assert code == 200, code
        taken.append(took)
        await asyncio.sleep(PROBE_EVERY)
    return taken


async def stranger(base_url: str, address: str, path: str, until: float, answers: Counter[int]) -> None:
    client = Client(base_url, address)
    while time.perf_counter() < until:
        _, code, _ = await client.get(path)
        answers[code] += 1


async def stall(
    base_url: str, days: Days, clients: int, seconds: float
) -> tuple[list[float], list[float], Counter[int]]:
    """The probe alone, then beside ``clients`` strangers asking for the full day: (alone, beside, their answers)."""
    alone = await probe(base_url, seconds)
    answers: Counter[int] = Counter()
    until = time.perf_counter() + seconds
    strangers = [
        stranger(base_url, f"198.51.100.{10 + n}", slots_path(days.full), until, answers) for n in range(clients)
    ]
    beside, _ = await asyncio.gather(probe(base_url, seconds), asyncio.gather(*strangers))
    return alone, beside, answers


def stall_rows(
    label: str, alone: list[float], beside: list[float], answers: Counter[int], seconds: float
) -> list[object]:
    def cell(values: list[float]) -> str:
        return " / ".join(f"{s * 1000:,.1f}" for s in (percentile(values, 0.5), percentile(values, 0.99), max(values)))

    told = ", ".join(f"{count / seconds:,.0f} {code}/s" for code, count in sorted(answers.items()))
    return [label, cell(alone), cell(beside), told]


async def main(arguments: argparse.Namespace) -> None:
    size, days = chain.Size.chain(arguments.scale), Days.ahead()
    print(f"chain: {size} (no jobs); salon at the limits: {STAFF} staff, {STAFF * PER_MEMBER:,} appointments on "
          f"{days.full}, none on {days.empty}", flush=True)  # fmt: skip
    with postgres_server() as server_url, fresh_database(server_url) as url:
        await prepare(url, size, days)
        stalls = []
        with server(url, LIFTED) as base_url:
            print("one at a time", flush=True)
            searches = await one_at_a_time(base_url, days, arguments.samples)
            print(f"{arguments.clients} strangers, no limit", flush=True)
            stalls.append(stall_rows("no limit", *await stall(base_url, days, arguments.clients, arguments.seconds),
                                     arguments.seconds))  # fmt: skip
        with server(url, 5.0) as base_url:
            print(f"{arguments.clients} strangers, --public_rate=5", flush=True)
            stalls.append(stall_rows("--public_rate=5 (the default)",
                                     *await stall(base_url, days, arguments.clients, arguments.seconds),
                                     arguments.seconds))  # fmt: skip
    print()
    print("GET /api/public/{slug}/slots, 200 staff, one request at a time (ms)")
    print(table(["search", "p50", "p99", "samples"], searches))
    print()
    print(f"another salon's GET /services every 10 ms, p50 / p99 / max (ms): alone, and while {arguments.clients} "
          "strangers ask for anyone's free times on the full day as fast as they are answered")  # fmt: skip
    print(table(["limit", "alone", "beside the strangers", "the strangers got"], stalls))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--scale", type=float, default=1.0, help="of the chain (1.0: 200 salons, 1,000,000 appointments)"
    )
    parser.add_argument("--samples", type=int, default=100, help="requests per search, one at a time")
    parser.add_argument("--clients", type=int, default=4, help="strangers asking at once")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long the probe runs, alone and beside them")
    asyncio.run(main(parser.parse_args()))
