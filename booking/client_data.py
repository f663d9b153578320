"""A client's own data, on request: everything the salon holds about them, or none of it.

Erasing keeps the appointments for the salon's books (who worked when, what
was sold) but not the person: their name, email and phone are replaced, their
live notifications cancelled, and the copies of what was sent to them (the
outbox, the servers' words quoting their addresses) and of what their number
texted the salon are removed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from booking import appointments, clients, inbound, jobs
from booking.inbound import InboundText
from booking.models import Appointment, Client
from db import Database
from jobqueue import queue
from outbox import messages as outbox
from outbox.messages import OutboxMessage


@dataclass(frozen=True)
class ClientExport:
    client: Client
    appointments: tuple[Appointment, ...]
    notifications: tuple[jobs.Job, ...]  # what was sent (or meant to be), with each attempt
    kept_messages: tuple[OutboxMessage, ...]  # the copies the built-in outbox kept
    received_texts: tuple[InboundText, ...]  # what they (or anyone on their number) texted the salon


async def export(db: Database, salon_id: uuid.UUID, client_id: uuid.UUID) -> ClientExport:
    client = await clients.get_client(db, salon_id, client_id)
    addresses = [address for address in (client.email, client.phone) if address]
    return ClientExport(
        client=client,
        appointments=tuple(await appointments.of_client(db, salon_id, client_id)),
        notifications=tuple(await jobs.of_client(db, salon_id, client_id)),
        kept_messages=tuple(await outbox.to_recipients(db, salon_id, addresses) if addresses else ()),
        received_texts=tuple(await inbound.of_client(db, salon_id, client_id, client.phone)),
    )


async def erase(db: Database, salon_id: uuid.UUID, client_id: uuid.UUID) -> Client:
    """Erases the client's personal data in one transaction; returns the client as they are now."""
    async with db.transaction() as cur:
        before = await clients.erase(cur, salon_id, client_id)
        await queue.cancel_client(cur, client_id, "the client's data was erased")
        await jobs.forget_addresses(cur, client_id, before.email or "", before.phone or "")
        addresses = [address for address in (before.email, before.phone) if address]
        if addresses:
            await outbox.forget_recipients(cur, salon_id, addresses)
        await inbound.forget(cur, salon_id, client_id, before.phone)
    return await clients.get_client(db, salon_id, client_id)
