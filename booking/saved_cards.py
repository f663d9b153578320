"""Cards saved at online booking where a fee may apply (the salon's Stripe account connected and a no-show or a
late-cancellation fee above 0): on a Stripe Customer made for the client on the salon's account, by the deposit's own
PaymentIntent (``setup_future_usage``) or, for a service that asks no deposit, a SetupIntent. All SQL for
saved_cards.

A card's row is written inside its hold, pending, once Stripe has made its intent; it is saved (with the card's
payment method) and put on the appointment in the transaction that books the held time (booking.online.book_paid),
so the same word from Stripe twice changes nothing. Its brand and last 4 are read from Stripe once, when Stripe
first names the card (``describe``, before that transaction), and kept on the row: the desk's page asks Stripe
nothing. Charging a fee on it is the payment jobs' (not here).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from enum import StrEnum

import aiopg

from booking import payments
from booking.models import Salon
from booking.paging import Page, page_of
from db import Database, Row
from db.rows import reader
from providers import stripe


class CardStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"  # saved: the card may be charged off-session
    FAILED = "failed"
    CANCELED = "canceled"  # the hold lapsed before the card was saved


@dataclass(frozen=True)
class SavedCard:
    id: uuid.UUID
    hold_id: uuid.UUID | None
    appointment_id: uuid.UUID | None
    stripe_customer_id: str
    stripe_intent_id: str  # seti_... (a SetupIntent) or pi_... (the deposit's PaymentIntent)
    stripe_payment_method_id: str | None
    card_brand: str | None  # visa, mastercard, ... as Stripe said when the card was saved; None: it could not say
    card_last4: str | None
    status: CardStatus
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True)
class Fees:
    """What the client is told before the card is saved: each fee (0: none) and the cut-off of a late cancellation."""

    no_show_cents: int
    late_cancellation_cents: int
    cancel_cutoff_minutes: int
    currency: str


@dataclass(frozen=True)
class OnFile:
    """A card on an appointment, as the desk sees it: its brand and last 4 as Stripe said them, else None."""

    brand: str | None
    last4: str | None


read_card = reader(SavedCard)
_COLUMNS = """id, hold_id, appointment_id, stripe_customer_id, stripe_intent_id, stripe_payment_method_id, card_brand,
              card_last4, status, created_at, updated_at"""


async def fees(cur: aiopg.Cursor, salon: Salon, appointment_id: uuid.UUID) -> Fees | None:
    """The fees a held appointment's card may be charged; None when none may apply (no fee; the caller knows the
    salon takes payments)."""
    if not salon.charges_fees:
        return None
    await cur.execute(
        "SELECT price_cents FROM appointments WHERE salon_id = %s AND id = %s", (salon.id, appointment_id)
    )
    row: Row | None = await cur.fetchone()
    price = row["price_cents"] if row is not None else 0
    return Fees(
        price * salon.no_show_fee_percent // 100,
        price * salon.late_cancellation_fee_percent // 100,
        salon.cancel_cutoff_minutes,
        salon.currency,
    )


async def new_customer(
    account: stripe.Account, salon: Salon, hold_id: uuid.UUID, name: str, email: str | None, phone: str | None
) -> str:
    """A Customer for the client on the salon's account (one per hold: its idempotency key is the hold's)."""
    with payments.stripe_asked():
        return await stripe.create_customer(
            account, name=name, email=email, phone=phone, idempotency_key=f"salonbook-customer-hold-{hold_id}",
            metadata={"salonbook_salon": str(salon.id), "salonbook_hold": str(hold_id)},
        )  # fmt: skip


async def new_setup(account: stripe.Account, salon: Salon, hold_id: uuid.UUID, customer: str, key: str) -> stripe.Setup:
    with payments.stripe_asked():
        return await stripe.create_setup(
            account, customer=customer, idempotency_key=key,
            metadata={"salonbook_salon": str(salon.id), "salonbook_hold": str(hold_id)},
        )  # fmt: skip


async def read_setup(account: stripe.Account, setup_id: str) -> stripe.Setup:
    with payments.stripe_asked():
        return await stripe.read_setup(account, setup_id)


async def add(db: Database, salon_id: uuid.UUID, hold_id: uuid.UUID, customer: str, intent_id: str) -> SavedCard:
    """The hold's card, pending; if the hold has one already (two pages at once), that one."""
    await db.execute(
        """INSERT INTO saved_cards (salon_id, hold_id, stripe_customer_id, stripe_intent_id, status)
           VALUES (%s, %s, %s, %s, 'pending')
           ON CONFLICT DO NOTHING""",
        (salon_id, hold_id, customer, intent_id),
    )
    found = await of_hold(db, salon_id, hold_id)
    assert found is not None, "a hold's card row was just written"
    return found


