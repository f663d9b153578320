"""The salon's fee policy and the card saved at online booking, against localstripe with the official library: the
owner sets a no-show and a late-cancellation fee; where one may apply, online booking saves the client's card
(the deposit's own payment, or a SetupIntent when the service asks none) and books only once Stripe says the card
is saved (the signed webhook or the page's own check, once); without a key or a fee nothing is asked."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
import stripe

from booking import online, payments, salons
from booking.models import Salon
from handlers.app import Salonbook, WebSettings
from tests.desk import Desk
from tests.page_fixtures import PageSession
from tests.processes import free_port
from tests.stripe_server import LocalStripe, intent_event, localstripe, signed
from tests.test_pages_html import check_html
from tests.test_pages_in_three_languages import english_on
from tests.test_payments_deposits import deposit_salon, held_with_code, owner_token, the_record
from tests.test_public_online_api import an_address, at, open_salon, public

__all__ = ["localstripe", "public"]

PRICE = 5000
REFUSED_ON_SAVING = "4000000000000002"  # localstripe declines it when it is attached: the SetupIntent ends


@pytest.fixture
def web_settings(localstripe: LocalStripe) -> WebSettings:
    return WebSettings(xheaders=True, stripe_api_base=localstripe.api_base, stripe_js_url=localstripe.js_url)


async def connect(db, salon_id, localstripe: LocalStripe) -> dict[str, str]:
    keys = localstripe.keys()
    change = payments.AccountChange(keys["secretKey"], keys["publishableKey"], keys["webhookSecret"])
    await payments.save_account(db, salon_id, change)
    return keys


async def test_the_owner_sets_the_fees_through_the_api(api, make_salon) -> None:
    salon = await make_salon()
    status, got = await api("GET", "/salon", salon.api_token)
    assert status == 200 and (got["noShowFeePercent"], got["lateCancellationFeePercent"]) == (0, 0)
    status, changed = await api("PATCH", "/salon", salon.api_token, {"noShowFeePercent": 50,
                                                                     "lateCancellationFeePercent": 25})  # fmt: skip
    assert status == 200, changed
    assert (changed["noShowFeePercent"], changed["lateCancellationFeePercent"]) == (50, 25)
    status, changed = await api("PATCH", "/salon", salon.api_token, {"lateCancellationFeePercent": 100})
    assert (changed["noShowFeePercent"], changed["lateCancellationFeePercent"]) == (50, 100), "the other stays"
    for body, field in [
        ({"noShowFeePercent": 101}, "noShowFeePercent"),
        ({"noShowFeePercent": -1}, "noShowFeePercent"),
        ({"lateCancellationFeePercent": 12.5}, "lateCancellationFeePercent"),
        ({"lateCancellationFeePercent": "20"}, "lateCancellationFeePercent"),
    ]:
        status, answer = await api("PATCH", "/salon", salon.api_token, body)
        assert (status, answer["error"]["field"]) == (400, field), (body, answer)
    status, again = await api("GET", "/salon", salon.api_token)
    assert (again["noShowFeePercent"], again["lateCancellationFeePercent"]) == (50, 100), "a refusal changes nothing"


async def test_the_fees_are_set_on_the_settings_page_once_stripe_is_connected(logged_in, db, localstripe, api) -> None:
    session, made = await logged_in()
    page = (await session.get("/settings")).body.decode()
    assert "noShowFeePercent" not in page, "no fee without a Stripe account"
    await connect(db, made.salon.id, localstripe)
    page = (await session.get("/settings")).body.decode()
    assert 'name="noShowFeePercent"' in page and 'name="lateCancellationFeePercent"' in page
    refused = await session.post("/settings/fees", {"noShowFeePercent": "150", "lateCancellationFeePercent": "x"})
    body = refused.body.decode()
    assert refused.code == 400
    assert 'id="noShowFeePercent-error"' in body and 'id="lateCancellationFeePercent-error"' in body, "beside each"
    assert 'value="150"' in body and 'value="x"' in body, "what was typed is kept"
    saved = await session.post("/settings/fees", {"noShowFeePercent": "40", "lateCancellationFeePercent": "20"})
    assert saved.code == 303
    _, got = await api("GET", "/salon", made.api_token)
    assert (got["noShowFeePercent"], got["lateCancellationFeePercent"]) == (40, 20)
    page = (await session.get("/settings")).body.decode()
    assert 'value="40"' in page and 'value="20"' in page


async def with_fees(db, salon: Salon, no_show: int = 50, late: int = 25) -> Salon:
    changed = dataclasses.replace(salon, no_show_fee_percent=no_show, late_cancellation_fee_percent=late)
    return await salons.update_salon(db, changed)


async def fee_salon(make_salon, db, localstripe: LocalStripe, **fees: int) -> tuple[Salon, Desk, dict[str, str]]:
    """A salon booking online with its Stripe account and a no-show fee of 50 %, a late one of 25 %; its cut (50.00)
    asks no deposit."""
    salon, desk = await open_salon(make_salon, db)
    keys = await connect(db, salon.id, localstripe)
    await db.execute("UPDATE services SET price_cents = %s WHERE id = %s", (PRICE, desk.service.id))
    return await with_fees(db, salon, **fees), desk, keys


async def card_asked(public, db, salon: Salon, desk: Desk, hour: int = 10) -> dict[str, Any]:
    """Held, the right code typed: the card to save (the API's 202)."""
    hold_id, code = await held_with_code(public, db, salon, desk, hour)
    status, asked, _ = await public("POST", salon.slug, f"/bookings/{hold_id}/verify", {"code": code})
    assert status == 202, asked
    return asked


async def webhook(client, slug: str, kind: str, intent_id: str, secret: str, method: str | None = None) -> int:
    payload, header = signed(intent_event(kind, intent_id, method), secret)
    response = await client.fetch(
        f"/stripe/webhook/{slug}", method="POST", body=payload,
        headers={"Stripe-Signature": header, "Content-Type": "application/json"}, raise_error=False,
    )  # fmt: skip
    return int(response.code)


async def the_cards(db, salon: Salon) -> list[dict[str, Any]]:
    return await db.fetch_all(
        """SELECT stripe_intent_id, stripe_customer_id, stripe_payment_method_id, status, appointment_id
             FROM saved_cards WHERE salon_id = %s ORDER BY created_at""",
        (salon.id,),
    )


async def test_a_service_without_a_deposit_books_only_once_the_card_is_saved(
    make_salon, db, localstripe, public, http_server_client
) -> None:
    salon, desk, keys = await fee_salon(make_salon, db, localstripe)
    asked = await card_asked(public, db, salon, desk)
    assert asked["setupIntentId"].startswith("seti_") and asked["clientSecret"].startswith(asked["setupIntentId"])
    assert asked["publishableKey"] == keys["publishableKey"] and keys["secretKey"] not in str(asked)
    assert asked["fees"] == {"noShowCents": 2500, "lateCancellationCents": 1250, "cancelCutoffMinutes": 1440,
                             "currency": "GBP"}  # fmt: skip
    assert (await the_record(db, salon))[0] == [], "nothing is booked before the card is saved"
    [pending] = await the_cards(db, salon)
    assert pending["status"] == "pending" and pending["stripe_customer_id"].startswith("cus_")
    client = PageSession(http_server_client, {"X-Real-Ip": an_address()})
    page = (await client.get(f"/book/{salon.slug}/pay/{asked['holdId']}")).body.decode()
    assert "Save your card" in page and 'data-saves="card"' in page and asked["clientSecret"] in page
    assert "If you do not come, a fee of £25.00 may be charged to this card." in page
    assert "If you cancel later than 24 hours before, a fee of £12.50 may be charged to this card." in page

    saved = await localstripe.save_card(keys["secretKey"], asked["setupIntentId"])
    assert saved.status == "succeeded" and saved.payment_method
    assert (await the_record(db, salon))[0] == [], "Stripe has the card: booked only when Stripe tells us"
    paid = await client.get(f"/book/{salon.slug}/paid/{asked['holdId']}")
    assert paid.code == 303 and "/m/" in paid.headers["Location"] and "done=booked" in paid.headers["Location"]
    [booked] = (await the_record(db, salon))[0]
    assert booked["status"] == "booked"
    cards = await the_cards(db, salon)
    assert [(c["status"], c["stripe_payment_method_id"], c["appointment_id"]) for c in cards] == [
        ("succeeded", saved.payment_method, booked["id"])
    ]
    for _ in range(2):  # Stripe's webhook after the page's check: nothing more
        assert await webhook(http_server_client, salon.slug, "setup_intent.succeeded", asked["setupIntentId"],
                             keys["webhookSecret"], saved.payment_method) == 200  # fmt: skip
    assert (await the_record(db, salon))[0] == [booked] and await the_cards(db, salon) == cards
    assert (await the_record(db, salon))[1] == [], "a saved card moves no money"


async def test_the_webhook_saves_the_card_before_the_pages_check_once(
    make_salon, db, localstripe, public, http_server_client
) -> None:
    salon, desk, keys = await fee_salon(make_salon, db, localstripe)
    asked = await card_asked(public, db, salon, desk)
    saved = await localstripe.save_card(keys["secretKey"], asked["setupIntentId"])
    for _ in range(3):
        assert await webhook(http_server_client, salon.slug, "setup_intent.succeeded", asked["setupIntentId"],
                             keys["webhookSecret"], saved.payment_method) == 200  # fmt: skip
    [booked] = (await the_record(db, salon))[0]
    cards = await the_cards(db, salon)
    assert [(c["status"], c["appointment_id"]) for c in cards] == [("succeeded", booked["id"])]
    page = await PageSession(http_server_client).get(f"/book/{salon.slug}/paid/{asked['holdId']}")
    assert page.code == 303 and "/m/" in page.headers["Location"], "the page's own check finds it booked"
    assert (await the_record(db, salon))[0] == [booked] and await the_cards(db, salon) == cards


def stripe_out_of_reach(app: Salonbook) -> WebSettings:
    """Points the server's Stripe at a closed port (a connection refused at once); returns the settings to put
    back."""
    reachable = app.web_settings
    app.web_settings = dataclasses.replace(reachable, stripe_api_base=f"http://127.0.0.1:{free_port()}")
    return reachable


async def test_the_desk_sees_the_card_on_file_without_asking_stripe(
    make_salon, db, localstripe, public, http_server_client, pages, app
) -> None:
    salon, desk, keys = await fee_salon(make_salon, db, localstripe)
    asked = await card_asked(public, db, salon, desk)
    saved = await localstripe.save_card(keys["secretKey"], asked["setupIntentId"])
    reachable = stripe_out_of_reach(app)
    said = await webhook(http_server_client, salon.slug, "setup_intent.succeeded", asked["setupIntentId"],
                         keys["webhookSecret"], saved.payment_method)  # fmt: skip
    assert said == 200, "booked, though Stripe cannot say which card"
    [booked] = (await the_record(db, salon))[0]
    session = pages()
    owner = await db.fetch_row("SELECT email FROM users WHERE salon_id = %s AND role = 'owner'", (salon.id,))
    await session.login(owner["email"])
    page = (await session.get(f"/appointments/{booked['id']}")).body.decode()
    assert "Card on file" in page and "A card is saved with Stripe." in page, "Stripe could not say which: still saved"

    app.web_settings = reachable  # the page's read-back, Stripe reachable again, learns which card it is
    assert (await PageSession(http_server_client).get(f"/book/{salon.slug}/paid/{asked['holdId']}")).code == 303
    [card] = await db.fetch_all("SELECT card_brand, card_last4 FROM saved_cards WHERE salon_id = %s", (salon.id,))
    assert (card["card_brand"], card["card_last4"]) == ("visa", "4242")
    stripe_out_of_reach(app)
    page = (await session.get(f"/appointments/{booked['id']}")).body.decode()
    assert "Card on file" in page and "Visa ending 4242" in page, "from the row: Stripe is not reachable now"


async def test_the_api_shows_one_appointments_card_on_file_from_its_row(
    make_salon, db, localstripe, public, http_server_client, api, app
) -> None:
    salon, desk, keys = await fee_salon(make_salon, db, localstripe)
    token = await owner_token(db, salon.id)
    asked = await card_asked(public, db, salon, desk)
    saved = await localstripe.save_card(keys["secretKey"], asked["setupIntentId"])
    reachable = stripe_out_of_reach(app)
    assert await webhook(http_server_client, salon.slug, "setup_intent.succeeded", asked["setupIntentId"],
                         keys["webhookSecret"], saved.payment_method) == 200  # fmt: skip
    [booked] = (await the_record(db, salon))[0]
    status, shown = await api("GET", f"/appointments/{booked['id']}", token)
    assert status == 200 and shown["cardOnFile"] == {"brand": None, "last4": None}, "saved: Stripe could not say which"

    app.web_settings = reachable  # the page's read-back learns which card it is
    assert (await PageSession(http_server_client).get(f"/book/{salon.slug}/paid/{asked['holdId']}")).code == 303
    stripe_out_of_reach(app)
    status, shown = await api("GET", f"/appointments/{booked['id']}", token)
    assert status == 200 and shown["cardOnFile"] == {"brand": "visa", "last4": "4242"}, "from the row: no Stripe"

    at_desk = {"clientId": str(desk.client.id), "staffId": str(desk.staff.id), "serviceId": str(desk.service.id),
               "startTime": at(desk, 14)}  # fmt: skip
    status, without = await api("POST", "/appointments", token, at_desk)
    assert status == 201 and "cardOnFile" not in without, "only the appointment's own answer shows the card"
    status, shown = await api("GET", f"/appointments/{without['id']}", token)
    assert status == 200 and shown["cardOnFile"] is None, "booked at the desk: no card saved"
    status, day = await api("GET", f"/appointments?date={desk.day.isoformat()}", token)
    assert status == 200 and len(day) == 2 and all("cardOnFile" not in a for a in day), "lists leave it out"


async def test_the_card_is_read_from_stripe_once_when_it_is_saved(
    make_salon, db, localstripe, public, http_server_client, app
) -> None:
    salon, desk, keys = await fee_salon(make_salon, db, localstripe)
    asked = await card_asked(public, db, salon, desk)
    saved = await localstripe.save_card(keys["secretKey"], asked["setupIntentId"])
    assert await webhook(http_server_client, salon.slug, "setup_intent.succeeded", asked["setupIntentId"],
                         keys["webhookSecret"], saved.payment_method) == 200  # fmt: skip
    [card] = await db.fetch_all("SELECT card_brand, card_last4 FROM saved_cards WHERE salon_id = %s", (salon.id,))
    assert (card["card_brand"], card["card_last4"]) == ("visa", "4242"), "the webhook read it before booking"
    stripe_out_of_reach(app)  # known already: the next word about the card asks Stripe nothing, and still books
    assert await webhook(http_server_client, salon.slug, "setup_intent.succeeded", asked["setupIntentId"],
                         keys["webhookSecret"], saved.payment_method) == 200  # fmt: skip
    [again] = await db.fetch_all("SELECT card_brand, card_last4 FROM saved_cards WHERE salon_id = %s", (salon.id,))
    assert again == card


async def test_a_deposit_with_a_fee_saves_the_card_that_pays_it(
    make_salon, db, localstripe, public, http_server_client
) -> None:
    salon, desk, keys = await deposit_salon(make_salon, db, localstripe)
    salon = await with_fees(db, salon, no_show=100, late=100)
    hold_id, code = await held_with_code(public, db, salon, desk)
    status, deposit, _ = await public("POST", salon.slug, f"/bookings/{hold_id}/verify", {"code": code})
    assert status == 202 and deposit["amountCents"] == 1000 and deposit["paymentIntentId"].startswith("pi_")
    assert deposit["fees"]["noShowCents"] == 5000
    made = await stripe.StripeClient(keys["secretKey"], base_addresses={"api": localstripe.api_base}
                                     ).v1.payment_intents.retrieve_async(deposit["paymentIntentId"])  # fmt: skip
    assert made.customer and made.customer.startswith("cus_") and made["setup_future_usage"] == "off_session"
    page = (await PageSession(http_server_client).get(f"/book/{salon.slug}/pay/{hold_id}")).body.decode()
    assert (
        "Pay the deposit" in page
        and "If you do not come, or cancel later than 24 hours before, a fee of £50.00 may be charged to this card."
        in page
        and 'data-saves="payment"' in page
    )
    paid = await localstripe.pay(keys["secretKey"], deposit["paymentIntentId"])
    assert await webhook(http_server_client, salon.slug, "payment_intent.succeeded", paid.id, keys["webhookSecret"],
                         paid.payment_method) == 200  # fmt: skip
    page = await PageSession(http_server_client).get(f"/book/{salon.slug}/paid/{hold_id}")
    assert page.code == 303
    [booked], [payment] = await the_record(db, salon)
    assert (payment["kind"], payment["status"], payment["appointment_id"]) == ("deposit", "succeeded", booked["id"])
    cards = await the_cards(db, salon)
    assert [(c["stripe_intent_id"], c["stripe_customer_id"], c["stripe_payment_method_id"], c["status"],
             c["appointment_id"]) for c in cards] == [
        (paid.id, made.customer, paid.payment_method, "succeeded", booked["id"])
    ], "the deposit's own payment saved the card: no SetupIntent"  # fmt: skip


async def test_without_a_key_or_a_fee_no_card_is_asked(make_salon, db, localstripe, public) -> None:
    unconnected, desk = await open_salon(make_salon, db)
    unconnected = await with_fees(db, unconnected)
    hold_id, code = await held_with_code(public, db, unconnected, desk)
    status, booked, _ = await public("POST", unconnected.slug, f"/bookings/{hold_id}/verify", {"code": code})
    assert status == 201 and booked["status"] == "booked", "no Stripe account: booked by the code, as before"

    no_fee, desk, _ = await fee_salon(make_salon, db, localstripe, no_show=0, late=0)
    hold_id, code = await held_with_code(public, db, no_fee, desk)
    status, booked, _ = await public("POST", no_fee.slug, f"/bookings/{hold_id}/verify", {"code": code})
    assert status == 201 and booked["status"] == "booked", "no fee: no card"

    deposit_only, desk, keys = await deposit_salon(make_salon, db, localstripe)
    hold_id, code = await held_with_code(public, db, deposit_only, desk)
    status, deposit, _ = await public("POST", deposit_only.slug, f"/bookings/{hold_id}/verify", {"code": code})
    assert status == 202 and deposit["fees"] is None
    made = await stripe.StripeClient(keys["secretKey"], base_addresses={"api": localstripe.api_base}
                                     ).v1.payment_intents.retrieve_async(deposit["paymentIntentId"])  # fmt: skip
    assert made.customer is None, "a deposit without a fee keeps no card"
    for salon in (unconnected, no_fee, deposit_only):
        assert await the_cards(db, salon) == []


async def test_a_declined_card_books_nothing_and_another_card_may_be_saved(
    make_salon, db, localstripe, public, http_server_client
) -> None:
    salon, desk, keys = await fee_salon(make_salon, db, localstripe)
    asked = await card_asked(public, db, salon, desk)
    tried = await localstripe.save_card(keys["secretKey"], asked["setupIntentId"], REFUSED_ON_SAVING)
    assert tried.status != "succeeded"
    assert await webhook(http_server_client, salon.slug, "setup_intent.setup_failed", tried.id,
                         keys["webhookSecret"]) == 200  # fmt: skip
    assert [c["status"] for c in await the_cards(db, salon)] == ["failed"]
    client = PageSession(http_server_client)
    page = await client.get(f"/book/{salon.slug}/paid/{asked['holdId']}")
    body = page.body.decode()
    assert page.code == 200 and "The card has not been saved" in body and 'id="card-element"' in body
    assert (await the_record(db, salon))[0] == []
    held = await db.fetch_one("SELECT 1 FROM appointments WHERE salon_id = %s AND status = 'held'", (salon.id,))
    assert held is not None, "the time stays held while the hold lasts: another card may be saved"
    [card] = await the_cards(db, salon)
    assert card["stripe_intent_id"] != tried.id and card["status"] == "pending", "a new SetupIntent for the next card"
    assert card["stripe_intent_id"] in body
    saved = await localstripe.save_card(keys["secretKey"], card["stripe_intent_id"])
    assert (await client.get(f"/book/{salon.slug}/paid/{asked['holdId']}")).code == 303
    [booked] = (await the_record(db, salon))[0]
    assert [(c["status"], c["stripe_payment_method_id"], c["appointment_id"]) for c in await the_cards(db, salon)] == [
        ("succeeded", saved.payment_method, booked["id"])
    ]


async def test_an_abandoned_card_lets_the_hold_lapse_and_frees_the_slot(
    make_salon, db, localstripe, public, http_server_client
) -> None:
    salon, desk, keys = await fee_salon(make_salon, db, localstripe)
    asked = await card_asked(public, db, salon, desk)
    await db.execute("UPDATE holds SET expires_at = now() - interval '1 second' WHERE id = %s", (asked["holdId"],))
    assert (await online.release_lapsed(db, api_base=localstripe.api_base)).lapsed == 1
    free = f"/slots?serviceId={desk.service.id}&staffId={desk.staff.id}&date={desk.day}"
    starts = {slot["startTime"] for slot in (await public("GET", salon.slug, free))[1]["slots"]}
    assert any("T10:00" in start for start in starts), "the lapsed hold freed the time"
    assert [c["status"] for c in await the_cards(db, salon)] == ["canceled"]
    saved = await localstripe.save_card(keys["secretKey"], asked["setupIntentId"])  # too late
    assert await webhook(http_server_client, salon.slug, "setup_intent.succeeded", saved.id, keys["webhookSecret"],
                         saved.payment_method) == 200  # fmt: skip
    late = await PageSession(http_server_client).get(f"/book/{salon.slug}/paid/{asked['holdId']}")
    assert late.code == 409
    assert (await the_record(db, salon)) == ([], []), "nothing booked, nothing paid nor refunded"
    assert [c["status"] for c in await the_cards(db, salon)] == ["canceled"], "no appointment: no card kept for it"


async def saved_and_seen_by_the_owner(db, localstripe, pages, client, salon, keys, asked) -> tuple[dict, Any]:
    """The client's card saved and the page's check booking it; the appointment, and the owner's page session."""
    await localstripe.save_card(keys["secretKey"], asked["setupIntentId"])
    await client.get(f"/book/{salon.slug}/paid/{asked['holdId']}")
    [booked] = (await the_record(db, salon))[0]
    session = pages()
    owner = await db.fetch_row("SELECT email FROM users WHERE salon_id = %s AND role = 'owner'", (salon.id,))
    await session.login(owner["email"])
    return booked, session


async def test_the_card_pages_are_valid_html(
    make_salon, db, localstripe, public, http_server_client, pages, tmp_path
) -> None:
    salon, desk, keys = await fee_salon(make_salon, db, localstripe, no_show=30, late=30)
    asked = await card_asked(public, db, salon, desk)
    client = PageSession(http_server_client, {"X-Real-Ip": an_address()})
    fetched = {"book-card": (await client.get(f"/book/{salon.slug}/pay/{asked['holdId']}")).body}
    assert b"If you do not come, or cancel later than 24 hours before" in fetched["book-card"]
    booked, session = await saved_and_seen_by_the_owner(db, localstripe, pages, client, salon, keys, asked)
    fetched["settings-fees"] = (await session.get("/settings")).body
    fetched["settings-fees-with-errors"] = (await session.post("/settings/fees", {"noShowFeePercent": "x"})).body
    fetched["appointment-with-card"] = (await session.get(f"/appointments/{booked['id']}")).body
    assert b"Card on file" in fetched["appointment-with-card"]
    await check_html(fetched, tmp_path)


@pytest.mark.parametrize(
    ("locale", "country", "heading"), [("de-DE", "DE", "Karte hinterlegen"), ("es-ES", "ES", "Guarde su tarjeta")]
)
async def test_the_card_and_the_fees_are_in_the_salons_language(
    make_salon, db, localstripe, public, http_server_client, pages, locale: str, country: str, heading: str
) -> None:
    salon, desk, keys = await fee_salon(make_salon, db, localstripe, no_show=50, late=20)
    salon = await salons.update_salon(db, dataclasses.replace(salon, locale=locale, country=country))
    asked = await card_asked(public, db, salon, desk)
    client = PageSession(http_server_client, {"X-Real-Ip": an_address()})
    read = {"card": (await client.get(f"/book/{salon.slug}/pay/{asked['holdId']}")).body.decode()}
    assert f"<h1>{heading}</h1>" in read["card"], "the words are theirs"
    booked, session = await saved_and_seen_by_the_owner(db, localstripe, pages, client, salon, keys, asked)
    for page, settings in (
        ("settings", await session.get("/settings")),
        ("fees refused", await session.post("/settings/fees", {"noShowFeePercent": "101"})),
    ):
        read[page] = payments_section(settings.body.decode())  # fmt: skip
    read["appointment"] = (await session.get(f"/appointments/{booked['id']}")).body.decode()
    assert {page: english_on(html) for page, html in read.items() if english_on(html)} == {}


def payments_section(html: str) -> str:
    """The settings page's payments section, where the fees are (the rest is other pages' business)."""
    start = html.index('<section class="step" id="payments"')
    return html[start : html.index("</section>", start)]
