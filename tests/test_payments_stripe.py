"""The one module that speaks Stripe (providers/stripe.py) against localstripe, and the sealing of its keys."""

from __future__ import annotations

import time

import pytest

from booking import sealing
from providers import stripe
from tests.stripe_server import DECLINED_CARD, LocalStripe, intent_event, localstripe, signed

__all__ = ["localstripe"]


async def test_a_payment_intent_is_made_paid_read_back_and_refunded(localstripe: LocalStripe) -> None:
    keys = localstripe.keys()
    account = localstripe.account(keys["secretKey"])
    made = await stripe.create_intent(
        account, amount_cents=1250, currency="GBP", idempotency_key="deposit:hold:1", metadata={"hold": "1"}
    )
    assert (made.amount_cents, made.currency, made.status) == (1250, "GBP", "requires_payment_method")
    assert made.client_secret.startswith(made.id), "the card field pays it by its client secret"
    paid = await localstripe.pay(keys["secretKey"], made.id)
    assert paid.status == "succeeded" and paid.failure is None
    assert (await stripe.read_intent(account, made.id)).status == "succeeded"
    refund = await stripe.refund(account, made.id, amount_cents=250, currency="GBP", idempotency_key="refund:1")
    assert refund.id.startswith("re_") and refund.amount_cents == 250


@pytest.mark.parametrize(
    ("currency", "cents", "as_stripe_counts"),
    [("JPY", 300000, 3000), ("KRW", 4500000, 45000), ("BHD", 1250, 12500), ("ISK", 500000, 500000)],
)
async def test_an_amount_goes_to_stripe_in_its_currencys_own_smallest_unit(
    localstripe: LocalStripe, currency: str, cents: int, as_stripe_counts: int
) -> None:
    """We keep hundredths of every currency's unit; Stripe counts whole yen and won, thousandths of a dinar, and
    krónur as if they had cents: ¥3,000 is 3000 at Stripe, not 300000 (a hundred times the deposit)."""
    keys = localstripe.keys()
    account = localstripe.account(keys["secretKey"])
    made = await stripe.create_intent(account, amount_cents=cents, currency=currency, idempotency_key="k", metadata={})
    assert await localstripe.amount_of(keys["secretKey"], made.id) == as_stripe_counts
    assert (made.amount_cents, made.currency) == (cents, currency)
    await localstripe.pay(keys["secretKey"], made.id)
    part = cents // 2
    refund = await stripe.refund(account, made.id, amount_cents=part, currency=currency, idempotency_key="r")
    assert await localstripe.amount_of(keys["secretKey"], refund.id) == as_stripe_counts // 2
    assert refund.amount_cents == part
    assert await stripe.find_refund(account, made.id, "r") == refund


async def test_a_declined_card_leaves_the_intent_unpaid_with_the_issuers_words(localstripe: LocalStripe) -> None:
    keys = localstripe.keys()
    made = await stripe.create_intent(
        localstripe.account(keys["secretKey"]), amount_cents=900, currency="EUR", idempotency_key="x", metadata={}
    )
    tried = await localstripe.pay(keys["secretKey"], made.id, DECLINED_CARD)
    assert tried.status == "requires_payment_method" and tried.failure, tried


async def test_a_card_is_saved_on_a_customer_by_a_setup_intent_and_read_back(localstripe: LocalStripe) -> None:
    keys = localstripe.keys()
    account = localstripe.account(keys["secretKey"])
    customer = await stripe.create_customer(
        account, name="Dee Online", email="dee@example.com", phone=None, idempotency_key="c:1", metadata={"hold": "1"}
    )
    assert customer.startswith("cus_")
    made = await stripe.create_setup(account, customer=customer, idempotency_key="s:1", metadata={"hold": "1"})
    assert made.status == "requires_payment_method" and made.client_secret.startswith(made.id)
    assert made.payment_method is None
    saved = await localstripe.save_card(keys["secretKey"], made.id)
    assert (await stripe.read_setup(account, made.id)) == saved
    assert saved.status == "succeeded" and saved.payment_method and saved.payment_method.startswith("pm_")
    assert await stripe.read_card(account, saved.payment_method) == stripe.Card("visa", "4242")


async def test_a_deposit_that_saves_its_card_names_the_card_that_paid(localstripe: LocalStripe) -> None:
    keys = localstripe.keys()
    account = localstripe.account(keys["secretKey"])
    customer = await stripe.create_customer(
        account, name="Dee", email=None, phone="+441225123456", idempotency_key="c:2", metadata={}
    )
    made = await stripe.create_intent(
        account, amount_cents=1000, currency="GBP", idempotency_key="d:2", metadata={}, save_card_for=customer
    )
    paid = await localstripe.pay(keys["secretKey"], made.id)
    assert paid.status == "succeeded" and paid.payment_method and paid.payment_method.startswith("pm_")


async def test_an_unreachable_stripe_is_said_so_not_a_crash() -> None:
    with pytest.raises(stripe.Unreachable):
        await stripe.read_intent(stripe.Account("sk_test_nobodyhome", "http://127.0.0.1:9"), "pi_x")


@pytest.mark.unit
def test_a_webhook_verifies_only_with_its_secret_and_in_time() -> None:
    event = intent_event("payment_intent.succeeded", "pi_123")
    payload, header = signed(event, "whsec_right")
    found = stripe.verified_event(payload, header, "whsec_right")
    assert (found.type, found.intent_id) == ("payment_intent.succeeded", "pi_123")
    with pytest.raises(stripe.BadSignature):
        stripe.verified_event(payload, header, "whsec_wrong")
    with pytest.raises(stripe.BadSignature):
        stripe.verified_event(payload.replace(b"pi_123", b"pi_999"), header, "whsec_right")
    with pytest.raises(stripe.BadSignature):
        stripe.verified_event(payload, None, "whsec_right")
    payload, header = signed(intent_event("setup_intent.succeeded", "seti_1", "pm_1"), "whsec_right")
    found = stripe.verified_event(payload, header, "whsec_right")
    assert (found.type, found.intent_id, found.payment_method) == ("setup_intent.succeeded", "seti_1", "pm_1")
    stale_payload, stale = signed(event, "whsec_right", at=time.time() - stripe.TOLERANCE_SECONDS - 5)
    with pytest.raises(stripe.BadSignature):
        stripe.verified_event(stale_payload, stale, "whsec_right")


@pytest.mark.unit
def test_a_sealed_key_opens_only_unchanged_and_under_its_own_secret() -> None:
    sealed = sealing.seal("installation secret", "sk_test_abcdefgh1234")
    assert b"sk_test" not in sealed and b"1234" not in sealed
    assert sealing.unseal("installation secret", sealed) == "sk_test_abcdefgh1234"
    assert sealing.seal("installation secret", "sk_test_abcdefgh1234") != sealed, "a fresh nonce each time"
    with pytest.raises(sealing.Unreadable):
        sealing.unseal("another installation", sealed)
    changed = bytearray(sealed)
    changed[20] ^= 1
    with pytest.raises(sealing.Unreadable):
        sealing.unseal("installation secret", bytes(changed))
