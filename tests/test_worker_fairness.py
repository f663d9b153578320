"""Fair claiming: salons take turns in every batch, so one salon's backlog cannot hold up another salon's mail."""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import os
import uuid
from collections.abc import Iterator

import psycopg2
import pytest

from booking import salons
from db import Database, scratch
from jobqueue import claims
from tests.conftest import upgrade
from tests.tools import missing
from worker.outcome import ChannelResult, Outcome

PG15_URL = os.environ.get("PG15_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(autouse=True)
def empty_queue(io_loop, db: Database) -> None:
    io_loop.run_sync(lambda: db.execute("TRUNCATE notification_jobs, notification_attempts, workers, outbox_messages"))


async def queue_jobs(
    db: Database, salon_id: uuid.UUID, count: int, first_due: dt.datetime, apart: float = 0.001
) -> list[uuid.UUID]:
    """``count`` confirmations for one client of the salon, due ``apart`` seconds apart from ``first_due``."""
    async with db.transaction() as cur:
        await cur.execute(
            """WITH cl AS (INSERT INTO clients (salon_id, first_name, email, opted_in_reminders)
                           VALUES (%(salon)s, 'Ann', 'ann@example.com', true) RETURNING id)
               INSERT INTO notification_jobs (salon_id, client_id, type, channels, run_at)
               SELECT %(salon)s, cl.id, 'booking_confirmation', '{email}', %(first)s + n * %(apart)s * interval '1 s'
                 FROM cl, generate_series(0, %(count)s - 1) AS n
                ORDER BY n
               RETURNING id""",
            {"salon": salon_id, "count": count, "first": first_due, "apart": apart},
        )
        return [row["id"] for row in await cur.fetchall()]


def ago(**delta: float) -> dt.datetime:
    return dt.datetime.now(dt.UTC) - dt.timedelta(**delta)


async def test_another_salons_job_is_taken_in_the_first_batch_after_it_became_due(db, make_salon) -> None:
    busy, quiet = (await make_salon()).salon, (await make_salon()).salon
    backlog = await queue_jobs(db, busy.id, 2000, ago(hours=2))  # all due, the newest over an hour ago
    [waiting] = await queue_jobs(db, quiet.id, 1, ago(hours=-1))  # due in an hour: not yet

    first = await claims.claim_due(db, "w", 10)
    assert [job.id for job in first] == backlog[:10], "the busy salon's oldest jobs, in order"

    await db.execute("UPDATE notification_jobs SET run_at = now() WHERE id = %s", (waiting,))  # due now, after all 2000
    second = await claims.claim_due(db, "w", 10)
    assert waiting in [job.id for job in second], "taken in the first batch after it became due, not after 2000 others"
    assert len(second) == 10, "the rest of the batch is the busy salon's"
    assert [job.id for job in second if job.id != waiting] == backlog[10:19]

    taken = [job.id for job in first + second]
    while batch := await claims.claim_due(db, "w", 10):
        taken += [job.id for job in batch]
    assert sorted(taken) == sorted([*backlog, waiting]), "every job once, none twice"


async def test_salons_take_turns_within_a_batch_and_fill_it(db, make_salon) -> None:
    first, second, third = [(await make_salon()).salon for _ in range(3)]
    jobs = {
        first.id: await queue_jobs(db, first.id, 20, ago(minutes=30)),  # the oldest due job: its turn comes first
        second.id: await queue_jobs(db, second.id, 20, ago(minutes=20)),
        third.id: await queue_jobs(db, third.id, 1, ago(minutes=10)),
    }
    batch = await claims.claim_due(db, "w", 10)
    by_salon = collections.defaultdict(list)
    for job in batch:
        by_salon[job.salon_id].append(job.id)
    assert {salon: len(ids) for salon, ids in by_salon.items()} == {first.id: 5, second.id: 4, third.id: 1}
    for salon, ids in by_salon.items():
        assert sorted(ids, key=jobs[salon].index) == jobs[salon][: len(ids)], "each salon's oldest jobs first"


async def test_only_due_jobs_with_attempts_left_are_claimed(db, make_salon) -> None:
    salon = (await make_salon()).salon
    due, spent, later = (
        await queue_jobs(db, salon.id, 1, ago(minutes=1)),
        await queue_jobs(db, salon.id, 1, ago(minutes=2)),
        await queue_jobs(db, salon.id, 1, ago(minutes=-5)),
    )
    await db.execute("UPDATE notification_jobs SET attempts = max_attempts WHERE id = %s", (spent[0],))
    assert [job.id for job in await claims.claim_due(db, "w", 10)] == due
    assert await claims.claim_due(db, "w", 10) == []
    row = await db.fetch_one("SELECT status FROM notification_jobs WHERE id = %s", (later[0],))
    assert row["status"] == "pending"


async def test_three_concurrent_claimers_take_each_job_exactly_once(db, make_salon) -> None:
    salons = [(await make_salon()).salon for _ in range(3)]
    queued = [
        *await queue_jobs(db, salons[0].id, 600, ago(hours=1), apart=0),  # a burst: all due at one instant
        *await queue_jobs(db, salons[1].id, 60, ago(minutes=30)),
        *await queue_jobs(db, salons[2].id, 6, ago(minutes=1)),
    ]

    async def claimer(name: str) -> list[claims.ClaimedJob]:
        taken: list[claims.ClaimedJob] = []
        while batch := await claims.claim_due(db, name, 10):
            taken += batch
        return taken

    shares = await asyncio.gather(*(claimer(name) for name in ("a", "b", "c")))
    leftovers = await claimer("d")  # a claimer stops at its first empty batch, which a race can bring early
    taken = collections.Counter(job.id for share in [*shares, leftovers] for job in share)
    assert [job_id for job_id, times in taken.items() if times > 1] == [], "no job taken twice"
    assert set(taken) == set(queued), "and none left behind"
    assert {job.attempts for share in shares for job in share} == {1}
    assert sum(1 for share in shares if share) >= 2, "the claimers worked side by side"
    rows = await db.fetch_all("SELECT locked_by, count(*) AS n FROM notification_jobs GROUP BY locked_by")
    assert sum(row["n"] for row in rows) == len(queued)
    assert {row["locked_by"] for row in rows} <= {"a", "b", "c", "d"}


async def test_a_claim_writes_a_started_row_per_channel_still_to_send_and_reads_the_facts(db, make_salon) -> None:
    salon = (await make_salon()).salon
    both, rest = await queue_jobs(db, salon.id, 2, ago(minutes=1))
    await db.execute("UPDATE notification_jobs SET channels = '{email,sms}' WHERE salon_id = %s", (salon.id,))
    await db.execute("UPDATE notification_jobs SET channels_done = '{email}', attempts = 1 WHERE id = %s", (rest,))
    claimed = {job.id: job for job in await claims.claim_due(db, "w", 10)}
    assert set(claimed) == {both, rest}
    rows = await db.fetch_all("SELECT job_id, attempt, channel, outcome, worker_id FROM notification_attempts")
    assert sorted((r["job_id"] == both, r["attempt"], r["channel"], r["outcome"], r["worker_id"]) for r in rows) == [
        (False, 2, "sms", "started", "w"),
        (True, 1, "email", "started", "w"),
        (True, 1, "sms", "started", "w"),
    ], "one 'started' row per channel not yet done, for this attempt, written by the claim itself"
    facts = claimed[both].facts
    assert (facts["salon_name"], facts["client_first_name"], facts["client_email"]) == (
        salon.name,
        "Ann",
        "ann@example.com",
    )


async def claim_query(db: Database) -> str:
    """The claim's query, as the function claim_jobs (migration 0018) runs it, for a batch of 10."""
    row = await db.fetch_row("SELECT prosrc FROM pg_proc WHERE proname = 'claim_jobs'")
    query = row["prosrc"].split("RETURN QUERY", 1)[1].rsplit(";", 1)[0]
    return query.replace("p_limit", "10").replace("p_worker", "'planner'")


async def claim_plan(db: Database) -> str:
    rows = await db.fetch_all("EXPLAIN (COSTS OFF) " + await claim_query(db))
    return "\n".join(row["QUERY PLAN"] for row in rows)


@pytest.fixture(params=["the test server", "PostgreSQL 15"])
def any_server(request: pytest.FixtureRequest, db: Database, io_loop) -> Iterator[Database]:
    """The test database, and one on the machine's PostgreSQL 15 (PG15_DATABASE_URL), the oldest supported."""
    if request.param == "the test server":
        yield db
        return
    try:
        psycopg2.connect(PG15_URL).close()
    except psycopg2.OperationalError:
        missing(f"no PostgreSQL 15 at {PG15_URL}: `apt-get install postgresql-15` (or PG15_DATABASE_URL=url)")
    with scratch.database(PG15_URL, "salonbook_pg15") as url:
        io_loop.run_sync(lambda: upgrade(url))
        database = io_loop.run_sync(lambda: Database.connect(url, maxsize=2))
        yield database
        io_loop.run_sync(database.close)


async def test_the_walk_from_salon_to_salon_reads_no_future_reminders_without_skip_scan(any_server: Database) -> None:
    """Nothing due, 5 salons with 10,000 reminders each for tomorrow: the claim costs a few descents of the index
    per salon, on PostgreSQL 15 too, which has no skip scan (18's made "salon_id > previous AND run_at <= now()"
    one descent; on 15 it read every reminder on its way, 1 ms per 50,000)."""
    for n in range(5):
        new = await salons.create_salon(
            any_server, name=f"Busy {n}", timezone="UTC", owner_email=f"busy{n}@example.com", owner_password="x" * 12
        )
        await queue_jobs(any_server, new.salon.id, 10_000, dt.datetime.now(dt.UTC) + dt.timedelta(days=1), apart=1)
    await any_server.execute("ANALYZE notification_jobs")
    [row] = await any_server.fetch_all("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + await claim_query(any_server))
    [plan] = row["QUERY PLAN"]
    blocks = plan["Plan"]["Shared Hit Blocks"] + plan["Plan"]["Shared Read Blocks"]
    assert plan["Plan"]["Actual Rows"] == 0
    assert blocks < 100, f"{blocks} blocks read for 5 salons: the walk reads their reminders' entries"
    text = await claim_plan(any_server)
    walk = [line for line in text.splitlines() if "Index Cond" in line and "salon_id >" in line]
    assert walk and not any("run_at" in line for line in walk), text


async def test_each_probe_of_the_claim_reads_the_due_index_beside_a_drained_backlog(db: Database, make_salon) -> None:
    """A salon's next due job is one entry of notification_jobs_due_per_salon, in its order: an index of the
    same columns in another order (the jobs page's by day was one) was once preferred after a backlog had
    drained, and every probe sorted the salon's whole backlog (a claim of 10: 2 ms -> 9 ms)."""
    new = await make_salon()
    drained = await queue_jobs(db, new.salon.id, 2000, ago(days=1))
    await db.execute("UPDATE notification_jobs SET status = 'completed' WHERE id = ANY(%s)", (drained,))
    await queue_jobs(db, new.salon.id, 2000, ago(hours=1))
    await db.execute("ANALYZE notification_jobs")
    plan = await claim_plan(db)
    probe = plan[plan.index("WorkTable Scan on pick") : plan.index("CTE c")]  # a salon's next due job
    assert "Index Scan using notification_jobs_due_per_salon" in probe, plan
    assert "Sort" not in probe, plan


async def test_each_probe_of_the_claim_reads_the_due_index_when_every_job_is_pending(any_server: Database) -> None:
    """A first backlog (every job pending, as the statistics say): the jobs page's indexes priced the same as the
    due index, the planner took theirs, and each probe read every job already sent, so a drain of 20,000 slowed
    as it went (10 -> 30 ms per claim of 10). On a tie the index made last wins: 0027 makes the due index again."""
    new = await salons.create_salon(
        any_server, name="First backlog", timezone="UTC", owner_email="first@example.com", owner_password="x" * 12
    )
    await queue_jobs(any_server, new.salon.id, 2000, ago(hours=1))
    await any_server.execute("ANALYZE notification_jobs")
    plan = await claim_plan(any_server)
    probe = plan[plan.index("WorkTable Scan on pick") : plan.index("CTE c")]  # a salon's next due job
    assert "Index Scan using notification_jobs_due_per_salon" in probe, plan


async def test_recording_an_attempts_outcome_is_a_hot_update(database_url: str, make_salon) -> None:
    """The outcome changes no indexed column of notification_attempts, and its page has room: no new index
    entries per job, and no dead ones for the claim's walk (0027)."""
    new = await make_salon()
    one = await Database.connect(database_url, maxsize=1)  # one server connection, whose statistics we flush
    await queue_jobs(one, new.salon.id, 10, ago(hours=1))
    try:
        claimed = await claims.claim_due(one, "w1", 10)
        await one.execute("SELECT pg_stat_force_next_flush()")
        sent = Outcome("completed", ("email",), None, (ChannelResult("email", "sent", "250 OK"),))
        assert await claims.finish(one, "w1", [(job, sent) for job in claimed]) == []
        await one.execute("SELECT pg_stat_force_next_flush()")
        row = await one.fetch_row(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'notification_attempts'"
        )
    finally:
        await one.close()
    assert len(claimed) == 10
    assert (row["n_tup_upd"], row["n_tup_hot_upd"]) == (10, 10)
