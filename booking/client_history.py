"""A client as the salon knows them: their details with what their appointments add up to.

What a client has spent (``history.spent_cents``) is the money actually taken from them, each cent once:

- every completed appointment at its price as booked (its deposit, paid ahead, is part of that price: never added
  again; a deposit above the price, which the rules never ask, would add its excess),
- plus every succeeded fee (a no-show's, a late cancellation's),
- plus every succeeded deposit of an appointment not completed (kept by a no-show or a late cancellation, or paid
  ahead for one to come),
- less every succeeded refund (an early cancellation's deposit, the owner's refund, on whatever appointment).

Payments pending, failed or canceled count nothing; money on no appointment (a deposit paid after its hold had
ended, and its refund) is nobody's spend.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid

from booking import appointments, clients, payments
from booking.models import ClientOnFile
from db import Database


async def on_file(db: Database, salon_id: uuid.UUID, client_id: uuid.UUID) -> ClientOnFile:
    """The salon's client (NotFound for another salon's) with their counts and spend: three indexed reads."""
    client = await clients.get_client(db, salon_id, client_id)
    history, beyond = await asyncio.gather(
        appointments.client_counts(db, salon_id, client_id), payments.beyond_prices(db, salon_id, client_id)
    )
    history = dataclasses.replace(history, spent_cents=history.spent_cents + beyond)
    return ClientOnFile(**{f.name: getattr(client, f.name) for f in dataclasses.fields(client)}, history=history)
