"""Money through the salon's own Stripe account: the account's keys (sealed at rest, never shown back), what a
service's deposit comes to, the deposits paid online, the owner's refunds, and every payment's row as the pages,
reports and exports read it.

The SQL for stripe_accounts is all here; the payments table's is in two modules. This one owns the account, the
deposits (written, settled, abandoned), the owner's own refunds, and every read of the rows; booking.payment_jobs
owns the rows the worker moves (fees, refunds by policy, a deposit paid after its hold lapsed), written with their
payment jobs, and the worker's record of Stripe's answer on them.

A salon without a secret key takes no payments: no deposit is asked and nothing about payments shows. Stripe is
spoken to only through providers.stripe; a deposit's row is written after Stripe's answer, and the PaymentIntent's
id is unique among the rows that move money in (payments_one_per_intent), so whatever says a payment succeeded,
however often, books once (booking.online.book_paid). A fee's or a refund's row is written first, with its
idempotency key, and Stripe asked after: by the owner's request (``refund``) or by a payment job
(booking.payment_jobs.move).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

import aiopg

from booking import fields, installation, locales, sealing
from booking.errors import Conflict, Invalid, PaymentProblem
from booking.models import Deposit
from booking.notice_types import N_
from booking.paging import Page, page_of
from db import Database, Row
from db.rows import reader
from providers import stripe

SECRET_KEY = re.compile(r"(sk|rk)_(test|live)_[0-9A-Za-z]{8,247}")
PUBLISHABLE_KEY = re.compile(r"pk_(test|live)_[0-9A-Za-z]{8,247}")
WEBHOOK_SECRET = re.compile(r"whsec_[0-9A-Za-z+/=]{8,247}")


class PaymentKind(StrEnum):
    DEPOSIT = "deposit"
    FEE = "fee"
    REFUND = "refund"


class PaymentReason(StrEnum):
    """Why money moved: part of a fee's or a refund's idempotency key, so one reason moves money once."""

    DEPOSIT = "deposit"
    NO_SHOW = "no_show"
    LATE_CANCELLATION = "late_cancellation"
    EARLY_CANCELLATION = "early_cancellation"
    OWNER = "owner"
    UNBOOKED = "unbooked"


class PaymentStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


@dataclass(frozen=True)
class AccountStatus:
    """What the owner sees of the salon's Stripe account: never a secret, only whether it is set."""

    connected: bool
    secret_key_last4: str | None
    publishable_key: str | None
    webhook_secret: str  # "set" or "not set"


@dataclass(frozen=True)
class AccountChange:
    """The keys the owner typed; None keeps the one saved (a write-only field left empty)."""

    secret_key: str | None
    publishable_key: str | None
    webhook_secret: str | None


@dataclass(frozen=True)
class Keys:
    """The salon's keys, opened, for a call to Stripe: never written to a page, a log or an answer."""

    account: stripe.Account
    publishable_key: str
    webhook_secret: str | None


@dataclass(frozen=True)
class Payment:
    id: uuid.UUID
    appointment_id: uuid.UUID | None
    kind: PaymentKind
    reason: PaymentReason
    amount_cents: int
    currency: str
    status: PaymentStatus
    stripe_payment_intent_id: str | None
    stripe_refund_id: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    failure: str | None  # what Stripe said of a fee or refund that did not go through (a declined card)


read_payment = reader(Payment)
_COLUMNS = """id, appointment_id, kind, reason, amount_cents, currency, status, stripe_payment_intent_id,
              stripe_refund_id, created_at, updated_at, failure"""
NOT_SET = AccountStatus(False, None, None, "not set")


def _checked_change(change: AccountChange, first: bool) -> AccountChange:
    if first and (not change.secret_key or not change.publishable_key):
        raise Invalid("{field} is required to connect a Stripe account", "secret_key" if not change.secret_key
                      else "publishable_key")  # fmt: skip
    for value, shape, field in (
        (change.secret_key, SECRET_KEY, "secret_key"),
        (change.publishable_key, PUBLISHABLE_KEY, "publishable_key"),
        (change.webhook_secret, WEBHOOK_SECRET, "webhook_secret"),
    ):
        if value is not None and not shape.fullmatch(value):
            raise Invalid("{field} is not a Stripe key of the shape {shape}", field, shape=shape.pattern)
    return change


