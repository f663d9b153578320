"""What an export costs the others: a big client's and a big salon's export, one and four at once, while another
salon's front desk asks for its services every 10 ms.

    .venv/bin/python -m bench.bench_exports

Starts PostgreSQL (embedded, or BENCH_DATABASE_URL / TEST_DATABASE_URL), makes a salon in SQL with a client
who has 10,000 appointments and 20,000 messages (each sent by email and text: 40,000 attempts) beside 999
others with 10,000 appointments and 20,000 messages between them, and a second, small salon; runs
`server.py` (the web part); then downloads the exports with curl (other processes, so the benchmark's own
loop only pings). The small salon pings every 10 ms, in turn, GET /api/v1/salon (no query) and GET
/api/v1/services (one query); a ping is sent on time whether or not the one before has answered, and its
delay is how long its answer took. Prints the pings' worst and p99 delay, each export's time and size, and
the server's peak RSS during each run (the kernel's high-water mark, reset before each run), as a Markdown
table. Run it alone (flock /tmp/bench.lock): on a busy machine the pings measure the machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory

import tornado.httpclient

from bench.support import free_port, fresh_database, percentile, postgres_server, process, table
from booking import salons, services
from booking.models import ServiceDetails
from db import Database
from db.migrations import upgrade

PING_EVERY = 0.010  # seconds
# The other salon's pings, in turn: its settings (no query: its token is cached) and its services (one query).
PINGS = ("/api/v1/salon", "/api/v1/services")
QUIET = 2.0  # seconds of pings with no export: the baseline
BIG_CLIENT_APPOINTMENTS = 10_000  # each with two messages (a confirmation and a reminder)
OTHER_CLIENTS = 999
OTHER_APPOINTMENTS = 10_000
TEXTS = 2_000

# The big salon: 5 stylists; clients ("Client 0" the big one); appointments, one an hour per stylist back from
# yesterday, the first BIG_CLIENT_APPOINTMENTS the big client's; two messages each, sent by email and text.
ROWS = """
INSERT INTO staff (salon_id, first_name, last_name)
SELECT %(salon)s, 'Stylist', n::text FROM generate_series(1, 5) n;
INSERT INTO clients (salon_id, first_name, last_name, email, phone, opted_in_reminders)
SELECT %(salon)s, 'Client', n::text, 'client' || n || '@example.com', '+447700' || lpad(n::text, 6, '0'), true
  FROM generate_series(0, %(others)s) n;
INSERT INTO appointments (salon_id, client_id, staff_id, service_id, start_time, end_time, status)
SELECT %(salon)s, c.ids[CASE WHEN i < %(big)s THEN 1 ELSE i %% %(others)s + 2 END], s.ids[i %% 5 + 1], %(service)s,
       start, start + interval '45 minutes', 'completed'
  FROM (SELECT array_agg(id ORDER BY last_name::int) AS ids FROM clients WHERE salon_id = %(salon)s) c,
       (SELECT array_agg(id ORDER BY last_name::int) AS ids FROM staff WHERE salon_id = %(salon)s) s,
       generate_series(0, %(big)s + %(other_appointments)s - 1) i,
       LATERAL (SELECT date_trunc('hour', now()) - interval '1 day' - (i / 5) * interval '1 hour' AS start) t;
INSERT INTO notification_jobs (salon_id, client_id, appointment_id, type, payload, channels, channels_done, status,
                               attempts, run_at, locked_by, locked_at, processed_at)
SELECT a.salon_id, a.client_id, a.id, kind,
       jsonb_build_object('startTime', a.start_time, 'endTime', a.end_time, 'revision', 0, 'revisedAt', a.start_time),
       '{email,sms}', '{email,sms}', 'completed', 1, run_at, 'bench-worker', run_at, run_at + interval '2 seconds'
  FROM appointments a,
       LATERAL (VALUES ('booking_confirmation', a.start_time - interval '3 days'),
                       ('reminder_24h', a.start_time - interval '1 day')) AS planned (kind, run_at)
 WHERE a.salon_id = %(salon)s;
