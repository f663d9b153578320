"""Benchmark of the notification worker; prints one table, then the two headline figures.

    .venv/bin/python -m bench.bench_worker [--jobs=5000] [--samples=50] [--backlog=2000] [--rounds=3]
                                           [--only=fairness,overhead,pgbouncer,claims] [--own-words]

Uses TEST_DATABASE_URL (a server where it may create a database) or starts an
embedded PostgreSQL in a temporary folder. Talks to 127.0.0.1 only. Measures:
pickup latency (commit -> message at a local aiosmtpd) with NOTIFY and by
polling only; another salon's pickup while one salon's backlog drains;
draining queued confirmations with 1 and 3 worker processes against raw
aiosmtplib with as many connections, and the worker's CPU time per email; the
queue's own overhead with a no-op channel, at several queue lengths and against
pgqueuer's no-op drain on the same PostgreSQL (its peer: a PostgreSQL job queue
with a tuned claim), connected directly and both through Debian's PgBouncer in
transaction mode (``pgbouncer``, started as tests/test_db_pgbouncer.py does,
with deploy/'s settings); claim by claim through a fresh table of 5,000 and 20,000
pending jobs (does a claim grow with the jobs claimed before it?); peak RSS of a
worker process. ``--only`` runs some of them (a quick look at one figure);
docs/performance.md's table comes from a run of all. The output ends with
"queue overhead: <R>x pgqueuer", "queue overhead through PgBouncer: <R>x
pgqueuer" and "delivery: <P>% of raw sendmail, <C> ms CPU per email" for
whatever of them was measured.
"""

# A benchmark polls and spawns on purpose, and its temporary PostgreSQL folder must be
# readable by the server's own user:
# ruff: noqa: ASYNC110, ASYNC220, ASYNC240

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import email
import email.policy
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

import aiosmtplib
import psycopg2.extensions
from aiosmtpd.smtp import SMTP, Envelope, Session

from bench.support import (
    ROOT,
    fresh_database,
    percentile,
    pgbouncer,
    postgres_server,
    table,
    through_pgbouncer,
)
from db import Database
from db.migrations import upgrade

CONCURRENCY = 4
_THIS = (sys.executable, "-m", "bench.bench_worker")  # how this module runs its helper processes
_MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.MULTILINE | re.IGNORECASE)


# --- the mail sink -----------------------------------------------------------


class Sink:
    """aiosmtpd that only notes when each Message-ID arrived (no parsing beyond that)."""

    def __init__(self) -> None:
        self.arrived: dict[bytes, float] = {}
        self.count = 0
        self.last_raw = b""

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        found = _MESSAGE_ID.search(raw)
        self.arrived[found.group(1) if found else b""] = time.perf_counter()
        self.count += 1
        self.last_raw = raw
        return "250 OK"

    async def start(self) -> int:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: SMTP(self, hostname="sink", loop=loop), "127.0.0.1", 0)
        return server.sockets[0].getsockname()[1]

    async def wait(self, count: int, timeout: float = 300) -> float:
        deadline = time.perf_counter() + timeout
        while self.count < count:
            if time.perf_counter() > deadline:
                raise TimeoutError(f"only {self.count} of {count} messages arrived")
            await asyncio.sleep(0.005)
        return time.perf_counter()


# --- database ---------------------------------------------------------------


async def make_salon(db: Database) -> tuple:
    salon = await db.fetch_one(
        "INSERT INTO salons (slug, name, address, timezone, sms_countries) VALUES (%s, 'Bench Salon', '1 High St', "
        "'Europe/London', '{GB}') RETURNING id",
        (secrets.token_hex(4),),
    )
    row = await db.fetch_one(
        """WITH st AS (INSERT INTO staff (salon_id, first_name) VALUES (%(s)s, 'Bea') RETURNING id),
                sv AS (INSERT INTO services (salon_id, name, duration_minutes) VALUES (%(s)s, 'Cut', 30) RETURNING id),
                cl AS (INSERT INTO clients (salon_id, first_name, email, opted_in_reminders)
                       VALUES (%(s)s, 'Ann', 'ann@example.com', true) RETURNING id)
           SELECT st.id AS staff, sv.id AS service, cl.id AS client FROM st, sv, cl""",
        {"s": salon["id"]},
    )
    return salon["id"], row["staff"], row["service"], row["client"]


