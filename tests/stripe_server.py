"""A real fake Stripe for the payments' tests: localstripe (PyPI), a stateful Stripe API with a mock of
Stripe.js, run as its own process on a free port for the session, spoken to with the official library.

It also plays the client's browser (``pay``: what Stripe.js does with a card number, which never reaches us) and
Stripe's webhooks: it posts signed events to the URL a salon registers (``send_webhooks_to``), as Stripe would.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import secrets
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest
import stripe
from tornado.httpclient import AsyncHTTPClient

from providers.stripe import Account, Intent, Setup, read_intent, read_setup
from tests.processes import free_port

GOOD_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000341"  # attaches, then its charge is declined


class LocalStripe:
    def __init__(self, port: int) -> None:
        self.port = port
        self.api_base = f"http://127.0.0.1:{port}"
        self.js_url = f"{self.api_base}/js.stripe.com/v3/"

    def keys(self) -> dict[str, str]:
        """A salon's own keys, as the owner types them on /settings."""
        tag = secrets.token_hex(12)
        return {"secretKey": f"sk_test_{tag}", "publishableKey": f"pk_test_{tag}", "webhookSecret": f"whsec_{tag}"}

    def account(self, secret_key: str) -> Account:
        return Account(secret_key, self.api_base)

    async def pay(self, secret_key: str, intent_id: str, card: str = GOOD_CARD) -> Intent:
        """What the card field does in the client's browser: the card to Stripe, then the payment confirmed."""
        http = stripe.AIOHTTPClient()
        client = stripe.StripeClient(secret_key, base_addresses={"api": self.api_base}, http_client=http)
        try:
            method = await client.v1.payment_methods.create_async(
                {"type": "card", "card": {"number": card, "exp_month": 12, "exp_year": 2040, "cvc": "123"}}
            )
            await client.v1.payment_intents.update_async(intent_id, {"payment_method": method.id})
            with contextlib.suppress(stripe.CardError):
                await client.v1.payment_intents.confirm_async(intent_id)
        finally:
            await http.close_async()  # type: ignore[no-untyped-call]
        return await read_intent(self.account(secret_key), intent_id)

    async def amount_of(self, secret_key: str, object_id: str) -> int:
        """A PaymentIntent's (pi_) or refund's (re_) amount as Stripe counts it, in the currency's own unit."""
        http = stripe.AIOHTTPClient()
        client = stripe.StripeClient(secret_key, base_addresses={"api": self.api_base}, http_client=http)
        try:
            found = client.v1.refunds if object_id.startswith("re_") else client.v1.payment_intents
            return int((await found.retrieve_async(object_id)).amount)
        finally:
            await http.close_async()  # type: ignore[no-untyped-call]

    async def save_card(self, secret_key: str, setup_id: str, card: str = GOOD_CARD) -> Setup:
        """What the card field does with a SetupIntent in the client's browser: the card to Stripe, saved; a
        declined card ends the SetupIntent (localstripe cancels it)."""
        http = stripe.AIOHTTPClient()
        client = stripe.StripeClient(secret_key, base_addresses={"api": self.api_base}, http_client=http)
        try:
            method = await client.v1.payment_methods.create_async(
                {"type": "card", "card": {"number": card, "exp_month": 12, "exp_year": 2040, "cvc": "123"}}
            )
            with contextlib.suppress(stripe.CardError):
                await client.v1.setup_intents.confirm_async(setup_id, {"payment_method": method.id})
        finally:
            await http.close_async()  # type: ignore[no-untyped-call]
        return await read_setup(self.account(secret_key), setup_id)

    async def send_webhooks_to(self, url: str, secret: str) -> None:
        """From now on localstripe posts every event, signed with ``secret``, to ``url`` (after a second)."""
        body = json.dumps({"url": url, "secret": secret})
        await AsyncHTTPClient().fetch(
            f"{self.api_base}/_config/webhooks/{secrets.token_hex(4)}",
            method="POST",
            body=body,
            headers={"Content-Type": "application/json"},
        )


def signed(event: dict[str, object], secret: str, at: float | None = None) -> tuple[bytes, str]:
    """An event's body and its Stripe-Signature header, as Stripe signs them: t=<time>,v1=<HMAC-SHA256>."""
    payload = json.dumps(event).encode()
    stamp = int(time.time() if at is None else at)
    signature = hmac.new(secret.encode(), b"%d." % stamp + payload, hashlib.sha256).hexdigest()
    return payload, f"t={stamp},v1={signature}"


def intent_event(kind: str, intent_id: str, payment_method: str | None = None) -> dict[str, object]:
    """An event about a PaymentIntent (pi_...) or a SetupIntent (seti_...), naming its card as Stripe does."""
    about = "setup_intent" if intent_id.startswith("seti_") else "payment_intent"
    return {
        "id": f"evt_{secrets.token_hex(8)}",
        "object": "event",
        "type": kind,
        "data": {"object": {"id": intent_id, "object": about, "payment_method": payment_method}},
    }


@pytest.fixture(scope="session")
def localstripe() -> Iterator[LocalStripe]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.localstripe_in_memory", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = LocalStripe(port)
    deadline = time.monotonic() + 30
    while True:
        assert process.poll() is None, "localstripe exited at start"
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/js.stripe.com/v3/", timeout=2).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "localstripe did not answer within 30 s"
            time.sleep(0.1)
    yield server
    process.terminate()
    process.wait(timeout=10)
