"""A stylist's calendar feed and week at an installation's size: a walk of the stylist's own appointments in
time, however many the salon and the other salons hold."""

from __future__ import annotations

import datetime as dt

import pytest

from bench import chain
from booking import appointments
from db import Database

SIZE = chain.Size(salons=10, clients=5_000, appointments=20_000)  # 2,000 appointments a salon


@pytest.fixture(scope="module")
def big(database_url: str) -> str:
    chain.generate(database_url, SIZE, "not a real hash", progress=lambda _: None)
    return database_url


async def plan_of(db: Database, sql: str, params: dict[str, object]) -> str:
    async with db.transaction() as cur:
        await cur.execute("EXPLAIN " + sql, params)
        return "\n".join(row["QUERY PLAN"] for row in await cur.fetchall())


async def test_a_stylists_span_is_read_along_their_own_appointments(db: Database, big: str) -> None:
    member = await db.fetch_row(
        "SELECT salon_id, staff_id, start_time FROM appointments WHERE salon_id = "
        "(SELECT id FROM salons WHERE slug = 'chain-3') ORDER BY start_time DESC LIMIT 1"
    )
    span = {
        "salon": member["salon_id"],
        "staff": member["staff_id"],
        "from": member["start_time"] - dt.timedelta(days=14),
        "until": member["start_time"] + dt.timedelta(days=60),
        "limit": appointments.FEED_LIMIT,
    }
    plan = await plan_of(db, appointments.STYLIST_SPAN, span)
    assert "appointments_staff_time" in plan and "Seq Scan on appointments" not in plan, plan