async def word_its_own_way(db: Database, salon: tuple) -> None:
    """The salon's own words for its confirmations (booking.own_words), as long as the product's."""
    await db.execute(
        """INSERT INTO salon_messages (salon_id, type, language, subject, email_text, sms)
           VALUES (%s, 'booking_confirmation', 'en', 'Booked at {salon_name}, {client_first_name}!',
                   %s, '{salon_name}: your {service} on {when} is booked. See you! {manage_link}')""",
        (salon[0], OWN_TEXT),
    )


OWN_TEXT = """Hello {client_first_name},

Your {service} with {staff_first_name} at {salon_name} is booked for {when}.

Where: {salon_address}

The attached invitation adds it to your calendar. To change it, reply to this email or call us on {salon_phone}.

{salon_name}"""

_offset = 0


async def enqueue(db: Database, salon: tuple, count: int, *, notify: bool) -> list:
    """``count`` appointments with a confirmation each, committed at once; returns the job ids."""
    global _offset
    salon_id, staff, service, client = salon
    first = dt.datetime(2031, 1, 1, tzinfo=dt.UTC) + dt.timedelta(hours=_offset)
    _offset += count
    async with db.transaction() as cur:
        await cur.execute(
            """WITH ap AS (INSERT INTO appointments (salon_id, client_id, staff_id, service_id, start_time, end_time)
                           SELECT %(s)s, %(c)s, %(st)s, %(sv)s, t, t + interval '30 minutes'
                             FROM generate_series(%(f)s::timestamptz, %(f)s::timestamptz
                                                  + (%(n)s - 1) * interval '1 hour', interval '1 hour') AS t
                           RETURNING id, start_time, end_time)
               INSERT INTO notification_jobs (salon_id, client_id, appointment_id, type, channels, payload)
               SELECT %(s)s, %(c)s, ap.id, 'booking_confirmation', '{email}',
                      jsonb_build_object('startTime', to_char(ap.start_time AT TIME ZONE 'UTC',
                                                              'YYYY-MM-DD"T"HH24:MI:SS+00:00'),
                                         'endTime', to_char(ap.end_time AT TIME ZONE 'UTC',
                                                            'YYYY-MM-DD"T"HH24:MI:SS+00:00'))
                 FROM ap RETURNING id""",
            {"s": salon_id, "c": client, "st": staff, "sv": service, "f": first, "n": count},
        )
        ids = [r["id"] for r in await cur.fetchall()]
        if notify:
            await cur.execute("NOTIFY salonbook_jobs")
    return ids


# --- processes ---------------------------------------------------------------


def spawn_worker(dsn: str, smtp_port: int, **options: object) -> subprocess.Popen:
    values = {"poll_interval": 5, "batch_size": 10, "concurrency": CONCURRENCY} | options
    return subprocess.Popen(
        [
            sys.executable,
            "server.py",
            "--web=false",
            f"--database_url={dsn}",
            f"--direct_database_url={dsn}",  # LISTEN, as on a PostgreSQL without a pooler
            "--smtp_host=127.0.0.1",
            f"--smtp_port={smtp_port}",
            "--logging=warning",
            *(f"--{k}={v}" for k, v in values.items()),
        ],
        cwd=ROOT,
    )


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far: the kernel's own account (/proc/{pid}/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime (fields 14, 15)


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        while process.poll() is None:
            await asyncio.sleep(0.05)


async def wait_listening(db: Database, count: int) -> None:
    """Until ``count`` workers are registered and listening (so no NOTIFY is missed)."""
    while True:
        row = await db.fetch_one(
            "SELECT (SELECT count(*) FROM workers) AS w, (SELECT count(*) FROM pg_stat_activity "
            "WHERE query = 'LISTEN salonbook_jobs') AS l"
        )
        if row["w"] >= count and row["l"] >= count:
            return
        await asyncio.sleep(0.05)


# --- measurements ------------------------------------------------------------


async def pickup(db: Database, salon: tuple, sink: Sink, samples: int, *, notify: bool) -> list[float]:
    latencies = []
    for _ in range(samples):
        committed = time.perf_counter()
        [job_id] = await enqueue(db, salon, 1, notify=notify)
        key = f"<{job_id}.email@salonbook.localhost>".encode()
        while key not in sink.arrived:
            await asyncio.sleep(0.001)
        latencies.append((sink.arrived[key] - committed) * 1000)
        await asyncio.sleep(0.02 + (0.37 * (len(latencies) % 7) / 7 if not notify else 0))  # vary the phase
    return latencies


