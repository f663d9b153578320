"""The salon's clients: all SQL for clients."""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import aiopg
import phonenumbers

from booking import fields, texting
from booking.errors import Conflict, NotFound
from booking.models import Client, ClientDetails
from booking.notice_types import N_, WANTED
from booking.paging import Page, page_of
from db import Database, Row
from db.rows import reader
from jobqueue import queue

read_client = reader(Client)

ERASED = "this client's personal data was erased on request; add them again as a new client if they return"


def _checked(
    details: ClientDetails, region: str, sms_countries: Sequence[str] | None, *, before: Client | None = None
) -> tuple[str, str, str | None, str | None, bool]:
    """The client's fields as stored. A client who wants reminders is refused a number the salon does not text
    (booking.texting.check), unless it is the number and the choice already on file (``before``): a rule
    made since must not stop the desk from correcting a name."""
    checks = fields.Checks()  # every field's error at once
    first_name = checks(fields.text, details.first_name, "first_name")
    last_name = checks(fields.text, details.last_name, "last_name", required=False)
    email = checks(fields.email, details.email, "email")
    phone, wanted = checks(fields.phone, details.phone, "phone", region), details.opted_in_reminders
    unchanged = before is not None and (before.phone, before.opted_in_reminders) == (phone, wanted)
    if phone and wanted and not unchanged:
        texted = (region,) if sms_countries is None else sms_countries
        checks(texting.check, phone, texted, only_way=email is None)
    checks.done()
    return first_name, last_name, email, phone, wanted


async def create_client(
    db: Database,
    salon_id: uuid.UUID,
    details: ClientDetails,
    *,
    region: str = "GB",
    sms_countries: Sequence[str] | None = None,
) -> Client:
    """``region`` reads phone numbers written without a +country prefix; ``sms_countries`` (default: ``region``
    alone) are where the salon texts. A client who wants reminders may not have a number outside them
    (OutsideSmsCountries), nor one that cannot take texts when it is their only way to get them (NotAMobile);
    a landline beside an email is kept, and texts just do not go to it."""
    row = await db.fetch_row(
        """INSERT INTO clients (salon_id, first_name, last_name, email, phone, opted_in_reminders)
           VALUES (%s, %s, %s, %s, %s, %s)
        RETURNING id, first_name, last_name, email, phone, opted_in_reminders,
                  EXISTS (SELECT FROM sms_opt_outs o WHERE o.phone = clients.phone) AS sms_opt_out""",
        (salon_id, *_checked(details, region, sms_countries)),
    )
    return read_client(row)


async def find_or_add(cur: aiopg.Cursor, salon_id: uuid.UUID, details: ClientDetails) -> Client:
    """The salon's client with this email, else this phone, reused rather than doubled (an online booking's
    ticked box turns their reminders on, never off); else a new client. ``details`` are checked already."""
    await cur.execute(
        """SELECT id, first_name, last_name, email, phone, opted_in_reminders,
                  EXISTS (SELECT FROM sms_opt_outs o WHERE o.phone = clients.phone) AS sms_opt_out
             FROM clients
            WHERE salon_id = %(salon)s AND erased_at IS NULL
              AND (email ILIKE %(email)s OR phone = %(phone)s)
            ORDER BY (email ILIKE %(email)s) DESC, created_at
            LIMIT 1
              FOR UPDATE""",
        {"salon": salon_id, "email": _literal(details.email) if details.email else None, "phone": details.phone},
    )
    found: Row | None = await cur.fetchone()
    if found is None:
        await cur.execute(
            """INSERT INTO clients (salon_id, first_name, last_name, email, phone, opted_in_reminders)
               VALUES (%s, %s, %s, %s, %s, %s)
            RETURNING id, first_name, last_name, email, phone, opted_in_reminders,
                      EXISTS (SELECT FROM sms_opt_outs o WHERE o.phone = clients.phone) AS sms_opt_out""",
            (salon_id, details.first_name, details.last_name, details.email, details.phone, details.opted_in_reminders),
        )
        return read_client(await cur.fetchone())
    if details.opted_in_reminders and not found["opted_in_reminders"]:
        await cur.execute("UPDATE clients SET opted_in_reminders = true WHERE id = %s", (found["id"],))
        found["opted_in_reminders"] = True
    return read_client(found)


