"""Money through the salon's own Stripe account: the account's keys (sealed at rest, never shown back), what a
service's deposit comes to, and every payment's row. All SQL for stripe_accounts and payments.

A salon without a secret key takes no payments: no deposit is asked and nothing about payments shows. Stripe is
spoken to only through providers.stripe; a payment's row is written after Stripe's answer, and the PaymentIntent's
id is unique among the rows that move money in (payments_one_per_intent), so whatever says a payment succeeded,
however often, books once (booking.online.book_paid).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from enum import StrEnum

import aiopg

from booking import installation, sealing
from booking.errors import Conflict, Invalid, PaymentProblem
from booking.models import Deposit
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


read_payment = reader(Payment)
_COLUMNS = """id, appointment_id, kind, reason, amount_cents, currency, status, stripe_payment_intent_id,
              stripe_refund_id, created_at, updated_at"""
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


async def deposit_due(cur: aiopg.Cursor, salon_id: uuid.UUID, appointment_id: uuid.UUID) -> int:
    """The deposit a held appointment asks before it is booked, in cents: 0 when its service asks none or the
    salon takes no payments."""
    await cur.execute(
        """SELECT a.price_cents, v.deposit_percent, v.deposit_cents
             FROM appointments a JOIN services v ON v.salon_id = a.salon_id AND v.id = a.service_id
            WHERE a.salon_id = %s AND a.id = %s
              AND EXISTS (SELECT FROM stripe_accounts s WHERE s.salon_id = a.salon_id)""",
        (salon_id, appointment_id),
    )
    row: Row | None = await cur.fetchone()
    if row is None or (row["deposit_percent"] is None and row["deposit_cents"] is None):
        return 0
    return Deposit(row["deposit_percent"], row["deposit_cents"]).of(row["price_cents"])


async def create_intent(
    keys_: Keys, *, amount_cents: int, currency: str, idempotency_key: str, metadata: dict[str, str]
) -> stripe.Intent:
    """A PaymentIntent on the salon's account; Stripe's troubles become the domain's errors."""
    try:
        return await stripe.create_intent(
            keys_.account, amount_cents=amount_cents, currency=currency, idempotency_key=idempotency_key,
            metadata=metadata,
        )  # fmt: skip
    except stripe.StripeProblem as problem:
        raise PaymentProblem("the salon's payments could not be reached: {problem}", problem=str(problem)) from problem


async def read_intent(keys_: Keys, intent_id: str) -> stripe.Intent:
    try:
        return await stripe.read_intent(keys_.account, intent_id)
    except stripe.StripeProblem as problem:
        raise PaymentProblem("the salon's payments could not be reached: {problem}", problem=str(problem)) from problem


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


async def abandoned(cur: aiopg.Cursor, hold_ids: list[uuid.UUID]) -> None:
    """The holds lapsed or ended unpaid: their deposits, never paid, are canceled."""
    await cur.execute(
        """UPDATE payments SET status = 'canceled', updated_at = now()
            WHERE hold_id = ANY(%s) AND status IN ('pending', 'failed')""",
        (hold_ids,),
    )


async def of_appointment(db: Database, salon_id: uuid.UUID, appointment_id: uuid.UUID) -> list[Payment]:
    """Every money movement on the appointment, oldest first."""
    rows = await db.fetch_all(
        f"""SELECT {_COLUMNS} FROM payments WHERE salon_id = %s AND appointment_id = %s
            ORDER BY created_at, id""",
        (salon_id, appointment_id),
    )
    return [read_payment(row) for row in rows]


@dataclass(frozen=True)
class _RefundAsked:
    payment_id: uuid.UUID
    amount_cents: int
    intent_id: str
    key: str


REFUND_STATUSES = {"succeeded": PaymentStatus.SUCCEEDED, "failed": PaymentStatus.FAILED,
                   "canceled": PaymentStatus.CANCELED}  # fmt: skip  # else (pending, requires_action): pending


async def refund(
    db: Database, salon_id: uuid.UUID, appointment_id: uuid.UUID, amount_cents: int | None, api_base: str
) -> Payment:
    """The owner gives back ``amount_cents`` (None: all that is left) of the appointment's paid deposit. The refund's
    row and its idempotency key (the appointment's, and the reason: the owner's n-th refund) are written before
    Stripe is asked; a refund whose answer never came is asked again under its own key first, so a double click, a
    retried request or a lost answer never gives money back twice. Conflict when nothing is left to refund."""
    salon_keys = await keys(db, salon_id, api_base)
    if salon_keys is None:
        raise Conflict("the salon's Stripe account is not connected: nothing can be refunded here")
    asked = await _ask_refund(db, salon_id, appointment_id, amount_cents)
    try:
        made = await stripe.refund(
            salon_keys.account, asked.intent_id, amount_cents=asked.amount_cents, idempotency_key=asked.key
        )
    except stripe.StripeProblem as problem:  # the row stays pending: asking again asks under the same key
        raise PaymentProblem("Stripe did not refund it: {problem}", problem=str(problem)) from problem
    row = await db.fetch_row(
        f"""UPDATE payments SET stripe_refund_id = %s, status = %s, updated_at = now()
             WHERE id = %s RETURNING {_COLUMNS}""",
        (made.id, REFUND_STATUSES.get(made.status, PaymentStatus.PENDING), asked.payment_id),
    )
    return read_payment(row)


