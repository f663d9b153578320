"""A client's page at a chain's size: their history and its counts each one range of one index, however many
appointments the salon and the other salons have."""

from __future__ import annotations

from booking import appointments, client_notes, payments
from db import Database
from tests.test_booking_export_plans import big, ordered_plan

__all__ = ["big"]  # the chain, small, analysed: a fixture of this module too


async def test_a_clients_history_counts_and_notes_are_walks_of_their_indexes(db: Database, big: str) -> None:
    salon = await db.fetch_row("SELECT id FROM salons WHERE slug = 'chain-3'")
    client = await db.fetch_row("SELECT client_id AS id FROM appointments WHERE salon_id = %s LIMIT 1", (salon["id"],))
    theirs = {"salon": salon["id"], "client": client["id"], "after": None, "limit": 21}
    for statement, table, index in (
        (appointments.CLIENT_HISTORY, "appointments", "appointments_client_history"),
        (appointments.CLIENT_COUNTS, "appointments", "appointments_client"),  # or _history: a range of one client
        (client_notes.LIST_NOTES, "client_notes", "client_notes_client"),
        (payments.CLIENT_PAYMENTS, "appointments", "appointments_client"),  # then each one's payments, by index
    ):
        shown = await ordered_plan(db, statement, theirs)
        assert f"using {index}" in shown and f"Seq Scan on {table}" not in shown, f"{table} not along {index}:\n{shown}"
        assert "Sort" not in shown, f"{table}: sorted:\n{shown}"
    shown = await ordered_plan(db, payments.CLIENT_PAYMENTS, theirs)
    assert "using payments_of_appointment" in shown and "Seq Scan on payments" not in shown, shown
