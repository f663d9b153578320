"""Online booking: a client holds a free time, proves their email or phone with a code, and is booked. Joining
the waitlist online proves it the same way: a hold with no time, for an unverified entry (booking.waitlist),
under the same limits, which the right code puts on the list.

All SQL for the holds table. A hold is a 'held' appointment (booking.appointments.hold) plus its row
here; whatever ends it (the right code, too many wrong ones, the time running out, a newer hold taking
its place) ends both in one transaction, and the worker releases lapsed holds, so no time stays held
after a crash.

Strangers cannot hoard: one client address makes at most PER_ADDRESS_PER_HOUR holds an hour and has at
most LIVE_PER_ADDRESS waiting at once (TooMany), and when a salon has LIVE_PER_SALON holds waiting, or a
stylist's day LIVE_PER_STYLIST_DAY, the oldest of them gives way to the newest, so a few addresses can
neither close online booking nor take a stylist's day. A hold takes its locks in one order: the address,
the salon's row, the code's recipient (booking.code_sends), then the holds that give way.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass

import aiopg

from booking import (
    appointments,
    clients,
    code_sends,
    fields,
    notifications,
    payments,
    saved_cards,
    self_service,
    services,
    texting,
    time_off,
    waitlist,
)
from booking.errors import BookingError, Conflict, Invalid, NotFound, OnTimeOff, SlotTaken, TooMany
from booking.models import Appointment, ClientDetails, Salon
from booking.notice_types import BOOKING_CODE, N_
from db import Database, Row
from db.rows import reader
from jobqueue import queue
from providers import stripe

WRONG_CODES = 5  # the fifth wrong code releases the hold
PER_ADDRESS_PER_HOUR = 10  # holds one client address may make in an hour
LIVE_PER_ADDRESS = 2  # holds one client address may have waiting for their code at once
LIVE_PER_SALON = 20  # holds waiting in a salon at once; a newer one takes the oldest one's place
LIVE_PER_STYLIST_DAY = 2  # holds waiting on one stylist's salon-local day at once; likewise
PAYING_TIME = dt.timedelta(minutes=15)  # once the code is right, the time stays held at least this long to pay
KEPT_AFTER_END = dt.timedelta(days=1)  # an ended hold stays this long, to be counted against its address
# Why a stranger's hold may be refused, as /metrics counts it (BookingError.refusal).
REFUSALS = ("address_hour", "address_holds", "code_limit", "salon_codes", "sms_country", "sms_number")
ADDRESS_HOUR_FULL = N_("too many bookings started from here; try again later")
ADDRESS_HOLDS_FULL = N_(
    "the most bookings from here that may wait for their code at once ({most}) are waiting; type a code, or try "
    "again shortly"
)
CAPS = ("salon", "stylist_day")  # what was full when an older hold gave way to a newer one (Hold.displaced)


@dataclass(frozen=True)
class Request:
    """What a client asks for: a service at a time with someone (None: anyone free), and who they are."""

    service_id: uuid.UUID
    staff_id: uuid.UUID | None
    start_time: dt.datetime
    first_name: str
    last_name: str
    email: str | None
    phone: str | None
    opted_in_reminders: bool


@dataclass(frozen=True)
class WaitlistRequest:
    """A client asking to join the waitlist, and who they are: their email or number gets a code, as a booking's."""

    wish: waitlist.Wish
    first_name: str
    last_name: str
    email: str | None
    phone: str | None
    opted_in_reminders: bool = False  # joining the list turns no reminders on


class WrongCode(Invalid):
    """The code typed is not the one sent; with no ``tries_left`` the hold has ended (and a ``held`` time is free)."""

    def __init__(self, tries_left: int, *, held: bool = True) -> None:
        over = "the time is free again" if held else "ask to join the waitlist again"
        words = f"{tries_left} {'try' if tries_left == 1 else 'tries'} left" if tries_left else over
        super().__init__(f"that code is not right; {words}", "code")
        self.tries_left = tries_left


@dataclass(frozen=True)
class Hold:
    id: uuid.UUID  # what the client verifies by: the hold's id, or (joining the waitlist) the entry's
    expires_at: dt.datetime
    verify_by: str  # "email" or "sms": where the code went
    sent_to: str  # the address or number it went to, masked (fields.masked): the client sees where to look
    displaced: tuple[str, ...] = ()  # the caps ("salon", "stylist_day") whose oldest hold gave way to this one
    paying: bool = False  # the right code came: the booking waits for its deposit


