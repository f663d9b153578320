"""The front desk's inbox: the numbers that texted the salon, each conversation (their texts, and what the
salon texted them), replies, what has been read; and a salon's or a client's texts for an export or erasure.

Texts are written as they come by booking.inbound; this module reads them, for the salon's people.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import aiopg

from booking import fields, jobs, notifications, opt_outs, texting
from booking.errors import Conflict
from booking.inbound import sender_of
from booking.keywords import TextAction
from booking.models import AppointmentStatus, Salon, display_name
from booking.paging import Page, page_of
from db import Database
from db.rows import reader
from jobqueue import queue
from outbox import messages as outbox
from outbox.messages import OutboxMessage

MAX_REPLY = 480  # three text segments: a reply, not a letter
CONVERSATIONS_LIMIT = 100  # numbers on the inbox page


@dataclass(frozen=True)
class InboundText:
    id: int
    phone: str
    body: str
    action: TextAction
    reply: str  # what was answered at once
    client_id: uuid.UUID | None
    appointment_id: uuid.UUID | None
    received_at: dt.datetime
    read_at: dt.datetime | None
    # The appointment it was about, as it stands now (a conversation's read fills them): an opt-out whose
    # appointment is still booked may have meant to cancel it.
    appointment_start: dt.datetime | None = None
    appointment_status: AppointmentStatus | None = None


read_text = reader(InboundText)


@dataclass(frozen=True)
class Conversation:
    """A number that texted the salon: who has it, what it said last, how many of its texts are unread."""

    phone: str
    client_names: tuple[str, ...]
    last_body: str
    last_at: dt.datetime
    unread: int


@dataclass(frozen=True)
class Entry:
    """One line of a conversation: a text the number sent, a notification the salon texted it, or (with no SMS
    provider) a text the outbox kept instead of sending."""

    at: dt.datetime
    received: InboundText | None = None
    sent: jobs.Job | None = None
    kept: OutboxMessage | None = None


@dataclass(frozen=True)
class Thread:
    phone: str
    client_names: tuple[str, ...]
    opted_out_at: dt.datetime | None  # it texted STOP: nothing can be texted to it
    entries: tuple[Entry, ...]  # oldest first


async def unread_count(db: Database, salon_id: uuid.UUID) -> int:
    """The salon's texts nobody at the front desk has read yet: the number beside Inbox in the menu."""
    row = await db.fetch_row(
        "SELECT count(*) AS n FROM inbound_texts WHERE salon_id = %s AND read_at IS NULL", (salon_id,)
    )
    count: int = row["n"]
    return count


def _names(clients: list[dict[str, Any]] | None) -> tuple[str, ...]:
    """Display names from the JSON [{"first": ..., "last": ...}] the reads below build."""
    return tuple(display_name(client["first"], client["last"]) for client in clients or [])


async def conversations(db: Database, salon_id: uuid.UUID, limit: int = CONVERSATIONS_LIMIT) -> list[Conversation]:
    """The numbers that texted the salon, the latest first, with the salon's clients who have each."""
    rows = await db.fetch_all(
        """SELECT t.phone, max(t.received_at) AS last_at, count(*) FILTER (WHERE t.read_at IS NULL) AS unread,
                  (array_agg(t.body ORDER BY t.id DESC))[1] AS last_body,
                  (SELECT json_agg(json_build_object('first', c.first_name, 'last', c.last_name)
                                   ORDER BY c.first_name, c.last_name)
                     FROM clients c WHERE c.salon_id = %(salon)s AND c.phone = t.phone AND c.erased_at IS NULL
                  ) AS clients
             FROM inbound_texts t WHERE t.salon_id = %(salon)s
            GROUP BY t.phone ORDER BY last_at DESC LIMIT %(limit)s""",
        {"salon": salon_id, "limit": limit},
    )
    return [Conversation(client_names=_names(row.pop("clients")), **row) for row in rows]


