"""A deposit's card field in chromium against a real `python server.py` and localstripe: a client on a phone
books a colour that asks 20 %, types the code, and meets Stripe's card field (localstripe's mock of Stripe.js)
loaded under the page's Content-Security-Policy; paid, the page's own check books the time. The salon charges a
fee for a no-show or a late cancellation, so a cut without a deposit asks the client's card after the code: it is
saved in the card field (Stripe.js's confirmCardSetup, which localstripe's mock plays whole) and the time booked.

localstripe's mock of ``confirmCardPayment`` only plays 3-D Secure for a PaymentIntent already confirmed on the
server, so the payment itself is made as Stripe.js would make it, by the official library (tests/stripe_server.py);
the page's own check then reads it back from localstripe."""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import datetime as dt
import re
from typing import Any

import pytest

from booking import payments, salons, services, staff
from booking.models import Deposit, OnlineBooking, ServiceDetails, StaffDetails, WorkingHours
from db import Database
from tests.browser import ZONE
from tests.stripe_server import LocalStripe, localstripe
from tests.test_browser_client import Checks, from_the_outbox

__all__ = ["localstripe"]

PASSWORD = "long enough for a salon"


@pytest.fixture(scope="module")
def server_options(localstripe: LocalStripe) -> tuple[str, ...]:
    return (f"--stripe_api_base={localstripe.api_base}", f"--stripe_js_url={localstripe.js_url}")


async def _seed(url: str, keys: dict[str, str]) -> dict[str, Any]:
    db = await Database.connect(url, maxsize=2)
    try:
        made = await salons.create_salon(
            db, name="Colour Bar", timezone=ZONE, owner_email="owner@colour.example", owner_password=PASSWORD,
            address="2 Milsom Street, Bath", email="desk@colour.example",
        )  # fmt: skip
        salon = await salons.update_salon(
            db, dataclasses.replace(made.salon, online_booking=OnlineBooking(enabled=True), quiet_hours=None)
        )
        every_day = tuple(WorkingHours(day, dt.time(9), dt.time(17)) for day in range(7))
        await staff.create_staff(db, salon.id, StaffDetails("Bea", "Cutter", working_hours=every_day))
        colour = ServiceDetails("Colour", 90, 8000, deposit=Deposit(percent=20))
        await services.create_service(db, salon.id, colour)
        await services.create_service(db, salon.id, ServiceDetails("Cut", 45, 3000))
        change = payments.AccountChange(keys["secretKey"], keys["publishableKey"], keys["webhookSecret"])
        await payments.save_account(db, salon.id, change)
        await salons.update_salon(
            db, dataclasses.replace(salon, no_show_fee_percent=50, late_cancellation_fee_percent=50)
        )
        return {"slug": salon.slug, "id": salon.id}
    finally:
        await db.close()


@pytest.fixture(scope="module")
def salon(database_url: str, localstripe: LocalStripe) -> dict[str, Any]:
    keys = localstripe.keys()
    return asyncio.run(_seed(database_url, keys)) | {"keys": keys}


def book_online(phone, desk, slug: str, service: str, at: str, name: str, *, codes_before: int = 0) -> None:
    """The client books ``service`` at ``at`` on the third day shown, with anyone, and types the code the desk's
    outbox shows (the first after ``codes_before`` of them): the page then asks what Stripe is to take."""
    phone.goto(f"/book/{slug}")
    phone.get_by_role("link", name=re.compile(f"^{service}")).click()
    phone.get_by_role("link", name=re.compile("^Anyone")).click()
    phone.get_by_role("navigation", name="Days").get_by_role("link").nth(2).click()
    phone.get_by_role("link", name=at).click()
    phone.get_by_label("First name").fill(name)
    phone.get_by_label("Email").fill(f"{name.lower()}@example.com")
    phone.get_by_role("button", name="Send me the code").click()
    phone.get_by_label("Code").fill(from_the_outbox(desk, "Your booking code", r"\b(\d{6})\b", seen=codes_before))
    phone.get_by_role("button", name="Book").click()