INSERT INTO notification_attempts (job_id, attempt, channel, outcome, detail, worker_id, created_at, finished_at)
SELECT j.id, 1, channel, 'sent',
       CASE channel WHEN 'email' THEN 'accepted by the mail server' ELSE 'accepted by the SMS provider' END,
       'bench-worker', j.run_at, j.processed_at
  FROM notification_jobs j, unnest(j.channels) channel WHERE j.salon_id = %(salon)s;
INSERT INTO inbound_texts (salon_id, phone, body, action, client_id)
SELECT %(salon)s, c.phone, 'Running ten minutes late, sorry', 'message', c.id
  FROM clients c, generate_series(1, %(texts)s / (%(others)s + 1)) WHERE c.salon_id = %(salon)s"""


@dataclass(frozen=True)
class Installation:
    base_url: str
    big_token: str
    big_client: str
    ping_token: str


async def prepare(url: str) -> tuple[str, str, str]:
    """The big salon (its token and its big client's id) and the small one (its token)."""
    db = await Database.connect(url)
    try:
        await upgrade(db)
        big = await salons.create_salon(
            db, name="Big Salon", timezone="Europe/London", owner_email="big@example.com", owner_password="benchmark!"
        )
        small = await salons.create_salon(
            db, name="Small Salon", timezone="Europe/London", owner_email="small@example.com", owner_password="bench!!!"
        )
        cut = await services.create_service(db, big.salon.id, ServiceDetails(name="Cut", duration_minutes=45))
        await services.create_service(db, small.salon.id, ServiceDetails(name="Trim", duration_minutes=30))
        params = {
            "salon": big.salon.id,
            "service": cut.id,
            "others": OTHER_CLIENTS,
            "big": BIG_CLIENT_APPOINTMENTS,
            "other_appointments": OTHER_APPOINTMENTS,
            "texts": TEXTS,
        }
        async with db.pool.acquire() as conn, conn.cursor() as cur:
            await cur.execute(ROWS, params)
            await cur.execute("VACUUM ANALYZE")
            client = await db.fetch_row(
                "SELECT id::text FROM clients WHERE salon_id = %s AND last_name = '0'", (big.salon.id,)
            )
        return big.api_token, client["id"], small.api_token
    finally:
        await db.close()


@contextlib.contextmanager
def serving(url: str) -> Iterator[tuple[str, Path]]:
    """The product's web part; its address and its /proc status file."""
    port = free_port()
    args = ["server.py", f"--database_url={url}", f"--direct_database_url={url}", f"--port={port}", "--worker=false",
            "--api_rate=1000000", "--logging=warning"]  # fmt: skip
    with process(args, f"http://127.0.0.1:{port}/healthz", log_name="exports") as child:
        yield f"http://127.0.0.1:{port}", Path(f"/proc/{child.pid}")


def reset_peak(proc: Path) -> None:
    (proc / "clear_refs").write_text("5")  # the kernel's peak RSS (VmHWM) starts again from now


def peak_mb(proc: Path) -> float:
    for line in (proc / "status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def pinging(base_url: str, token: str, stop: asyncio.Event) -> dict[str, list[float]]:
    """Every PING_EVERY until ``stop``, the next of PINGS: each answer's delay, in seconds, per path."""
    http = tornado.httpclient.AsyncHTTPClient(force_instance=True, max_clients=1000)
    delays: dict[str, list[float]] = {path: [] for path in PINGS}

    async def ping(path: str) -> None:
        sent = time.perf_counter()
        response = await http.fetch(base_url + path, headers={"Authorization": f"Bearer {token}"})
        assert response.code == 200
        delays[path].append(time.perf_counter() - sent)

    pings = []
    next_at = time.perf_counter()
    while not stop.is_set():
        pings.append(asyncio.create_task(ping(PINGS[len(pings) % len(PINGS)])))
        next_at += PING_EVERY
        await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
    await asyncio.gather(*pings)
    http.close()
    return delays


async def curl(url: str, token: str, into: Path) -> tuple[float, int]:
    """Downloads ``url`` with curl: its time in seconds and the bytes it got."""
    command = ["curl", "--silent", "--show-error", "--fail", "-H", f"Authorization: Bearer {token}",
               "-o", str(into), "-w", "%{time_total} %{size_download}", url]  # fmt: skip
    child = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE)
    out, _ = await child.communicate()
    assert child.returncode == 0, f"curl {url} exited with {child.returncode}"
    seconds, size = out.split()
    return float(seconds), int(size)


async def run(site: Installation, proc: Path, what: str, path: str, at_once: int, folder: Path) -> list[object]:
    """``at_once`` downloads of ``path`` while pinging: one row of the table."""
    reset_peak(proc)
    stop = asyncio.Event()
    pings = asyncio.create_task(pinging(site.base_url, site.ping_token, stop))
    await asyncio.sleep(0.2)
    if at_once:
        files = [folder / f"{what}-{at_once}-{n}" for n in range(at_once)]
        got = await asyncio.gather(*(curl(site.base_url + path, site.big_token, file) for file in files))
    else:
        await asyncio.sleep(QUIET)
        got = [(0.0, 0)]
    await asyncio.sleep(0.2)
    stop.set()
    delays = await pings
    took = max(seconds for seconds, _ in got)
    size = max(size for _, size in got) / 1e6
    figures = [f(delays[path]) * 1000 for path in PINGS for f in (max, lambda d: percentile(d, 0.99))]
    print(f"  {what} x{at_once}: {took:.2f} s, {size:.1f} MB; pings worst / p99 (ms) {figures}", flush=True)
    return [what, at_once, took, size, sum(map(len, delays.values())), *figures, peak_mb(proc)]


def check(folder: Path) -> None:
    """The downloads are whole: the zip opens with every row, the client's JSON parses."""
    with zipfile.ZipFile(folder / "salon export-1-0") as archive:
        assert archive.testzip() is None
        counts = {name: len(json.loads(archive.read(name))) for name in archive.namelist() if name != "salon.json"}
    assert counts["appointments.json"] == BIG_CLIENT_APPOINTMENTS + OTHER_APPOINTMENTS, counts
    assert counts["messages.json"] == 2 * (BIG_CLIENT_APPOINTMENTS + OTHER_APPOINTMENTS), counts
    client = json.loads((folder / "client export-1-0").read_bytes())
    assert len(client["appointments"]) == BIG_CLIENT_APPOINTMENTS, len(client["appointments"])
    assert len(client["notifications"]) == 2 * BIG_CLIENT_APPOINTMENTS, len(client["notifications"])
    print(f"  whole: the salon's zip holds {counts}; the client's JSON their 10,000 and 20,000", flush=True)


async def main() -> None:
    with postgres_server() as server_url, fresh_database(server_url) as url, TemporaryDirectory() as temporary:
        print("making the salons", flush=True)
        big_token, big_client, ping_token = await prepare(url)
        folder = Path(temporary)
        with serving(url) as (base_url, proc):
            site = Installation(base_url, big_token, big_client, ping_token)
            rows = [await run(site, proc, "none", "", 0, folder)]
            for what, path in (
                ("client export", f"/api/v1/clients/{big_client}/export"),
                ("salon export", "/api/v1/salon/export"),
            ):
                for at_once in (1, 4):
                    rows.append(await run(site, proc, what, path, at_once, folder))
            check(folder)
    print()
    headers = [
        "export",
        "at once",
        "time s",
        "MB",
        "pings",
        "salon worst ms",
        "salon p99 ms",
        "services worst ms",
        "services p99 ms",
        "peak RSS MB",
    ]
    print(table(headers, rows))


if __name__ == "__main__":
    asyncio.run(main())