@dataclass(frozen=True)
class DepositDue:
    """The right code, for a service that asks a deposit, or where a fee may apply (the card is saved): the time
    stays held until ``expires_at`` while it is paid (``amount_cents``; 0: only the card is saved); it is booked only
    once Stripe says the payment, or the card's SetupIntent, succeeded (``book_paid``)."""

    hold_id: uuid.UUID
    amount_cents: int
    expires_at: dt.datetime


@dataclass(frozen=True)
class DepositStarted:
    """What the card field needs to pay a hold's deposit (the client secret pays this one PaymentIntent only)."""

    hold_id: uuid.UUID
    amount_cents: int
    currency: str
    publishable_key: str
    payment_intent_id: str
    client_secret: str
    expires_at: dt.datetime
    failure: str | None  # what the card's issuer said of the last try, if it was declined
    fees: saved_cards.Fees | None = None  # the card that pays is saved too: the fees it may be charged


@dataclass(frozen=True)
class CardAsked:
    """What the card field needs to save the client's card (a SetupIntent, nothing paid now) for a service without a
    deposit where a fee may apply; the client is told the ``fees`` first."""

    hold_id: uuid.UUID
    publishable_key: str
    setup_intent_id: str
    client_secret: str
    expires_at: dt.datetime
    failure: str | None  # the last card tried was declined
    fees: saved_cards.Fees


@dataclass(frozen=True)
class Paid:
    """A deposit (or a card's SetupIntent) Stripe says succeeded: the appointment it booked (now or before), or None
    when its time had been given up before it came (a deposit's money is recorded, and goes back:
    ``refund_due``, payment_jobs.refund_unbooked)."""

    intent_id: str
    appointment_id: uuid.UUID | None
    booked_now: bool

    @property
    def refund_due(self) -> bool:
        return self.appointment_id is None and not self.intent_id.startswith("seti_")


@dataclass(frozen=True)
class Asked:
    """Who asks for a hold and who gets its code: what the limits count."""

    client_address: str
    recipient: bytes  # booking.code_sends.recipient of the code's email or number
    limits: code_sends.Limits


read_hold = reader(Hold)


def open_salon(salon: Salon | None) -> Salon:
    """The salon, if it takes bookings online; else, as for a salon that does not exist, NotFound."""
    if salon is None or not salon.online_booking.enabled:
        raise NotFound("no salon takes online bookings here")
    return salon


def _code_hash(hold_id: uuid.UUID, code: str) -> bytes:
    return hashlib.sha256(f"{hold_id}:{code}".encode()).digest()


def _checked(salon: Salon, request: Request | WaitlistRequest) -> ClientDetails:
    first_name, last_name, email = fields.person(request.first_name, request.last_name, request.email)
    phone = fields.phone(request.phone, "phone", salon.country)
    if email is None and phone is None:
        raise Invalid("give an email address or a mobile number, for the code", "email")
    if phone is not None:
        texting.check(phone, salon.sms_countries, only_way=email is None)
    return ClientDetails(first_name, last_name, email, phone, request.opted_in_reminders)


async def hold(
    db: Database,
    salon: Salon,
    request: Request,
    *,
    client_address: str,
    minutes: int,
    limits: code_sends.Limits,
    now: dt.datetime | None = None,
) -> Hold:
    """Holds the time for ``minutes`` and queues the code, ahead of other jobs, by email if given, else by text.

    Refused before anything is held: a number the salon does not text (NotTextable, booking.texting); the
    address's limits (TooMany, refusal ``address_hour`` or ``address_holds``); the recipient's or the salon's
    codes (TooMany, booking.code_sends with ``limits``). A crowded salon or stylist's day makes room instead.
    """
    now = now or dt.datetime.now(dt.UTC)
    details = _checked(salon, request)
    asked = Asked(client_address, await code_sends.recipient(db, details.email or details.phone or ""), limits)
    try:
        return await _hold(db, salon, request, details, asked, minutes, now)
    except SlotTaken:
        if request.staff_id is not None:
            raise
        return await _hold(db, salon, request, details, asked, minutes, now)  # "anyone": whoever is free now


