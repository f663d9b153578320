"""Texts clients send: keywords are acted on at once, anything else waits in the front desk's inbox.
All SQL for inbound_texts.

One number may belong to several clients (a family shares a phone) and, since every salon texts from the
one sender number, to clients of several salons. A text goes to the salon whose texts reached the number
last, else the one it has the soonest appointment with, else the one that added it last; a number no salon
knows goes to the only salon, if there is just one. Within the salon it is from the client with the soonest
appointment: that is the appointment a CONFIRM confirms.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import aiopg

from booking import accounts, appointments, fields, jobs, notifications, opt_outs
from booking.errors import Conflict, NotFound
from booking.locales import language, translations, wall_clock
from booking.models import Salon, display_name
from booking.notice_types import N_
from booking.paging import Page, page_of
from db import Database
from jobqueue import queue
from outbox import messages as outbox
from outbox.messages import OutboxMessage

STOP, START, HELP, CONFIRM, MESSAGE = "stop", "start", "help", "confirm", "message"
KEYWORDS = {
    **dict.fromkeys(("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"), STOP),
    **dict.fromkeys(("START", "UNSTOP"), START),
    **dict.fromkeys(("HELP", "INFO"), HELP),
    **dict.fromkeys(("C", "CONFIRM", "Y", "YES"), CONFIRM),
}
MAX_BODY = 1600  # the longest text a provider delivers; anything longer is cut
MAX_REPLY = 480  # three text segments: a reply, not a letter
CONVERSATIONS_LIMIT = 100  # numbers on the inbox page

# What a client is answered at once, in the salon's language; {salon}, {phone} and {when} are filled in.
HELP_TEXT = N_("{salon}: texts about your appointments. Reply STOP to end them, START to have them again.")
HELP_TEXT_WITH_PHONE = N_(
    "{salon}: texts about your appointments. Call us on {phone}. Reply STOP to end them, START to have them again."
)
CONFIRMED_TEXT = N_("{salon}: thank you, your appointment on {when} is confirmed.")
NOTHING_TO_CONFIRM = N_("{salon}: we found no upcoming appointment for this number.")
NOTHING_TO_CONFIRM_WITH_PHONE = N_("{salon}: we found no upcoming appointment for this number. Call us on {phone}.")


def action_of(body: str) -> str:
    """What a text asks for: its keyword's action (case, spaces and punctuation around it ignored), else MESSAGE."""
    word = "".join(body.split()).strip(".,;:!?").upper()
    return KEYWORDS.get(word, MESSAGE)


@dataclass(frozen=True)
class IncomingText:
    phone: str  # who sent it: E.164, as the provider writes it
    body: str
    message_sid: str | None = None  # the provider's id; None when the front desk typed it in the outbox


@dataclass(frozen=True)
class Received:
    """A text as kept: what it was taken as, and what it is answered at once ('' for nothing)."""

    id: int
    salon_id: uuid.UUID | None
    action: str
    reply: str


@dataclass(frozen=True)
class Sender:
    """Who in the salon wrote: the client with the number's soonest appointment, and that appointment."""

    client_id: uuid.UUID | None = None
    appointment_id: uuid.UUID | None = None


async def receive(db: Database, text: IncomingText, salon: Salon | None = None) -> Received:
    """Keeps a client's text and does what it asks. ``salon``: the salon it was typed for (the outbox);
    otherwise it is found from the number. A text the provider sends twice (same id) is kept and acted on once."""
    if text.message_sid and (known := await _by_message_sid(db, text.message_sid)):
        return known
    body = text.body.replace("\x00", "")[:MAX_BODY]
    if salon is None and (salon_id := await _salon_of(db, text.phone)) is not None:
        salon = await accounts.get_salon(db, salon_id)
    sender = await _sender(db, salon.id, text.phone) if salon else Sender()
    action = action_of(body)
    reply = await _act(db, action, text.phone, salon, sender, body)
    return await _keep(db, salon, text, body, action, reply, sender)


async def _act(db: Database, action: str, phone: str, salon: Salon | None, sender: Sender, body: str) -> str:
    """Does what the text asks; returns the answer to send back at once ('' for none: for STOP and START the
    provider sends the answers carriers require)."""
    if action in (STOP, START):
        async with db.transaction() as cur:
            if action == STOP:
                await opt_outs.opt_out(cur, phone, f"texted {' '.join(body.split())}")
            else:
                await opt_outs.opt_in(cur, phone)
        return ""
    if action == HELP:
        return _say(salon, HELP_TEXT_WITH_PHONE if salon and salon.phone else HELP_TEXT)
    if action == CONFIRM:
        return await _confirm(db, salon, sender)
    return ""


async def _confirm(db: Database, salon: Salon | None, sender: Sender) -> str:
    """Confirms the sender's next appointment, as "I'll be there" on their manage page does."""
    if salon is not None and sender.appointment_id is not None:
        try:
            confirmed = await appointments.confirm(db, salon, sender.appointment_id)
        except (Conflict, NotFound):
            pass  # cancelled, moved on or begun since the text was read: nothing to confirm
        else:
            return _say(salon, CONFIRMED_TEXT, when=wall_clock(confirmed.start_time, salon.zone, salon.locale))
    return _say(salon, NOTHING_TO_CONFIRM_WITH_PHONE if salon and salon.phone else NOTHING_TO_CONFIRM)


def _say(salon: Salon | None, message: str, **values: str) -> str:
    """An answer in the salon's language (English for a number no salon knows)."""
    said = translations(language(salon.locale) if salon else "en").gettext(message)
    return said.format(salon=salon.name if salon else "Salonbook", phone=salon.phone if salon else "", **values)


