"""A client as the salon knows them: their details with what their appointments add up to."""

from __future__ import annotations

import dataclasses
import uuid

from booking import appointments, clients
from booking.models import ClientOnFile
from db import Database


async def on_file(db: Database, salon_id: uuid.UUID, client_id: uuid.UUID) -> ClientOnFile:
    """The salon's client (NotFound for another salon's) with their counts and spend: two indexed reads."""
    client = await clients.get_client(db, salon_id, client_id)
    history = await appointments.client_counts(db, salon_id, client_id)
    return ClientOnFile(**{f.name: getattr(client, f.name) for f in dataclasses.fields(client)}, history=history)
