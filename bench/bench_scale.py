"""How the product holds up at a chain's size: every figure on a full database beside the same on an empty one.

    .venv/bin/python -m bench.bench_scale [--scale=0.01] [--samples=200] [--database_url=postgresql://...]

Starts PostgreSQL (embedded, or --database_url, BENCH_DATABASE_URL / TEST_DATABASE_URL) and
makes two databases with the real migrations: one with the chain of
bench/chain.py (at --scale=1: 200 salons, 100,000 clients, 1,000,000
appointments over two years, 3,000,000 jobs), one with the same salons, staff
and services and no history. On each it runs `server.py` (worker on, a local
SMTP sink) and times, one request at a time, as salon 1's front desk: booking
through the API, cancelling (at size with 10,000 clients on the waitlist for
other days, which the freed time's match must not wade through), then pages
that show the same rows on both databases (the day of those bookings,
searches for its own client, the jobs page filtered three ways, an
appointment's page), /healthz and /metrics; the worker's pickup
(booking -> message at the SMTP sink); at size, the nightly clean-up of the
oldest month of completed jobs with the pickup measured while it runs. The
server's RSS is sampled throughout. Last of the pages, salon 1 grows to 200
staff with split shifts, time off, a service only some of them do and a
buffer, and the booking form's free times for it are timed. With the server
stopped, it times the worker's claim. Prints a Markdown table and, last, the measure that grew most.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import functools
import json
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import tornado.httpclient
import tornado.web

from bench import chain
from bench.bench_worker import Sink
from bench.support import free_port, fresh_database, percentile, postgres_server, process, table
from booking import clients, deliveries, installation, passwords, sessions
from booking.models import ClientDetails
from booking.reports import Period
from db import Database
from db.migrations import upgrade
from jobqueue import claims

SESSION_COOKIE = "session"  # handlers/pages/base.py's
OWNER_PASSWORD = "chain owner password"  # noqa: S105
BUDGET = 15.0  # seconds at most per measure (the slow ones get fewer samples)
CLAIM_JOBS = 2000
CLEANUP_DAYS = 30  # the nightly clean-up deletes this many days of the oldest completed jobs
FAR_AHEAD = dt.timedelta(days=400)  # bookings go here, clear of the chain's own appointments
FULL_PAGE = 201  # bookings before the pages are measured: more than a jobs page shows (200)
REGULAR_VISITS = 500  # the benchmark's client's past visits: their page counts them and shows the newest
WAITING = 10_000  # clients on salon 1's waitlist at size, for other days than the cancelled ones


@dataclass(frozen=True)
class Desk:
    """Salon 1's front desk as the benchmark acts it: its token, a logged-in cookie, whom it books."""

    base_url: str
    token: str
    cookie: str
    client_id: uuid.UUID
    staff_id: uuid.UUID
    service_id: uuid.UUID
    today: dt.date