async def pickup_behind_backlog(
    dsn: str, db: Database, busy: tuple, quiet: tuple, sink: Sink, backlog: int, samples: int
) -> tuple[list[float], float]:
    """One salon queues ``backlog`` confirmations at once; while a worker process drains them, another salon
    books one at a time, spread over the drain. Returns the latencies (commit -> at the sink) of the second
    salon's messages whose commit came while the backlog was still draining, and how long the drain took."""
    port = await sink.start()
    worker = spawn_worker(dsn, port)
    await wait_listening(db, 1)
    await pickup(db, quiet, sink, 3, notify=True)  # warm up: connections, templates
    before = sink.count
    started = time.perf_counter()
    await enqueue(db, busy, backlog, notify=True)
    gap = backlog / 450 / (samples + 1)  # spread over a drain at about the one-process rate of the README
    committed: dict[bytes, float] = {}
    while len(committed) < samples and sink.count - before - _arrived(sink, committed) < backlog:
        await asyncio.sleep(gap)
        at = time.perf_counter()
        [job_id] = await enqueue(db, quiet, 1, notify=True)
        committed[f"<{job_id}.email@salonbook.localhost>".encode()] = at
    drained = await sink.wait(before + backlog + len(committed))
    await stop([worker])
    await db.execute("DELETE FROM workers")
    return [(sink.arrived[key] - at) * 1000 for key, at in committed.items()], drained - started


def _arrived(sink: Sink, keys: dict[bytes, float]) -> int:
    return sum(key in sink.arrived for key in keys)


async def drain(
    dsn: str, db: Database, salon: tuple, sink: Sink, jobs: int, processes: int
) -> tuple[float, float, float]:
    """Messages/s, peak RSS (MB) and the workers' CPU ms per message of draining ``jobs`` confirmations."""
    port = await sink.start()
    workers = [spawn_worker(dsn, port) for _ in range(processes)]
    await wait_listening(db, processes)
    before = sink.count
    cpu_before = sum(cpu_seconds(w.pid) for w in workers)
    started = time.perf_counter()
    await enqueue(db, salon, jobs, notify=True)
    finished = await sink.wait(before + jobs)
    cpu = sum(cpu_seconds(w.pid) for w in workers) - cpu_before
    rss = max(peak_rss_mb(w.pid) for w in workers)
    await stop(workers)
    await db.execute("DELETE FROM workers")
    return jobs / (finished - started), rss, 1000 * cpu / jobs


async def raw_rate(sink: Sink, messages: int, connections: int, how: str) -> float:
    """aiosmtplib alone, in a process of its own: the worker's last message over ``connections`` sessions,
    sent as bytes (``sendmail``) or as a prebuilt EmailMessage (``send_message``)."""
    port = await sink.start()
    raw = Path(tempfile.mkstemp(suffix=".eml")[1])
    raw.write_bytes(sink.last_raw)
    before = sink.count
    started = time.perf_counter()
    sender = subprocess.Popen(
        [*_THIS, "--raw-sender", how, str(port), str(connections), str(messages), str(raw)], cwd=ROOT
    )
    finished = await sink.wait(before + messages)
    while sender.poll() is None:
        await asyncio.sleep(0.01)
    raw.unlink()
    return messages / (finished - started)


async def raw_sender(how: str, port: int, connections: int, messages: int, path: str) -> None:
    data = Path(path).read_bytes()
    message = email.message_from_bytes(data, policy=email.policy.default)
    per = [messages // connections + (i < messages % connections) for i in range(connections)]

    async def session(count: int) -> None:
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, local_hostname="bench")
        await client.connect()
        for _ in range(count):
            if how == "sendmail":
                await client.sendmail("bookings@salonbook.localhost", ["ann@example.com"], data)
            else:
                await client.send_message(
                    message, sender="bookings@salonbook.localhost", recipients=["ann@example.com"]
                )
        await client.quit()

    await asyncio.gather(*(session(n) for n in per))