async def account_status(db: Database, salon_id: uuid.UUID) -> AccountStatus:
    row = await db.fetch_one(
        """SELECT secret_key_last4, publishable_key, webhook_secret_sealed IS NOT NULL AS webhook
             FROM stripe_accounts WHERE salon_id = %s""",
        (salon_id,),
    )
    if row is None:
        return NOT_SET
    webhook = "set" if row["webhook"] else "not set"
    return AccountStatus(True, row["secret_key_last4"], row["publishable_key"], webhook)


async def save_account(db: Database, salon_id: uuid.UUID, change: AccountChange) -> AccountStatus:
    """Connects (or changes) the salon's Stripe account; a key left None stays as saved."""
    key = await installation.payments_key(db)
    first = (await account_status(db, salon_id)) == NOT_SET
    change = _checked_change(change, first)
    secret, webhook = change.secret_key, change.webhook_secret
    values = {"salon": salon_id, "secret": sealing.seal(key, secret) if secret else None,
              "last4": secret[-4:] if secret else None, "publishable": change.publishable_key,
              "webhook": sealing.seal(key, webhook) if webhook else None}  # fmt: skip
    if first:  # two owners connecting at once: the later one's keys
        await db.execute(
            """INSERT INTO stripe_accounts (salon_id, secret_key_sealed, secret_key_last4, publishable_key,
                                            webhook_secret_sealed)
               VALUES (%(salon)s, %(secret)s, %(last4)s, %(publishable)s, %(webhook)s)
               ON CONFLICT (salon_id) DO UPDATE
                  SET secret_key_sealed = EXCLUDED.secret_key_sealed, secret_key_last4 = EXCLUDED.secret_key_last4,
                      publishable_key = EXCLUDED.publishable_key,
                      webhook_secret_sealed = EXCLUDED.webhook_secret_sealed, updated_at = now()""",
            values,
        )
    else:
        await db.execute(
            """UPDATE stripe_accounts
                  SET secret_key_sealed = coalesce(%(secret)s, secret_key_sealed),
                      secret_key_last4 = coalesce(%(last4)s, secret_key_last4),
                      publishable_key = coalesce(%(publishable)s, publishable_key),
                      webhook_secret_sealed = coalesce(%(webhook)s, webhook_secret_sealed), updated_at = now()
                WHERE salon_id = %(salon)s""",
            values,
        )
    return await account_status(db, salon_id)


async def remove_account(db: Database, salon_id: uuid.UUID) -> None:
    """Disconnects the account: no deposit is asked from now on (payments already made stay on record)."""
    await db.execute("DELETE FROM stripe_accounts WHERE salon_id = %s", (salon_id,))


async def keys(db: Database, salon_id: uuid.UUID, api_base: str) -> Keys | None:
    """The salon's keys, opened, for a call to Stripe at ``api_base``; None without an account."""
    row = await db.fetch_one(
        """SELECT secret_key_sealed, publishable_key, webhook_secret_sealed FROM stripe_accounts
            WHERE salon_id = %s""",
        (salon_id,),
    )
    if row is None:
        return None
    key = await installation.payments_key(db)
    webhook = row["webhook_secret_sealed"]
    return Keys(
        stripe.Account(sealing.unseal(key, bytes(row["secret_key_sealed"])), api_base),
        row["publishable_key"],
        sealing.unseal(key, bytes(webhook)) if webhook is not None else None,
    )


async def takes_payments(db: Database, salon_id: uuid.UUID) -> bool:
    return await db.fetch_one("SELECT FROM stripe_accounts WHERE salon_id = %s", (salon_id,)) is not None


async def connected(cur: aiopg.Cursor, salon_id: uuid.UUID) -> bool:
    """As takes_payments, inside a transaction."""
    await cur.execute("SELECT FROM stripe_accounts WHERE salon_id = %s", (salon_id,))
    return await cur.fetchone() is not None


# The least Stripe charges, in the currency's cents (Stripe's "minimum charge amounts"); a currency not listed
# is taken at 50 cents, like most. A smaller PaymentIntent is refused by Stripe, so none is ever asked.
MINIMUM_CHARGE: dict[str, int] = {
    "USD": 50, "EUR": 50, "GBP": 30, "AUD": 50, "CAD": 50, "CHF": 50, "NZD": 50, "SGD": 50, "BRL": 50, "INR": 50,
    "DKK": 250, "NOK": 300, "SEK": 300, "PLN": 200, "CZK": 1500, "HUF": 17500, "RON": 200, "BGN": 100,
    "HKD": 400, "MXN": 1000, "MYR": 200, "THB": 1000, "AED": 200, "JPY": 5000,
}  # fmt: skip
DEFAULT_MINIMUM_CHARGE = 50