@dataclass
class Run:
    """One database's figures: latencies (s) per measure, rates per second, the server's peak RSS."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    rates: dict[str, float] = field(default_factory=dict)
    rss_mb: float = 0.0


async def prepare(url: str, size: chain.Size) -> float:
    """Migrates the database and fills it with the chain; returns the seconds generation took."""
    db = await Database.connect(url)
    try:
        await upgrade(db)
    finally:
        await db.close()
    started = time.perf_counter()
    await asyncio.to_thread(chain.generate, url, size, passwords.hash_password_sync(OWNER_PASSWORD))
    return time.perf_counter() - started


async def front_desk(db: Database, base_url: str) -> Desk:
    """Salon 1's owner logged in (a session made as a login makes it) and a client of the benchmark's own."""
    salon = await db.fetch_row("SELECT id FROM salons WHERE slug = 'chain-1'")
    owner = await db.fetch_row("SELECT id FROM users WHERE salon_id = %s", (salon["id"],))
    token = await sessions.start(db, owner["id"], client_address="127.0.0.1", user_agent="bench")
    cookie = tornado.web.create_signed_value(await installation.signing_secret(db), SESSION_COOKIE, token).decode()
    client = await clients.create_client(
        db, salon["id"], ClientDetails(first_name="Bench", last_name="Client", email="bench@example.com",
                                       opted_in_reminders=True)
    )  # fmt: skip
    picked = await db.fetch_row(
        """SELECT (SELECT id FROM staff WHERE salon_id = %(s)s ORDER BY first_name LIMIT 1) AS staff,
                  (SELECT id FROM services WHERE salon_id = %(s)s ORDER BY name LIMIT 1) AS service""",
        {"s": salon["id"]},
    )
    # A regular: a visit a week back from last week, completed, with the salon's first stylist.
    await db.execute(
        """INSERT INTO appointments (salon_id, client_id, staff_id, service_id, start_time, end_time, status)
           SELECT %(salon)s, %(client)s, %(staff)s, %(service)s, start, start + interval '1 hour', 'completed'
             FROM generate_series(1, %(visits)s) g, LATERAL (SELECT now() - g * interval '1 week' AS start) t""",
        {"salon": salon["id"], "client": client.id, "staff": picked["staff"], "service": picked["service"],
         "visits": REGULAR_VISITS},
    )  # fmt: skip
    today = dt.datetime.now(ZoneInfo(chain.TIMEZONE)).date()
    return Desk(base_url, chain.TOKEN.format(1), cookie, client.id, picked["staff"], picked["service"], today)


class Caller:
    """Sends the desk's requests, one at a time, and times them."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.http = tornado.httpclient.AsyncHTTPClient(force_instance=True)
        self.slot = 0

    async def get(self, path: str) -> float:
        headers = {"Authorization": f"Bearer {self.desk.token}", "Cookie": f"{SESSION_COOKIE}={self.desk.cookie}"}
        started = time.perf_counter()
        response = await self.http.fetch(self.desk.base_url + path, headers=headers, request_timeout=120)
        took = time.perf_counter() - started
        assert response.code == 200, (path, response.code)
        return took

    async def book_time(self) -> float:
        return (await self.book())[0]

    async def cancel_time(self) -> float:
        """Books the next free hour, then times its cancellation: the freed time's waitlist match included."""
        _, appointment = await self.book()
        started = time.perf_counter()
        response = await self.http.fetch(
            f"{self.desk.base_url}/api/v1/appointments/{appointment['id']}/cancel",
            method="POST",
            body=b"",
            headers={"Authorization": f"Bearer {self.desk.token}"},
            request_timeout=120,
        )
        took = time.perf_counter() - started
        assert response.code == 200, response.body
        return took

    async def book(self) -> tuple[float, dict[str, Any]]:
        """Books the next free hour far ahead; returns the time it took and the appointment."""
        self.slot += 1
        start = dt.datetime.combine(self.desk.today + FAR_AHEAD, dt.time(0), dt.UTC) + dt.timedelta(hours=self.slot)
        body = {
            "clientId": str(self.desk.client_id),
            "staffId": str(self.desk.staff_id),
            "serviceId": str(self.desk.service_id),
            "startTime": start.isoformat(),
        }
        started = time.perf_counter()
        response = await self.http.fetch(
            self.desk.base_url + "/api/v1/appointments",
            method="POST",
            body=json.dumps(body),
            headers={"Authorization": f"Bearer {self.desk.token}", "Content-Type": "application/json"},
            request_timeout=120,
        )
        took = time.perf_counter() - started
        assert response.code == 201, response.body
        return took, json.loads(response.body)


async def crowd_the_waitlist(db: Database, desk: Desk, entries: int = WAITING) -> None:
    """``entries`` clients waiting at salon 1 for its service, each for a week within the next two months: none
    for the far days the benchmark books, so a cancellation's match finds them all in the way and offers none."""
    await db.execute(
        """INSERT INTO waitlist_entries (salon_id, client_id, service_id, from_date, to_date, joined_at)
           SELECT c.salon_id, c.id, %(service)s, %(today)s::date + n %% 60, %(today)s::date + n %% 60 + 7,
                  now() - make_interval(secs => n)
             FROM clients c, generate_series(1, %(entries)s) AS n WHERE c.id = %(client)s""",
        {"service": desk.service_id, "today": desk.today, "entries": entries, "client": desk.client_id},
    )
    await db.execute("ANALYZE waitlist_entries")