async def update_client(
    db: Database,
    salon_id: uuid.UUID,
    client_id: uuid.UUID,
    details: ClientDetails,
    *,
    region: str = "GB",
    sms_countries: Sequence[str] | None = None,
) -> Client:
    """Saves the client's details, read and checked as ``create_client`` reads them; a number and a choice of
    reminders already on file are kept as they are, even where the salon no longer texts."""
    before = await get_client(db, salon_id, client_id)
    row = await db.fetch_one(
        """UPDATE clients SET first_name = %s, last_name = %s, email = %s, phone = %s, opted_in_reminders = %s
            WHERE id = %s AND salon_id = %s AND erased_at IS NULL
        RETURNING id, first_name, last_name, email, phone, opted_in_reminders,
                  EXISTS (SELECT FROM sms_opt_outs o WHERE o.phone = clients.phone) AS sms_opt_out""",
        (*_checked(details, region, sms_countries, before=before), client_id, salon_id),
    )
    if row is None:
        raise Conflict(ERASED)
    return read_client(row)


async def change_client(
    db: Database,
    salon_id: uuid.UUID,
    client_id: uuid.UUID,
    changes: Mapping[str, Any],
    *,
    region: str = "GB",
    sms_countries: Sequence[str] | None = None,
) -> Client:
    """Changes the fields ``changes`` names (``ClientDetails``' names); the others stay as they are. Saved and
    checked as ``update_client`` saves them."""
    now = await get_client(db, salon_id, client_id)
    kept = ClientDetails(now.first_name, now.last_name, now.email, now.phone, now.opted_in_reminders)
    changed = dataclasses.replace(kept, **changes)
    return await update_client(db, salon_id, client_id, changed, region=region, sms_countries=sms_countries)


# What a phone number may be typed with besides its digits: "+1 (207) 555-0188", "0188".
_PHONE_LIKE = re.compile(r"[\d\s+().\-/]+")
MAX_SEARCH = 100  # characters of a search: more than any name, email or number


def _literal(text: str) -> str:
    """A LIKE pattern matching ``text`` alone: its own %, _ and backslash match only themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _contains(text: str) -> str:
    """A LIKE pattern for "contains ``text``"."""
    return f"%{_literal(text)}%"


def phone_digits(search: str, region: str) -> tuple[str, ...]:
    """The digits a phone should contain for ``search`` to find it; none when it does not look like a number.

    "555-0188" and "0188" look for those digits anywhere in the stored E.164 number; a number written
    the national way ("07700 900123" in GB) also looks for its international form's digits, since the
    trunk 0 is not stored.
    """
    if not _PHONE_LIKE.fullmatch(search) or not (digits := re.sub(r"\D", "", search)):
        return ()
    try:
        number = phonenumbers.parse(search, region)
    except phonenumbers.NumberParseException:
        return (digits,)
    if not phonenumbers.is_possible_number(number):
        return (digits,)  # a fragment such as "0188": its digits as typed, nothing guessed
    international = f"{number.country_code}{phonenumbers.national_significant_number(number)}"
    return (digits,) if digits in international else (digits, international)


# A page of a salon's clients by name: all of them, or those a search finds (each arm served by its
# trigram index: see migration 0007); psycopg2 sends the values inline, so an absent arm (NULL) is
# folded away by the planner.
LIST_CLIENTS = """
    SELECT id, first_name, last_name, email, phone, opted_in_reminders,
           EXISTS (SELECT FROM sms_opt_outs o WHERE o.phone = clients.phone) AS sms_opt_out
      FROM clients
     WHERE salon_id = %(salon)s AND erased_at IS NULL
       AND (%(like)s::text IS NULL OR (first_name || ' ' || last_name) ILIKE %(like)s OR email ILIKE %(like)s
            OR phone LIKE %(digits)s OR phone LIKE %(international)s)
       AND (%(after)s::uuid IS NULL OR (first_name, last_name, id) >
            (SELECT first_name, last_name, id FROM clients WHERE id = %(after)s AND salon_id = %(salon)s))
     ORDER BY first_name, last_name, id LIMIT %(limit)s"""


def list_parameters(
    salon_id: uuid.UUID, search: str, *, region: str, after: uuid.UUID | None, limit: int
) -> dict[str, object]:
    """LIST_CLIENTS's values for one search (whitespace in it counts as one space)."""
    search = " ".join(fields.text(search, "q", required=False, max_length=MAX_SEARCH).split())
    digits = phone_digits(search, region) if search else ()
    return {
        "salon": salon_id,
        "like": _contains(search) if search else None,
        "digits": _contains(digits[0]) if digits else None,
        "international": _contains(digits[1]) if len(digits) > 1 else None,
        "after": after,
        "limit": limit,
    }


