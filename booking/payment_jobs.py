"""Payment jobs: the money the worker moves through the salon's Stripe account, exactly once. A fee charged on the
card saved at booking (a no-show, a late cancellation), a deposit given back (an early cancellation, or paid after
its hold lapsed: ``refund_unbooked``) are each a payments row written, pending, under an idempotency key made from
the appointment (or the PaymentIntent) and the reason, with a ``payment`` job, in the transaction that decided it;
the worker's stripe channel (worker/money.py) then asks Stripe under that key (``move``), first looking for what an
earlier attempt made, and records the answer. A double click, a repeated webhook, a job run twice or a worker
killed mid-charge moves the money once; a row whose job ended with nothing recorded is queued again
(``requeue_stranded``).

The payments table's SQL lives in two modules: this one owns the fees' and these refunds' rows (written with
their jobs), the worker's record of Stripe's answer on them, and the look for stranded ones; booking.payments owns
the rest (the deposits paid online, the owner's own refunds, and what the pages, reports and exports read).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiopg

from booking import locales, payments
from booking.models import Deposit
from booking.notice_types import PAYMENT
from booking.payments import PaymentKind, PaymentReason, PaymentStatus
from db import Database, Row
from jobqueue import queue
from providers import stripe

# The desk marking a no-show, or a cancellation, writes the payment's row (pending, with its idempotency key) and
# a payment job in its own transaction; the worker asks Stripe (``move``). A row per appointment and reason, by its
# key: marking a no-show twice, or a job run twice, moves the money once.


def fee_key(appointment_id: uuid.UUID, reason: PaymentReason) -> str:
    return f"salonbook-fee-{appointment_id}-{reason}"


def refund_key(of: uuid.UUID | str, reason: PaymentReason) -> str:
    """A refund's key: made from the appointment, or from the PaymentIntent of a deposit on none (unbooked)."""
    return f"salonbook-refund-{of}-{reason}"


async def _queue_move(cur: aiopg.Cursor, salon_id: uuid.UUID, made: Row | None) -> None:
    """The job that moves a payment row's money, on the caller's transaction; none when no row was made."""
    if made is None:
        return
    job = queue.NewJob(PAYMENT.name, ("stripe",), dt.datetime.now(dt.UTC), {"paymentId": str(made["id"])})
    await queue.enqueue(cur, salon_id=salon_id, client_id=made["client_id"], appointment_id=made["appointment_id"],
                        jobs=[job])  # fmt: skip


async def _deposit_kept(cur: aiopg.Cursor, salon_id: uuid.UUID, appointment_id: uuid.UUID) -> Row | None:
    """The appointment's paid deposit, locked (whoever refunds next waits), with ``kept``: what is not refunded or
    being refunded of it (a fee's refunds are the fee's). None without a paid deposit."""
    await cur.execute(
        """SELECT d.amount_cents, d.currency, d.stripe_payment_intent_id,
                  d.amount_cents - coalesce((SELECT sum(r.amount_cents) FROM payments r
                                              WHERE r.salon_id = d.salon_id AND r.appointment_id = d.appointment_id
                                                AND r.kind = 'refund' AND r.status IN ('pending', 'succeeded')
                                                AND r.stripe_payment_intent_id = d.stripe_payment_intent_id), 0)
                      AS kept
             FROM payments d
            WHERE d.salon_id = %s AND d.appointment_id = %s AND d.kind = 'deposit' AND d.status = 'succeeded'
              FOR UPDATE""",
        (salon_id, appointment_id),
    )
    found: Row | None = await cur.fetchone()
    return found