async def own_reminders(db: Database, desk: Desk) -> int:
    """The 2-hour reminders of the benchmark's own bookings (far ahead of the chain's appointments)."""
    row = await db.fetch_row(
        """SELECT count(*) AS n FROM notification_jobs j JOIN appointments a ON a.id = j.appointment_id
            WHERE a.client_id = %s AND a.start_time >= %s AND j.type = 'reminder_2h'""",
        (desk.client_id, dt.datetime.combine(desk.today + FAR_AHEAD, dt.time(0), dt.UTC)),
    )
    return int(row["n"])


async def sample(measure: Callable[[], Awaitable[float]], samples: int) -> list[float]:
    """Up to ``samples`` timings after a short warm-up, stopping early once BUDGET seconds are spent."""
    for _ in range(3):
        await measure()
    taken: list[float] = []
    deadline = time.perf_counter() + BUDGET
    while len(taken) < samples and (len(taken) < 5 or time.perf_counter() < deadline):
        taken.append(await measure())
    return taken


def pages(desk: Desk, appointment_id: str) -> dict[str, str]:
    """The GETs measured, by name. Each shows the same rows on both databases (the benchmark's own bookings, their
    jobs, its client), so what differs is only what lies around them: the chain's two years."""
    booked_day = (desk.today + FAR_AHEAD).isoformat()
    month = Period.month(desk.today + FAR_AHEAD)  # the benchmark's own bookings' month, on both databases
    return {
        "day's appointments (API)": f"/api/v1/appointments?date={booked_day}",
        "calendar (/)": f"/?date={booked_day}",
        "a stylist's week (/?view=week)": f"/?view=week&staff={desk.staff_id}&date={booked_day}",
        "client search (API, q=bench)": "/api/v1/clients?q=bench",
        "client search (/clients?q=client)": "/clients?q=client",
        "jobs page, pending": "/jobs?status=pending",
        "jobs page, reminder_2h": "/jobs?type=reminder_2h",
        "jobs page, today": f"/jobs?date={desk.today}",
        "appointment page": f"/appointments/{appointment_id}",
        "report of a month (API)": f"/api/v1/reports?from={month.first}&to={month.last}",
        "reports page, a month": f"/reports?period=month&date={month.first}",
        f"client page, {REGULAR_VISITS} visits (/clients/ID)": f"/clients/{desk.client_id}",
        f"client with history (API, {REGULAR_VISITS} visits)": f"/api/v1/clients/{desk.client_id}",
        "/healthz": "/healthz",
        "/metrics": "/metrics",
    }


SCHEDULE_STAFF = 200  # booking.staff.MAX_STAFF: the most a salon's free times look at
SCHEDULE = "free times, 200 staff: split shifts, time off, who does what, buffers (booking form)"