def test_a_client_pays_the_deposit_in_stripes_card_field_and_is_booked(
    new_tab, salon, server: str, localstripe: LocalStripe
) -> None:
    phone = new_tab(375, 740)
    desk = new_tab(1280, 900, log_in_as=("owner@colour.example", PASSWORD))
    checks, console = Checks(), []
    phone.on("console", lambda message: console.append(message.text))
    book_online(phone, desk, salon["slug"], "Colour", "10:00", "Dee")

    assert phone.get_by_role("heading", name="Pay the deposit").is_visible()
    assert phone.get_by_text("£16.00").is_visible(), "20 % of 80.00"
    card = phone.locator("#card-element input")
    card.first.wait_for()
    assert card.count() >= 4, "Stripe.js (localstripe's mock) mounted the card field"
    assert not [line for line in console if "Content Security Policy" in line], console
    checks.look(phone, "pay")
    card.nth(0).fill("4242424242424242")
    assert phone.locator("form#payment-form input[name]").count() == 0, "no card input posts to our server"

    intent_id = re.search(r"(pi_\w+)_secret_", phone.locator("#payment-form").get_attribute("data-client-secret"))
    assert intent_id, "the page carries the PaymentIntent's client secret"
    with concurrent.futures.ThreadPoolExecutor(1) as aside:  # playwright's own loop runs in this thread
        aside.submit(asyncio.run, localstripe.pay(salon["keys"]["secretKey"], intent_id[1])).result()
    phone.goto(phone.locator("#payment-form").get_attribute("action"))
    assert phone.get_by_text("You are booked").is_visible()
    desk.goto("/")
    assert not checks.problems, checks.problems


async def _booked_with_card(url: str, salon_id: Any) -> list[dict[str, Any]]:
    db = await Database.connect(url, maxsize=1)
    try:
        return await db.fetch_all(
            """SELECT a.id, a.status, c.stripe_payment_method_id, c.status AS card
                 FROM saved_cards c JOIN appointments a ON a.salon_id = c.salon_id AND a.id = c.appointment_id
                WHERE c.salon_id = %s AND c.stripe_intent_id LIKE 'seti_%%'""",
            (salon_id,),
        )
    finally:
        await db.close()


def test_a_client_saves_a_card_in_stripes_card_field_and_is_booked(
    new_tab, salon, server: str, database_url: str
) -> None:
    phone = new_tab(375, 740)
    desk = new_tab(1280, 900, log_in_as=("owner@colour.example", PASSWORD))
    checks, console = Checks(), []
    phone.on("console", lambda message: console.append(message.text))
    desk.goto("/outbox")
    codes_before = desk.get_by_role("link", name=re.compile("Your booking code")).count()
    book_online(phone, desk, salon["slug"], "Cut", "13:00", "Cy", codes_before=codes_before)

    assert phone.get_by_role("heading", name="Save your card").is_visible()
    told = "If you do not come, or cancel later than 24 hours before, a fee of £15.00 may be charged to this card."
    assert phone.get_by_text(told).is_visible(), "the fee and when it applies, before the card is saved"
    card = phone.locator("#card-element input")
    card.first.wait_for()
    checks.look(phone, "card")
    for field, typed in enumerate(("4242424242424242", "12", "40", "123", "12345")):
        card.nth(field).fill(typed)
    assert phone.locator("form#payment-form input[name]").count() == 0, "no card input posts to our server"
    phone.get_by_role("button", name="Save the card and book").click()
    phone.wait_for_url(re.compile(r"/m/"), timeout=15_000)
    assert phone.get_by_text("You are booked").is_visible()
    assert not [line for line in console if "Content Security Policy" in line], console

    with concurrent.futures.ThreadPoolExecutor(1) as aside:  # playwright's own loop runs in this thread
        [booked] = aside.submit(asyncio.run, _booked_with_card(database_url, salon["id"])).result()
    assert booked["status"] == "booked" and booked["card"] == "succeeded" and booked["stripe_payment_method_id"]
    desk.goto(f"/appointments/{booked['id']}")
    assert desk.get_by_text("Visa ending 4242").is_visible()
    assert not checks.problems, checks.problems
