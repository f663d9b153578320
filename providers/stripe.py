"""Stripe's protocol, through the official library, in one place: PaymentIntents made, read and canceled, refunds, and
the webhooks' signature (``Stripe-Signature``, checked by the library's own verifier, 5 minutes' tolerance).

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
from stripe.params import PaymentIntentCreateParams, RefundCreateParams

API_BASE = "https://api.stripe.com"
JS_URL = "https://js.stripe.com/v3/"
SIGNATURE_HEADER = "Stripe-Signature"
TOLERANCE_SECONDS = 300  # a signed webhook older than this is refused: a replay later than that cannot pass
TIMEOUT_SECONDS = 30.0


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


@dataclass(frozen=True)
class Refund:
    id: str
    status: str  # pending, succeeded, failed, canceled
    amount_cents: int


@dataclass(frozen=True)
class Event:
    """A verified webhook's event: its type and the PaymentIntent it is about (None: not one)."""

    id: str
    type: str
    intent_id: str | None


class StripeProblem(Exception):
    """Stripe did not do what was asked."""


class Declined(StripeProblem):
    """The card was declined (the client may try another)."""


class Unreachable(StripeProblem):
    """Stripe could not be reached, or answered with an error that is not the card's."""


class BadSignature(Exception):
    """A webhook whose Stripe-Signature does not verify (wrong secret, changed body, or too old)."""


@contextlib.asynccontextmanager
async def _client(account: Account) -> AsyncIterator[stripe.StripeClient]:
    http = stripe.AIOHTTPClient(timeout=TIMEOUT_SECONDS)
    try:
        yield stripe.StripeClient(
            account.secret_key, base_addresses={"api": account.api_base}, http_client=http, max_network_retries=2
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
        amount_cents=found.amount,
        currency=found.currency.upper(),
        client_secret=found.client_secret or "",
        failure=error.message if error is not None else None,
    )


async def create_intent(
    account: Account, *, amount_cents: int, currency: str, idempotency_key: str, metadata: Mapping[str, str]
) -> Intent:
    """A PaymentIntent for a card payment; the same ``idempotency_key`` gives the same one back (on Stripe)."""
    params: PaymentIntentCreateParams = {
        "amount": amount_cents,
        "currency": currency.lower(),
        # the card field only; Stripe takes it, localstripe knows no automatic_payment_methods
        "payment_method_types": ["card"],  # type: ignore[typeddict-unknown-key]
        "metadata": dict(metadata),
    }
    async with _client(account) as client:
        made = await client.v1.payment_intents.create_async(params, {"idempotency_key": idempotency_key})
    return _intent(made)


async def read_intent(account: Account, intent_id: str) -> Intent:
    """The PaymentIntent as Stripe has it now: what the page's own check trusts, never the browser's word."""
    async with _client(account) as client:
        return _intent(await client.v1.payment_intents.retrieve_async(intent_id))


async def cancel_intent(account: Account, intent_id: str) -> Intent:
    """Cancels a PaymentIntent not yet paid: no card can pay it after this. Stripe refuses (Unreachable) one that
    succeeded or is being processed meanwhile."""
    async with _client(account) as client:
        return _intent(await client.v1.payment_intents.cancel_async(intent_id))


async def refund(account: Account, intent_id: str, *, amount_cents: int | None, idempotency_key: str) -> Refund:
    """Gives back ``amount_cents`` (None: all) of a succeeded PaymentIntent, once per ``idempotency_key``."""
    params: RefundCreateParams = {"payment_intent": intent_id}
    if amount_cents is not None:
        params["amount"] = amount_cents
    async with _client(account) as client:
        made = await client.v1.refunds.create_async(params, {"idempotency_key": idempotency_key})
    return Refund(made.id, made.status or "pending", made.amount)


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
        intent_id = found["id"] if found.get("object") == "payment_intent" else None
        return Event(str(body["id"]), str(body["type"]), intent_id)
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise BadSignature(f"a signed body that is not an event: {error}") from error