async def overhead(dsn: str, db: Database, salon: tuple, jobs: int, pooled: str = "") -> tuple[float, str]:
    """Jobs/s of claim + load + check + finish with a channel that sends nothing, and the row versions the
    drain left per job (what the next claims step over until VACUUM): its updates per job, how many HOT.
    With ``pooled`` (the database through PgBouncer) the worker's pool goes through it and LISTEN to ``dsn``."""
    await enqueue(db, salon, jobs, notify=False)
    await _vacuum(db)
    before = await _updates(db)
    rate = await (
        _helper_rate("--noop-worker", pooled, jobs, dsn) if pooled else _helper_rate("--noop-worker", dsn, jobs)
    )
    after = await _updates(db)
    versions = []
    for name in ("jobs", "attempts"):
        updates, hot = (a - b for a, b in zip(after[name], before[name], strict=True))
        versions.append(f"{name} {updates / jobs:.1f} ({100 * hot / max(updates, 1):.0f} % HOT)")
    return rate, "updates per job: " + ", ".join(versions)


async def _updates(db: Database) -> dict[str, tuple[int, int]]:
    """Updates and HOT updates of the queue's tables so far (the helper's counts are in once it has exited)."""
    rows = await db.fetch_all(
        """SELECT relname, n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables
            WHERE relname IN ('notification_jobs', 'notification_attempts')"""
    )
    return {row["relname"].removeprefix("notification_"): (row["n_tup_upd"], row["n_tup_hot_upd"]) for row in rows}


async def peer_overhead(dsn: str, db: Database, jobs: int, pooled: str = "") -> float:
    """Jobs/s of pgqueuer draining as many no-op jobs, batch 10, on the same PostgreSQL; through PgBouncer with
    ``pooled`` (the database's URL through it)."""
    await _vacuum(db)
    if pooled:
        return await _helper_rate("--pgqueuer-drain", pooled, jobs, "pgbouncer")
    return await _helper_rate("--pgqueuer-drain", dsn, jobs)


async def _vacuum(db: Database) -> None:
    """Each drain starts without the dead row versions the drains before it left (docs/performance.md's table shows
    what they cost), so drains of different lengths are compared on one footing."""
    await db.execute("VACUUM ANALYZE")


async def _helper_rate(mode: str, dsn: str, jobs: int, *more: str) -> float:
    helper = subprocess.Popen([*_THIS, mode, dsn, str(jobs), *more], cwd=ROOT, stdout=subprocess.PIPE)
    out, _ = await asyncio.get_running_loop().run_in_executor(None, helper.communicate)
    return float(out.decode().strip())


async def noop_worker(dsn: str, jobs: int, listen_dsn: str = "") -> None:
    """Prints the jobs/s of a worker draining ``jobs`` queued jobs through a channel that sends nothing,
    from the first job handed to the channel until the last outcome is recorded: the drain, not the
    process's start (which would weigh on a short queue more than on a long one). ``listen_dsn``: where to
    LISTEN, when ``dsn`` goes through PgBouncer."""
    from worker.channels import Channels, Gate, Sent
    from worker.runner import Worker
    from worker.settings import WorkerSettings

    class Nothing:
        name = "noop"

        def __init__(self) -> None:
            self.sent = 0
            self.first = 0.0
            self.all_sent = asyncio.Event()

        async def send(self, delivery: object, gate: Gate) -> Sent:
            await gate()  # as a real channel asks, just before sending
            self.sent += 1
            self.first = self.first or time.perf_counter()
            if self.sent == jobs:
                self.all_sent.set()
            return Sent("not sent (benchmark)")

        async def close(self) -> None:
            pass

    settings = WorkerSettings(batch_size=10, concurrency=CONCURRENCY)
    db = await Database.connect(dsn, maxsize=settings.concurrency + 2)
    nothing = Nothing()
    worker = Worker(db, listen_dsn or dsn, settings, Channels(email=nothing, sms=nothing))
    await worker.start()
    await nothing.all_sent.wait()
    while (await db.fetch_row("SELECT count(*) AS n FROM notification_jobs WHERE status = 'processing'"))["n"]:
        await asyncio.sleep(0.002)  # the last outcomes being written
    rate = (jobs - 1) / (time.perf_counter() - nothing.first)
    await worker.stop()
    await db.close()
    print(f"{rate:.1f}")