async def _hold(
    db: Database,
    salon: Salon,
    request: Request,
    details: ClientDetails,
    asked: Asked,
    minutes: int,
    now: dt.datetime,
) -> Hold:
    staff_id = await _free_member(db, salon, request, now)
    async with db.transaction() as cur:
        await _admit(cur, salon, asked, now)
        displaced = await _make_room(cur, salon, staff_id, request.start_time, now)
        appointment_id = await appointments.hold(
            cur, salon, staff_id=staff_id, service_id=request.service_id, start_time=request.start_time
        )
        hold_id = await _code_hold(cur, salon, details, asked, minutes, now, appointment_id=appointment_id)
    return _held(hold_id, details, minutes, now, displaced)


async def _admit(cur: aiopg.Cursor, salon: Salon, asked: Asked, now: dt.datetime) -> None:
    """The address's limits, then the recipient's and the salon's codes (in the order a hold takes its locks)."""
    await _within_limits(cur, asked.client_address, now)
    await code_sends.admit(cur, salon.id, asked.recipient, asked.limits, now)


async def _code_hold(
    cur: aiopg.Cursor,
    salon: Salon,
    details: ClientDetails,
    asked: Asked,
    minutes: int,
    now: dt.datetime,
    *,
    appointment_id: uuid.UUID | None = None,
    waitlist_entry_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """The hold's row (a held time's, or a waitlist entry's) and its code, queued ahead of other jobs."""
    code = f"{secrets.randbelow(10**6):06d}"
    hold_id = uuid.uuid4()
    await cur.execute(
        """INSERT INTO holds (id, salon_id, appointment_id, waitlist_entry_id, code_hash, expires_at, first_name,
                              last_name, email, phone, opted_in_reminders, client_address, created_at)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
        (hold_id, salon.id, appointment_id, waitlist_entry_id, _code_hash(hold_id, code),
         now + dt.timedelta(minutes=minutes), details.first_name, details.last_name, details.email, details.phone,
         details.opted_in_reminders, asked.client_address, now),
    )  # fmt: skip
    job = notifications.for_code(
        details.first_name,
        details.email,
        details.phone,
        code,
        minutes,
        now,
        hold_id,
        joining_waitlist=waitlist_entry_id is not None,
    )
    await queue.enqueue(cur, salon_id=salon.id, client_id=None, appointment_id=None, jobs=[job])
    return hold_id


def _held(
    held_id: uuid.UUID, details: ClientDetails, minutes: int, now: dt.datetime, displaced: tuple[str, ...] = ()
) -> Hold:
    verify_by, contact = ("email", details.email) if details.email else ("sms", details.phone or "")
    return Hold(held_id, now + dt.timedelta(minutes=minutes), verify_by, fields.masked(contact), displaced)


async def _free_member(db: Database, salon: Salon, request: Request, now: dt.datetime) -> uuid.UUID:
    """Who is free at the time asked, by the same rules the client's page showed it (notice, horizon, hours)."""
    slots = await self_service.free_times(
        db,
        salon,
        service_id=request.service_id,
        day=request.start_time.astimezone(salon.zone).date(),
        staff_id=request.staff_id,
        now=now,
    )
    for slot in slots:
        if slot.start == request.start_time:
            return slot.staff_id
    if request.staff_id is not None:  # someone who does not do it, or is away: say so, not "taken"
        service = await services.get_service(db, salon.id, request.service_id)
        if not service.offered_by(request.staff_id):
            raise appointments.not_offered()
        end = request.start_time + service.length_for(request.staff_id)
        if await time_off.away(db, salon.id, request.staff_id, request.start_time, end):
            raise OnTimeOff("the staff member has time off then", "start_time")
    raise SlotTaken("that time is not free; choose another", "start_time")


async def _within_limits(cur: aiopg.Cursor, client_address: str, now: dt.datetime) -> None:
    """At most PER_ADDRESS_PER_HOUR holds an hour from one address, and LIVE_PER_ADDRESS waiting for their code
    at once; counted under a lock on the address, so two requests at once cannot both take the last place."""
    await cur.execute("SELECT pg_advisory_xact_lock(hashtext('holds:' || %s))", (client_address,))
    await cur.execute(
        """SELECT count(*) FILTER (WHERE created_at > %(hour_ago)s) AS in_hour,
                  min(created_at) FILTER (WHERE created_at > %(hour_ago)s) AS first_in_hour,
                  count(*) FILTER (WHERE ended IS NULL AND expires_at > %(now)s) AS live,
                  min(expires_at) FILTER (WHERE ended IS NULL AND expires_at > %(now)s) AS first_to_lapse
             FROM holds WHERE client_address = %(address)s""",
        {"address": client_address, "now": now, "hour_ago": now - dt.timedelta(hours=1)},
    )
    row: Row = await cur.fetchone()
    if row["in_hour"] >= PER_ADDRESS_PER_HOUR:
        wait = row["first_in_hour"] + dt.timedelta(hours=1) - now
        raise TooMany.until(ADDRESS_HOUR_FULL, wait, "address_hour")
    if row["live"] >= LIVE_PER_ADDRESS:
        wait = row["first_to_lapse"] - now
        raise TooMany.until(ADDRESS_HOLDS_FULL, wait, "address_holds", most=str(LIVE_PER_ADDRESS))


async def _make_room(
    cur: aiopg.Cursor, salon: Salon, staff_id: uuid.UUID, start: dt.datetime, now: dt.datetime
) -> tuple[str, ...]:
    """Room for one more hold: when the salon has LIVE_PER_SALON holds waiting, the oldest ends ('displaced')
    and its time is free; then likewise for the stylist's salon-local day of ``start`` and LIVE_PER_STYLIST_DAY.
    Counted under the salon's row lock (FOR NO KEY UPDATE: bookings' foreign keys take only KEY SHARE, so
    they do not wait). A hold ending meanwhile (its code, its lapse) has made room itself. Returns which caps
    gave way ("salon", "stylist_day")."""
    day = start.astimezone(salon.zone).date()
    day_start, day_end = (dt.datetime.combine(d, dt.time(), salon.zone) for d in (day, day + dt.timedelta(days=1)))
    await cur.execute("SELECT FROM salons WHERE id = %s FOR NO KEY UPDATE", (salon.id,))
    await cur.execute(
        """SELECT h.id, a.staff_id = %(staff)s AND a.start_time >= %(from)s AND a.start_time < %(to)s AS same_day
             FROM holds h JOIN appointments a ON a.id = h.appointment_id
            WHERE h.salon_id = %(salon)s AND h.ended IS NULL AND h.expires_at > %(now)s AND h.code_typed_at IS NULL
            ORDER BY h.created_at, h.id""",
        {"salon": salon.id, "staff": staff_id, "from": day_start, "to": day_end, "now": now},
    )
    waiting: list[Row] = await cur.fetchall()
    giving_way: dict[uuid.UUID, str] = {}
    if len(waiting) >= LIVE_PER_SALON:
        giving_way[waiting[0]["id"]] = "salon"
    same_day = [row["id"] for row in waiting if row["same_day"] and row["id"] not in giving_way]
    if len(same_day) >= LIVE_PER_STYLIST_DAY:
        giving_way[same_day[0]] = "stylist_day"
    if not giving_way:
        return ()
    await cur.execute(
        """WITH old AS (SELECT id, appointment_id FROM holds WHERE id = ANY(%s) AND ended IS NULL FOR UPDATE)
           UPDATE holds SET ended = 'displaced', appointment_id = NULL FROM old WHERE holds.id = old.id
           RETURNING holds.id, old.appointment_id""",
        (list(giving_way),),
    )
    gone: list[Row] = await cur.fetchall()
    await appointments.release(cur, [row["appointment_id"] for row in gone], now)
    for row in gone:  # a code not sent yet for a time no longer held is not sent
        why = N_("its time was given to a newer booking")
        await queue.cancel_about(cur, salon.id, BOOKING_CODE.name, "hold", str(row["id"]), why)
    return tuple(giving_way[row["id"]] for row in gone)


async def get_hold(
    db: Database, salon: Salon, hold_id: uuid.UUID | None = None, *, entry_id: uuid.UUID | None = None
) -> Hold | None:
    """A booking's hold still waiting for its code (or that of joining the waitlist as ``entry_id``), or None."""
    row = await db.fetch_one(
        """SELECT id, expires_at, CASE WHEN email IS NULL THEN 'sms' ELSE 'email' END AS verify_by,
                  coalesce(email, phone) AS sent_to, code_typed_at IS NOT NULL AS paying
             FROM holds
            WHERE (id = %(id)s AND waitlist_entry_id IS NULL OR waitlist_entry_id = %(entry)s)
              AND salon_id = %(salon)s AND ended IS NULL AND expires_at > now()""",
        {"id": hold_id, "entry": entry_id, "salon": salon.id},
    )
    if row is None:
        return None
    return read_hold(row | {"id": entry_id or row["id"], "sent_to": fields.masked(row["sent_to"])})


async def verify(
    db: Database, salon: Salon, hold_id: uuid.UUID, code: str, *, now: dt.datetime | None = None
) -> Appointment | DepositDue:
    """The right code books the held time for the client (found by email or phone, else new); a wrong one is
    counted, and the fifth releases the time. A hold that ended or lapsed (by ``now``) is a Conflict. For a
    service that asks a deposit (booking.payments) the right code books nothing yet: DepositDue."""
    now = now or dt.datetime.now(dt.UTC)
    async with db.transaction() as cur:
        found = await _waiting(cur, salon, hold_id=hold_id, now=now)
        if found is None:
            raise Conflict("this booking is no longer held; choose a time again")
        if found["code_typed_at"] is not None:  # the code again: still the deposit to pay, while the hold lasts
            if found["lapsed"]:  # unpaid: the worker's release ends it and cancels its PaymentIntent at Stripe
                raise Conflict("this booking is no longer held; choose a time again")
            return await _deposit_due(cur, salon, found, now)
        refusal = await _refusal(cur, found, fields.code(code), now)
        if refusal is None and await _waits_for_stripe(cur, salon, found["appointment_id"]):
            return await _deposit_due(cur, salon, found, now)
        if refusal is None:
            client = await clients.find_or_add(cur, salon.id, _details(found))
            appointment = await appointments.book_held(cur, salon, found["appointment_id"], client, now)
            await _end(cur, found, "booked", now)
            return appointment
    raise refusal  # after the commit: the count of wrong codes, or the released time, must stay


async def _waiting(
    cur: aiopg.Cursor, salon: Salon, *, hold_id: uuid.UUID | None = None, entry_id: uuid.UUID | None = None,
    now: dt.datetime,
) -> Row | None:  # fmt: skip
    """A booking's hold (``hold_id``) or a waitlist entry's (``entry_id``) waiting for its code, locked."""
    await cur.execute(
        """SELECT id, appointment_id, code_hash, wrong_codes, expires_at <= %(now)s AS lapsed, first_name,
                  last_name, email, phone, opted_in_reminders, code_typed_at
             FROM holds
            WHERE (id = %(id)s AND waitlist_entry_id IS NULL OR waitlist_entry_id = %(entry)s)
              AND salon_id = %(salon)s AND ended IS NULL
              FOR UPDATE""",
        {"now": now, "id": hold_id, "entry": entry_id, "salon": salon.id},
    )
    found: Row | None = await cur.fetchone()
    return found


async def _waits_for_stripe(cur: aiopg.Cursor, salon: Salon, appointment_id: uuid.UUID) -> bool:
    """The held time is booked only through Stripe: its service asks a deposit, or a fee may apply (a card is
    saved). Neither without the salon's Stripe account."""
    if await payments.deposit_due(cur, salon.id, appointment_id):
        return True
    return salon.charges_fees and await payments.connected(cur, salon.id)


async def _deposit_due(cur: aiopg.Cursor, salon: Salon, found: Row, now: dt.datetime) -> DepositDue:
    """The code was right and the service asks a deposit: the hold waits for it, at least PAYING_TIME more."""
    await cur.execute(
        """UPDATE holds SET code_typed_at = coalesce(code_typed_at, %(now)s),
                            expires_at = greatest(expires_at, %(now)s::timestamptz + %(paying)s)
            WHERE id = %(id)s RETURNING expires_at""",
        {"now": now, "paying": PAYING_TIME, "id": found["id"]},
    )
    row: Row = await cur.fetchone()
    amount = await payments.deposit_due(cur, salon.id, found["appointment_id"])
    return DepositDue(found["id"], amount, row["expires_at"])


async def held_until(db: Database, salon_id: uuid.UUID, hold_id: uuid.UUID) -> dt.datetime | None:
    """Until when a hold still holds its time (None once it has ended): what a page tells a client kept waiting."""
    row = await db.fetch_one(
        "SELECT expires_at FROM holds WHERE id = %s AND salon_id = %s AND ended IS NULL AND expires_at > now()",
        (hold_id, salon_id),
    )
    return row["expires_at"] if row is not None else None


async def start_paying(db: Database, salon: Salon, hold_id: uuid.UUID, api_base: str) -> DepositStarted | CardAsked:
    """What the card field needs for a hold waiting for Stripe: its deposit's PaymentIntent (saving the card too
    where a fee may apply), else the SetupIntent that saves the card. Each is made once (its idempotency key is the
    hold's; the hold has one row of each), read back from Stripe after that. Conflict when the hold has ended or is
    not waiting for Stripe."""
    keys = await payments.keys(db, salon.id, api_base)
    row = await db.fetch_one(
        """SELECT appointment_id, expires_at, first_name, last_name, email, phone FROM holds
            WHERE id = %s AND salon_id = %s AND ended IS NULL AND code_typed_at IS NOT NULL
              AND appointment_id IS NOT NULL""",
        (hold_id, salon.id),
    )
    if row is None or keys is None:
        raise Conflict("this booking is no longer held; choose a time again")
    async with db.transaction() as cur:
        amount = await payments.deposit_due(cur, salon.id, row["appointment_id"])
        fees = await saved_cards.fees(cur, salon, row["appointment_id"])
    card = await saved_cards.of_hold(db, salon.id, hold_id)
    paying = await payments.deposit_of_hold(db, salon.id, hold_id) if amount else None
    customer = card.stripe_customer_id if card else None
    if customer is None and fees is not None and paying is None:  # a Customer only for an intent yet to be made
        name = " ".join(part for part in (row["first_name"], row["last_name"]) if part)
        customer = await saved_cards.new_customer(keys.account, salon, hold_id, name, row["email"], row["phone"])
    if amount:
        return await _start_deposit(db, salon, keys, hold_id, row["expires_at"], amount, paying, card, customer, fees)
    if fees is None or customer is None:
        raise Conflict("this booking is no longer held; choose a time again")
    return await _start_card(db, salon, keys, hold_id, row["expires_at"], card, customer, fees)


async def _start_deposit(
    db: Database, salon: Salon, keys: payments.Keys, hold_id: uuid.UUID, expires_at: dt.datetime, amount: int,
    paying: payments.Payment | None, card: saved_cards.SavedCard | None, customer: str | None,
    fees: saved_cards.Fees | None,
) -> DepositStarted:  # fmt: skip
    """The deposit's PaymentIntent (``paying``, the hold's row, made here if None); with a ``customer``, the card
    that pays is saved on it (the hold's ``card`` row)."""
    if paying is None:
        made = await payments.create_intent(
            keys, amount_cents=amount, currency=salon.currency, idempotency_key=f"salonbook-deposit-hold-{hold_id}",
            metadata={"salonbook_salon": str(salon.id), "salonbook_hold": str(hold_id)}, save_card_for=customer,
        )  # fmt: skip
        paying = await payments.add_deposit(db, salon.id, hold_id, made)
        if customer is not None:  # the row's PaymentIntent: two pages at once keep the first one's
            card = await saved_cards.add(db, salon.id, hold_id, customer, paying.stripe_payment_intent_id or made.id)
    intent = await payments.read_intent(keys, paying.stripe_payment_intent_id or "")
    return DepositStarted(
        hold_id, intent.amount_cents, intent.currency, keys.publishable_key, intent.id, intent.client_secret,
        expires_at, intent.failure, fees if card is not None else None,
    )  # fmt: skip


async def _start_card(
    db: Database, salon: Salon, keys: payments.Keys, hold_id: uuid.UUID, expires_at: dt.datetime,
    card: saved_cards.SavedCard | None, customer: str, fees: saved_cards.Fees,
) -> CardAsked:  # fmt: skip
    """The SetupIntent saving the card of a hold without a deposit (its ``card`` row, made here if None); one
    declined (Stripe ends it) gives way to a new one, so the client may try another card while the hold lasts."""
    if card is None:
        made = await saved_cards.new_setup(keys.account, salon, hold_id, customer, f"salonbook-card-hold-{hold_id}")
        card = await saved_cards.add(db, salon.id, hold_id, customer, made.id)
    setup = await saved_cards.read_setup(keys.account, card.stripe_intent_id)
    declined = setup.failure or (None if card.status == saved_cards.CardStatus.PENDING else "declined")
    if setup.status == "canceled" and card.status != saved_cards.CardStatus.SUCCEEDED:
        key = f"salonbook-card-hold-{hold_id}-after-{setup.id}"
        setup = await saved_cards.new_setup(keys.account, salon, hold_id, customer, key)
        await saved_cards.replace_intent(db, card, setup.id)
        declined = declined or "declined"
    return CardAsked(hold_id, keys.publishable_key, setup.id, setup.client_secret, expires_at, declined, fees)


async def check_paid(db: Database, salon: Salon, hold_id: uuid.UUID, api_base: str, now: dt.datetime) -> Paid | None:
    """The page's own check: the hold's deposit, else its card's SetupIntent, as Stripe has it now (never the
    browser's word); booked if it succeeded (``book_paid``), else None."""
    keys = await payments.keys(db, salon.id, api_base)
    if keys is None:
        return None
    paying = await payments.deposit_of_hold(db, salon.id, hold_id)
    if paying is not None and paying.stripe_payment_intent_id is not None:
        intent = await payments.read_intent(keys, paying.stripe_payment_intent_id)
        succeeded, intent_id, method = intent.status == "succeeded", intent.id, intent.payment_method
    else:
        card = await saved_cards.of_hold(db, salon.id, hold_id)
        if card is None:
            return None
        setup = await saved_cards.read_setup(keys.account, card.stripe_intent_id)
        succeeded, intent_id, method = setup.status == "succeeded", setup.id, setup.payment_method
    if not succeeded:
        return None
    return await book_paid(db, salon, intent_id, now, method, account=keys.account)


async def book_paid(
    db: Database, salon: Salon, intent_id: str, now: dt.datetime, payment_method: str | None = None, *,
    account: stripe.Account | None = None,
) -> Paid | None:  # fmt: skip
    """Stripe says the deposit's PaymentIntent, or the card's SetupIntent, ``intent_id`` succeeded (the signed
    webhook, or the page's own check): its held time becomes the client's appointment, once, whoever says it first
    and however often; the deposit, and the card saved (``payment_method``), are on it. With ``account``, the
    saved card's brand and last 4 are read from Stripe first, before the transaction locks the hold
    (saved_cards.describe). None for an intent that is not one of this salon's deposits or cards."""
    if account is not None:
        await saved_cards.describe(db, account, salon.id, intent_id, payment_method)
    card_only = intent_id.startswith("seti_")
    async with db.transaction() as cur:
        # The hold's lock before its payment's or card's, as the release of lapsed holds takes them: a payment
        # arriving as its hold lapses waits for the release, or the release skips the hold, and neither deadlocks.
        if card_only:
            hold_id = await saved_cards.hold_of(cur, salon.id, intent_id)
        else:
            hold_id = await payments.hold_of_deposit(cur, salon.id, intent_id)
        await cur.execute(
            """SELECT id, appointment_id, first_name, last_name, email, phone, opted_in_reminders FROM holds
                WHERE id = %s AND salon_id = %s AND ended IS NULL FOR UPDATE""",
            (hold_id, salon.id),
        )
        found: Row | None = await cur.fetchone()
        if card_only:
            paying = await saved_cards.lock(cur, salon.id, intent_id)
        else:
            paying = await payments.lock_deposit(cur, salon.id, intent_id)
        if paying is None:
            return None
        if paying["status"] == payments.PaymentStatus.SUCCEEDED:
            return Paid(intent_id, paying["appointment_id"], booked_now=False)
        booked = None
        if found is not None and found["appointment_id"] is not None:
            client = await clients.find_or_add(cur, salon.id, _details(found))
            booked = await appointments.book_held(cur, salon, found["appointment_id"], client, now)
            await _end(cur, found, "booked", now)
        if not card_only:
            await payments.settle(cur, paying["id"], payments.PaymentStatus.SUCCEEDED, booked.id if booked else None)
        await saved_cards.saved(cur, salon.id, intent_id, payment_method, booked.id if booked else None)
        return Paid(intent_id, booked.id if booked else None, booked_now=booked is not None)


def _details(found: Row) -> ClientDetails:
    return ClientDetails(
        found["first_name"], found["last_name"], found["email"], found["phone"], found["opted_in_reminders"]
    )


async def join_waitlist(
    db: Database,
    salon: Salon,
    request: WaitlistRequest,
    *,
    client_address: str,
    minutes: int,
    limits: code_sends.Limits,
    now: dt.datetime,
) -> Hold:
    """A stranger asks to join the waitlist: an unverified entry (never offered anything), and a code to their
    email if given, else by text, under every limit a booking's hold meets (``hold``). The Hold's id is the
    entry's; ``minutes`` to type the code."""
    details = _checked(salon, request)
    wish = waitlist.checked(salon, request.wish, now)
    asked = Asked(client_address, await code_sends.recipient(db, details.email or details.phone or ""), limits)
    async with db.transaction() as cur:
        await _admit(cur, salon, asked, now)
        entry_id = await waitlist.add_unverified(cur, salon, wish, now)
        await _code_hold(cur, salon, details, asked, minutes, now, waitlist_entry_id=entry_id)
    return _held(entry_id, details, minutes, now)


async def verify_join(
    db: Database, salon: Salon, entry_id: uuid.UUID, code: str, *, now: dt.datetime
) -> waitlist.Entry:
    """The right code puts the client (found by email or phone, else new) on the list, in the order they asked; a
    wrong one is counted as for a booking, and the fifth ends the request."""
    async with db.transaction() as cur:
        found = await _waiting(cur, salon, entry_id=entry_id, now=now)
        if found is None:
            raise Conflict("this request to join the waiting list has ended; please ask again")
        refusal = await _refusal(cur, found, fields.code(code), now)
        if refusal is None:
            client = await clients.find_or_add(cur, salon.id, _details(found))
            await waitlist.verified(cur, salon.id, entry_id, client.id)
            await _end(cur, found, "joined", now)
            return await waitlist.read(cur, salon.id, entry_id)
    raise refusal  # after the commit, as for a booking


async def _refusal(cur: aiopg.Cursor, found: Row, code: str | None, now: dt.datetime) -> BookingError | None:
    """Why this code (None: not even the shape of one) does not book the hold (what that changed is written),
    or None when it does."""
    if found["lapsed"]:
        await _end(cur, found, "expired", now)
        return Conflict("the time to type the code ran out; choose a time again")
    if code is not None and hmac.compare_digest(bytes(found["code_hash"]), _code_hash(found["id"], code)):
        return None
    left = WRONG_CODES - found["wrong_codes"] - 1
    if left == 0:
        await _end(cur, found, "wrong_codes", now)
    else:
        await cur.execute("UPDATE holds SET wrong_codes = wrong_codes + 1 WHERE id = %s", (found["id"],))
    return WrongCode(left, held=found["appointment_id"] is not None)


async def _end(cur: aiopg.Cursor, found: Row, how: str, now: dt.datetime) -> None:
    """Ends a hold; unless it became a booking, its time (if it held one) is free again."""
    await cur.execute("UPDATE holds SET ended = %s, appointment_id = NULL WHERE id = %s", (how, found["id"]))
    if how != "booked" and found["appointment_id"] is not None:
        await appointments.release(cur, [found["appointment_id"]], now)


@dataclass(frozen=True)
class Released:
    """What a release of lapsed holds did: how many ended, and what Stripe would not cancel (for the log)."""

    lapsed: int
    not_canceled: tuple[str, ...] = ()


async def release_lapsed(db: Database, now: dt.datetime | None = None, *, api_base: str) -> Released:
    """The worker's chore: lapsed holds end and free their time (offered to the waitlist); ended holds past a day
    go. A hold being verified right now is locked, skipped, and left to the verification. Once that is committed,
    the unpaid deposits' PaymentIntents of the lapsed holds are canceled at Stripe (at ``api_base``), best effort:
    what Stripe would not cancel is returned, never raised."""
    now = now or dt.datetime.now(dt.UTC)
    async with db.transaction() as cur:
        await cur.execute(
            """WITH lapsed AS (
                   SELECT id, appointment_id FROM holds
                    WHERE ended IS NULL AND expires_at <= now()
                      FOR UPDATE SKIP LOCKED),
               ended AS (
                   UPDATE holds SET ended = 'expired', appointment_id = NULL
                     FROM lapsed WHERE holds.id = lapsed.id
                   RETURNING lapsed.id, lapsed.appointment_id)
               SELECT id, appointment_id FROM ended"""
        )
        ended = await cur.fetchall()
        lapsed = [row["appointment_id"] for row in ended]
        await appointments.release(cur, lapsed, now)
        unpaid = await payments.abandoned(cur, [row["id"] for row in ended])
        await saved_cards.abandoned(cur, [row["id"] for row in ended])
        await cur.execute("DELETE FROM holds WHERE ended IS NOT NULL AND created_at < now() - %s", (KEPT_AFTER_END,))
    return Released(len(lapsed), tuple(await payments.cancel_unpaid(db, unpaid, api_base)))