async def schedule_of_200(db: Database, desk: Desk) -> str:
    """Salon 1 grown to 200 staff, each working 09:00-12:00 and 13:00-18:00, every tenth away all day, and a
    colour done by half of them (a quarter in their own 45 minutes) with a 15-minute buffer, three booked each
    that day: the booking form's free times for it, anyone free. On a day clear of the benchmark's bookings."""
    day = desk.today + FAR_AHEAD - dt.timedelta(days=30)
    salon = (await db.fetch_row("SELECT salon_id FROM clients WHERE id = %s", (desk.client_id,)))["salon_id"]
    await db.execute(
        """WITH grown AS (
               INSERT INTO staff (salon_id, first_name, last_name)
               SELECT %(salon)s, 'Stylist', n::text
                 FROM generate_series(1, %(most)s - (SELECT count(*) FROM staff WHERE salon_id = %(salon)s)) n
               RETURNING id)
           INSERT INTO working_hours (staff_id, weekday, starts, ends)
           SELECT id, d, span.starts, span.ends
             FROM grown, generate_series(0, 6) d,
                  (VALUES (time '09:00', time '12:00'), ('13:00', '18:00')) span(starts, ends)""",
        {"salon": salon, "most": SCHEDULE_STAFF},
    )
    service = await db.fetch_row(
        """INSERT INTO services (salon_id, name, duration_minutes, buffer_minutes, all_staff)
           VALUES (%s, 'Colour (bench)', 60, 15, false) RETURNING id""",
        (salon,),
    )
    await db.execute(
        """WITH members AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM staff WHERE salon_id = %(salon)s),
                performers AS (
                    INSERT INTO service_staff (salon_id, service_id, staff_id, duration_minutes)
                    SELECT %(salon)s, %(service)s, id, CASE WHEN n %% 4 = 0 THEN 45 END FROM members WHERE n %% 2 = 0),
                away AS (
                    INSERT INTO time_off (salon_id, staff_id, during)
                    SELECT %(salon)s, id, tstzrange((%(day)s::date)::timestamp AT TIME ZONE %(zone)s,
                                                    (%(day)s::date + 1)::timestamp AT TIME ZONE %(zone)s)
                      FROM members WHERE n %% 10 = 0)
           INSERT INTO appointments (salon_id, client_id, staff_id, service_id, start_time, end_time, buffer_minutes)
           SELECT %(salon)s, %(client)s, m.id, %(service)s, t, t + interval '1 hour', 15
             FROM members m, (VALUES (time '09:00'), ('10:30'), ('14:00')) hour(at),
                  LATERAL (SELECT (%(day)s::date + hour.at) AT TIME ZONE %(zone)s AS t) start
            WHERE m.n %% 10 <> 0""",
        {"salon": salon, "service": service["id"], "client": desk.client_id, "day": day, "zone": chain.TIMEZONE},
    )
    await db.execute("ANALYZE staff, working_hours, service_staff, time_off, appointments")
    return f"/appointments/new?serviceId={service['id']}&day={day}"


async def pickup(caller: Caller, sink: Sink) -> float:
    """Books, then waits until the booking's confirmation reaches the SMTP sink: commit to mail server."""
    _, appointment = await caller.book()
    booked = time.perf_counter()
    [job] = [job for job in appointment["notificationJobs"] if job["type"] == "booking_confirmation"]
    key = job["id"].encode()
    while True:
        arrived = [at for message_id, at in sink.arrived.items() if key in message_id]
        if arrived:
            return arrived[0] - booked
        await asyncio.sleep(0.001)


async def claim_rate(db: Database, desk_salon: uuid.UUID, client_id: uuid.UUID) -> float:
    """Jobs per second the worker's claim takes, batch 10, from CLAIM_JOBS due confirmations of one salon."""
    await db.execute(
        """INSERT INTO notification_jobs (salon_id, client_id, type, channels, run_at)
           SELECT %s, %s, 'booking_confirmation', '{email}', now() - interval '1 minute'
             FROM generate_series(1, %s)""",
        (desk_salon, client_id, CLAIM_JOBS),
    )
    claimed = 0
    started = time.perf_counter()
    while batch := await claims.claim_due(db, "bench-claim", 10):
        claimed += len(batch)
    elapsed = time.perf_counter() - started
    await db.execute("DELETE FROM notification_jobs WHERE locked_by = 'bench-claim'")
    return claimed / elapsed


async def clean_up(db: Database, older_than_days: float) -> int:
    """The worker's nightly chore: old completed jobs (their attempts go with them), then their texts' reports."""
    deleted = await claims.delete_completed(db, older_than_days)
    await deliveries.forget_old(db, older_than_days)
    return deleted


class RssSampler:
    """Notes a process's resident memory every 100 ms on a thread; ``peak_mb`` also reads the kernel's peak."""

    def __init__(self, pid: int) -> None:
        self.status = Path(f"/proc/{pid}/status")
        self.highest_kb = 0
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _read(self, field_name: str) -> int:
        for line in self.status.read_text().splitlines():
            if line.startswith(field_name):
                return int(line.split()[1])
        return 0

    def _run(self) -> None:
        while self.running:
            with contextlib.suppress(OSError):
                self.highest_kb = max(self.highest_kb, self._read("VmRSS:"))
            time.sleep(0.1)

    def peak_mb(self) -> float:
        self.running = False
        self.thread.join()
        return max(self.highest_kb, self._read("VmHWM:")) / 1024