def chargeable(deposit_cents: int, price_cents: int, currency: str) -> int:
    """What a deposit of ``deposit_cents`` on ``price_cents`` asks, given Stripe's least charge in ``currency``: a
    smaller deposit is raised to that least charge (never above the price); when the price itself is below it, no
    deposit is asked (0) and the code books the time, as for a service without a deposit."""
    least = MINIMUM_CHARGE.get(currency.upper(), DEFAULT_MINIMUM_CHARGE)
    if deposit_cents <= 0 or price_cents < least:
        return 0
    return min(max(deposit_cents, least), price_cents)


async def deposit_due(cur: aiopg.Cursor, salon_id: uuid.UUID, appointment_id: uuid.UUID) -> int:
    """The deposit a held appointment asks before it is booked, in cents: 0 when its service asks none, the salon
    takes no payments, or its price is below the least Stripe charges (``chargeable``)."""
    await cur.execute(
        """SELECT a.price_cents, v.deposit_percent, v.deposit_cents, s.currency
             FROM appointments a JOIN services v ON v.salon_id = a.salon_id AND v.id = a.service_id
             JOIN salons s ON s.id = a.salon_id
            WHERE a.salon_id = %s AND a.id = %s
              AND EXISTS (SELECT FROM stripe_accounts k WHERE k.salon_id = a.salon_id)""",
        (salon_id, appointment_id),
    )
    row: Row | None = await cur.fetchone()
    if row is None or row["price_cents"] is None or (row["deposit_percent"] is None and row["deposit_cents"] is None):
        return 0
    asked = Deposit(row["deposit_percent"], row["deposit_cents"]).of(
        row["price_cents"], locales.smallest_cents(row["currency"])
    )
    return chargeable(asked, row["price_cents"], row["currency"])


UNREACHABLE = N_("the salon's payments could not be reached: {problem}")
NOT_REFUNDED = N_("Stripe did not refund it: {problem}")


@contextlib.contextmanager
def stripe_asked(message: str = UNREACHABLE) -> Iterator[None]:
    """Stripe's troubles, inside the block, become the domain's PaymentProblem, in ``message``'s words."""
    try:
        yield
    except stripe.StripeProblem as problem:
        raise PaymentProblem(message, problem=str(problem)) from problem


async def create_intent(
    keys_: Keys, *, amount_cents: int, currency: str, idempotency_key: str, metadata: dict[str, str],
    save_card_for: str | None = None,
) -> stripe.Intent:  # fmt: skip
    """A PaymentIntent on the salon's account (saving the card that pays on the Customer ``save_card_for``, if
    given); Stripe's troubles become the domain's errors."""
    with stripe_asked():
        return await stripe.create_intent(
            keys_.account, amount_cents=amount_cents, currency=currency, idempotency_key=idempotency_key,
            metadata=metadata, save_card_for=save_card_for,
        )  # fmt: skip


async def read_intent(keys_: Keys, intent_id: str) -> stripe.Intent:
    with stripe_asked():
        return await stripe.read_intent(keys_.account, intent_id)


async def add_deposit(db: Database, salon_id: uuid.UUID, hold_id: uuid.UUID, intent: stripe.Intent) -> Payment:
    """The deposit's row for a hold, pending; if the hold has one already (two pages at once), that one."""
    await db.execute(
        """INSERT INTO payments (salon_id, hold_id, kind, reason, amount_cents, currency, stripe_payment_intent_id,
                                 status)
           VALUES (%s, %s, 'deposit', 'deposit', %s, %s, %s, 'pending')
           ON CONFLICT DO NOTHING""",
        (salon_id, hold_id, intent.amount_cents, intent.currency, intent.id),
    )
    found = await deposit_of_hold(db, salon_id, hold_id)
    assert found is not None, "a hold's deposit row was just written"
    return found


async def deposit_of_hold(db: Database, salon_id: uuid.UUID, hold_id: uuid.UUID) -> Payment | None:
    row = await db.fetch_one(
        f"SELECT {_COLUMNS} FROM payments WHERE salon_id = %s AND hold_id = %s AND kind = 'deposit'",
        (salon_id, hold_id),
    )
    return read_payment(row) if row is not None else None