async def charge_fee(cur: aiopg.Cursor, salon_id: uuid.UUID, appointment_id: uuid.UUID, reason: PaymentReason) -> None:
    """On the caller's transaction (the no-show's, the cancellation's): the salon's fee for ``reason``, a percent of
    the appointment's price less the deposit it keeps, to be charged on the card saved at booking, with its job.
    Nothing when the salon takes no payments, asks no such fee, no card was saved, the deposit covers it, or the
    fee was asked before (its key); one canceled by a correction (``cancel_fee``) is asked again, under its key."""
    await cur.execute(
        """SELECT a.client_id, a.price_cents, s.currency,
                  CASE %s WHEN 'no_show' THEN s.no_show_fee_percent ELSE s.late_cancellation_fee_percent END
                      AS percent
             FROM appointments a JOIN salons s ON s.id = a.salon_id
            WHERE a.salon_id = %s AND a.id = %s
              AND EXISTS (SELECT FROM stripe_accounts k WHERE k.salon_id = a.salon_id)
              AND EXISTS (SELECT FROM saved_cards c WHERE c.salon_id = a.salon_id AND c.appointment_id = a.id
                                                      AND c.status = 'succeeded')""",
        (reason, salon_id, appointment_id),
    )
    found: Row | None = await cur.fetchone()
    if found is None or not found["percent"]:
        return
    deposit = await _deposit_kept(cur, salon_id, appointment_id)
    fee = Deposit(found["percent"]).of(found["price_cents"], locales.smallest_cents(found["currency"]))
    fee -= deposit["kept"] if deposit else 0
    if fee <= 0:
        return
    await cur.execute(
        """INSERT INTO payments (salon_id, appointment_id, kind, reason, amount_cents, currency, status,
                                 idempotency_key)
           VALUES (%s, %s, 'fee', %s, %s, %s, 'pending', %s)
           ON CONFLICT (idempotency_key) DO UPDATE  -- canceled by a correction, never asked: asked again
              SET status = 'pending', amount_cents = EXCLUDED.amount_cents, updated_at = now()
            WHERE payments.status = 'canceled'
        RETURNING id, appointment_id, %s::uuid AS client_id""",
        (salon_id, appointment_id, reason, fee, found["currency"], fee_key(appointment_id, reason), found["client_id"]),
    )
    await _queue_move(cur, salon_id, await cur.fetchone())


async def cancel_fee(cur: aiopg.Cursor, salon_id: uuid.UUID, appointment_id: uuid.UUID, reason: PaymentReason) -> None:
    """On the correction's transaction (a no-show marked completed after all): the fee for ``reason``, if its job
    has not yet asked Stripe, is canceled with its job. One whose job has started, or ended, is left to it: the
    job finds under the key whether Stripe charged and records that, else records the fee canceled, no longer due
    (``move``); one charged stays, for the owner to refund."""
    await cur.execute(
        """SELECT id FROM payments WHERE salon_id = %s AND idempotency_key = %s AND status = 'pending' FOR UPDATE""",
        (salon_id, fee_key(appointment_id, reason)),
    )
    fee: Row | None = await cur.fetchone()
    if fee is None:
        return
    why = f"the appointment is no longer a {reason.replace('_', '-')}"
    if await queue.cancel_unstarted(cur, appointment_id, PAYMENT.name, "paymentId", str(fee["id"]), why):
        await cur.execute("UPDATE payments SET status = 'canceled', updated_at = now() WHERE id = %s", (fee["id"],))


async def refund_deposit(cur: aiopg.Cursor, salon_id: uuid.UUID, appointment_id: uuid.UUID) -> None:
    """On the cancellation's transaction: what is left of the appointment's paid deposit goes back (reason
    early_cancellation), with its job. Nothing without a paid deposit, when all of it went back, or once asked."""
    deposit = await _deposit_kept(cur, salon_id, appointment_id)
    if deposit is None or deposit["kept"] <= 0:
        return
    reason = PaymentReason.EARLY_CANCELLATION
    await cur.execute(
        """INSERT INTO payments (salon_id, appointment_id, kind, reason, amount_cents, currency,
                                 stripe_payment_intent_id, status, idempotency_key)
           SELECT salon_id, id, 'refund', %s, %s, %s, %s, 'pending', %s FROM appointments
            WHERE salon_id = %s AND id = %s
           ON CONFLICT (idempotency_key) DO NOTHING
        RETURNING id, appointment_id, (SELECT client_id FROM appointments WHERE id = appointment_id) AS client_id""",
        (reason, deposit["kept"], deposit["currency"], deposit["stripe_payment_intent_id"],
         refund_key(appointment_id, reason), salon_id, appointment_id),
    )  # fmt: skip
    await _queue_move(cur, salon_id, await cur.fetchone())


async def refund_unbooked(db: Database, salon_id: uuid.UUID, intent_id: str) -> bool:
    """A deposit that succeeded after its hold had ended (its time given up) goes back whole, once, by the worker:
    in one transaction the refund's row (pending, the deposit's amount, under a key made from the PaymentIntent
    and the reason, so the webhook and the page's check, however often, make one) and its payment job, with no
    appointment and no client (there is none). Stripe is not asked here: the worker's ``move`` refunds it. True
    when the refund was queued now (the caller wakes the worker); False when it was queued before, or there is
    nothing such to refund."""
    async with db.transaction() as cur:
        await cur.execute(
            """INSERT INTO payments (salon_id, kind, reason, amount_cents, currency, stripe_payment_intent_id,
                                     status, idempotency_key)
               SELECT salon_id, 'refund', 'unbooked', amount_cents, currency, stripe_payment_intent_id, 'pending',
                      %s
                 FROM payments
                WHERE salon_id = %s AND stripe_payment_intent_id = %s AND kind = 'deposit' AND status = 'succeeded'
                  AND appointment_id IS NULL
               ON CONFLICT (idempotency_key) DO NOTHING
            RETURNING id, appointment_id, NULL::uuid AS client_id""",
            (refund_key(intent_id, PaymentReason.UNBOOKED), salon_id, intent_id),
        )
        made: Row | None = await cur.fetchone()
        await _queue_move(cur, salon_id, made)
        return made is not None


