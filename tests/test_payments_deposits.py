"""Deposits at online booking, end to end against localstripe with the official library: the code keeps the time
held, the card field pays, and the time is booked once whoever says so first (the signed webhook, the page's own
check); a declined card or an abandoned payment books nothing and lets the time go."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import re
import time
import uuid
from typing import Any

import pytest
import stripe

from booking import online, payment_jobs, payments, services
from booking.models import Deposit, Salon, ServiceDetails
from handlers.app import WebSettings
from providers.stripe import read_intent
from tests.desk import Desk
from tests.page_fixtures import PageSession, add_receptionist
from tests.processes import free_port
from tests.stripe_server import DECLINED_CARD, LocalStripe, intent_event, localstripe, signed
from tests.test_pages_html import check_html
from tests.test_public_online_api import an_address, asking, at, open_salon, public
from tests.test_worker_delivery import until

__all__ = ["localstripe", "public"]

PRICE = 5000
PERCENT = 20


@pytest.fixture
def web_settings(localstripe: LocalStripe) -> WebSettings:
    return WebSettings(xheaders=True, stripe_api_base=localstripe.api_base, stripe_js_url=localstripe.js_url)


async def deposit_salon(make_salon, db, localstripe: LocalStripe) -> tuple[Salon, Desk, dict[str, str]]:
    """A salon booking online with its Stripe account, whose cut (50.00) asks a 20 % deposit."""
    salon, desk = await open_salon(make_salon, db)
    keys = localstripe.keys()
    change = payments.AccountChange(keys["secretKey"], keys["publishableKey"], keys["webhookSecret"])
    await payments.save_account(db, salon.id, change)
    await db.execute(
        "UPDATE services SET price_cents = %s, deposit_percent = %s WHERE id = %s", (PRICE, PERCENT, desk.service.id)
    )
    return salon, desk, keys


async def held_with_code(public, db, salon: Salon, desk: Desk, hour: int = 10, address: str = "") -> tuple[str, str]:
    status, body, _ = await public("POST", salon.slug, "/bookings", asking(desk, at(desk, hour)), address=address)
    assert status == 202, body
    job = await db.fetch_row(
        """SELECT payload FROM notification_jobs WHERE type = 'booking_code' AND salon_id = %s
            ORDER BY created_at DESC LIMIT 1""",
        (salon.id,),
    )
    return body["holdId"], job["payload"]["secret"]["code"]


async def to_pay(public, db, salon: Salon, desk: Desk, hour: int = 10) -> dict[str, Any]:
    """Held, the right code typed: the deposit to pay (the API's 202)."""
    hold_id, code = await held_with_code(public, db, salon, desk, hour)
    status, deposit, _ = await public("POST", salon.slug, f"/bookings/{hold_id}/verify", {"code": code})
    assert status == 202, deposit
    return deposit


async def webhook(client, slug: str, kind: str, intent_id: str, secret: str) -> int:
    payload, header = signed(intent_event(kind, intent_id), secret)
    response = await client.fetch(
        f"/stripe/webhook/{slug}", method="POST", body=payload,
        headers={"Stripe-Signature": header, "Content-Type": "application/json"}, raise_error=False,
    )  # fmt: skip
    return int(response.code)


async def the_record(db, salon: Salon) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The salon's booked appointments and its payments' rows, oldest first."""
    booked = await db.fetch_all(
        "SELECT id, status, client_id FROM appointments WHERE salon_id = %s AND status <> 'held'", (salon.id,)
    )
    paid = await db.fetch_all(
        """SELECT kind, amount_cents, currency, status, appointment_id FROM payments WHERE salon_id = %s
            ORDER BY created_at, id""",
        (salon.id,),
    )
    return booked, paid


async def test_the_right_code_holds_the_time_and_asks_the_deposit_not_a_booking(
    make_salon, db, localstripe, public
) -> None:
    salon, desk, keys = await deposit_salon(make_salon, db, localstripe)
    deposit = await to_pay(public, db, salon, desk)
    assert deposit["amountCents"] == PRICE * PERCENT // 100 and deposit["currency"] == "GBP"
    assert deposit["publishableKey"] == keys["publishableKey"] and deposit["clientSecret"].startswith("pi_")
    assert keys["secretKey"] not in str(deposit)
    booked, paid = await the_record(db, salon)
    assert booked == [], "nothing is booked before the payment"
    assert [(p["kind"], p["amount_cents"], p["status"]) for p in paid] == [("deposit", 1000, "pending")]
    status, again, _ = await public("POST", salon.slug, f"/bookings/{deposit['holdId']}/verify", {"code": "000000"})
    assert status == 202 and again["paymentIntentId"] == deposit["paymentIntentId"], "one PaymentIntent per hold"


async def test_the_webhook_three_times_then_the_pages_check_book_once(
    make_salon, db, localstripe, public, http_server_client
) -> None:
    salon, desk, keys = await deposit_salon(make_salon, db, localstripe)
    deposit = await to_pay(public, db, salon, desk)
    paid_intent = await localstripe.pay(keys["secretKey"], deposit["paymentIntentId"])
    assert paid_intent.status == "succeeded"
    for _ in range(3):
        assert await webhook(http_server_client, salon.slug, "payment_intent.succeeded", paid_intent.id,
                             keys["webhookSecret"]) == 200  # fmt: skip
    booked, paid = await the_record(db, salon)
    assert len(booked) == 1 and booked[0]["status"] == "booked" and booked[0]["client_id"] is not None
    assert paid == [{"kind": "deposit", "amount_cents": 1000, "currency": "GBP", "status": "succeeded",
                     "appointment_id": booked[0]["id"]}]  # fmt: skip
    page = await PageSession(http_server_client).get(f"/book/{salon.slug}/paid/{deposit['holdId']}")
    assert page.code == 303 and "/m/" in page.headers["Location"], "the page's own check finds it booked"
    assert await the_record(db, salon) == (booked, paid), "and books nothing more"


async def test_the_pages_own_check_books_before_the_webhook(
    make_salon, db, localstripe, public, http_server_client
) -> None:
    salon, desk, keys = await deposit_salon(make_salon, db, localstripe)
    deposit = await to_pay(public, db, salon, desk)
    await localstripe.pay(keys["secretKey"], deposit["paymentIntentId"])
    page = await PageSession(http_server_client).get(f"/book/{salon.slug}/paid/{deposit['holdId']}")
    assert page.code == 303 and "/m/" in page.headers["Location"] and "done=booked" in page.headers["Location"]
    booked, paid = await the_record(db, salon)
    assert len(booked) == 1 and [p["status"] for p in paid] == ["succeeded"]
    assert await webhook(http_server_client, salon.slug, "payment_intent.succeeded", deposit["paymentIntentId"],
                         keys["webhookSecret"]) == 200  # fmt: skip
    assert await the_record(db, salon) == (booked, paid), "the late webhook changes nothing"
    status, listed = await api_payments(http_server_client, db, salon, booked[0]["id"])
    assert status == 200 and [(p["kind"], p["amountCents"], p["status"]) for p in listed] == [
        ("deposit", 1000, "succeeded")
    ]


async def api_payments(client, db, salon: Salon, appointment_id: uuid.UUID, token: str | None = None):
    if token is None:
        from booking import api_tokens

        async with db.transaction() as cur:
            await cur.execute("SELECT id FROM users WHERE salon_id = %s AND role = 'owner'", (salon.id,))
            token = await api_tokens.add(cur, salon.id, (await cur.fetchone())["id"], "payments test")
    import json

    response = await client.fetch(
        f"/api/v1/appointments/{appointment_id}/payments", headers={"Authorization": f"Bearer {token}"},
        raise_error=False,
    )  # fmt: skip
    return response.code, json.loads(response.body)


async def test_stripes_own_signed_webhook_books_it(make_salon, db, localstripe, public, http_server_client) -> None:
    """localstripe posts payment_intent.succeeded, signed with the salon's secret, as Stripe would."""
    salon, desk, keys = await deposit_salon(make_salon, db, localstripe)
    url = http_server_client.get_url(f"/stripe/webhook/{salon.slug}")
    await localstripe.send_webhooks_to(url, keys["webhookSecret"])
    deposit = await to_pay(public, db, salon, desk)
    await localstripe.pay(keys["secretKey"], deposit["paymentIntentId"])
    deadline = time.monotonic() + 15
    while not (await the_record(db, salon))[0]:
        assert time.monotonic() < deadline, "localstripe's webhook booked nothing within 15 s"
        await asyncio.sleep(0.2)
    booked, paid = await the_record(db, salon)
    assert len(booked) == 1 and [p["status"] for p in paid] == ["succeeded"]


async def test_a_declined_card_books_nothing_and_the_client_may_try_again(
    make_salon, db, localstripe, public, http_server_client
) -> None:
    salon, desk, keys = await deposit_salon(make_salon, db, localstripe)
    deposit = await to_pay(public, db, salon, desk)
    tried = await localstripe.pay(keys["secretKey"], deposit["paymentIntentId"], DECLINED_CARD)
    assert tried.status != "succeeded"
    assert await webhook(http_server_client, salon.slug, "payment_intent.payment_failed", tried.id,
                         keys["webhookSecret"]) == 200  # fmt: skip
    page = await PageSession(http_server_client).get(f"/book/{salon.slug}/paid/{deposit['holdId']}")
    assert page.code == 200 and b"has not gone through" in page.body and b'id="card-element"' in page.body
    booked, paid = await the_record(db, salon)
    assert booked == [] and [p["status"] for p in paid] == ["failed"]
    held = await db.fetch_one("SELECT 1 FROM appointments WHERE salon_id = %s AND status = 'held'", (salon.id,))
    assert held is not None, "the time stays held while the hold lasts: another card may pay"


async def test_an_abandoned_payment_lets_the_hold_lapse_and_frees_the_slot_and_a_late_one_goes_back_once(
    make_salon, db, localstripe, public, http_server_client, start_worker, smtp_server
) -> None:
    salon, desk, keys = await deposit_salon(make_salon, db, localstripe)
    deposit = await to_pay(public, db, salon, desk)
    free = f"/slots?serviceId={desk.service.id}&staffId={desk.staff.id}&date={desk.day}"
    starts = {slot["startTime"] for slot in (await public("GET", salon.slug, free))[1]["slots"]}
    assert not any("T10:00" in start for start in starts), "held while it is paid"
    await db.execute("UPDATE holds SET expires_at = now() - interval '1 second' WHERE id = %s", (deposit["holdId"],))
    released = await online.release_lapsed(db, api_base="http://127.0.0.1:9")  # Stripe out of reach just then
    assert released.lapsed == 1
    assert len(released.not_canceled) == 1 and deposit["paymentIntentId"] in released.not_canceled[0], "not raised"
    starts = {slot["startTime"] for slot in (await public("GET", salon.slug, free))[1]["slots"]}
    assert any("T10:00" in start for start in starts), "the lapsed hold freed the time"
    booked, paid = await the_record(db, salon)
    assert booked == [] and [p["status"] for p in paid] == ["canceled"]
    # Its PaymentIntent could not be canceled, and the client pays after all, too late: recorded, never booked
    # into a time that is not held any more, and given back whole, once, however often Stripe and the page say so:
    # by the worker, the webhook and the page answering without waiting for Stripe.
    intent_id = deposit["paymentIntentId"]
    await localstripe.pay(keys["secretKey"], intent_id)
    for _ in range(3):
        assert await webhook(http_server_client, salon.slug, "payment_intent.succeeded", intent_id,
                             keys["webhookSecret"]) == 200  # fmt: skip
    late = await PageSession(http_server_client).get(f"/book/{salon.slug}/paid/{deposit['holdId']}")
    assert late.code == 409 and b"refunded to your card" in late.body
    booked, paid = await the_record(db, salon)
    assert booked == [] and [(p["kind"], p["amount_cents"], p["status"], p["appointment_id"]) for p in paid] == [
        ("deposit", 1000, "succeeded", None), ("refund", 1000, "pending", None)
    ]  # fmt: skip
    assert await refunds_at_stripe(localstripe, keys["secretKey"], intent_id) == [], "the worker's to ask"
    [job] = await unbooked_jobs(db, salon)
    assert (job["status"], job["appointment_id"], job["client_id"], job["channels"]) == ("pending", None, None,
                                                                                          ["stripe"])  # fmt: skip

    await start_worker(smtp=smtp_server, stripe_api_base=localstripe.api_base)
    refund = await refunded(db, salon)
    [made] = await refunds_at_stripe(localstripe, keys["secretKey"], intent_id)
    assert (refund["status"], refund["stripe_refund_id"], refund["idempotency_key"]) == (
        "succeeded", made.id, f"salonbook-refund-{intent_id}-unbooked"
    )  # fmt: skip
    assert (made.amount, made.status) == (1000, "succeeded"), "all of the deposit, once"
    # the payment's row is the channel's to write, the job's outcome the worker's, a moment later
    await until(lambda: job_statuses(db, salon), ["completed"])
    assert await webhook(http_server_client, salon.slug, "payment_intent.succeeded", intent_id,
                         keys["webhookSecret"]) == 200, "Stripe says it again later"  # fmt: skip
    assert len(await unbooked_jobs(db, salon)) == 1 and len(await refunds_at_stripe(localstripe, keys["secretKey"],
                                                                                    intent_id)) == 1  # fmt: skip


async def refunds_at_stripe(localstripe: LocalStripe, secret_key: str, intent_id: str) -> list[Any]:
    """Every refund Stripe made of the PaymentIntent: what exactly once counts."""
    http = stripe.AIOHTTPClient()
    client = stripe.StripeClient(secret_key, base_addresses={"api": localstripe.api_base}, http_client=http)
    try:
        return list((await client.v1.refunds.list_async({"payment_intent": intent_id})).data)
    finally:
        await http.close_async()  # type: ignore[no-untyped-call]


async def unbooked_jobs(db, salon: Salon) -> list[dict[str, Any]]:
    """The salon's payment jobs of refunds on no appointment, oldest first."""
    return await db.fetch_all(
        """SELECT j.status, j.appointment_id, j.client_id, j.channels FROM notification_jobs j
             JOIN payments p ON p.id = (j.payload->>'paymentId')::uuid
            WHERE j.salon_id = %s AND j.type = 'payment' AND p.reason = 'unbooked' ORDER BY j.created_at""",
        (salon.id,),
    )


async def job_statuses(db, salon: Salon) -> list[str]:
    return [job["status"] for job in await unbooked_jobs(db, salon)]


async def refunded(db, salon: Salon, timeout: float = 20) -> dict[str, Any]:
    """The salon's one unbooked refund once the worker has recorded Stripe's answer."""
    deadline = time.monotonic() + timeout
    while True:
        [refund] = await db.fetch_all(
            """SELECT status, stripe_refund_id, idempotency_key, updated_at FROM payments
                WHERE salon_id = %s AND kind = 'refund' AND reason = 'unbooked'""",
            (salon.id,),
        )
        if refund["status"] != "pending":
            return refund
        assert time.monotonic() < deadline, f"the refund is still pending after {timeout:g} s"
        await asyncio.sleep(0.1)


async def test_an_unbooked_refund_stranded_without_its_job_is_queued_again_and_refunded_once(
    make_salon, db, localstripe, public, http_server_client, start_worker, smtp_server
) -> None:
    salon, desk, keys = await deposit_salon(make_salon, db, localstripe)
    deposit = await to_pay(public, db, salon, desk)
    await db.execute("UPDATE holds SET expires_at = now() - interval '1 second' WHERE id = %s", (deposit["holdId"],))
    await online.release_lapsed(db, api_base="http://127.0.0.1:9")
    await localstripe.pay(keys["secretKey"], deposit["paymentIntentId"])
    assert await webhook(http_server_client, salon.slug, "payment_intent.succeeded", deposit["paymentIntentId"],
                         keys["webhookSecret"]) == 200  # fmt: skip
    await db.execute(  # its job given up (Stripe out of reach all along), minutes ago
        """UPDATE notification_jobs SET status = 'failed' WHERE salon_id = %s AND type = 'payment';
           UPDATE payments SET updated_at = now() - %s WHERE salon_id = %s AND reason = 'unbooked'""",
        (salon.id, payment_jobs.STRANDED_AFTER, salon.id),
    )
    assert await payment_jobs.requeue_stranded(db) == 1, "a refund on no appointment is the chore's too"
    assert [j["status"] for j in await unbooked_jobs(db, salon)] == ["failed", "pending"]
    await start_worker(smtp=smtp_server, stripe_api_base=localstripe.api_base)
    assert (await refunded(db, salon))["status"] == "succeeded"
    assert len(await refunds_at_stripe(localstripe, keys["secretKey"], deposit["paymentIntentId"])) == 1


async def test_a_lapsed_hold_cancels_its_payment_intent_so_no_card_can_pay_it_later(
    make_salon, db, localstripe, public, http_server_client
) -> None:
    salon, desk, keys = await deposit_salon(make_salon, db, localstripe)
    deposit = await to_pay(public, db, salon, desk)
    intent = deposit["paymentIntentId"]
    await db.execute("UPDATE holds SET expires_at = now() - interval '1 second' WHERE id = %s", (deposit["holdId"],))
    status, refused, _ = await public("POST", salon.slug, f"/bookings/{deposit['holdId']}/verify", {"code": "0"})
    assert status == 409 and "no longer held" in refused["error"]["message"], refused
    assert (await read_intent(localstripe.account(keys["secretKey"]), intent)).status != "canceled", "the worker's"

    released = await online.release_lapsed(db, api_base=localstripe.api_base)

    assert released == online.Released(1, ())
    assert (await read_intent(localstripe.account(keys["secretKey"]), intent)).status == "canceled"
    with pytest.raises(stripe.StripeError):  # the card field cannot pay it any more
        await localstripe.pay(keys["secretKey"], intent)
    booked, paid = await the_record(db, salon)
    assert booked == [] and [p["status"] for p in paid] == ["canceled"]
    late = await PageSession(http_server_client).get(f"/book/{salon.slug}/paid/{deposit['holdId']}")
    assert late.code == 409, "no booking, no payment, no 502"
    assert await online.release_lapsed(db, api_base=localstripe.api_base) == online.Released(0, ()), "once"


async def test_the_workers_chore_cancels_a_lapsed_deposit_at_stripe_and_logs_what_it_could_not(
    make_salon, db, localstripe, public, smtp_server, start_worker, caplog
) -> None:
    salon, desk, keys = await deposit_salon(make_salon, db, localstripe)
    first, second = await to_pay(public, db, salon, desk, hour=10), await to_pay(public, db, salon, desk, hour=12)
    unknown = f"pi_unknown_{salon.id.hex}"  # a PaymentIntent Stripe does not know: it refuses to cancel it
    await db.execute("UPDATE payments SET stripe_payment_intent_id = %s WHERE hold_id = %s", (unknown, first["holdId"]))
    await db.execute("UPDATE holds SET expires_at = now() - interval '1 second' WHERE salon_id = %s", (salon.id,))
    with caplog.at_level("WARNING"):
        await start_worker(smtp=smtp_server, holds_interval=0.1, stripe_api_base=localstripe.api_base)
        account = localstripe.account(keys["secretKey"])
        deadline = time.monotonic() + 15
        while (await read_intent(account, second["paymentIntentId"])).status != "canceled":
            assert time.monotonic() < deadline, "the worker did not cancel the lapsed deposit's PaymentIntent"
            await asyncio.sleep(0.1)
        while unknown not in caplog.text:
            assert time.monotonic() < deadline, "what Stripe refused is not in the log"
            await asyncio.sleep(0.1)
    booked, paid = await the_record(db, salon)
    assert booked == [] and [p["status"] for p in paid] == ["canceled", "canceled"]


async def test_a_bad_signature_is_refused_and_changes_nothing(
    make_salon, db, localstripe, public, http_server_client
) -> None:
    salon, desk, keys = await deposit_salon(make_salon, db, localstripe)
    deposit = await to_pay(public, db, salon, desk)
    await localstripe.pay(keys["secretKey"], deposit["paymentIntentId"])
    intent = deposit["paymentIntentId"]
    assert await webhook(http_server_client, salon.slug, "payment_intent.succeeded", intent, "whsec_guessed") == 400
    payload, _ = signed(intent_event("payment_intent.succeeded", intent), keys["webhookSecret"])
    unsigned = await http_server_client.fetch(
        f"/stripe/webhook/{salon.slug}", method="POST", body=payload, raise_error=False
    )
    assert unsigned.code == 400
    payload, stale = signed(intent_event("payment_intent.succeeded", intent), keys["webhookSecret"], time.time() - 600)
    replayed = await http_server_client.fetch(
        f"/stripe/webhook/{salon.slug}", method="POST", body=payload, headers={"Stripe-Signature": stale},
        raise_error=False,
    )  # fmt: skip
    assert replayed.code == 400, "a signed event older than 5 minutes is a replay"
    booked, paid = await the_record(db, salon)
    assert booked == [] and [p["status"] for p in paid] == ["pending"]


async def test_another_salons_webhook_or_token_reaches_nothing_of_ours(
    make_salon, db, localstripe, public, http_server_client
) -> None:
    ours, desk, keys = await deposit_salon(make_salon, db, localstripe)
    theirs, _, their_keys = await deposit_salon(make_salon, db, localstripe)
    deposit = await to_pay(public, db, ours, desk)
    await localstripe.pay(keys["secretKey"], deposit["paymentIntentId"])
    assert await webhook(http_server_client, theirs.slug, "payment_intent.succeeded", deposit["paymentIntentId"],
                         their_keys["webhookSecret"]) == 200  # fmt: skip
    assert (await the_record(db, ours))[0] == [], "their webhook books nothing of ours"
    assert await webhook(http_server_client, ours.slug, "payment_intent.succeeded", deposit["paymentIntentId"],
                         keys["webhookSecret"]) == 200  # fmt: skip
    booked, _ = await the_record(db, ours)
    status, _ = await api_payments(http_server_client, db, theirs, booked[0]["id"])
    assert status == 404, "their token does not see our appointment's payments"


async def test_a_salon_without_a_key_asks_no_deposit_and_shows_nothing_of_payments(
    make_salon, db, public, http_server_client, logged_in
) -> None:
    salon, desk = await open_salon(make_salon, db)
    await db.execute("UPDATE services SET price_cents = 5000, deposit_percent = 20 WHERE id = %s", (desk.service.id,))
    hold_id, code = await held_with_code(public, db, salon, desk)
    status, appointment, _ = await public("POST", salon.slug, f"/bookings/{hold_id}/verify", {"code": code})
    assert status == 201 and appointment["status"] == "booked", "booked by the code, as before"
    assert await db.fetch_all("SELECT 1 FROM payments WHERE salon_id = %s", (salon.id,)) == []
    pay_page = await PageSession(http_server_client).get(f"/book/{salon.slug}/pay/{hold_id}")
    assert pay_page.code == 409
    assert await webhook(http_server_client, salon.slug, "payment_intent.succeeded", "pi_x", "whsec_any") == 404
    session, made = await logged_in()
    cut = await services.create_service(db, made.salon.id, ServiceDetails("Colour", 90, 8000))
    assert b"Deposit" not in (await session.get(f"/services/{cut.id}/edit")).body
    saved = await session.post(f"/services/{cut.id}/edit", {
        "name": "Colour", "durationMinutes": "90", "priceCents": "80.00", "bufferMinutes": "0",
        "performedBy": "everyone"})  # fmt: skip
    assert saved.code == 303
    keys = {"secretKey": "sk_test_abcdefgh1234", "publishableKey": "pk_test_abcdefgh1234"}
    await payments.save_account(
        db, made.salon.id, payments.AccountChange(keys["secretKey"], keys["publishableKey"], None)
    )
    assert b"Deposit at online booking" in (await session.get(f"/services/{cut.id}/edit")).body
    saved = await session.post(f"/services/{cut.id}/edit", {
        "name": "Colour", "durationMinutes": "90", "priceCents": "80.00", "bufferMinutes": "0",
        "performedBy": "everyone", "deposit": "shown", "depositPercent": "20", "depositAmount": ""})  # fmt: skip
    assert saved.code == 303, saved.body
    assert (await services.get_service(db, made.salon.id, cut.id)).deposit == Deposit(percent=20)


async def test_the_pay_page_loads_the_card_field_from_stripe_js_only(
    make_salon, db, localstripe, public, http_server_client
) -> None:
    salon, desk, keys = await deposit_salon(make_salon, db, localstripe)
    deposit = await to_pay(public, db, salon, desk)
    page = await PageSession(http_server_client, {"X-Real-Ip": an_address()}).get(
        f"/book/{salon.slug}/pay/{deposit['holdId']}"
    )
    assert page.code == 200, page.body
    body = page.body.decode()
    assert f'src="{localstripe.js_url}"' in body and 'id="card-element"' in body
    assert deposit["clientSecret"] in body and keys["secretKey"] not in body
    assert 'name="card' not in body and "<input" not in body.split('id="payment-form"')[1], "no card input of ours"
    policy = page.headers["Content-Security-Policy"]
    assert (
        f"script-src 'self' {localstripe.api_base};" in policy and f"frame-src 'self' {localstripe.api_base}" in policy
    )


async def test_the_payment_pages_are_valid_html(
    make_salon, db, localstripe, public, http_server_client, pages, tmp_path
) -> None:
    salon, desk, keys = await deposit_salon(make_salon, db, localstripe)
    deposit = await to_pay(public, db, salon, desk)
    client = PageSession(http_server_client, {"X-Real-Ip": an_address()})
    fetched = {"book-pay": (await client.get(f"/book/{salon.slug}/pay/{deposit['holdId']}")).body}
    late = await to_pay(public, db, salon, desk, hour=12)
    await db.execute("UPDATE holds SET expires_at = now() - interval '1 second' WHERE id = %s", (late["holdId"],))
    await online.release_lapsed(db, api_base="http://127.0.0.1:9")  # left payable: the late payment's page
    await localstripe.pay(keys["secretKey"], late["paymentIntentId"])
    fetched["book-paid-late"] = (await client.get(f"/book/{salon.slug}/paid/{late['holdId']}")).body
    await localstripe.pay(keys["secretKey"], deposit["paymentIntentId"])
    await client.get(f"/book/{salon.slug}/paid/{deposit['holdId']}")
    [booked] = (await the_record(db, salon))[0]
    session = pages()
    owner = await db.fetch_row("SELECT email FROM users WHERE salon_id = %s AND role = 'owner'", (salon.id,))
    await session.login(owner["email"])
    fetched["settings-stripe"] = (await session.get("/settings")).body
    fetched["settings-stripe-with-errors"] = (await session.post("/settings/stripe", {"secretKey": "x"})).body
    fetched["service-with-deposit"] = (await session.get(f"/services/{desk.service.id}/edit")).body
    fetched["appointment-with-payments"] = (await session.get(f"/appointments/{booked['id']}")).body
    assert b"Payments" in fetched["appointment-with-payments"] and b"Deposit" in fetched["appointment-with-payments"]
    await check_html(fetched, tmp_path)


async def booked_with_deposit(make_salon, db, localstripe, public, client) -> tuple[Salon, str]:
    """A salon and an appointment booked online with its deposit (10.00) paid."""
    salon, desk, keys = await deposit_salon(make_salon, db, localstripe)
    deposit = await to_pay(public, db, salon, desk)
    await localstripe.pay(keys["secretKey"], deposit["paymentIntentId"])
    assert (await PageSession(client).get(f"/book/{salon.slug}/paid/{deposit['holdId']}")).code == 303
    [booked] = (await the_record(db, salon))[0]
    return salon, str(booked["id"])


async def owner_token(db, salon_id: uuid.UUID, role: str = "owner") -> str:
    from booking import api_tokens

    async with db.transaction() as cur:
        await cur.execute("SELECT id FROM users WHERE salon_id = %s AND role = 'owner'", (salon_id,))
        return await api_tokens.add(cur, salon_id, (await cur.fetchone())["id"], role)


async def test_the_owner_refunds_the_deposit_never_more_than_was_paid(
    make_salon, db, localstripe, public, http_server_client, api
) -> None:
    salon, appointment = await booked_with_deposit(make_salon, db, localstripe, public, http_server_client)
    token = await owner_token(db, salon.id)
    status, part = await api("POST", f"/appointments/{appointment}/refund", token, {"amountCents": 300})
    assert status == 201, part
    assert (part["kind"], part["amountCents"], part["status"]) == ("refund", 300, "succeeded")
    assert part["stripeRefundId"].startswith("re_")
    status, error = await api("POST", f"/appointments/{appointment}/refund", token, {"amountCents": 701})
    assert status == 400 and "700" in error["error"]["message"], error
    status, rest = await api("POST", f"/appointments/{appointment}/refund", token, {})
    assert status == 201 and rest["amountCents"] == 700
    status, error = await api("POST", f"/appointments/{appointment}/refund", token, {})
    assert status == 409, "refunded in full: a double click moves nothing"
    status, listed = await api("GET", f"/appointments/{appointment}/payments", token)
    assert [(p["kind"], p["amountCents"], p["status"]) for p in listed] == [
        ("deposit", 1000, "succeeded"), ("refund", 300, "succeeded"), ("refund", 700, "succeeded")
    ]  # fmt: skip
    other = await make_salon()
    assert (await api("POST", f"/appointments/{appointment}/refund", other.api_token, {}))[0] == 404


async def test_a_refund_whose_answer_was_lost_is_asked_again_under_its_own_key(
    make_salon, db, localstripe, public, http_server_client, api
) -> None:
    salon, appointment = await booked_with_deposit(make_salon, db, localstripe, public, http_server_client)
    with pytest.raises(payments.PaymentProblem):  # Stripe unreachable: the row is written, the answer never came
        await payments.refund(db, salon.id, uuid.UUID(appointment), 400, "http://127.0.0.1:9")
    [pending] = await db.fetch_all(
        "SELECT amount_cents, status, idempotency_key FROM payments WHERE kind = 'refund' AND salon_id = %s",
        (salon.id,),
    )
    assert pending["status"] == "pending" and pending["idempotency_key"].endswith(f"{appointment}-owner-1")
    token = await owner_token(db, salon.id)
    status, refund = await api("POST", f"/appointments/{appointment}/refund", token, {"amountCents": 1000})
    assert status == 201 and refund["amountCents"] == 400 and refund["status"] == "succeeded", "the same one again"
    rows = await db.fetch_all("SELECT idempotency_key FROM payments WHERE kind = 'refund' AND salon_id = %s",
                              (salon.id,))  # fmt: skip
    assert [row["idempotency_key"] for row in rows] == [pending["idempotency_key"]], "one refund, not two"


async def test_a_salon_in_yen_asks_whole_yen_and_stripe_is_asked_as_many(
    make_salon, db, localstripe, public, http_server_client, api
) -> None:
    """Yen have no cents: 20 % of ¥1,234 is ¥247 (half a yen up), kept as 24700 cents like every amount, and
    Stripe is asked for 247 of its smallest unit, the yen (not 24700: a hundred times the deposit)."""
    salon, desk, keys = await deposit_salon(make_salon, db, localstripe)
    await db.execute("UPDATE salons SET currency = 'JPY' WHERE id = %s", (salon.id,))
    await db.execute("UPDATE services SET price_cents = 123400 WHERE id = %s", (desk.service.id,))
    due = await to_pay(public, db, salon, desk)
    assert (due["amountCents"], due["currency"]) == (24700, "JPY")
    assert await localstripe.amount_of(keys["secretKey"], due["paymentIntentId"]) == 247
    page = await PageSession(http_server_client, {"X-Real-Ip": an_address()}).get(
        f"/book/{salon.slug}/pay/{due['holdId']}"
    )
    assert page.code == 200 and "¥247" in page.body.decode()
    await localstripe.pay(keys["secretKey"], due["paymentIntentId"])
    assert (await PageSession(http_server_client).get(f"/book/{salon.slug}/paid/{due['holdId']}")).code == 303
    [booked], paid = await the_record(db, salon)
    assert [(p["kind"], p["amount_cents"], p["status"]) for p in paid] == [("deposit", 24700, "succeeded")]
    token = await owner_token(db, salon.id)
    appointment = booked["id"]
    status, error = await api("POST", f"/appointments/{appointment}/refund", token, {"amountCents": 150})
    assert status == 400 and error["error"]["message"] == "amountCents must be whole JPY, a multiple of 100 cents"
    status, refund = await api("POST", f"/appointments/{appointment}/refund", token, {"amountCents": 10000})
    assert status == 201 and refund["amountCents"] == 10000, refund
    assert await localstripe.amount_of(keys["secretKey"], refund["stripeRefundId"]) == 100


async def test_the_owner_refunds_from_the_appointments_page(
    make_salon, db, localstripe, public, http_server_client, pages
) -> None:
    salon, appointment = await booked_with_deposit(make_salon, db, localstripe, public, http_server_client)
    session = pages()
    owner = await db.fetch_row("SELECT email FROM users WHERE salon_id = %s AND role = 'owner'", (salon.id,))
    await session.login(owner["email"])
    page = (await session.get(f"/appointments/{appointment}")).body.decode()
    assert "Refund of the deposit" in page and "£10.00" in page
    refused = await session.post(f"/appointments/{appointment}/refund", {"refundAmount": "11.00"})
    assert refused.code == 400 and 'id="refundAmount-error"' in refused.body.decode()
    done = await session.post(f"/appointments/{appointment}/refund", {"refundAmount": "2.50"})
    assert done.code == 303
    page = (await session.get(f"/appointments/{appointment}")).body.decode()
    assert "Refund" in page and "£2.50" in page


async def test_the_appointments_page_shows_every_movement_and_only_the_owner_may_refund(
    make_salon, db, localstripe, public, http_server_client, pages
) -> None:
    salon, appointment = await booked_with_deposit(make_salon, db, localstripe, public, http_server_client)
    await db.execute(  # a no-show fee asked of Stripe, its PaymentIntent not known yet (28b's jobs write these)
        """INSERT INTO payments (salon_id, appointment_id, kind, reason, amount_cents, currency, status,
                                 idempotency_key)
           VALUES (%s, %s, 'fee', 'no_show', 2550, 'GBP', 'pending', %s)""",
        (salon.id, appointment, f"salonbook-fee-{appointment}-no_show"),
    )
    owner = pages()
    await owner.login((await db.fetch_row("SELECT email FROM users WHERE salon_id = %s AND role = 'owner'",
                                          (salon.id,)))["email"])  # fmt: skip
    page = (await owner.get(f"/appointments/{appointment}")).body.decode()
    table = page.split('<table class="payments">', 1)[1].split("</table>", 1)[0]
    deposit, fee = re.findall(r"<tr class=\"payment-\w+\">(.*?)</tr>", table, re.S)
    assert "Deposit" in deposit and "paid at online booking" in deposit and "£10.00" in deposit
    assert "succeeded" in deposit and "<code>pi_" in deposit
    assert "Fee" in fee and "no-show" in fee and "£25.50" in fee and "pending" in fee and "<code>—</code>" in fee
    assert "Up to £10.00" in page and 'name="refundAmount"' in page

    desk = pages()
    await desk.login(await add_receptionist(db, salon.id))
    seen = (await desk.get(f"/appointments/{appointment}")).body.decode()
    assert "£25.50" in seen and 'name="refundAmount"' not in seen, "the desk sees the money, not the refund"
    assert (await desk.post(f"/appointments/{appointment}/refund", {"refundAmount": "1.00"})).code == 403

    assert (await owner.post(f"/appointments/{appointment}/refund", {"refundAmount": ""})).code == 303
    page = (await owner.get(f"/appointments/{appointment}")).body.decode()
    assert "by the owner" in page and "<code>re_" in page
    assert 'name="refundAmount"' not in page, "refunded in full: nothing left to refund, no form"


async def test_a_hold_being_paid_never_gives_way_to_newer_holds(make_salon, db, localstripe, public) -> None:
    salon, desk, _ = await deposit_salon(make_salon, db, localstripe)
    deposit = await to_pay(public, db, salon, desk, hour=10)
    for hour in (11, 12, 13):  # more than a stylist's day may have waiting: the oldest waiting for its code goes
        status, body, _ = await public("POST", salon.slug, "/bookings", asking(desk, at(desk, hour)),
                                       address=an_address())  # fmt: skip
        assert status == 202, body
    ended = await db.fetch_all("SELECT id, ended FROM holds WHERE salon_id = %s ORDER BY created_at", (salon.id,))
    assert [row["ended"] for row in ended] == [None, "displaced", None, None], "the one being paid stays"
    assert ended[0]["id"] == uuid.UUID(deposit["holdId"])


def test_a_deposit_below_stripes_least_charge_is_raised_to_it_or_not_asked() -> None:
    assert payments.chargeable(20, 100, "USD") == 50, "20 % of 1.00 is raised to Stripe's 0.50"
    assert payments.chargeable(20, 100, "gbp") == 30, "the pound's least is 0.30"
    assert payments.chargeable(10, 40, "EUR") == 0, "a price below the least: no deposit at all"
    assert payments.chargeable(40, 60, "EUR") == 50
    assert payments.chargeable(50, 50, "EUR") == 50, "the price itself, at the least"
    assert payments.chargeable(100, 350, "SEK") == 300, "3.00 kr"
    assert payments.chargeable(100, 250, "SEK") == 0
    assert payments.chargeable(1000, 5000, "EUR") == 1000, "above the least: as asked"
    assert payments.chargeable(0, 5000, "EUR") == 0, "nothing asked, nothing raised"
    assert payments.chargeable(10, 100, "XOF") == 50, "a currency not in the table: 50 cents"
    assert payments.chargeable(2000, 100000, "JPY") == 5000, "¥20 is raised to the yen's least, ¥50"


@pytest.mark.parametrize(("price", "deposit"), [(100, 30), (30, 30)], ids=["1.00", "0.30"])
async def test_a_small_deposit_is_paid_at_stripes_least_charge_never_a_502(
    make_salon, db, localstripe, public, http_server_client, price: int, deposit: int
) -> None:
    salon, desk, keys = await deposit_salon(make_salon, db, localstripe)  # in pounds, 20 % deposits
    await db.execute("UPDATE services SET price_cents = %s WHERE id = %s", (price, desk.service.id))
    due = await to_pay(public, db, salon, desk)
    assert due["amountCents"] == deposit, "20 % of the price, raised to the pound's least charge, 0.30"
    page = await PageSession(http_server_client, {"X-Real-Ip": an_address()}).get(
        f"/book/{salon.slug}/pay/{due['holdId']}"
    )
    assert page.code == 200 and "£0.30" in page.body.decode()
    intent = await read_intent(localstripe.account(keys["secretKey"]), due["paymentIntentId"])
    assert intent.amount_cents == deposit


async def test_a_price_below_stripes_least_charge_asks_no_deposit_the_code_books_it(
    make_salon, db, localstripe, public
) -> None:
    salon, desk, _ = await deposit_salon(make_salon, db, localstripe)
    await db.execute("UPDATE services SET price_cents = 25 WHERE id = %s", (desk.service.id,))
    hold_id, code = await held_with_code(public, db, salon, desk)
    status, appointment, _ = await public("POST", salon.slug, f"/bookings/{hold_id}/verify", {"code": code})
    assert status == 201 and appointment["status"] == "booked", "0.25 is below the least Stripe takes"
    assert await db.fetch_all("SELECT 1 FROM payments WHERE salon_id = %s", (salon.id,)) == []


async def test_a_payment_arriving_as_its_hold_lapses_never_deadlocks(make_salon, db, localstripe, public) -> None:
    """The release of lapsed holds and the booking of a paid one, at once on two connections, many times: both
    take the hold's lock before its payment's, so one waits for the other and neither is chosen as a deadlock's
    victim. Whoever goes first, the time is booked once or freed, and the deposit's row says which."""
    salons = [await deposit_salon(make_salon, db, localstripe) for _ in range(3)]
    for salon, desk, _ in salons:
        for hour in range(9, 17):
            address = an_address()  # the limits count holds per address
            hold_id, code = await held_with_code(public, db, salon, desk, hour, address)
            status, deposit, _ = await public(
                "POST", salon.slug, f"/bookings/{hold_id}/verify", {"code": code}, address=address
            )
            assert status == 202, deposit
            lapsed = await db.fetch_row(
                "UPDATE holds SET expires_at = now() - interval '1 second' WHERE id = %s RETURNING expires_at",
                (hold_id,),
            )
            paid, _ = await asyncio.gather(  # Stripe's word comes a second after the hold lapsed
                online.book_paid(db, salon, deposit["paymentIntentId"], lapsed["expires_at"] + dt.timedelta(seconds=1)),
                online.release_lapsed(db, api_base="http://127.0.0.1:9"),
            )
            assert paid is not None
            row = await db.fetch_row("SELECT status, appointment_id FROM payments WHERE hold_id = %s", (hold_id,))
            assert row["status"] == "succeeded" and (row["appointment_id"] is not None) == paid.booked_now


async def test_the_pay_page_says_in_the_clients_language_when_stripe_cannot_be_reached(
    make_salon, db, localstripe, public, http_server_client, app, tmp_path
) -> None:
    salon, desk, _ = await deposit_salon(make_salon, db, localstripe)
    deposit = await to_pay(public, db, salon, desk)
    hold = deposit["holdId"]
    app.web_settings = dataclasses.replace(app.web_settings, stripe_api_base=f"http://127.0.0.1:{free_port()}")
    session = PageSession(http_server_client)
    for path in (f"/book/{salon.slug}/pay/{hold}", f"/book/{salon.slug}/paid/{hold}"):
        page = await session.get(path)
        body = page.body.decode()
        assert page.code == 503 and page.headers["Retry-After"] == "60", (path, page.code)
        assert "Payments cannot be taken just now" in body and "try again in a minute" in body
        assert "The time is held for you until" in body and f'href="/book/{salon.slug}/pay/{hold}"' in body
    await check_html({"book-pay-unreachable": page.body}, tmp_path)
    await db.execute("UPDATE salons SET locale = 'de-DE' WHERE id = %s", (salon.id,))
    body = (await session.get(f"/book/{salon.slug}/pay/{hold}")).body.decode()
    assert "Zahlungen sind gerade nicht möglich" in body and "für Sie reserviert" in body
    await db.execute("UPDATE salons SET locale = 'es-ES' WHERE id = %s", (salon.id,))
    assert (
        "Ahora mismo no se pueden aceptar pagos" in (await session.get(f"/book/{salon.slug}/pay/{hold}")).body.decode()
    )

    other_hold, code = await held_with_code(public, db, salon, desk, hour=12)
    status, error, _ = await public("POST", salon.slug, f"/bookings/{other_hold}/verify", {"code": code})
    assert status == 502 and error["error"]["code"], "the API keeps its JSON error"