async def hold_of_deposit(cur: aiopg.Cursor, salon_id: uuid.UUID, intent_id: str) -> uuid.UUID | None:
    """The hold a deposit's PaymentIntent pays for (not locked: its hold is locked first, then the row)."""
    await cur.execute(
        """SELECT hold_id FROM payments
            WHERE salon_id = %s AND stripe_payment_intent_id = %s AND kind = 'deposit'""",
        (salon_id, intent_id),
    )
    found: Row | None = await cur.fetchone()
    return found["hold_id"] if found is not None else None


async def lock_deposit(cur: aiopg.Cursor, salon_id: uuid.UUID, intent_id: str) -> Row | None:
    """A deposit's row by its PaymentIntent, locked: whoever says it succeeded next waits for this one."""
    await cur.execute(
        """SELECT id, hold_id, appointment_id, status FROM payments
            WHERE salon_id = %s AND stripe_payment_intent_id = %s AND kind = 'deposit' FOR UPDATE""",
        (salon_id, intent_id),
    )
    found: Row | None = await cur.fetchone()
    return found


async def settle(
    cur: aiopg.Cursor, payment_id: uuid.UUID, status: PaymentStatus, appointment_id: uuid.UUID | None = None
) -> None:
    await cur.execute(
        """UPDATE payments SET status = %s, appointment_id = coalesce(%s, appointment_id), updated_at = now()
            WHERE id = %s""",
        (status, appointment_id, payment_id),
    )


async def failed(db: Database, salon_id: uuid.UUID, intent_id: str) -> None:
    """Stripe said an attempt to pay failed: the row says so until another card pays (the hold still lapses)."""
    await db.execute(
        """UPDATE payments SET status = 'failed', updated_at = now()
            WHERE salon_id = %s AND stripe_payment_intent_id = %s AND kind <> 'refund' AND status = 'pending'""",
        (salon_id, intent_id),
    )


@dataclass(frozen=True)
class Unpaid:
    """A deposit's PaymentIntent whose hold ended before it was paid: to cancel at Stripe (``cancel_unpaid``)."""

    salon_id: uuid.UUID
    intent_id: str


async def abandoned(cur: aiopg.Cursor, hold_ids: list[uuid.UUID]) -> list[Unpaid]:
    """The holds lapsed or ended unpaid: their deposits, never paid, are canceled. Returns their PaymentIntents,
    to cancel at Stripe once this is committed."""
    await cur.execute(
        """UPDATE payments SET status = 'canceled', updated_at = now()
            WHERE hold_id = ANY(%s) AND status IN ('pending', 'failed')
        RETURNING salon_id, stripe_payment_intent_id""",
        (hold_ids,),
    )
    rows: list[Row] = await cur.fetchall()
    return [Unpaid(row["salon_id"], row["stripe_payment_intent_id"]) for row in rows]


async def cancel_unpaid(db: Database, unpaid: list[Unpaid], api_base: str) -> list[str]:
    """Cancels at Stripe, best effort, the PaymentIntents of deposits whose time has gone, so no card can pay them
    now (one paid all the same is refunded whole: booking.payment_jobs.refund_unbooked). Returns what could not be
    canceled, in words for the log; a salon that has since removed its account is left alone."""
    problems = []
    for each in unpaid:
        salon_keys = await keys(db, each.salon_id, api_base)
        if salon_keys is None:
            continue
        try:
            await stripe.cancel_intent(salon_keys.account, each.intent_id)
        except stripe.StripeProblem as problem:
            problems.append(f"PaymentIntent {each.intent_id} of salon {each.salon_id} not canceled: {problem}")
    return problems


async def of_appointment(db: Database, salon_id: uuid.UUID, appointment_id: uuid.UUID) -> list[Payment]:
    """Every money movement on the appointment, oldest first."""
    rows = await db.fetch_all(
        f"""SELECT {_COLUMNS} FROM payments WHERE salon_id = %s AND appointment_id = %s
            ORDER BY created_at, id""",
        (salon_id, appointment_id),
    )
    return [read_payment(row) for row in rows]


# What a client's payments add to the prices of their completed appointments (booking.client_history): per
# appointment of theirs with money on it, its succeeded fees, less its succeeded refunds, and its succeeded deposits
# unless it was completed (a completed one's price holds its deposit; only a deposit above that price would add).
CLIENT_PAYMENTS = """
    SELECT coalesce(sum(CASE WHEN a.status = 'completed'
                             THEN greatest(m.deposits - coalesce(a.price_cents, 0), 0) ELSE m.deposits END
                        + m.fees - m.refunds), 0) AS beyond_prices
      FROM appointments a
      JOIN LATERAL (
          SELECT coalesce(sum(p.amount_cents) FILTER (WHERE p.kind = 'deposit'), 0) AS deposits,
                 coalesce(sum(p.amount_cents) FILTER (WHERE p.kind = 'fee'), 0) AS fees,
                 coalesce(sum(p.amount_cents) FILTER (WHERE p.kind = 'refund'), 0) AS refunds
            FROM payments p
           WHERE p.salon_id = a.salon_id AND p.appointment_id = a.id AND p.status = 'succeeded'
      ) m ON true
     WHERE a.salon_id = %(salon)s AND a.client_id = %(client)s"""