# A fee or refund pending this long with no live payment job is stranded: its job ended (its last attempt killed
# after Stripe answered, or given up while Stripe was out of reach) with nothing recorded.
STRANDED_AFTER = dt.timedelta(minutes=5)


async def requeue_stranded(db: Database, older_than: dt.timedelta = STRANDED_AFTER) -> int:
    """The worker's chore: a new payment job for each fee or refund still pending ``older_than`` after its last
    change whose job ended (failed, cancelled, deleted) or that never had one (the owner's request cut short), so
    ``move`` finds under the row's key what Stripe did, or asks once. One per appointment at a time (its one live
    payment job); the row's ``updated_at`` is moved on, so another worker's chore at the same moment skips it, and
    a row whose new job ends the same way waits again: ``older_than``, or a quarter of the row's age if longer (a
    salon whose key Stripe refuses for days is asked about every 6 hours after a day, not every 5 minutes).
    Returns how many were queued."""
    async with db.transaction() as cur:
        await cur.execute(
            """SELECT p.id, p.salon_id, p.appointment_id, a.client_id
                 FROM payments p LEFT JOIN appointments a ON a.salon_id = p.salon_id AND a.id = p.appointment_id
                WHERE p.status = 'pending' AND p.kind <> 'deposit' AND p.updated_at < now() - %(after)s
                  AND p.updated_at < now() - (now() - p.created_at) / 4  -- Stripe long out of reach: less often
                  AND NOT EXISTS (SELECT FROM notification_jobs j
                                   WHERE j.appointment_id = p.appointment_id AND j.type = %(type)s
                                     AND j.status IN ('pending', 'processing'))
                  AND NOT EXISTS (SELECT FROM notification_jobs j
                                   WHERE j.salon_id = p.salon_id AND j.type = %(type)s
                                     AND j.status IN ('pending', 'processing') AND j.payload->>'paymentId' = p.id::text)
                ORDER BY p.updated_at LIMIT 100
                  FOR UPDATE OF p SKIP LOCKED""",
            {"after": older_than, "type": PAYMENT.name},
        )
        found: list[Row] = await cur.fetchall()
        queued, taken = 0, set()
        for row in found:
            if row["appointment_id"] in taken:
                continue  # the next chore's, once this one's job has ended
            if row["appointment_id"] is not None:
                taken.add(row["appointment_id"])
            await cur.execute("UPDATE payments SET updated_at = now() WHERE id = %s", (row["id"],))
            await _queue_move(cur, row["salon_id"], row)
            queued += 1
        return queued


@dataclass(frozen=True)
class Moved:
    """What became of a payment row's money when the worker asked Stripe (or found it had asked already)."""

    status: PaymentStatus
    detail: str  # in the salon's words, for the job's history


# A PaymentIntent's status as the row keeps it: an off-session charge that asks the client to authenticate cannot
# be completed without them, so it failed; processing stays pending (asked about again).
INTENT_STATUSES = {"succeeded": PaymentStatus.SUCCEEDED, "requires_payment_method": PaymentStatus.FAILED,
                   "requires_action": PaymentStatus.FAILED, "canceled": PaymentStatus.FAILED}  # fmt: skip


# What the appointment must still be for its fee to be charged: a no-show corrected to completed is charged no
# fee (unless an earlier attempt charged it already: found under its key, recorded, left for the owner to refund).
DUE_WHEN = {PaymentReason.NO_SHOW: "no_show", PaymentReason.LATE_CANCELLATION: "cancelled"}


