"""A salon with one of every kind of row an export holds (and secrets it must not), for the export tests."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import uuid
import zipfile
from typing import Any

from booking import (
    appointments,
    client_data,
    client_notes,
    clients,
    inbound,
    installation,
    notifications,
    own_words,
    payments,
    sessions,
    team,
    time_off,
    waitlist,
)
from booking.inbound import IncomingText
from booking.models import ClientDetails, Source
from booking.salons import NewSalon
from db import Database
from jobqueue import queue
from tests.desk import book_at, set_up_desk

FILES = [
    "salon.json",
    "staff.json",
    "time_off.json",
    "services.json",
    "clients.json",
    "client_notes.json",
    "appointments.json",
    "messages.json",
    "waitlist.json",
    "wording.json",
    "texts.json",
    "payments.json",
    "saved_cards.json",
]


@dataclasses.dataclass(frozen=True)
class Filled:
    """What was made in a salon: every id an export of it should hold, and words only it has."""

    new: NewSalon
    tag: str
    staff: set[str]
    time_off: set[str]
    services: set[str]
    clients: set[str]
    appointments: set[str]
    held: str  # a held time: not an appointment yet
    code: str  # the booking code a job's payload carries
    text: str  # what a client texted
    note: str  # what the salon noted about a client
    waiting: set[str]  # waitlist entries
    payments: set[str]  # a deposit and its refund
    saved_cards: set[str]
    stripe_keys: tuple[str, ...]  # the salon's Stripe keys as the owner typed them: secret but the publishable one

    @property
    def salon(self) -> Any:
        return self.new.salon


async def fill_salon(db: Database, new: NewSalon, *, bookings: int = 3) -> Filled:
    """Two stylists and a service, ``bookings`` clients booked on the Tuesday after next (each with their
    notifications), an erased client, a held time, a booking code, an invitation, a text and a login."""
    salon, tag = new.salon, new.salon.slug[-8:]
    desk = await set_up_desk(db, salon)
    made = []
    for n in range(bookings):
        client = await clients.create_client(
            db,
            salon.id,
            ClientDetails(f"Client{n}", f"Of-{tag}", f"c{n}-{tag}@example.com", f"+4474009{n:05d}", True),
        )
        member = desk.staff if n % 2 == 0 else desk.other_staff
        made.append(await book_at(db, salon, dataclasses.replace(desk, client=client), dt.time(9 + n // 2), member))
    erased = await clients.create_client(db, salon.id, ClientDetails("Gone", f"Of-{tag}", f"gone-{tag}@example.com"))
    await client_data.erase(db, salon.id, erased.id)
    away = await time_off.add_time_off(
        db, salon.id, desk.staff.id, start=dt.datetime.combine(desk.day, dt.time(12), desk.zone),
        end=dt.datetime.combine(desk.day, dt.time(13), desk.zone), reason=f"Dentist {tag}",
    )  # fmt: skip
    async with db.transaction() as cur:
        held = await appointments.hold(
            cur, salon, staff_id=desk.staff.id, service_id=desk.service.id,
            start_time=dt.datetime.combine(desk.day, dt.time(16), desk.zone),
        )  # fmt: skip
        code = f"{uuid.uuid4().int % 10**6:06d}"
        job = notifications.for_code("Zed", f"zed-{tag}@example.com", None, code, 15, dt.datetime.now(dt.UTC))
        await queue.enqueue(cur, salon_id=salon.id, client_id=None, appointment_id=None, jobs=[job])
    wish = waitlist.Wish(desk.service.id, None, desk.day, desk.day)
    entry = await waitlist.add(db, salon, desk.client.id, wish, source=Source.FRONT_DESK, now=dt.datetime.now(dt.UTC))
    await team.invite(db, salon, new.owner, f"new-desk-{tag}@example.com", "http://salon.example")
    text = f"Running late, sorry {tag}"
    await inbound.receive(db, IncomingText("+447400900000", text, f"SM{tag}"), salon)  # Client0's number
    note = f"Colour 6/0, {tag}"
    owner, now = new.owner, dt.datetime.now(dt.UTC)
    await client_notes.add(db, salon.id, made[0].client_id, note, author=owner.email, author_id=owner.id, now=now)
    await own_words.save(db, salon.id, "reminder", "en", own_words.OwnWords(sms=f"See you {{when}}, {tag}"))
    await sessions.start(db, new.owner.id, client_address="127.0.0.1", user_agent="tests")
    await installation.signing_secret(db)  # made by the first page a browser opens
    await installation.link_secret(db)  # made by the first link a message carries
    secret_key, webhook_secret = f"sk_test_{uuid.uuid4().hex}", f"whsec_{uuid.uuid4().hex}"
    await payments.save_account(
        db, salon.id, payments.AccountChange(secret_key, f"pk_test_{uuid.uuid4().hex}", webhook_secret)
    )
    paid = await db.fetch_all(
        """INSERT INTO payments (salon_id, appointment_id, kind, reason, amount_cents, currency,
                                 stripe_payment_intent_id, stripe_refund_id, status, idempotency_key)
           VALUES (%(salon)s, %(on)s, 'deposit', 'deposit', 800, 'GBP', %(intent)s, NULL, 'succeeded', NULL),
                  (%(salon)s, %(on)s, 'refund', 'owner', 300, 'GBP', %(intent)s, %(refund)s, 'succeeded', %(key)s)
           RETURNING id::text""",
        {"salon": salon.id, "on": made[0].id, "intent": f"pi_{tag}", "refund": f"re_{tag}", "key": f"refund-{tag}"},
    )
    card = await db.fetch_row(
        """INSERT INTO saved_cards (salon_id, appointment_id, stripe_customer_id, stripe_intent_id,
                                    stripe_payment_method_id, card_brand, card_last4, status)
           VALUES (%s, %s, %s, %s, %s, 'visa', '4242', 'succeeded') RETURNING id::text""",
        (salon.id, made[1].id, f"cus_{tag}", f"seti_{tag}", f"pm_{tag}"),
    )
    return Filled(
        new=new,
        tag=tag,
        staff={str(desk.staff.id), str(desk.other_staff.id)},
        time_off={str(away.id)},
        services={str(desk.service.id)},
        clients={str(desk.client.id), str(erased.id), *(str(a.client_id) for a in made)},
        appointments={str(a.id) for a in made},
        held=str(held),
        code=code,
        text=text,
        note=note,
        waiting={str(entry.id)},
        payments={row["id"] for row in paid},
        saved_cards={card["id"]},
        stripe_keys=(secret_key, webhook_secret),
    )


async def secrets_of(db: Database) -> list[str]:
    """Every secret the installation keeps, as text an export could carry: hashes of passwords, tokens,
    sessions, invitations and codes, the shared secrets, and the codes and invitation links job payloads
    keep until their job ends."""
    rows = await db.fetch_all(
        """SELECT password_hash AS secret FROM users
           UNION ALL SELECT encode(token_hash, 'hex') FROM api_tokens
           UNION ALL SELECT encode(token_hash, 'hex') FROM sessions
           UNION ALL SELECT encode(token_hash, 'hex') FROM invitations
           UNION ALL SELECT encode(code_hash, 'hex') FROM holds
           UNION ALL SELECT value FROM secrets
           UNION ALL SELECT encode(secret_key_sealed, 'hex') FROM stripe_accounts
           UNION ALL SELECT encode(webhook_secret_sealed, 'hex') FROM stripe_accounts
           UNION ALL SELECT payload->'secret'->>'code' FROM notification_jobs WHERE payload->'secret' ? 'code'
           UNION ALL SELECT payload->'secret'->>'link' FROM notification_jobs WHERE payload->'secret' ? 'link'
           UNION ALL SELECT split_part(payload->'secret'->>'link', '/invite/', 2)
                       FROM notification_jobs WHERE payload->'secret' ? 'link'"""
    )
    return [row["secret"] for row in rows]


def unzipped(body: bytes) -> dict[str, Any]:
    """The zip's files, parsed, in the zip's order; its CRCs checked."""
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert archive.testzip() is None, "a file of the zip is damaged"
        return {name: json.loads(archive.read(name)) for name in archive.namelist()}


def ids(rows: list[dict[str, Any]]) -> set[str]:
    return {str(row["id"]) for row in rows}
