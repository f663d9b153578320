"""An export's pages at an installation's size: each a short walk of one index, however many rows the salon,
the client and the other salons have (a sort of them all per page would make an export quadratic)."""

from __future__ import annotations

import datetime as dt
import uuid

import psycopg2
import pytest

from bench import chain
from booking import appointments, clients, inbox, jobs, payments, reports, saved_cards
from booking.paging import PAGE_SIZE
from db import Database

# 20 salons, each with 1,000 clients, 1,000 appointments, 3,000 jobs and 2,800 texts
SIZE = chain.Size(salons=20, clients=20_000, appointments=20_000)


@pytest.fixture(scope="module")
def big(database_url: str) -> str:
    """The scale benchmark's chain, small, with texts from clients' numbers and deposits; analysed."""
    chain.generate(database_url, SIZE, "not a real hash", progress=lambda _: None)
    conn = psycopg2.connect(database_url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(
                """INSERT INTO inbound_texts (salon_id, phone, body, action, client_id)
                   SELECT salon_id, phone, 'Running late', 'message', id
                     FROM clients CROSS JOIN generate_series(1, 7) WHERE phone IS NOT NULL"""
            )
            cur.execute(
                """INSERT INTO payments (salon_id, appointment_id, kind, reason, amount_cents, currency,
                                         stripe_payment_intent_id, status)
                   SELECT salon_id, id, 'deposit', 'deposit', 1000, 'GBP', 'pi_' || id, 'succeeded'
                     FROM appointments WHERE hashtext(id::text) % 3 = 0"""
            )  # a deposit on every third appointment
            cur.execute("VACUUM ANALYZE inbound_texts")
            cur.execute("VACUUM ANALYZE payments")
    finally:
        conn.close()
    return database_url


async def ordered_plan(db: Database, sql: str, params: dict[str, object]) -> str:
    """The plan of ``sql`` with sorting priced out: a Sort left in it means no index gives the page's order."""
    async with db.transaction() as cur:
        await cur.execute("SET LOCAL enable_sort = off")
        await cur.execute("EXPLAIN " + sql, params)
        return "\n".join(row["QUERY PLAN"] for row in await cur.fetchall())


async def test_an_index_gives_each_page_in_order(db: Database, big: str) -> None:
    """Each page can be a walk of one index in id order that stops at the page's end, so a page costs the same
    for the biggest salon. (For a salon this small the planner may well prefer to sort its few hundred rows.)"""
    salon = await db.fetch_row("SELECT id FROM salons WHERE slug = 'chain-3'")
    client = await db.fetch_row("SELECT client_id AS id FROM appointments WHERE salon_id = %s LIMIT 1", (salon["id"],))
    page = {"salon": salon["id"], "after": uuid.UUID(int=2**127), "limit": PAGE_SIZE}  # from half way through the ids
    theirs = page | {"client": client["id"]}
    for statement, params, table, index in (
        (clients.PAGE_BY_ID, page, "clients", "clients_salon_id_id_key"),
        (appointments.PAGE_BY_ID, page | {"client": None}, "appointments", "appointments_salon_id_key"),
        (jobs.PAGE_BY_ID, page | {"client": None}, "notification_jobs", "notification_jobs_salon_id"),
        (inbox.PAGE_BY_ID, page | {"client": None, "phone": None, "after": 0}, "inbound_texts",
         "inbound_texts_salon_id"),
        (payments.PAGE_BY_ID, page | {"client": None}, "payments", "payments_salon_id"),
        (saved_cards.PAGE_BY_ID, page, "saved_cards", "saved_cards_salon_id"),
        (appointments.PAGE_BY_ID, theirs, "appointments", "appointments_client"),
        (jobs.PAGE_BY_ID, theirs, "notification_jobs", "notification_jobs_client"),
    ):  # fmt: skip
        shown = await ordered_plan(db, statement, params)
        assert f"Scan using {index} on {table}" in shown, f"{table} is not walked along {index}:\n{shown}"
        assert "Sort" not in shown, f"{table}: sorted for each page:\n{shown}"


async def test_a_reports_money_reads_the_periods_payments_along_their_days(db: Database, big: str) -> None:
    """The reports' money: the period's payments by the day they were made, not every payment of the salon."""
    salon = await db.fetch_row("SELECT id FROM salons WHERE slug = 'chain-3'")
    start = await db.fetch_row("SELECT max(created_at) - interval '7 days' AS at FROM payments")
    period = {"salon": salon["id"], "start": start["at"], "end": start["at"] + dt.timedelta(days=7), "cutoff": 1440}
    shown = await ordered_plan(db, reports.APPOINTMENTS, period)
    assert "payments_by_day on payments" in shown and "Seq Scan on payments" not in shown, shown