@contextlib.contextmanager
def server(url: str, smtp_port: int) -> Iterator[tuple[str, RssSampler]]:
    """The product, worker on, keeping every completed job (the benchmark runs the clean-up itself)."""
    port = free_port()
    args = [
        "server.py",
        f"--database_url={url}",
        f"--direct_database_url={url}",  # LISTEN, as on a PostgreSQL without a pooler
        "--smtp_host=127.0.0.1",
        f"--smtp_port={smtp_port}",
        f"--port={port}",
        "--keep_completed_days=100000",
        "--api_rate=1000000",
        "--logging=warning",
    ]
    with process(args, f"http://127.0.0.1:{port}/healthz", log_name="scale") as child:
        yield f"http://127.0.0.1:{port}", RssSampler(child.pid)


async def measure(url: str, size: chain.Size, samples: int, label: str) -> Run:
    """Every figure on one database (already filled)."""
    run = Run()
    sink = Sink()
    smtp_port = await sink.start()
    db = await Database.connect(url)
    try:
        with server(url, smtp_port) as (base_url, rss):
            desk = await front_desk(db, base_url)
            salon = await db.fetch_row("SELECT salon_id FROM clients WHERE id = %s", (desk.client_id,))
            caller = Caller(desk)
            print(f"  {label}: booking", flush=True)
            run.latencies["booking (POST /api/v1/appointments)"] = await sample(caller.book_time, samples)
            if size.appointments:
                await crowd_the_waitlist(db, desk)
            print(f"  {label}: cancelling", flush=True)
            name = f"cancel, its waitlist match ({WAITING:,} waiting at size)"
            run.latencies[name] = await sample(caller.cancel_time, samples)
            _, appointment = await caller.book()  # the appointment page's
            # The jobs pages then show the benchmark's own jobs on both databases (a night's hour gets no
            # 2-hour reminder in quiet hours, so that page needs more bookings than the others).
            while caller.slot < FULL_PAGE or await own_reminders(db, desk) < FULL_PAGE:
                await caller.book()
            for name, path in pages(desk, appointment["id"]).items():
                print(f"  {label}: {name}", flush=True)
                run.latencies[name] = await sample(functools.partial(caller.get, path), samples)
            print(f"  {label}: {SCHEDULE}", flush=True)  # last of the pages: it grows salon 1's staff to 200
            form = await schedule_of_200(db, desk)
            run.latencies[SCHEDULE] = await sample(functools.partial(caller.get, form), samples)
            print(f"  {label}: pickup", flush=True)
            run.latencies["worker pickup"] = await sample(lambda: pickup(caller, sink), min(samples, 50))
            if size.appointments:
                await clean_up_while_picking_up(db, run, caller, sink, size)
            run.rss_mb = rss.peak_mb()
        # The claim runs against the database alone: the server's worker would compete for the jobs.
        run.rates["claim (jobs/s, batch 10)"] = await claim_rate(db, salon["salon_id"], desk.client_id)
    finally:
        await db.close()
    return run


async def clean_up_while_picking_up(db: Database, run: Run, caller: Caller, sink: Sink, size: chain.Size) -> None:
    """The clean-up of the oldest CLEANUP_DAYS of completed jobs, with the worker's pickup measured meanwhile."""
    print("  at size: clean-up", flush=True)
    oldest = size.days - chain.DAYS_AHEAD + 1  # days since the chain's first appointment
    started = time.perf_counter()
    chore = asyncio.ensure_future(clean_up(db, oldest - CLEANUP_DAYS))
    during: list[float] = []
    while not chore.done() or len(during) < 5:
        during.append(await pickup(caller, sink))
    deleted = await chore
    elapsed = time.perf_counter() - started
    run.rates["clean-up (completed jobs deleted/s)"] = deleted / elapsed
    run.latencies["worker pickup during clean-up"] = during
    print(f"  clean-up: {deleted:,} jobs in {elapsed:.1f} s, {len(during)} pickups meanwhile", flush=True)