async def pgqueuer_drain(dsn: str, jobs: int, through: str = "") -> None:
    """Prints the jobs/s of pgqueuer's own worker draining ``jobs`` no-op jobs, batch 10, from the first job
    it runs until it stops of itself with the queue empty (its drain mode). ``through`` "pgbouncer": ``dsn``
    goes through PgBouncer in transaction mode."""
    import asyncpg
    from pgqueuer import AsyncpgDriver, Queries, QueueManager
    from pgqueuer.models import Job
    from pgqueuer.types import QueueExecutionMode

    named = psycopg2.extensions.parse_dsn(dsn)  # libpq's key=value form, which asyncpg does not read
    # Through PgBouncer in transaction mode (1.18) a named prepared statement may meet another session: asyncpg
    # then keeps none (its unnamed ones are parsed and run in one go), as asyncpg's documentation advises.
    pooled = through == "pgbouncer"
    connection = await asyncpg.connect(
        database=named.pop("dbname"), **named, **({"statement_cache_size": 0} if pooled else {})
    )
    queries = Queries(AsyncpgDriver(connection))
    if not await queries.has_table("pgqueuer"):
        await queries.install()
    await queries.enqueue(["noop"] * jobs, [None] * jobs, [0] * jobs)
    manager = QueueManager(queries)

    first = 0.0

    @manager.entrypoint("noop")
    async def noop(job: Job) -> None:
        nonlocal first
        first = first or time.perf_counter()

    await manager.run(batch_size=10, mode=QueueExecutionMode.drain)
    rate = (jobs - 1) / (time.perf_counter() - first)
    await connection.close()
    print(f"{rate:.1f}")