async def thread(db: Database, salon_id: uuid.UUID, phone: str, *, kept: bool = False) -> Thread:
    """Everything between the salon and a number: its texts (the latest 200) and what the salon texted it:
    the notifications, or with ``kept`` the very texts the outbox kept instead of sending them."""
    rows = await db.fetch_all(
        """SELECT t.id, t.phone, t.body, t.action, t.reply, t.client_id, t.appointment_id, t.received_at, t.read_at,
                  a.start_time AS appointment_start, a.status AS appointment_status,
                  (SELECT json_agg(json_build_object('first', c.first_name, 'last', c.last_name)
                                   ORDER BY c.first_name, c.last_name)
                     FROM clients c WHERE c.salon_id = %(salon)s AND c.phone = %(phone)s AND c.erased_at IS NULL
                  ) AS clients
             FROM (VALUES (1)) AS one
             LEFT JOIN LATERAL (SELECT * FROM inbound_texts WHERE salon_id = %(salon)s AND phone = %(phone)s
                                 ORDER BY received_at DESC, id DESC LIMIT 200) t ON true
             LEFT JOIN appointments a ON a.id = t.appointment_id""",
        {"salon": salon_id, "phone": phone},
    )
    names = _names(rows[0]["clients"])
    received = [
        Entry(row["received_at"], received=read_text({k: v for k, v in row.items() if k != "clients"}))
        for row in rows
        if row["id"] is not None
    ]
    if kept:
        sent = [Entry(text.received_at, kept=text) for text in await outbox.to_recipients(db, salon_id, [phone])]
    else:
        sent = [Entry(job.processed_at or job.created_at, sent=job) for job in await jobs.texts_to(db, salon_id, phone)]
    return Thread(
        phone=phone,
        client_names=names,
        opted_out_at=await opt_outs.since(db, phone),
        entries=tuple(sorted(received + sent, key=lambda entry: entry.at)),
    )


async def mark_read(reader: Database | aiopg.Cursor, salon_id: uuid.UUID, phone: str) -> None:
    """The number's texts have been read (its conversation was opened, or answered)."""
    await reader.execute(
        "UPDATE inbound_texts SET read_at = now() WHERE salon_id = %s AND phone = %s AND read_at IS NULL",
        (salon_id, phone),
    )


async def about(db: Database, salon_id: uuid.UUID, appointment_id: uuid.UUID) -> list[InboundText]:
    """What the client texted while this was their next appointment: what they answered, for its page."""
    rows = await db.fetch_all(
        """SELECT id, phone, body, action, reply, client_id, appointment_id, received_at, read_at
             FROM inbound_texts WHERE salon_id = %s AND appointment_id = %s
            ORDER BY received_at, id LIMIT 200""",
        (salon_id, appointment_id),
    )
    return [read_text(row) for row in rows]


async def reply(db: Database, salon: Salon, phone: str, text: str) -> queue.QueuedJob:
    """The front desk answers a number: a text_reply job to it (the worker sends it); its texts count as read."""
    text = fields.text(text, "text", max_length=MAX_REPLY)
    since = await opt_outs.since(db, phone)
    if since is not None:
        raise Conflict("{phone} texted STOP: nothing can be texted to it until it texts START", "text", phone=phone)
    texting.check(phone, salon.sms_countries, only_way=True, field="text")  # refused now, not when it is sent
    sender = await sender_of(db, salon.id, phone)
    async with db.transaction() as cur:
        [job] = await queue.enqueue(
            cur,
            salon_id=salon.id,
            client_id=sender.client_id,
            appointment_id=None,
            jobs=[notifications.for_reply(phone, text, dt.datetime.now(dt.UTC))],
        )
        await mark_read(cur, salon.id, phone)
    return job


# An export's page of the texts a salon received (or those of one client: from them, or from their number),
# in id order, which is the order they came in.
PAGE_BY_ID = """
    SELECT id, phone, body, action, reply, client_id, appointment_id, received_at, read_at
      FROM inbound_texts
     WHERE salon_id = %(salon)s
       AND (%(client)s::uuid IS NULL OR client_id = %(client)s OR phone = %(phone)s)
       AND (%(after)s::bigint IS NULL OR id > %(after)s)
     ORDER BY id LIMIT %(limit)s"""


async def page_by_id(
    db: Database,
    salon_id: uuid.UUID,
    *,
    client_id: uuid.UUID | None = None,
    phone: str | None = None,
    after: int | None,
    limit: int,
) -> Page[InboundText, int]:
    """The texts the salon received after the text ``after`` (booking.paging); with ``client_id``, only those the
    client, or anyone on their ``phone``, sent: an export's page."""
    rows = await db.fetch_all(
        PAGE_BY_ID, {"salon": salon_id, "client": client_id, "phone": phone, "after": after, "limit": limit}
    )
    return page_of([read_text(row) for row in rows], limit)


async def forget(cur: aiopg.Cursor, salon_id: uuid.UUID, client_id: uuid.UUID, phone: str | None) -> None:
    """Deletes the salon's copies of what the client, or anyone on their number, texted: part of erasing them."""
    await cur.execute(
        "DELETE FROM inbound_texts WHERE salon_id = %s AND (client_id = %s OR phone = %s)", (salon_id, client_id, phone)
    )