def latency_row(name: str, empty: list[float] | None, full: list[float]) -> tuple[list[object], float | None]:
    """A latency measure's row (p50 / p99 in ms) and its growth (p50 at size over p50 empty)."""

    def cell(values: list[float]) -> str:
        return f"{percentile(values, 0.5) * 1000:,.1f} / {percentile(values, 0.99) * 1000:,.1f}"

    if empty is None:
        return [name, "", cell(full), len(full), ""], None
    growth = percentile(full, 0.5) / percentile(empty, 0.5)
    return [name, cell(empty), cell(full), len(full), f"{growth:.2f}x"], growth


def report(empty: Run, full: Run) -> tuple[list[list[object]], dict[str, float]]:
    """The table's rows and each compared measure's growth (how many times worse at size)."""
    rows: list[list[object]] = []
    growth: dict[str, float] = {}
    for name, values in full.latencies.items():
        row, grew = latency_row(name, empty.latencies.get(name), values)
        rows.append(row)
        if grew is not None:
            growth[name] = grew
    for name, rate in full.rates.items():
        before = empty.rates.get(name)
        if before is None:
            rows.append([name, "", f"{rate:,.0f}", "", ""])
            continue
        growth[name] = before / rate
        rows.append([name, f"{before:,.0f}", f"{rate:,.0f}", "", f"{growth[name]:.2f}x"])
    growth["server peak RSS (MB)"] = full.rss_mb / empty.rss_mb
    rows.append(
        [
            "server peak RSS (MB)",
            f"{empty.rss_mb:.0f}",
            f"{full.rss_mb:.0f}",
            "",
            f"{growth['server peak RSS (MB)']:.2f}x",
        ]
    )
    return rows, growth


def verdict(full: Run, growth: dict[str, float]) -> list[str]:
    """The targets, met or not, in figures."""
    over = {name: grew for name, grew in growth.items() if grew > 1.5}
    normal = percentile(full.latencies["worker pickup"], 0.99)
    during = full.latencies.get("worker pickup during clean-up")
    lines = [
        "every figure within 1.5x of empty: "
        + ("yes" if not over else "no: " + ", ".join(f"{name} {grew:.2f}x" for name, grew in over.items())),
        f"server RSS <= 150 MB throughout: {'yes' if full.rss_mb <= 150 else 'no'} (peak {full.rss_mb:.0f} MB)",
    ]
    if during:
        ratio = percentile(during, 0.99) / normal
        lines.append(f"pickup p99 during clean-up within 2x of normal: {'yes' if ratio <= 2 else 'no'} ({ratio:.2f}x)")
    worst = max(growth, key=lambda name: growth[name])
    return [*lines, f"worst growth: {growth[worst]:.2f}x ({worst})"]


async def main(arguments: argparse.Namespace) -> None:
    size, empty_size = chain.Size.chain(arguments.scale), chain.Size.chain(arguments.scale, history=False)
    print(f"chain: {size}, {size.appointments * chain.JOBS_PER_APPOINTMENT:,} jobs", flush=True)
    server = contextlib.nullcontext(arguments.database_url) if arguments.database_url else postgres_server()
    with server as server_url:
        with fresh_database(server_url) as url:
            await prepare(url, empty_size)
            empty = await measure(url, empty_size, arguments.samples, "empty")
        if arguments.empty_only:
            print(table(["measure", "empty", "empty", "samples", "growth"], report(empty, empty)[0]))
            return
        with fresh_database(server_url) as url:
            took = await prepare(url, size)
            print(f"generated in {took:.0f} s: {chain.counts(url)}", flush=True)
            full = await measure(url, size, arguments.samples, "at size")
    rows, growth = report(empty, full)
    print()
    print("p50 / p99 in ms, one request at a time; growth = p50 at size / p50 empty (rates: empty / size)")
    print(table(["measure", "empty", "at size", "samples", "growth"], rows))
    print()
    print("\n".join(verdict(full, growth)))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--scale", type=float, default=1.0, help="of the chain (1.0: 200 salons, 1,000,000 appointments)"
    )
    parser.add_argument("--samples", type=int, default=200, help="requests per measure at most")
    parser.add_argument("--empty-only", action="store_true", help="the empty database's figures alone (no chain)")
    parser.add_argument(
        "--database_url", default="", help="a PostgreSQL server to make its databases on (default: as above)"
    )
    asyncio.run(main(parser.parse_args()))
