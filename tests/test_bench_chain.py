"""The scale benchmark's chain (bench/chain.py), made small on the test database: it fits today's schema and has
the shape asked for, so the generator cannot rot between full-size runs."""

from __future__ import annotations

import psycopg2
import pytest

from bench import chain
from booking import api_tokens
from db import Database

SIZE = chain.Size.chain(0.01)  # 2 salons, 1,000 clients, 10,000 appointments


@pytest.fixture(scope="module")
def chain_url(database_url: str) -> str:
    chain.generate(database_url, SIZE, "not a real hash", progress=lambda _: None)
    return database_url


def query(url: str, sql: str) -> list[tuple]:
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()
    finally:
        conn.close()


def one_value(url: str, sql: str) -> object:
    return query(url, sql)[0][0]


def test_the_chain_has_the_rows_of_its_size(chain_url: str) -> None:
    rows = chain.counts(chain_url)
    salons = SIZE.salons
    assert (salons, SIZE.clients, SIZE.appointments) == (2, 1_000, 10_000)
    assert rows["salons"] == rows["users"] == rows["api_tokens"] == salons
    assert rows["staff"] == rows["services"] == 5 * salons
    assert rows["working_hours"] == 6 * rows["staff"]
    assert rows["clients"] == SIZE.clients
    assert rows["appointments"] == SIZE.appointments
    assert rows["notification_jobs"] == chain.JOBS_PER_APPOINTMENT * SIZE.appointments
    done = one_value(chain_url, "SELECT count(*) FROM notification_jobs WHERE status IN ('completed', 'failed')")
    assert rows["notification_attempts"] > done
    assert rows["sms_deliveries"] == one_value(
        chain_url, "SELECT count(*) FROM notification_attempts WHERE provider_id IS NOT NULL"
    )


def test_every_salon_has_its_share_over_two_years(chain_url: str) -> None:
    shares = one_value(
        chain_url,
        """SELECT array_agg(n ORDER BY n) FROM (SELECT count(*) AS n FROM appointments GROUP BY salon_id) per_salon""",
    )
    assert shares == [SIZE.appointments // SIZE.salons] * SIZE.salons
    first, last = (
        one_value(chain_url, "SELECT extract(epoch FROM min(start_time) - now()) / 86400 FROM appointments"),
        one_value(chain_url, "SELECT extract(epoch FROM max(start_time) - now()) / 86400 FROM appointments"),
    )
    assert -720 < first < -680 and 28 < last < 31, (first, last)
    assert one_value(chain_url, "SELECT count(*) FROM appointments WHERE client_id IS NULL") == 0


def test_jobs_are_done_in_the_past_and_pending_ahead(chain_url: str) -> None:
    by_status = dict(query(chain_url, "SELECT status, count(*) FROM notification_jobs GROUP BY status"))
    total = sum(by_status.values())
    assert by_status["completed"] > 0.9 * total
    assert 0.01 * total < by_status["failed"] < 0.03 * total
    assert by_status["pending"] > 0 and "processing" not in by_status
    pending_when = "SELECT count(*) FROM notification_jobs WHERE (status = 'pending') <> (run_at > now())"
    assert one_value(chain_url, pending_when) == 0, "pending exactly when not yet due"


async def test_each_salon_answers_to_its_token(db: Database, chain_url: str) -> None:
    salon = await api_tokens.salon_for_token(db, chain.TOKEN.format(2))
    assert salon is not None and salon.slug == "chain-2"