async def claim_by_claim(server_url: str, jobs: int) -> tuple[float, float, float]:
    """Jobs/s of one connection claiming 10 and recording them, batch after batch, through a fresh table of
    ``jobs`` pending jobs (a first backlog: the statistics say every job is pending), and the mean ms per claim
    in the drain's first and last tenth: whether a claim grows with the jobs claimed before it."""
    from jobqueue import claims
    from worker.outcome import ChannelResult, Outcome

    sent = Outcome("completed", ("email",), None, (ChannelResult("email", "sent", "not sent (benchmark)"),))
    with fresh_database(server_url) as dsn:
        db = await Database.connect(dsn, maxsize=1)
        await upgrade(db)
        await enqueue(db, await make_salon(db), jobs, notify=False)
        await db.execute("VACUUM ANALYZE")
        took: list[float] = []
        start = time.perf_counter()
        while True:
            asked = time.perf_counter()
            batch = await claims.claim_due(db, "bench", 10)
            took.append(time.perf_counter() - asked)
            if not batch:
                break
            await claims.finish(db, "bench", [(job, sent) for job in batch])
        rate = jobs / (time.perf_counter() - start)
        await db.close()
    tenth = max(len(took) // 10, 1)
    return rate, 1000 * statistics.mean(took[:tenth]), 1000 * statistics.mean(took[-tenth - 1 : -1])


# --- the table ---------------------------------------------------------------


MEASURES = ("pickup", "fairness", "drain", "overhead", "pgbouncer", "claims")


async def main(arguments: argparse.Namespace) -> None:
    only = set(arguments.only.split(",")) if arguments.only else set(MEASURES)
    if unknown := only - set(MEASURES):
        raise SystemExit(f"--only: no measure called {', '.join(sorted(unknown))} (there are {', '.join(MEASURES)})")
    notes: list[str] = []
    with postgres_server() as server_url, fresh_database(server_url) as dsn:
        db = await Database.connect(dsn, maxsize=4)
        await upgrade(db)
        salon = await make_salon(db)
        if arguments.own_words:
            await word_its_own_way(db, salon)
        sink = Sink()
        rows: list[tuple[str, str, str]] = []

        if "pickup" in only:
            port = await sink.start()
            worker = spawn_worker(dsn, port, poll_interval=1)
            await wait_listening(db, 1)
            await pickup(db, salon, sink, 5, notify=True)  # warm up: connections, templates
            with_notify = await pickup(db, salon, sink, arguments.samples, notify=True)
            polling = await pickup(db, salon, sink, max(10, arguments.samples // 3), notify=False)
            await stop([worker])
            await db.execute("DELETE FROM workers")
            rows.append(
                (
                    "pickup p50 / p99, NOTIFY",
                    f"{percentile(with_notify, 0.5):.1f} / {percentile(with_notify, 0.99):.1f} ms",
                    "p50 < 100 ms",
                )
            )
            rows.append(
                (
                    "pickup p50 / p99, polling only (1 s poll)",
                    f"{percentile(polling, 0.5):.0f} / {percentile(polling, 0.99):.0f} ms",
                    "~ poll/2",
                )
            )
            notes.append(f"pickup samples: {len(with_notify)} with NOTIFY, {len(polling)} polling")

        if "fairness" in only:
            other = await make_salon(db)
            behind, took = await pickup_behind_backlog(dsn, db, salon, other, sink, arguments.backlog, 8)
            rows.append(
                (
                    f"another salon's pickup p50 / p99 while a {arguments.backlog}-job backlog drains",
                    f"{percentile(behind, 0.5):.0f} / {percentile(behind, 0.99):.0f} ms",
                    f"{len(behind)} bookings spread over the {took:.1f} s drain, 1 process",
                )
            )

        rss = 0.0
        headlines: list[str] = []
        for processes in (1, 3) if "drain" in only else ():
            rate, peak, cpu_ms = await drain(dsn, db, salon, sink, arguments.jobs, processes)
            rss = max(rss, peak)
            connections = processes * CONCURRENCY
            raw = await raw_rate(sink, arguments.jobs, connections, "sendmail")
            prebuilt = await raw_rate(sink, arguments.jobs, connections, "send_message")
            rows.append(
                (
                    f"drain {arguments.jobs} emails, {processes} worker process(es) x {CONCURRENCY} conn",
                    f"{rate:.0f} msg/s",
                    f"{100 * rate / raw:.0f} % of raw sendmail (target >= 50 %); {cpu_ms:.2f} ms CPU per email",
                )
            )
            rows.append(
                (
                    f"raw aiosmtplib sendmail(bytes), {connections} conn",
                    f"{raw:.0f} msg/s",
                    "same bytes, persistent sessions, own process",
                )
            )
            rows.append(
                (
                    f"aiosmtplib send_message(prebuilt EmailMessage), {connections} conn",
                    f"{prebuilt:.0f} msg/s",
                    f"worker at {100 * rate / prebuilt:.0f} % of it",
                )
            )
            if processes == 1:
                headlines.append(f"delivery: {100 * rate / raw:.1f}% of raw sendmail, {cpu_ms:.2f} ms CPU per email")
        if "overhead" in only:
            ours, peer, flat = await overheads(dsn, db, salon, arguments.jobs, arguments.rounds)
            rows.extend(flat)
            rows.append(
                (
                    f"pgqueuer no-op drain, {arguments.jobs} queued, batch 10, 1 process",
                    f"{statistics.median(peer):.0f} jobs/s",
                    f"pgqueuer {version('pgqueuer')}, same PostgreSQL, median of {arguments.rounds}",
                )
            )
            headlines.insert(0, f"queue overhead: {_against(ours, peer)}")
        if "pgbouncer" in only:
            with pgbouncer(server_url) as bouncer:
                ours, peer = await pooled_overheads(dsn, through_pgbouncer(dsn, bouncer), db, salon, arguments)
            rows.append(
                (
                    f"queue overhead through PgBouncer: no-op drain, {arguments.jobs} queued, batch 10, 1 process",
                    f"{statistics.median(ours):.0f} jobs/s",
                    f"median of {arguments.rounds}; transaction pooling, LISTEN on PostgreSQL itself",
                )
            )
            rows.append(
                (
                    f"pgqueuer no-op drain through PgBouncer, {arguments.jobs} queued, batch 10, 1 process",
                    f"{statistics.median(peer):.0f} jobs/s",
                    f"median of {arguments.rounds}; asyncpg without its statement cache, as PgBouncer 1.18 needs",
                )
            )
            headlines.append(f"queue overhead through PgBouncer: {_against(ours, peer)}")
        for n in (5000, 20000) if "claims" in only else ():
            rate, first, last = await claim_by_claim(server_url, n)
            rows.append(
                (
                    f"claim + record, batch 10, one connection, {n} pending in a fresh table",
                    f"{rate:.0f} jobs/s",
                    f"claim of 10: {first:.1f} ms in the first tenth of the drain, {last:.1f} ms in the last",
                )
            )
        if "drain" in only:
            rows.append(("peak RSS of a worker process", f"{rss:.0f} MB", "< 150 MB"))
        await db.close()

    print()
    print(table(["measure", "result", "note"], rows))
    where = "TEST_DATABASE_URL" if os.environ.get("TEST_DATABASE_URL") else "embedded"
    print(f"\n({'; '.join([*notes, f'{os.cpu_count()} CPUs', f'PostgreSQL {where}'])})")
    print(*headlines, sep="\n")


def _against(ours: list[float], peer: list[float]) -> str:
    """Our rate over pgqueuer's: the median of each round's pair, run one after the other, so the machine's
    speed, which drifts from minute to minute on a shared host, weighs on both sides of each ratio alike."""
    ratios = sorted(a / b for a, b in zip(ours, peer, strict=True))
    return f"{statistics.median(ratios):.2f}x pgqueuer (rounds {ratios[0]:.2f}-{ratios[-1]:.2f}x)"


async def pooled_overheads(
    dsn: str, pooled: str, db: Database, salon: tuple, arguments: argparse.Namespace
) -> tuple[list[float], list[float]]:
    """Our no-op drain and pgqueuer's, both through PgBouncer (``pooled``: the database through it), taking
    turns ``--rounds`` times; each round's rates."""
    ours: list[float] = []
    peer: list[float] = []
    for _ in range(arguments.rounds):
        ours.append((await overhead(dsn, db, salon, arguments.jobs, pooled))[0])
        peer.append(await peer_overhead(dsn, db, arguments.jobs, pooled))
    return ours, peer


async def overheads(
    dsn: str, db: Database, salon: tuple, jobs: int, rounds: int
) -> tuple[list[float], list[float], list[tuple[str, str, str]]]:
    """Our no-op drain at 2,000, ``jobs`` and 20,000 queued, and pgqueuer's at ``jobs``, taking turns
    ``rounds`` times (other work on the machine then weighs on both alike). Returns each round's rate of ours
    and of pgqueuer's at ``jobs``, and the table's rows for ours (medians)."""
    lengths = sorted({2000, jobs, 20000})
    ours: dict[int, list[float]] = {n: [] for n in lengths}
    versions: dict[int, str] = {}
    peer: list[float] = []
    for _ in range(rounds):
        for n in lengths:
            rate, versions[n] = await overhead(dsn, db, salon, n)
            ours[n].append(rate)
            if n == jobs:  # pgqueuer's right after ours at the same length: the pair the ratio compares
                peer.append(await peer_overhead(dsn, db, jobs))
    median = {n: statistics.median(rates) for n, rates in ours.items()}
    longest = median[20000] / median[jobs] - 1  # the measure: the long drain against the usual one
    spread = max(median.values()) / min(median.values()) - 1
    rows = [
        (
            f"queue overhead: no-op drain, {n} queued, batch 10, 1 process",
            f"{median[n]:.0f} jobs/s",
            f"median of {rounds}; {versions[n]}"
            + (
                f"; {100 * longest:+.0f} % against {jobs} queued (target within 10 %), all three {100 * spread:.0f} %"
                " apart"
                if n == lengths[-1]
                else ""
            ),
        )
        for n in lengths
    ]
    return ours[jobs], peer, rows


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--raw-sender":
        asyncio.run(raw_sender(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]))
    elif len(sys.argv) > 1 and sys.argv[1] == "--noop-worker":
        asyncio.run(noop_worker(sys.argv[2], int(sys.argv[3]), *sys.argv[4:]))
    elif len(sys.argv) > 1 and sys.argv[1] == "--pgqueuer-drain":
        asyncio.run(pgqueuer_drain(sys.argv[2], int(sys.argv[3]), *sys.argv[4:]))
    else:
        parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
        parser.add_argument("--jobs", type=int, default=5000)
        parser.add_argument("--samples", type=int, default=50)
        parser.add_argument("--backlog", type=int, default=2000, help="the busy salon's backlog (fairness)")
        parser.add_argument("--rounds", type=int, default=3, help="turns of the no-op drains (overhead)")
        parser.add_argument("--own-words", action="store_true", help="the salon's own words for its confirmations")
        parser.add_argument("--only", default="", help=f"comma-separated, of: {', '.join(MEASURES)} (default: all)")
        asyncio.run(main(parser.parse_args()))
