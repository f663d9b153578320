"""A client's own data, on request: everything the salon holds about them, or none of it.

Erasing keeps the appointments for the salon's books (who worked when, what
was sold) but not the person: their name, email and phone are replaced, their
live notifications cancelled, and the copies of what was sent to them (the
outbox, the servers' words quoting their addresses) and of what their number
texted the salon are removed, with the salon's notes about them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from booking import appointments, client_notes, clients, inbox, jobs, payments, waitlist
from booking.client_notes import ClientNote
from booking.inbox import InboundText
from booking.models import Appointment, Client
from booking.notice_types import MESSAGES, N_
from booking.paging import PAGE_SIZE, Listing, Page, Reader, page_of, pages
from db import Database
from jobqueue import queue
from outbox import messages as outbox
from outbox.messages import OutboxMessage

# What a client's export lists beside the client, in its order, and what each row is (as the API shows it).
LISTS: dict[str, type] = {
    "appointments": Appointment,  # with each one's notification jobs
    "notifications": jobs.Job,  # what was sent (or meant to be), with each attempt
    "kept_messages": OutboxMessage,  # the copies the built-in outbox kept
    "received_texts": InboundText,  # what they (or anyone on their number) texted the salon
    "notes": ClientNote,  # what the salon noted about them
    "payments": payments.Payment,  # the money their appointments moved (Stripe's ids, never a card's number)
}


@dataclass(frozen=True)
class ClientExport:
    client: Client
    lists: tuple[Listing, ...]  # LISTS, in order, each read a page at a time as it is written out


async def export(
    db: Database, salon_id: uuid.UUID, client_id: uuid.UUID, *, page_size: int = PAGE_SIZE
) -> ClientExport:
    """Everything the salon holds about a client. The client is read now (NotFound before anything is sent);
    the lists are read page by page while the caller writes them out, never all at once."""
    client = await clients.get_client(db, salon_id, client_id)
    addresses = [address for address in (client.email, client.phone) if address]

    async def kept(after: int | None, limit: int) -> Page[OutboxMessage, int]:
        found = await outbox.to_recipients(db, salon_id, addresses, after=after, limit=limit) if addresses else []
        return page_of(found, limit)

    readers: dict[str, Reader[Any]] = {
        "appointments": lambda after, limit: appointments.page_by_id(
            db, salon_id, client_id=client_id, after=after, limit=limit
        ),
        "notifications": lambda after, limit: jobs.page_by_id(
            db, salon_id, client_id=client_id, after=after, limit=limit
        ),
        "kept_messages": kept,
        "received_texts": lambda after, limit: inbox.page_by_id(
            db, salon_id, client_id=client_id, phone=client.phone, after=after, limit=limit
        ),
        "notes": lambda after, limit: client_notes.page_by_id(
            db, salon_id, client_id=client_id, after=after, limit=limit
        ),
        "payments": lambda after, limit: payments.page_by_id(
            db, salon_id, client_id=client_id, after=after, limit=limit
        ),
    }
    return ClientExport(client, tuple(Listing(name, pages(readers[name], page_size)) for name in LISTS))


async def erase(db: Database, salon_id: uuid.UUID, client_id: uuid.UUID) -> Client:
    """Erases the client's personal data in one transaction; returns the client as they are now."""
    async with db.transaction() as cur:
        before = await clients.erase(cur, salon_id, client_id)
        # their messages stop; a fee or refund already asked still moves (it names no address of theirs)
        await queue.cancel_client(cur, client_id, N_("the client's data was erased"), MESSAGES)
        await jobs.forget_addresses(cur, client_id, before.email or "", before.phone or "")
        addresses = [address for address in (before.email, before.phone) if address]
        if addresses:
            await outbox.forget_recipients(cur, salon_id, addresses)
        await inbox.forget(cur, salon_id, client_id, before.phone)
        await client_notes.forget(cur, salon_id, client_id)
        await waitlist.client_erased(cur, salon_id, client_id)
    return await clients.get_client(db, salon_id, client_id)
