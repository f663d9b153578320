"""What the salon notes about a client (a colour formula, an allergy): all SQL for client_notes.

A note keeps its author's name as it was written: it outlives the author's account (author_id is then
NULL). Erasing a client's personal data removes their notes, which are about them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

import aiopg

from booking import fields
from booking.clients import ERASED
from booking.errors import Conflict, NotFound
from booking.paging import Page, page_of
from db import Database
from db.rows import reader

MAX_NOTE = 10_000  # characters: a formula with its history, not a file


@dataclasses.dataclass(frozen=True)
class ClientNote:
    id: uuid.UUID
    client_id: uuid.UUID
    text: str
    author: str  # who wrote it, as they were named then
    created_at: dt.datetime


read_note = reader(ClientNote)
_COLUMNS = "id, client_id, text, author, created_at"


async def add(
    db: Database,
    salon_id: uuid.UUID,
    client_id: uuid.UUID,
    text: str,
    *,
    author: str,
    author_id: uuid.UUID | None,
    now: dt.datetime,
) -> ClientNote:
    """A new note on the salon's client: NotFound for another salon's, Conflict for one whose data was erased."""
    text = fields.text(text, "text", max_length=MAX_NOTE)
    row = await db.fetch_one(
        f"""WITH client AS (SELECT id, erased_at FROM clients WHERE id = %(client)s AND salon_id = %(salon)s),
                 noted AS (INSERT INTO client_notes (salon_id, client_id, text, author, author_id, created_at)
                           SELECT %(salon)s, id, %(text)s, %(author)s, %(author_id)s, %(now)s
                             FROM client WHERE erased_at IS NULL
                        RETURNING {_COLUMNS})
            SELECT (SELECT erased_at IS NOT NULL FROM client) AS erased, noted.*
              FROM (SELECT) one LEFT JOIN noted ON true""",
        {"salon": salon_id, "client": client_id, "text": text, "author": author, "author_id": author_id, "now": now},
    )
    assert row is not None, "one row, whatever was found"
    erased = row.pop("erased")
    if erased is None:
        raise NotFound("no such client", "client_id")
    if erased:
        raise Conflict(ERASED, "client_id")
    return read_note(row)


# A client's notes, newest first, the page after the note ``after``: one range of client_notes_client.
LIST_NOTES = f"""
    SELECT {_COLUMNS} FROM client_notes
     WHERE salon_id = %(salon)s AND client_id = %(client)s
       AND (%(after)s::uuid IS NULL OR (created_at, id) <
            (SELECT created_at, id FROM client_notes WHERE id = %(after)s AND salon_id = %(salon)s))
     ORDER BY created_at DESC, id DESC LIMIT %(limit)s"""


async def list_notes(
    db: Database, salon_id: uuid.UUID, client_id: uuid.UUID, *, after: uuid.UUID | None = None, limit: int = 50
) -> list[ClientNote]:
    """Up to ``limit`` of the client's notes, newest first, after the note ``after``."""
    rows = await db.fetch_all(LIST_NOTES, {"salon": salon_id, "client": client_id, "after": after, "limit": limit})
    return [read_note(row) for row in rows]


async def page_by_id(
    db: Database, salon_id: uuid.UUID, *, client_id: uuid.UUID | None = None, after: uuid.UUID | None, limit: int
) -> Page[ClientNote, uuid.UUID]:
    """The salon's notes, or one client's, after ``after`` in id order (booking.paging): an export's page."""
    rows = await db.fetch_all(
        f"""SELECT {_COLUMNS} FROM client_notes
             WHERE salon_id = %(salon)s AND (%(client)s::uuid IS NULL OR client_id = %(client)s)
               AND (%(after)s::uuid IS NULL OR id > %(after)s)
             ORDER BY id LIMIT %(limit)s""",
        {"salon": salon_id, "client": client_id, "after": after, "limit": limit},
    )
    return page_of([read_note(row) for row in rows], limit)


async def forget(cur: aiopg.Cursor, salon_id: uuid.UUID, client_id: uuid.UUID) -> None:
    """Inside an erasure's transaction: the client's notes go, with the rest of their personal data."""
    await cur.execute("DELETE FROM client_notes WHERE salon_id = %s AND client_id = %s", (salon_id, client_id))