async def _by_message_sid(db: Database, message_sid: str) -> Received | None:
    row = await db.fetch_one(
        "SELECT id, salon_id, action, reply FROM inbound_texts WHERE message_sid = %s", (message_sid,)
    )
    return Received(**row) if row else None


async def _keep(
    db: Database,
    salon: Salon | None,
    text: IncomingText,
    body: str,
    action: str,
    reply: str,
    sender: Sender,
) -> Received:
    """Stores the text; a keyword is handled, so born read. The same text arriving twice at once is kept once."""
    row = await db.fetch_one(
        """INSERT INTO inbound_texts
               (salon_id, phone, body, action, reply, client_id, appointment_id, message_sid, read_at)
           VALUES (%(salon)s, %(phone)s, %(body)s, %(action)s, %(reply)s, %(client)s, %(appointment)s, %(sid)s,
                   CASE WHEN %(action)s = 'message' THEN NULL ELSE now() END)
           ON CONFLICT (message_sid) DO NOTHING
        RETURNING id, salon_id, action, reply""",
        {
            "salon": salon.id if salon else None,
            "phone": text.phone,
            "body": body,
            "action": action,
            "reply": reply,
            "client": sender.client_id,
            "appointment": sender.appointment_id,
            "sid": text.message_sid,
        },
    )
    if row is None:
        assert text.message_sid, "only a provider's id can collide"
        known = await _by_message_sid(db, text.message_sid)
        assert known is not None, "the row that collided is there"
        return known
    return Received(**row)


async def _salon_of(db: Database, phone: str) -> uuid.UUID | None:
    """The salon a text from ``phone`` is for (see the module's docstring), or None."""
    row = await db.fetch_one(
        """SELECT coalesce(
                      (SELECT c.salon_id FROM clients c
                        WHERE c.phone = %(phone)s AND c.erased_at IS NULL
                        ORDER BY (SELECT max(j.updated_at) FROM notification_jobs j
                                   WHERE j.client_id = c.id AND 'sms' = ANY(j.channels_done)) DESC NULLS LAST,
                                 (SELECT min(a.start_time) FROM appointments a
                                   WHERE a.client_id = c.id AND a.status = 'booked' AND a.start_time > now()),
                                 c.created_at DESC
                        LIMIT 1),
                      (SELECT min(id::text)::uuid FROM salons HAVING count(*) = 1)) AS salon_id""",
        {"phone": phone},
    )
    salon_id: uuid.UUID | None = row["salon_id"] if row else None
    return salon_id


async def _sender(db: Database, salon_id: uuid.UUID, phone: str) -> Sender:
    row = await db.fetch_one(
        """SELECT c.id AS client_id, a.id AS appointment_id
             FROM clients c
             LEFT JOIN LATERAL (SELECT id, start_time FROM appointments
                                 WHERE client_id = c.id AND status = 'booked' AND start_time > now()
                                 ORDER BY start_time LIMIT 1) a ON true
            WHERE c.salon_id = %s AND c.phone = %s AND c.erased_at IS NULL
            ORDER BY a.start_time NULLS LAST, c.created_at DESC
            LIMIT 1""",
        (salon_id, phone),
    )
    return Sender(**row) if row else Sender()


# --- the front desk's side --------------------------------------------------


@dataclass(frozen=True)
class InboundText:
    id: int
    phone: str
    body: str
    action: str  # stop, start, help, confirm or message
    reply: str  # what was answered at once
    client_id: uuid.UUID | None
    appointment_id: uuid.UUID | None
    received_at: dt.datetime
    read_at: dt.datetime | None


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
        """SELECT id, phone, body, action, reply, client_id, appointment_id, received_at, read_at,
                  (SELECT json_agg(json_build_object('first', c.first_name, 'last', c.last_name)
                                   ORDER BY c.first_name, c.last_name)
                     FROM clients c WHERE c.salon_id = %(salon)s AND c.phone = %(phone)s AND c.erased_at IS NULL
                  ) AS clients
             FROM (VALUES (1)) AS one
             LEFT JOIN LATERAL (SELECT * FROM inbound_texts WHERE salon_id = %(salon)s AND phone = %(phone)s
                                 ORDER BY received_at DESC, id DESC LIMIT 200) t ON true""",
        {"salon": salon_id, "phone": phone},
    )
    names = _names(rows[0]["clients"])
    received = [
        Entry(row["received_at"], received=InboundText(**{k: v for k, v in row.items() if k != "clients"}))
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
    return [InboundText(**row) for row in rows]


async def reply(db: Database, salon: Salon, phone: str, text: str) -> queue.QueuedJob:
    """The front desk answers a number: a text_reply job to it (the worker sends it); its texts count as read."""
    text = fields.text(text, "text", max_length=MAX_REPLY)
    since = await opt_outs.since(db, phone)
    if since is not None:
        raise Conflict(f"{phone} texted STOP: nothing can be texted to it until it texts START", "text")
    sender = await _sender(db, salon.id, phone)
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
    return page_of([InboundText(**row) for row in rows], limit)


async def forget(cur: aiopg.Cursor, salon_id: uuid.UUID, client_id: uuid.UUID, phone: str | None) -> None:
    """Deletes the salon's copies of what the client, or anyone on their number, texted: part of erasing them."""
    await cur.execute(
        "DELETE FROM inbound_texts WHERE salon_id = %s AND (client_id = %s OR phone = %s)", (salon_id, client_id, phone)
    )
