"""Stripe's protocol, through the official library, in one place: PaymentIntents made, read and canceled, a
client's card saved for later (Customers, SetupIntents, a saved card's brand and last 4), refunds, and the webhooks'
signature (``Stripe-Signature``, checked by the library's own verifier, 5 minutes' tolerance).

Every call is the library's async method on an aiohttp client of its own (the IOLoop never waits on Stripe), at
``api_base`` (Stripe's own, or the tests' localstripe), with the salon's secret key. What comes back are plain
values; Stripe's errors become ``Declined`` (the card's issuer said no: the client's words) or ``Unreachable``.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

import stripe
from stripe.params import (
    CustomerCreateParams,
    PaymentIntentCreateParams,
    RefundCreateParams,
    SetupIntentCreateParams,
)

API_BASE = "https://api.stripe.com"
JS_URL = "https://js.stripe.com/v3/"
SIGNATURE_HEADER = "Stripe-Signature"
TOLERANCE_SECONDS = 300  # a signed webhook older than this is refused: a replay later than that cannot pass
TIMEOUT_SECONDS = 30.0


# Stripe counts an amount in the currency's smallest unit: cents mostly, but whole yen (zero-decimal currencies) and
# thousandths of a dinar (three-decimal ones, sent as a multiple of 10). We keep every amount in hundredths of the
# currency's unit (``amount_cents``), so each amount is turned into Stripe's count here, and back.
ZERO_DECIMAL = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"}
)
THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})


def stripe_amount(amount_cents: int, currency: str) -> int:
    """``amount_cents`` as Stripe counts it in ``currency``; a fraction of a whole yen (which the forms refuse and
    the deposits' percents round away) goes half up."""
    code = currency.upper()
    if code in ZERO_DECIMAL:
        return (amount_cents + 50) // 100
    return amount_cents * 10 if code in THREE_DECIMAL else amount_cents


def cents_of(amount: int, currency: str) -> int:
    """What Stripe counts as ``amount`` in ``currency``, in hundredths of its unit, as we keep it."""
    code = currency.upper()
    if code in ZERO_DECIMAL:
        return amount * 100
    return (amount + 5) // 10 if code in THREE_DECIMAL else amount


@dataclass(frozen=True)
class Account:
    """Whose Stripe account a call speaks for, and where Stripe is."""

    secret_key: str
    api_base: str = API_BASE


@dataclass(frozen=True)
class Intent:
    """A PaymentIntent as we keep it: ``client_secret`` lets the client's card field pay it, nothing more."""

    id: str
    status: str  # requires_payment_method, requires_confirmation, requires_action, processing, succeeded, canceled
    amount_cents: int
    currency: str  # upper case, as the salon's
    client_secret: str
    failure: str | None  # what the last attempt's card issuer said, in Stripe's words
    payment_method: str | None = None  # the card that paid (pm_...): saved too when made with ``save_card``


@dataclass(frozen=True)
class Setup:
    """A SetupIntent: the client's card saved for charges later, off-session, with nothing paid now."""

    id: str
    status: str  # requires_payment_method, requires_confirmation, requires_action, processing, succeeded, canceled
    client_secret: str
    payment_method: str | None  # the card saved (pm_...), once it succeeded
    failure: str | None  # what the card's issuer said of the last try, in Stripe's words


@dataclass(frozen=True)
class Card:
    """What a saved card may show: never its number."""

    brand: str | None  # visa, mastercard, amex, ...
    last4: str | None


@dataclass(frozen=True)
class Refund:
    id: str
    status: str  # pending, succeeded, failed, canceled
    amount_cents: int


@dataclass(frozen=True)
class Event:
    """A verified webhook's event: its type, and the PaymentIntent or SetupIntent it is about (None: neither)
    with the card it names."""

    id: str
    type: str
    intent_id: str | None
    payment_method: str | None = None


class StripeProblem(Exception):
    """Stripe did not do what was asked."""


class Declined(StripeProblem):
    """The card was declined (the client may try another)."""


class Unreachable(StripeProblem):
    """Stripe could not be reached, or answered with an error that is not the card's."""


class BadSignature(Exception):
    """A webhook whose Stripe-Signature does not verify (wrong secret, changed body, or too old)."""


@contextlib.asynccontextmanager
async def _client(
    account: Account, timeout: float = TIMEOUT_SECONDS, retries: int = 2
) -> AsyncIterator[stripe.StripeClient]:
    http = stripe.AIOHTTPClient(timeout=timeout)
    try:
        yield stripe.StripeClient(
            account.secret_key, base_addresses={"api": account.api_base}, http_client=http, max_network_retries=retries
        )
    except stripe.CardError as error:
        raise Declined(error.user_message or str(error)) from error
    except stripe.StripeError as error:
        raise Unreachable(error.user_message or str(error)) from error
    finally:
        await http.close_async()  # type: ignore[no-untyped-call]  # the library's own, unannotated


def _intent(found: stripe.PaymentIntent) -> Intent:
    error = found.last_payment_error
    return Intent(
        id=found.id,
        status=found.status,
        amount_cents=cents_of(found.amount, found.currency),
        currency=found.currency.upper(),
        client_secret=found.client_secret or "",
        failure=error.message if error is not None else None,
        payment_method=_id_of(getattr(found, "payment_method", None)),
    )


def _id_of(found: object) -> str | None:
    """An object's id where Stripe may give the id or the object expanded."""
    if found is None or isinstance(found, str):
        return found
    return str(found.id) if hasattr(found, "id") else None


async def create_intent(
    account: Account,
    *,
    amount_cents: int,
    currency: str,
    idempotency_key: str,
    metadata: Mapping[str, str],
    save_card_for: str | None = None,
) -> Intent:
    """A PaymentIntent for a card payment; the same ``idempotency_key`` gives the same one back (on Stripe). With
    ``save_card_for`` (a Customer's id) the card that pays is saved on that Customer for charges off-session."""
    params: PaymentIntentCreateParams = {
        "amount": stripe_amount(amount_cents, currency),
        "currency": currency.lower(),
        # the card field only; Stripe takes it, localstripe knows no automatic_payment_methods
        "payment_method_types": ["card"],  # type: ignore[typeddict-unknown-key]
        "metadata": dict(metadata),
    }
    if save_card_for is not None:
        params |= {"customer": save_card_for, "setup_future_usage": "off_session"}
    async with _client(account) as client:
        made = await client.v1.payment_intents.create_async(params, {"idempotency_key": idempotency_key})
    return _intent(made)


async def read_intent(account: Account, intent_id: str) -> Intent:
    """The PaymentIntent as Stripe has it now: what the page's own check trusts, never the browser's word."""
    async with _client(account) as client:
        return _intent(await client.v1.payment_intents.retrieve_async(intent_id))


async def create_customer(
    account: Account, *, name: str, email: str | None, phone: str | None, idempotency_key: str,
    metadata: Mapping[str, str],
) -> str:  # fmt: skip
    """A Customer on the salon's account for a client whose card is to be saved; its id."""
    params: CustomerCreateParams = {"name": name, "metadata": dict(metadata)}
    if email:
        params["email"] = email
    if phone:
        params["phone"] = phone
    async with _client(account) as client:
        made = await client.v1.customers.create_async(params, {"idempotency_key": idempotency_key})
    return made.id


def _setup(found: stripe.SetupIntent) -> Setup:
    error = getattr(found, "last_setup_error", None)  # localstripe leaves it out
    return Setup(
        id=found.id,
        status=found.status,
        client_secret=found.client_secret or "",
        payment_method=_id_of(found.payment_method),
        failure=getattr(error, "message", None) if error is not None else None,
    )


async def create_setup(account: Account, *, customer: str, idempotency_key: str, metadata: Mapping[str, str]) -> Setup:
    """A SetupIntent saving a card on ``customer`` for charges off-session, confirmed by the client's card field."""
    params: SetupIntentCreateParams = {
        "customer": customer,
        "usage": "off_session",
        "payment_method_types": ["card"],  # type: ignore[typeddict-unknown-key]  # the card field only, as above
        "metadata": dict(metadata),
    }
    async with _client(account) as client:
        made = await client.v1.setup_intents.create_async(params, {"idempotency_key": idempotency_key})
    return _setup(made)


async def read_setup(account: Account, setup_id: str) -> Setup:
    """The SetupIntent as Stripe has it now: what the page's own check trusts, never the browser's word."""
    async with _client(account) as client:
        return _setup(await client.v1.setup_intents.retrieve_async(setup_id))


async def read_card(account: Account, payment_method: str, timeout: float = 5.0) -> Card:
    """A saved card's brand and last 4, read once when it is saved, for the desk to see which card is on file; a
    short wait, no retries (the client's page, or Stripe's webhook, is waiting)."""
    async with _client(account, timeout, retries=0) as client:
        found = await client.v1.payment_methods.retrieve_async(payment_method)
    card = found.card
    return Card(card.brand, card.last4) if card is not None else Card(None, None)


async def cancel_intent(account: Account, intent_id: str) -> Intent:
    """Cancels a PaymentIntent not yet paid: no card can pay it after this. Stripe refuses (Unreachable) one that
    succeeded or is being processed meanwhile."""
    async with _client(account) as client:
        return _intent(await client.v1.payment_intents.cancel_async(intent_id))


async def refund(
    account: Account, intent_id: str, *, amount_cents: int | None, currency: str, idempotency_key: str
) -> Refund:
    """Gives back ``amount_cents`` (None: all) of a succeeded PaymentIntent in ``currency``, once per
    ``idempotency_key``, which the refund's metadata carries too (``KEY_FIELD``: what ``find_refund`` looks for)."""
    params: RefundCreateParams = {"payment_intent": intent_id, "metadata": {KEY_FIELD: idempotency_key}}
    if amount_cents is not None:
        params["amount"] = stripe_amount(amount_cents, currency)
    async with _client(account) as client:
        return _refund(await client.v1.refunds.create_async(params, {"idempotency_key": idempotency_key}))


def _refund(made: stripe.Refund) -> Refund:
    return Refund(made.id, made.status or "pending", cents_of(made.amount, made.currency))


# The metadata field of a charge or refund we ask for, holding its idempotency key: a crash between Stripe's answer
# and our record is put right by finding what was made under the key before asking again (Stripe keeps a key for
# 24 hours only; localstripe not at all).
KEY_FIELD = "salonbook_key"


def _key_of(metadata: stripe.StripeObject | None) -> str | None:
    """The idempotency key an object's metadata carries (``KEY_FIELD``), if any."""
    return metadata.to_dict().get(KEY_FIELD) if metadata is not None else None


async def charge_saved_card(
    account: Account, *, customer: str, payment_method: str, amount_cents: int, currency: str, idempotency_key: str
) -> Intent:
    """Charges a card saved on ``customer`` while the client is away (off-session), confirmed at once. Declined when
    the card's issuer says no; the PaymentIntent made then is found by ``find_intent``."""
    params: PaymentIntentCreateParams = {
        "amount": stripe_amount(amount_cents, currency),
        "currency": currency.lower(),
        "customer": customer,
        "payment_method": payment_method,
        "payment_method_types": ["card"],  # type: ignore[typeddict-unknown-key]
        "confirm": True,
        "off_session": True,
        "metadata": {KEY_FIELD: idempotency_key},
    }
    async with _client(account) as client:
        made = await client.v1.payment_intents.create_async(params, {"idempotency_key": idempotency_key})
    return _intent(made)


async def find_intent(account: Account, customer: str, idempotency_key: str) -> Intent | None:
    """The PaymentIntent made for ``customer`` under ``idempotency_key`` (its metadata says), None if none was.

    Read through the customer's charges (each names its PaymentIntent): a confirmed off-session charge always makes
    one, and localstripe filters charges by customer where it lists PaymentIntents only whole."""
    async with _client(account) as client:
        charges = await client.v1.charges.list_async({"customer": customer, "limit": 100})
        seen: set[str] = set()
        async for charge in charges.auto_paging_iter():
            intent_id = charge.payment_intent if isinstance(charge.payment_intent, str) else None
            if intent_id is None or intent_id in seen:
                continue
            seen.add(intent_id)
            intent = await client.v1.payment_intents.retrieve_async(intent_id)
            if _key_of(intent.metadata) == idempotency_key:
                return _intent(intent)
    return None


async def find_refund(account: Account, intent_id: str, idempotency_key: str) -> Refund | None:
    """The refund of ``intent_id`` made under ``idempotency_key`` (its metadata says), None if none was."""
    async with _client(account) as client:
        refunds = await client.v1.refunds.list_async({"payment_intent": intent_id, "limit": 100})
        async for made in refunds.auto_paging_iter():
            if _key_of(made.metadata) == idempotency_key:
                return _refund(made)
    return None


def verified_event(payload: bytes, signature: str | None, secret: str) -> Event:
    """The webhook's event, once its ``Stripe-Signature`` verifies under the salon's webhook ``secret`` within
    TOLERANCE_SECONDS; else BadSignature, and nothing of the body is read."""
    try:
        stripe.WebhookSignature.verify_header(payload.decode(), signature or "", secret, TOLERANCE_SECONDS)
    except (stripe.SignatureVerificationError, UnicodeDecodeError) as error:
        raise BadSignature(str(error)) from error
    try:
        body = json.loads(payload)
        found = body["data"]["object"]
        about = found.get("object") in ("payment_intent", "setup_intent")
        method = found.get("payment_method")
        method = method.get("id") if isinstance(method, dict) else method
        intent_id, method = (found["id"], str(method) if method else None) if about else (None, None)
        return Event(str(body["id"]), str(body["type"]), intent_id, method)
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise BadSignature(f"a signed body that is not an event: {error}") from error