async def beyond_prices(db: Database, salon_id: uuid.UUID, client_id: uuid.UUID) -> int:
    """What the client's payments add to the prices of their completed appointments, in cents (may be negative:
    a refund on a completed appointment takes from its price). See booking.client_history for the whole rule."""
    row = await db.fetch_row(CLIENT_PAYMENTS, {"salon": salon_id, "client": client_id})
    return int(row["beyond_prices"])


@dataclass(frozen=True)
class Refundable:
    """A payment the owner may still refund some of: a succeeded deposit or fee, and what is left of it."""

    payment: Payment
    left_cents: int


def refundable(moved: list[Payment]) -> list[Refundable]:
    """What the owner may still refund of an appointment's payments (``of_appointment``): each succeeded deposit
    or fee with what is left of it, less every refund asked or made on its PaymentIntent (as ``refund`` counts
    them); the deposit first."""
    found = []
    for paid in moved:
        if paid.kind == PaymentKind.REFUND or paid.status != PaymentStatus.SUCCEEDED:
            continue
        given = sum(
            p.amount_cents
            for p in moved
            if p.kind == PaymentKind.REFUND
            and p.stripe_payment_intent_id == paid.stripe_payment_intent_id
            and p.status in (PaymentStatus.PENDING, PaymentStatus.SUCCEEDED)
        )
        if paid.amount_cents > given:
            found.append(Refundable(paid, paid.amount_cents - given))
    return sorted(found, key=lambda r: r.payment.kind != PaymentKind.DEPOSIT)


@dataclass(frozen=True)
class _RefundAsked:
    payment_id: uuid.UUID
    amount_cents: int
    currency: str
    intent_id: str
    key: str


REFUND_STATUSES = {"succeeded": PaymentStatus.SUCCEEDED, "failed": PaymentStatus.FAILED,
                   "canceled": PaymentStatus.CANCELED}  # fmt: skip  # else (pending, requires_action): pending


async def refund(
    db: Database, salon_id: uuid.UUID, appointment_id: uuid.UUID, amount_cents: int | None, api_base: str,
    payment_id: uuid.UUID | None = None,
) -> Payment:  # fmt: skip
    """The owner gives back ``amount_cents`` (None: all that is left) of a payment on the appointment: its paid
    deposit, or the succeeded deposit or fee ``payment_id``. The refund's row and its idempotency key (the
    appointment's for the deposit, the fee's own id for a fee, and the reason: the owner's n-th refund of it) are
    written before Stripe is asked; a refund whose answer never came is asked again under its own key first, so a
    double click, a retried request or a lost answer never gives money back twice. Conflict when nothing is left
    to refund."""
    salon_keys = await keys(db, salon_id, api_base)
    if salon_keys is None:
        raise Conflict("the salon's Stripe account is not connected: nothing can be refunded here")
    asked = await _ask_refund(db, salon_id, appointment_id, amount_cents, payment_id)
    with stripe_asked(NOT_REFUNDED):  # the row stays pending: asking again asks under the same key
        # one asked before whose answer was lost is found by its key, not asked twice
        made = await stripe.find_refund(salon_keys.account, asked.intent_id, asked.key) or await stripe.refund(
            salon_keys.account,
            asked.intent_id,
            amount_cents=asked.amount_cents,
            currency=asked.currency,
            idempotency_key=asked.key,
        )
    row = await db.fetch_row(
        f"""UPDATE payments SET stripe_refund_id = %s, status = %s, updated_at = now()
             WHERE id = %s RETURNING {_COLUMNS}""",
        (made.id, REFUND_STATUSES.get(made.status, PaymentStatus.PENDING), asked.payment_id),
    )
    return read_payment(row)