async def of_hold(db: Database, salon_id: uuid.UUID, hold_id: uuid.UUID) -> SavedCard | None:
    row = await db.fetch_one(f"SELECT {_COLUMNS} FROM saved_cards WHERE salon_id = %s AND hold_id = %s",
                             (salon_id, hold_id))  # fmt: skip
    return read_card(row) if row is not None else None


async def replace_intent(db: Database, card: SavedCard, intent_id: str) -> SavedCard:
    """The card's SetupIntent ended unsaved (declined, canceled): a new one in its place, pending again."""
    row = await db.fetch_row(
        f"""UPDATE saved_cards SET stripe_intent_id = %s, status = 'pending', updated_at = now()
             WHERE id = %s AND status <> 'succeeded' RETURNING {_COLUMNS}""",
        (intent_id, card.id),
    )
    return read_card(row)


async def hold_of(cur: aiopg.Cursor, salon_id: uuid.UUID, intent_id: str) -> uuid.UUID | None:
    """The hold a card's SetupIntent is saved in (not locked: its hold is locked first, then the row)."""
    await cur.execute("SELECT hold_id FROM saved_cards WHERE salon_id = %s AND stripe_intent_id = %s",
                      (salon_id, intent_id))  # fmt: skip
    found: Row | None = await cur.fetchone()
    return found["hold_id"] if found is not None else None


async def lock(cur: aiopg.Cursor, salon_id: uuid.UUID, intent_id: str) -> Row | None:
    """A card's row by its SetupIntent, locked: whoever says it succeeded next waits for this one."""
    await cur.execute(
        """SELECT id, hold_id, appointment_id, status FROM saved_cards
            WHERE salon_id = %s AND stripe_intent_id = %s FOR UPDATE""",
        (salon_id, intent_id),
    )
    found: Row | None = await cur.fetchone()
    return found


async def saved(
    cur: aiopg.Cursor, salon_id: uuid.UUID, intent_id: str, payment_method: str | None, appointment_id: uuid.UUID | None
) -> None:
    """Stripe says the intent (a SetupIntent, or a deposit's PaymentIntent that saved its card) succeeded: the card
    is saved, on the appointment it booked. Without the payment method it stays pending (nothing to charge); a card
    whose hold lapsed first stays canceled (no appointment to charge a fee for)."""
    await cur.execute(
        """UPDATE saved_cards
              SET status = CASE WHEN %(method)s::text IS NULL THEN status ELSE 'succeeded' END,
                  stripe_payment_method_id = coalesce(%(method)s, stripe_payment_method_id),
                  appointment_id = coalesce(%(appointment)s, appointment_id), updated_at = now()
            WHERE salon_id = %(salon)s AND stripe_intent_id = %(intent)s AND status IN ('pending', 'failed')""",
        {"method": payment_method, "appointment": appointment_id, "salon": salon_id, "intent": intent_id},
    )


