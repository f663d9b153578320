"""Exports read page by page (booking.paging): every row once whatever the page size or what changes
meanwhile, and each page a short walk of an index however big the salon and the installation are."""

from __future__ import annotations

import collections
import uuid

import pytest

from booking import client_data, clients, salon_export
from booking.paging import PAGE_SIZE, Listing
from db import Database
from tests.export_fixtures import fill_salon


async def read_all(listing: Listing) -> list[list[str]]:
    """The ids of each page of the list."""
    return [[str(row.id) for row in rows] async for rows in listing.pages]


@pytest.mark.parametrize("size", [1, 2, 3, PAGE_SIZE])
async def test_every_row_is_read_once_whatever_the_page_size(db: Database, make_salon, size: int) -> None:
    filled = await fill_salon(db, await make_salon(), bookings=5)
    export = salon_export.export(db, filled.salon, page_size=size)
    found = {listing.name: await read_all(listing) for listing in export.lists}
    expected_jobs = await db.fetch_all("SELECT id::text FROM notification_jobs WHERE salon_id = %s", (filled.salon.id,))
    expected = {
        "clients": filled.clients,
        "appointments": filled.appointments,
        "messages": {row["id"] for row in expected_jobs},
    }
    for name, wanted in expected.items():
        pages = found[name]
        read = [row_id for page in pages for row_id in page]
        assert sorted(read) == sorted(wanted), f"{name}: every row once"
        assert read == sorted(read, key=uuid.UUID), f"{name}: in id order"
        assert all(len(page) <= size for page in pages) and len(pages) == -(-len(wanted) // size), name
    assert [len(page) for page in found["staff"]] == [2], "a short list is one read whatever the page size"


async def test_rows_that_change_during_an_export_leave_the_others_whole(db: Database, make_salon) -> None:
    filled = await fill_salon(db, await make_salon(), bookings=6)
    salon_id = filled.salon.id
    [messages] = [
        listing for listing in salon_export.export(db, filled.salon, page_size=3).lists if listing.name == "messages"
    ]
    before = sorted([row["id"] for row in await db.fetch_all(
        "SELECT id FROM notification_jobs WHERE salon_id = %s", (salon_id,))])  # fmt: skip
    read: list[uuid.UUID] = []
    async for rows in messages.pages:
        if not read:  # between the first page and the rest: one job goes, one comes
            gone = before[-2]
            await db.execute("DELETE FROM notification_jobs WHERE id = %s", (gone,))
            await db.execute(
                "INSERT INTO notification_jobs (salon_id, type, payload, channels) "
                'VALUES (%s, \'text_reply\', \'{"phone": "+447700900001", "text": "hi"}\', \'{sms}\')',
                (salon_id,),
            )
        read += [row.id for row in rows]
    counted = collections.Counter(read)
    assert max(counted.values()) == 1, "no row twice"
    assert set(before) - {gone} <= set(read), "every row there throughout"
    assert gone not in read


async def test_a_clients_export_lists_hold_only_theirs(db: Database, make_salon) -> None:
    filled = await fill_salon(db, await make_salon(), bookings=4)
    [client] = await clients.list_clients(db, filled.salon.id, "Client0")
    export = await client_data.export(db, filled.salon.id, client.id, page_size=1)
    lists = {listing.name: [row async for rows in listing.pages for row in rows] for listing in export.lists}
    assert list(lists) == list(client_data.LISTS)
    assert [a.client_id for a in lists["appointments"]] == [client.id]
    assert {job.client_id for job in lists["notifications"]} == {client.id}
    assert [text.phone for text in lists["received_texts"]] == [client.phone], "the text from their number"