async def move(
    db: Database,
    payment_id: uuid.UUID,
    api_base: str,
    *,
    gate: Callable[[], Awaitable[None]],
) -> Moved:
    """The worker's part: asks Stripe to charge a pending fee (off-session, on the saved card) or make a pending
    refund, under the row's idempotency key, and records the answer on the row. Before asking, it looks for what an
    earlier attempt made under that key (a worker killed between Stripe's answer and this record): found, it is
    recorded and nothing is asked again; none found, a fee no longer due (``DUE_WHEN``) is recorded canceled.
    ``gate`` is awaited just before Stripe is asked (the job still this worker's). A row no longer pending is left
    as it is. PaymentProblem when Stripe could not be reached (asked again later)."""
    row = await db.fetch_one(
        """SELECT p.salon_id, p.kind, p.reason, p.amount_cents, p.currency, p.status, p.idempotency_key,
                  p.stripe_payment_intent_id, c.stripe_customer_id, c.stripe_payment_method_id,
                  a.status AS appointment_status
             FROM payments p
             LEFT JOIN saved_cards c ON c.salon_id = p.salon_id AND c.appointment_id = p.appointment_id
                                    AND c.status = 'succeeded'
             LEFT JOIN appointments a ON a.salon_id = p.salon_id AND a.id = p.appointment_id
            WHERE p.id = %s""",
        (payment_id,),
    )
    if row is None:
        return Moved(PaymentStatus.CANCELED, "the payment no longer exists")
    if row["status"] != PaymentStatus.PENDING:
        return Moved(PaymentStatus(row["status"]), f"already {row['status']}")
    salon_keys = await payments.keys(db, row["salon_id"], api_base)
    if salon_keys is None:
        return await _record(db, payment_id, PaymentStatus.FAILED, "the salon's Stripe account is not connected")
    with payments.stripe_asked():  # the row stays pending: the job asks again, under the same key
        if row["kind"] == PaymentKind.FEE:
            return await _charge(db, payment_id, row, salon_keys.account, gate)
        return await _give_back(db, payment_id, row, salon_keys.account, gate)


async def _charge(
    db: Database, payment_id: uuid.UUID, row: Row, account: stripe.Account, gate: Callable[[], Awaitable[None]]
) -> Moved:  # fmt: skip
    customer, key = row["stripe_customer_id"], row["idempotency_key"]
    if customer is None or row["stripe_payment_method_id"] is None:
        return await _record(db, payment_id, PaymentStatus.FAILED, "no card is saved for this appointment")
    intent = await stripe.find_intent(account, customer, key)
    due = DUE_WHEN.get(PaymentReason(row["reason"]))
    if intent is None and due is not None and row["appointment_status"] != due:
        why = f"no longer due: the appointment is {str(row['appointment_status']).replace('_', ' ')}"
        return await _record(db, payment_id, PaymentStatus.CANCELED, why)
    if intent is None:
        await gate()
        try:
            intent = await stripe.charge_saved_card(
                account, customer=customer, payment_method=row["stripe_payment_method_id"],
                amount_cents=row["amount_cents"], currency=row["currency"], idempotency_key=key,
            )  # fmt: skip
        except stripe.Declined as declined:
            made = await stripe.find_intent(account, customer, key)  # the declined one, for the record
            return await _record(db, payment_id, PaymentStatus.FAILED, f"the card was declined: {declined}",
                                 intent_id=made.id if made else None)  # fmt: skip
    status = INTENT_STATUSES.get(intent.status, PaymentStatus.PENDING)
    words = {PaymentStatus.SUCCEEDED: "charged", PaymentStatus.PENDING: f"Stripe says {intent.status}"}
    detail = words.get(status) or f"the card was declined: {intent.failure or intent.status}"
    return await _record(db, payment_id, status, f"{detail} ({intent.id})", intent_id=intent.id)


async def _give_back(
    db: Database, payment_id: uuid.UUID, row: Row, account: stripe.Account, gate: Callable[[], Awaitable[None]]
) -> Moved:  # fmt: skip
    intent_id, key = row["stripe_payment_intent_id"], row["idempotency_key"]
    made = await stripe.find_refund(account, intent_id, key)
    if made is None:
        await gate()
        made = await stripe.refund(
            account, intent_id, amount_cents=row["amount_cents"], currency=row["currency"], idempotency_key=key
        )
    status = payments.REFUND_STATUSES.get(made.status, PaymentStatus.PENDING)
    detail = "refunded" if status == PaymentStatus.SUCCEEDED else f"Stripe says {made.status}"
    return await _record(db, payment_id, status, f"{detail} ({made.id})", refund_id=made.id)


async def _record(
    db: Database, payment_id: uuid.UUID, status: PaymentStatus, detail: str, *, intent_id: str | None = None,
    refund_id: str | None = None,
) -> Moved:  # fmt: skip
    """Stripe's answer on the row, while it is pending (a row settled meanwhile keeps what it says)."""
    await db.execute(
        """UPDATE payments
              SET status = %s, stripe_payment_intent_id = coalesce(%s, stripe_payment_intent_id),
                  stripe_refund_id = coalesce(%s, stripe_refund_id), failure = %s, updated_at = now()
            WHERE id = %s AND status = 'pending'""",
        (status, intent_id, refund_id, detail if status == PaymentStatus.FAILED else None, payment_id),
    )
    return Moved(status, detail)