async def _ask_refund(
    db: Database, salon_id: uuid.UUID, appointment_id: uuid.UUID, amount_cents: int | None,
    payment_id: uuid.UUID | None,
) -> _RefundAsked:  # fmt: skip
    """The refund's row, pending, under the refunded payment's lock: two at once cannot both take what is left."""
    async with db.transaction() as cur:
        await cur.execute(
            """SELECT id, kind, amount_cents, currency, stripe_payment_intent_id FROM payments
                WHERE salon_id = %(salon)s AND appointment_id = %(appointment)s AND status = 'succeeded'
                  AND CASE WHEN %(chosen)s::uuid IS NULL THEN kind = 'deposit'
                           ELSE id = %(chosen)s AND kind IN ('deposit', 'fee') END
                  FOR UPDATE""",
            {"salon": salon_id, "appointment": appointment_id, "chosen": payment_id},
        )
        paid: Row | None = await cur.fetchone()
        if paid is None and payment_id is None:
            raise Conflict("no deposit was paid on this appointment")
        if paid is None:
            raise Conflict("no such deposit or fee was paid on this appointment", "payment_id")
        deposit = paid["kind"] == PaymentKind.DEPOSIT
        await cur.execute(
            """SELECT id, amount_cents, status, stripe_refund_id, idempotency_key, reason FROM payments
                WHERE salon_id = %s AND appointment_id = %s AND kind = 'refund' AND stripe_payment_intent_id = %s
                ORDER BY created_at""",
            (salon_id, appointment_id, paid["stripe_payment_intent_id"]),
        )
        refunds: list[Row] = await cur.fetchall()
        unanswered_ones = (r for r in refunds if r["status"] == "pending" and r["stripe_refund_id"] is None
                           and r["reason"] == PaymentReason.OWNER)  # fmt: skip  # the others are the worker's
        for unanswered in unanswered_ones:
            return _RefundAsked(unanswered["id"], unanswered["amount_cents"], paid["currency"],
                                paid["stripe_payment_intent_id"], unanswered["idempotency_key"])  # fmt: skip
        given = sum(r["amount_cents"] for r in refunds if r["status"] in ("pending", "succeeded"))
        left = paid["amount_cents"] - given
        if left <= 0 and deposit:
            raise Conflict("the deposit has been refunded in full")
        if left <= 0:
            raise Conflict("the fee has been refunded in full")
        amount = left if amount_cents is None else amount_cents
        fields.in_whole_units(amount, "amount_cents", paid["currency"])  # no refund of half a yen
        if not 1 <= amount <= left and deposit:
            raise Invalid(
                "{field} must be between 1 and {left}, what is left of the deposit", "amount_cents", left=str(left)
            )
        if not 1 <= amount <= left:
            raise Invalid(
                "{field} must be between 1 and {left}, what is left of the fee", "amount_cents", left=str(left)
            )
        owners = sum(1 for r in refunds if r["reason"] == PaymentReason.OWNER)
        of = appointment_id if deposit else paid["id"]
        key = f"salonbook-refund-{of}-owner-{owners + 1}"
        await cur.execute(
            """INSERT INTO payments (salon_id, appointment_id, kind, reason, amount_cents, currency,
                                     stripe_payment_intent_id, status, idempotency_key)
               VALUES (%s, %s, 'refund', 'owner', %s, %s, %s, 'pending', %s) RETURNING id""",
            (salon_id, appointment_id, amount, paid["currency"], paid["stripe_payment_intent_id"], key),
        )
        made: Row = await cur.fetchone()
        return _RefundAsked(made["id"], amount, paid["currency"], paid["stripe_payment_intent_id"], key)


# An export's page of the salon's payments (along payments_salon_id), or of one client's appointments': in id order.
PAGE_BY_ID = f"""
    SELECT {_COLUMNS} FROM payments
     WHERE salon_id = %(salon)s AND (%(after)s::uuid IS NULL OR id > %(after)s)
       AND (%(client)s::uuid IS NULL
            OR appointment_id IN (SELECT id FROM appointments WHERE salon_id = %(salon)s AND client_id = %(client)s))
     ORDER BY id LIMIT %(limit)s"""


async def page_by_id(
    db: Database, salon_id: uuid.UUID, *, client_id: uuid.UUID | None = None, after: uuid.UUID | None, limit: int
) -> Page[Payment, uuid.UUID]:
    """The salon's payments of every kind, or those of one client's appointments, after ``after`` in id order
    (booking.paging): an export's page."""
    rows = await db.fetch_all(PAGE_BY_ID, {"salon": salon_id, "client": client_id, "after": after, "limit": limit})
    return page_of([read_payment(row) for row in rows], limit)