async def _ask_refund(
    db: Database, salon_id: uuid.UUID, appointment_id: uuid.UUID, amount_cents: int | None
) -> _RefundAsked:
    """The refund's row, pending, under the deposit's lock: two at once cannot both take what is left."""
    async with db.transaction() as cur:
        await cur.execute(
            """SELECT amount_cents, currency, stripe_payment_intent_id FROM payments
                WHERE salon_id = %s AND appointment_id = %s AND kind = 'deposit' AND status = 'succeeded'
                  FOR UPDATE""",
            (salon_id, appointment_id),
        )
        deposit: Row | None = await cur.fetchone()
        if deposit is None:
            raise Conflict("no deposit was paid on this appointment")
        await cur.execute(
            """SELECT id, amount_cents, status, stripe_refund_id, idempotency_key FROM payments
                WHERE salon_id = %s AND appointment_id = %s AND kind = 'refund' ORDER BY created_at""",
            (salon_id, appointment_id),
        )
        refunds: list[Row] = await cur.fetchall()
        for unanswered in (r for r in refunds if r["status"] == "pending" and r["stripe_refund_id"] is None):
            return _RefundAsked(unanswered["id"], unanswered["amount_cents"], deposit["stripe_payment_intent_id"],
                                unanswered["idempotency_key"])  # fmt: skip
        given = sum(r["amount_cents"] for r in refunds if r["status"] in ("pending", "succeeded"))
        left = deposit["amount_cents"] - given
        if left <= 0:
            raise Conflict("the deposit has been refunded in full")
        amount = left if amount_cents is None else amount_cents
        if not 1 <= amount <= left:
            raise Invalid(
                "{field} must be between 1 and {left}, what is left of the deposit", "amount_cents", left=str(left)
            )
        key = f"salonbook-refund-{appointment_id}-owner-{len(refunds) + 1}"
        await cur.execute(
            """INSERT INTO payments (salon_id, appointment_id, kind, reason, amount_cents, currency,
                                     stripe_payment_intent_id, status, idempotency_key)
               VALUES (%s, %s, 'refund', 'owner', %s, %s, %s, 'pending', %s) RETURNING id""",
            (salon_id, appointment_id, amount, deposit["currency"], deposit["stripe_payment_intent_id"], key),
        )
        made: Row = await cur.fetchone()
        return _RefundAsked(made["id"], amount, deposit["stripe_payment_intent_id"], key)


async def refund_unbooked(db: Database, salon_id: uuid.UUID, intent_id: str, api_base: str) -> Payment | None:
    """A deposit that succeeded after its hold had ended (its time given up) goes back whole, once: the refund's
    row is written under a key made from the PaymentIntent and the reason before Stripe is asked, so the webhook and
    the page's check, or a retry, ask under the same key. None when there is nothing such to refund."""
    salon_keys = await keys(db, salon_id, api_base)
    key = f"salonbook-refund-{intent_id}-unbooked"
    await db.execute(
        """INSERT INTO payments (salon_id, kind, reason, amount_cents, currency, stripe_payment_intent_id, status,
                                 idempotency_key)
           SELECT salon_id, 'refund', 'unbooked', amount_cents, currency, stripe_payment_intent_id, 'pending', %s
             FROM payments
            WHERE salon_id = %s AND stripe_payment_intent_id = %s AND kind = 'deposit' AND status = 'succeeded'
              AND appointment_id IS NULL
           ON CONFLICT (idempotency_key) DO NOTHING""",
        (key, salon_id, intent_id),
    )
    row = await db.fetch_one(
        "SELECT id, amount_cents, stripe_refund_id FROM payments WHERE idempotency_key = %s AND salon_id = %s",
        (key, salon_id),
    )
    if row is None or salon_keys is None:
        return None
    if row["stripe_refund_id"] is None:
        try:
            made = await stripe.refund(salon_keys.account, intent_id, amount_cents=None, idempotency_key=key)
        except stripe.StripeProblem as problem:  # pending: the next word about it (webhook, page) asks again
            raise PaymentProblem("Stripe did not refund it: {problem}", problem=str(problem)) from problem
        await db.execute(
            "UPDATE payments SET stripe_refund_id = %s, status = %s, updated_at = now() WHERE id = %s",
            (made.id, REFUND_STATUSES.get(made.status, PaymentStatus.PENDING), row["id"]),
        )
    found = await db.fetch_row(f"SELECT {_COLUMNS} FROM payments WHERE id = %s", (row["id"],))
    return read_payment(found)