async def describe(
    db: Database, account: stripe.Account, salon_id: uuid.UUID, intent_id: str, payment_method: str | None
) -> None:
    """Stripe names ``payment_method`` as the card of the intent ``intent_id`` (its webhook, the page's read-back):
    if that intent saves a card whose brand is not yet kept, the brand and last 4 are read from Stripe and kept.
    Call it before the transaction that books the hold (``booking.online.book_paid``), never inside one: Stripe
    may be slow. When Stripe cannot say, the row keeps NULL and the next word about the intent tries again; an
    intent that saves no card asks Stripe nothing."""
    if payment_method is None:
        return
    unknown = await db.fetch_one(
        """SELECT FROM saved_cards
            WHERE salon_id = %s AND stripe_intent_id = %s AND card_brand IS NULL AND card_last4 IS NULL
              AND coalesce(stripe_payment_method_id, %s) = %s""",
        (salon_id, intent_id, payment_method, payment_method),
    )
    if unknown is None:
        return
    try:
        card = await stripe.read_card(account, payment_method)
    except stripe.StripeProblem:
        return  # only "a card is saved" on the desk's page until Stripe says more
    await db.execute(
        """UPDATE saved_cards SET card_brand = %s, card_last4 = %s, updated_at = now()
            WHERE salon_id = %s AND stripe_intent_id = %s AND card_brand IS NULL AND card_last4 IS NULL
              AND coalesce(stripe_payment_method_id, %s) = %s""",
        (card.brand, card.last4, salon_id, intent_id, payment_method, payment_method),
    )


async def failed(db: Database, salon_id: uuid.UUID, intent_id: str) -> None:
    """Stripe said saving the card failed: the row says so until another card is saved (the hold still lapses)."""
    await db.execute(
        """UPDATE saved_cards SET status = 'failed', updated_at = now()
            WHERE salon_id = %s AND stripe_intent_id = %s AND status = 'pending'""",
        (salon_id, intent_id),
    )


async def abandoned(cur: aiopg.Cursor, hold_ids: list[uuid.UUID]) -> None:
    """The holds lapsed or ended before their cards were saved: those cards are canceled."""
    await cur.execute(
        """UPDATE saved_cards SET status = 'canceled', updated_at = now()
            WHERE hold_id = ANY(%s) AND status IN ('pending', 'failed')""",
        (hold_ids,),
    )


async def of_appointment(db: Database, salon_id: uuid.UUID, appointment_id: uuid.UUID) -> SavedCard | None:
    """The card saved for the appointment (the one a fee is charged on), or None."""
    row = await db.fetch_one(
        f"""SELECT {_COLUMNS} FROM saved_cards
             WHERE salon_id = %s AND appointment_id = %s AND status = 'succeeded'""",
        (salon_id, appointment_id),
    )
    return read_card(row) if row is not None else None


async def on_file(db: Database, salon_id: uuid.UUID, appointment_id: uuid.UUID) -> OnFile | None:
    """What the desk sees of the appointment's saved card, from its row alone (Stripe is not asked: a slow Stripe
    never slows the page): its brand and last 4, or, when Stripe could not say them, only that a card is saved.
    None: no card."""
    card = await of_appointment(db, salon_id, appointment_id)
    if card is None:
        return None
    return OnFile(card.card_brand, card.card_last4)


# An export's page of the salon's saved cards: in id order, along saved_cards_salon_id.
PAGE_BY_ID = f"""
    SELECT {_COLUMNS} FROM saved_cards
     WHERE salon_id = %(salon)s AND (%(after)s::uuid IS NULL OR id > %(after)s)
     ORDER BY id LIMIT %(limit)s"""


async def page_by_id(
    db: Database, salon_id: uuid.UUID, *, after: uuid.UUID | None, limit: int
) -> Page[SavedCard, uuid.UUID]:
    """The salon's saved cards after ``after`` in id order (booking.paging): an export's page."""
    rows = await db.fetch_all(PAGE_BY_ID, {"salon": salon_id, "after": after, "limit": limit})
    return page_of([read_card(row) for row in rows], limit)
