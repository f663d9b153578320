"""Texts clients send, as they come (the provider's webhook, or a reply played in the outbox): keywords are
acted on at once, and every text is kept for the front desk's inbox (booking.inbox, which reads them).

One number may belong to several clients (a family shares a phone) and, since every salon texts from the
one sender number, to clients of several salons. A text goes to the salon whose texts reached the number
last, else the one it has the soonest appointment with, else the one that added it last; a number no salon
knows goes to the only salon, if there is just one. Within the salon it is from the client with the soonest
appointment: that is the appointment a CONFIRM confirms.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from booking import appointments, opt_outs, reasons, salons
from booking.errors import Conflict, NotFound
from booking.keywords import TextAction, action_of
from booking.links import Links
from booking.locales import language, phone_number, translations, wall_clock
from booking.models import Salon
from booking.notice_types import N_
from db import Database
from db.rows import reader

MAX_BODY = 1600  # the longest text a provider delivers; anything longer is cut

# What a client is answered at once, in the salon's language; {salon}, {phone} and {when} are filled in.
HELP_TEXT = N_("{salon}: texts about your appointments. Reply STOP to end them, START to have them again.")
HELP_TEXT_WITH_PHONE = N_(
    "{salon}: texts about your appointments. Call us on {phone}. Reply STOP to end them, START to have them again."
)
CONFIRMED_TEXT = N_("{salon}: thank you, your appointment on {when} is confirmed.")
NOTHING_TO_CONFIRM = N_("{salon}: we found no upcoming appointment for this number.")
NOTHING_TO_CONFIRM_WITH_PHONE = N_("{salon}: we found no upcoming appointment for this number. Call us on {phone}.")
# An opt-out word from a client with an appointment ahead may have meant to cancel it: say what happened.
OPTED_OUT_LINK = N_(
    "{salon}: you will get no more texts from us. Your appointment on {when} is still booked: to cancel it, use {link}"
)
OPTED_OUT_PHONE = N_(
    "{salon}: you will get no more texts from us. Your appointment on {when} is still booked: to cancel it, call "
    "us on {phone}."
)


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
    action: TextAction
    reply: str


@dataclass(frozen=True)
class Sender:
    """Who in the salon wrote: the client with the number's soonest appointment, and that appointment."""

    client_id: uuid.UUID | None = None
    appointment_id: uuid.UUID | None = None


read_received = reader(Received)
read_sender = reader(Sender)


async def receive(
    db: Database, text: IncomingText, salon: Salon | None = None, *, links: Links | None = None
) -> Received:
    """Keeps a client's text and does what it asks. ``salon``: the salon it was typed for (the outbox);
    otherwise it is found from the number. A text the provider sends twice (same id) is kept and acted on once.
    ``links`` make the client's manage link for a reply that needs one."""
    if text.message_sid and (known := await _by_message_sid(db, text.message_sid)):
        return known
    body = text.body.replace("\x00", "")[:MAX_BODY]
    if salon is None and (salon_id := await _salon_of(db, text.phone)) is not None:
        salon = await salons.get_salon(db, salon_id)
    sender = await sender_of(db, salon.id, text.phone) if salon else Sender()
    action = action_of(body, language(salon.locale) if salon else "en")
    reply = await _act(db, action, text.phone, salon, sender, body, links)
    return await _keep(db, salon, text, body, action, reply, sender)


async def _act(
    db: Database,
    action: TextAction,
    phone: str,
    salon: Salon | None,
    sender: Sender,
    body: str,
    links: Links | None,
) -> str:
    """Does what the text asks; returns the answer to send back at once ('' for none: for STOP and START the
    provider sends the answers carriers require, but for a client with an appointment ahead, who is told it
    still stands and how to cancel it)."""
    if action in (TextAction.STOP, TextAction.START):
        async with db.transaction() as cur:
            if action == TextAction.STOP:
                await opt_outs.opt_out(cur, phone, reasons.said(reasons.TEXTED, words=" ".join(body.split())))
            else:
                await opt_outs.opt_in(cur, phone)
        return await _still_booked(db, salon, sender, links) if action == TextAction.STOP else ""
    if action == TextAction.HELP:
        return _say(salon, HELP_TEXT_WITH_PHONE if salon and salon.phone else HELP_TEXT)
    if action == TextAction.CONFIRM:
        return await _confirm(db, salon, sender)
    return ""


async def _still_booked(db: Database, salon: Salon | None, sender: Sender, links: Links | None) -> str:
    """What a client who opted out while an appointment is ahead is told: it is still booked, and how to cancel."""
    if salon is None or sender.appointment_id is None:
        return ""
    ahead = await appointments.find(db, sender.appointment_id)
    if ahead is None:
        return ""
    when = wall_clock(ahead.start_time, salon.zone, salon.locale)
    if links is not None:
        return _say(salon, OPTED_OUT_LINK, when=when, link=links.manage(ahead.id))
    return _say(salon, OPTED_OUT_PHONE, when=when)


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
    phone = phone_number(salon.phone, salon.country) if salon else ""  # stored in E.164: written the salon's way
    return said.format(salon=salon.name if salon else "Salonbook", phone=phone, **values)


async def _by_message_sid(db: Database, message_sid: str) -> Received | None:
    row = await db.fetch_one(
        "SELECT id, salon_id, action, reply FROM inbound_texts WHERE message_sid = %s", (message_sid,)
    )
    return read_received(row) if row else None


async def _keep(
    db: Database,
    salon: Salon | None,
    text: IncomingText,
    body: str,
    action: TextAction,
    reply: str,
    sender: Sender,
) -> Received:
    """Stores the text; a keyword is handled, so born read, but for an opt-out from a client with an appointment
    ahead (they may have meant to cancel it: the desk should know). The same text arriving twice at once is kept
    once."""
    row = await db.fetch_one(
        """INSERT INTO inbound_texts
               (salon_id, phone, body, action, reply, client_id, appointment_id, message_sid, read_at)
           VALUES (%(salon)s, %(phone)s, %(body)s, %(action)s, %(reply)s, %(client)s, %(appointment)s, %(sid)s,
                   CASE WHEN %(action)s = 'message' OR (%(action)s = 'stop' AND %(appointment)s::uuid IS NOT NULL)
                        THEN NULL ELSE now() END)
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
    return read_received(row)


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


async def sender_of(db: Database, salon_id: uuid.UUID, phone: str) -> Sender:
    """Who in the salon has ``phone``: the client with its soonest appointment, and that appointment."""
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
    return read_sender(row) if row else Sender()