async def list_clients(
    db: Database,
    salon_id: uuid.UUID,
    search: str = "",
    *,
    region: str = "GB",
    after: uuid.UUID | None = None,
    limit: int = 500,
) -> list[Client]:
    """The salon's clients by name; with ``search``, those whose name or email contains it (any case) or whose
    phone contains its digits; the page after the client ``after``. ``region`` reads a number typed without
    its country code. The API's ``?q=``, the clients page and the booking form all search here.
    """
    rows = await db.fetch_all(LIST_CLIENTS, list_parameters(salon_id, search, region=region, after=after, limit=limit))
    return [read_client(row) for row in rows]


# An export's page of a salon's clients, erased ones too (their appointments name them): in id order.
PAGE_BY_ID = """
    SELECT id, first_name, last_name, email, phone, opted_in_reminders, erased_at,
           EXISTS (SELECT FROM sms_opt_outs o WHERE o.phone = clients.phone) AS sms_opt_out
      FROM clients
     WHERE salon_id = %(salon)s AND (%(after)s::uuid IS NULL OR id > %(after)s)
     ORDER BY id LIMIT %(limit)s"""


async def page_by_id(
    db: Database, salon_id: uuid.UUID, *, after: uuid.UUID | None, limit: int
) -> Page[Client, uuid.UUID]:
    """The salon's clients after the client ``after`` in id order (booking.paging): an export's page."""
    rows = await db.fetch_all(PAGE_BY_ID, {"salon": salon_id, "after": after, "limit": limit})
    return page_of([read_client(row) for row in rows], limit)


async def get_client(db: Database, salon_id: uuid.UUID, client_id: uuid.UUID) -> Client:
    row = await db.fetch_one(
        """SELECT id, first_name, last_name, email, phone, opted_in_reminders, erased_at,
                  EXISTS (SELECT FROM sms_opt_outs o WHERE o.phone = clients.phone) AS sms_opt_out
             FROM clients WHERE id = %s AND salon_id = %s""",
        (client_id, salon_id),
    )
    if row is None:
        raise NotFound("no such client", "client_id")
    return read_client(row)


async def erase(cur: aiopg.Cursor, salon_id: uuid.UUID, client_id: uuid.UUID) -> Client:
    """Replaces the client's name, email and phone and turns their reminders off; returns them as they were."""
    await cur.execute(
        """UPDATE clients c
              SET first_name = 'Erased', last_name = 'client', email = NULL, phone = NULL,
                  opted_in_reminders = false, erased_at = now()
             FROM (SELECT id, first_name, last_name, email, phone, opted_in_reminders, erased_at
                     FROM clients WHERE id = %s AND salon_id = %s FOR UPDATE) AS before
            WHERE c.id = before.id
        RETURNING before.id, before.first_name, before.last_name, before.email, before.phone,
                  before.opted_in_reminders, before.erased_at""",
        (client_id, salon_id),
    )
    row: Row | None = await cur.fetchone()
    if row is None:
        raise NotFound("no such client", "client_id")
    return read_client(row)


async def of_link(db: Database, client_id: uuid.UUID) -> tuple[uuid.UUID, Client] | None:
    """A client named by a link in their messages, with their salon's id; None for one erased or unknown."""
    row = await db.fetch_one(
        """SELECT salon_id, id, first_name, last_name, email, phone, opted_in_reminders
             FROM clients WHERE id = %s AND erased_at IS NULL""",
        (client_id,),
    )
    if row is None:
        return None
    return row.pop("salon_id"), read_client(row)


async def unsubscribe(db: Database, client_id: uuid.UUID) -> None:
    """The client wants no more reminders (the unsubscribe link of an email): their opt-in goes, with the
    reminders (and thank-yous) already planned. Saying it again changes nothing."""
    async with db.transaction() as cur:
        await cur.execute("UPDATE clients SET opted_in_reminders = false WHERE id = %s", (client_id,))
        await queue.cancel_client(cur, client_id, N_("the client turned reminders off (the link in an email)"), WANTED)
