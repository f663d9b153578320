"""Fees and refunds by the salon's policy, moved by the worker through the queue against localstripe: a no-show's
fee and a late cancellation's charged off-session on the card saved at booking, an early cancellation's deposit
given back, a declined card failed once and shown, and a worker killed between Stripe's answer and our record put
right by the rescue with one charge only."""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import stripe

from booking import appointments, client_data, payment_jobs, payments
from booking.models import Actor, Salon
from db import Database
from handlers.app import WebSettings
from jobqueue import claims
from jobqueue.claims import ClaimedJob
from providers.stripe import KEY_FIELD
from tests.conftest import ROOT
from tests.servers import SmtpServer
from tests.stripe_proxy import StripeProxy
from tests.stripe_server import DECLINED_CARD, LocalStripe, localstripe
from tests.test_pages_html import check_html
from tests.test_payments_deposits import owner_token
from worker.delivery import Delivery
from worker.money import StripeChannel

__all__ = ["localstripe"]

START = dt.datetime(2030, 5, 7, 10, 0, tzinfo=dt.UTC)  # the appointment's start (cut-off: 24 hours before)
PRICE = 6000
DEPOSIT = 1000


@pytest.fixture
def web_settings(localstripe: LocalStripe) -> WebSettings:
    return WebSettings(xheaders=True, stripe_api_base=localstripe.api_base, stripe_js_url=localstripe.js_url)


class Stripe:
    """The salon's account on localstripe, spoken to as the client's browser and Stripe's dashboard would."""

    def __init__(self, localstripe: LocalStripe, secret_key: str) -> None:
        self.http = stripe.AIOHTTPClient()
        self.client = stripe.StripeClient(
            secret_key, base_addresses={"api": localstripe.api_base}, http_client=self.http
        )

    async def saved_card(self, card: str | None = None) -> tuple[str, str]:
        """A customer with a card attached, as a SetupIntent at booking leaves them: (customer, payment method)."""
        customer = await self.client.v1.customers.create_async({"email": "ann@example.com"})
        if card is None:
            method_id = "pm_card_visa"
        else:
            made = await self.client.v1.payment_methods.create_async(
                {"type": "card", "card": {"number": card, "exp_month": 12, "exp_year": 2040, "cvc": "123"}}
            )
            method_id = made.id
        method = await self.client.v1.payment_methods.attach_async(method_id, {"customer": customer.id})
        return customer.id, method.id

    async def paid_deposit(self, amount: int) -> str:
        made = await self.client.v1.payment_intents.create_async(
            {
                "amount": amount,
                "currency": "gbp",
                "payment_method": "pm_card_visa",
                "confirm": True,
                "payment_method_types": ["card"],
            }
        )
        assert made.status == "succeeded", made.status
        return made.id

    async def intents_under(self, customer: str, key: str) -> list[Any]:
        """Every PaymentIntent made for ``customer`` under ``key``: what exactly once counts."""
        found = {}
        charges = await self.client.v1.charges.list_async({"customer": customer, "limit": 100})
        async for charge in charges.auto_paging_iter():
            intent = await self.client.v1.payment_intents.retrieve_async(charge.payment_intent)
            if intent.metadata.to_dict().get(KEY_FIELD) == key:
                found[intent.id] = intent
        return list(found.values())

    async def refunds_of(self, intent_id: str) -> list[Any]:
        return list((await self.client.v1.refunds.list_async({"payment_intent": intent_id})).data)

    async def close(self) -> None:
        await self.http.close_async()  # type: ignore[no-untyped-call]


@pytest.fixture
def salon_stripe(io_loop, make_salon, db: Database, localstripe: LocalStripe) -> Iterator:
    """``salon, stripe = await salon_stripe(no_show=50, late=30)``: a salon with its Stripe account and fees."""
    opened: list[Stripe] = []

    async def make(no_show: int = 50, late: int = 30) -> tuple[Salon, Stripe]:
        salon = (await make_salon()).salon
        keys = localstripe.keys()
        change = payments.AccountChange(keys["secretKey"], keys["publishableKey"], keys["webhookSecret"])
        await payments.save_account(db, salon.id, change)
        await db.execute(
            "UPDATE salons SET no_show_fee_percent = %s, late_cancellation_fee_percent = %s WHERE id = %s",
            (no_show, late, salon.id),
        )
        opened.append(Stripe(localstripe, keys["secretKey"]))
        return salon, opened[-1]

    yield make
    for account in opened:
        io_loop.run_sync(account.close)


async def an_appointment(
    db: Database, make_booking, salon: Salon, stripe_: Stripe, *, card: str | None = "good", deposit: bool = False
) -> tuple[uuid.UUID, str | None]:
    """An appointment at START priced 60.00, with a card saved at booking (``card``: "good", DECLINED_CARD or None)
    and, with ``deposit``, 10.00 paid on it. Its id and the Stripe customer."""
    booked = await make_booking(salon, start=START, types=())
    await db.execute("UPDATE appointments SET price_cents = %s WHERE id = %s", (PRICE, booked.appointment_id))
    customer = None
    if card is not None:
        customer, method = await stripe_.saved_card(None if card == "good" else card)
        await db.execute(
            """INSERT INTO saved_cards (salon_id, appointment_id, stripe_customer_id, stripe_intent_id,
                                        stripe_payment_method_id, status)
               VALUES (%s, %s, %s, %s, %s, 'succeeded')""",
            (salon.id, booked.appointment_id, customer, f"seti_{uuid.uuid4().hex}", method),
        )
    if deposit:
        await db.execute(
            """INSERT INTO payments (salon_id, appointment_id, kind, reason, amount_cents, currency,
                                     stripe_payment_intent_id, status)
               VALUES (%s, %s, 'deposit', 'deposit', %s, 'GBP', %s, 'succeeded')""",
            (salon.id, booked.appointment_id, DEPOSIT, await stripe_.paid_deposit(DEPOSIT)),
        )
    return booked.appointment_id, customer


async def moved(db: Database, appointment_id: uuid.UUID) -> list[dict[str, Any]]:
    return await db.fetch_all(
        """SELECT kind, reason, amount_cents, status, stripe_payment_intent_id, stripe_refund_id, idempotency_key,
                  failure FROM payments WHERE appointment_id = %s AND kind <> 'deposit' ORDER BY created_at""",
        (appointment_id,),
    )


async def payment_jobs_of(db: Database, appointment_id: uuid.UUID) -> list[dict[str, Any]]:
    return await db.fetch_all(
        """SELECT id, status, attempts, error, channels FROM notification_jobs
            WHERE appointment_id = %s AND type = 'payment' ORDER BY created_at""",
        (appointment_id,),
    )


async def settled(db: Database, appointment_id: uuid.UUID, timeout: float = 20) -> list[dict[str, Any]]:
    """The appointment's fees and refunds once none is pending and its payment jobs are finished."""
    deadline = time.monotonic() + timeout
    while True:
        rows = await moved(db, appointment_id)
        jobs = await payment_jobs_of(db, appointment_id)
        if (
            rows
            and all(r["status"] != "pending" for r in rows)
            and all(j["status"] in ("completed", "failed", "cancelled") for j in jobs)
        ):
            return rows
        if time.monotonic() > deadline:
            pytest.fail(f"payments still pending after {timeout:g} s: {rows} {jobs}")
        await asyncio.sleep(0.1)


async def test_a_no_show_is_charged_its_fee_once_however_often_marked_or_run(
    db, make_booking, salon_stripe, start_worker, smtp_server, localstripe
) -> None:
    salon, account = await salon_stripe(no_show=50)
    appointment, customer = await an_appointment(db, make_booking, salon, account)
    for _ in range(2):  # the desk marks it twice (a double click, a correction back)
        await appointments.record_outcome(db, salon, appointment, "no_show", now=START + dt.timedelta(hours=1))
    [row] = await moved(db, appointment)
    assert (row["kind"], row["reason"], row["amount_cents"], row["status"]) == ("fee", "no_show", 3000, "pending")
    assert row["idempotency_key"] == f"salonbook-fee-{appointment}-no_show"
    [job] = await payment_jobs_of(db, appointment)
    assert job["channels"] == ["stripe"]
    await start_worker(smtp=smtp_server, stripe_api_base=localstripe.api_base)
    [row] = await settled(db, appointment)
    assert row["status"] == "succeeded" and row["stripe_payment_intent_id"].startswith("pi_")
    [intent] = await account.intents_under(customer, row["idempotency_key"])
    assert (intent.id, intent.amount, intent.status) == (row["stripe_payment_intent_id"], 3000, "succeeded")
    assert intent.customer == customer

    # The job runs again as if its record had been lost: the charge made under the key is found, not made again.
    await db.execute(
        "UPDATE payments SET status = 'pending', stripe_payment_intent_id = NULL WHERE idempotency_key = %s",
        (row["idempotency_key"],),
    )
    await db.execute(
        """UPDATE notification_jobs SET status = 'pending', attempts = 0, run_at = now(), channels_done = '{}'
            WHERE id = %s""",
        (job["id"],),
    )
    [again] = await settled(db, appointment)
    assert (again["status"], again["stripe_payment_intent_id"]) == ("succeeded", intent.id)
    assert len(await account.intents_under(customer, row["idempotency_key"])) == 1, "charged twice"


async def test_a_late_cancellation_at_the_clients_word_is_charged_less_the_deposit(
    db, make_booking, salon_stripe, start_worker, smtp_server, localstripe
) -> None:
    salon, account = await salon_stripe(late=30)
    appointment, customer = await an_appointment(db, make_booking, salon, account, deposit=True)
    inside = START - dt.timedelta(hours=3)  # inside the 24 hours' cut-off
    await appointments.cancel(db, salon, appointment, by=Actor.CLIENT, at_desk=True, now=inside)
    await start_worker(smtp=smtp_server, stripe_api_base=localstripe.api_base)
    [fee] = await settled(db, appointment)
    assert (fee["kind"], fee["reason"], fee["amount_cents"], fee["status"]) == (
        "fee", "late_cancellation", 1800 - DEPOSIT, "succeeded"
    )  # fmt: skip
    [intent] = await account.intents_under(customer, fee["idempotency_key"])
    assert intent.amount == 800


async def test_the_salons_own_late_cancellation_charges_nothing(db, make_booking, salon_stripe) -> None:
    salon, account = await salon_stripe(late=30)
    appointment, _ = await an_appointment(db, make_booking, salon, account, deposit=True)
    await appointments.cancel(db, salon, appointment, now=START - dt.timedelta(hours=3))
    assert await moved(db, appointment) == [] and await payment_jobs_of(db, appointment) == []


async def test_an_early_cancellation_gives_the_deposit_back(
    db, make_booking, salon_stripe, start_worker, smtp_server, localstripe
) -> None:
    salon, account = await salon_stripe(late=30)
    appointment, _ = await an_appointment(db, make_booking, salon, account, deposit=True)
    await appointments.cancel(db, salon, appointment, by=Actor.CLIENT, now=START - dt.timedelta(days=3))
    await start_worker(smtp=smtp_server, stripe_api_base=localstripe.api_base)
    [refund] = await settled(db, appointment)
    assert (refund["kind"], refund["reason"], refund["amount_cents"], refund["status"]) == (
        "refund", "early_cancellation", DEPOSIT, "succeeded"
    )  # fmt: skip
    [made] = await account.refunds_of(refund["stripe_payment_intent_id"])
    assert (made.id, made.amount) == (refund["stripe_refund_id"], DEPOSIT)
    assert made.metadata[KEY_FIELD] == f"salonbook-refund-{appointment}-early_cancellation"


async def test_a_declined_saved_card_fails_once_and_the_page_shows_it(
    db, make_booking, salon_stripe, start_worker, smtp_server, localstripe, pages
) -> None:
    salon, account = await salon_stripe(no_show=100)
    appointment, customer = await an_appointment(db, make_booking, salon, account, card=DECLINED_CARD)
    await appointments.record_outcome(db, salon, appointment, "no_show", now=START + dt.timedelta(hours=1))
    await start_worker(smtp=smtp_server, stripe_api_base=localstripe.api_base)
    [fee] = await settled(db, appointment)
    assert fee["status"] == "failed" and "declined" in fee["failure"], fee
    [job] = await payment_jobs_of(db, appointment)
    assert (job["status"], job["attempts"]) == ("failed", 1), "a decline is final: not tried again"
    assert len(await account.intents_under(customer, fee["idempotency_key"])) == 1

    session = pages()
    owner = await db.fetch_row("SELECT email FROM users WHERE salon_id = %s AND role = 'owner'", (salon.id,))
    await session.login(owner["email"])
    page = (await session.get(f"/appointments/{appointment}")).body.decode()
    assert "Fee" in page and "no-show" in page and "£60.00" in page and "failed" in page and "declined" in page


async def test_no_saved_card_or_no_fee_moves_nothing(db, make_booking, salon_stripe) -> None:
    salon, account = await salon_stripe(no_show=50)
    without_card, _ = await an_appointment(db, make_booking, salon, account, card=None)
    await appointments.record_outcome(db, salon, without_card, "no_show", now=START + dt.timedelta(hours=1))
    assert await moved(db, without_card) == [] and await payment_jobs_of(db, without_card) == []
    free, _ = await salon_stripe(no_show=0)
    with_card, _ = await an_appointment(db, make_booking, free, account)
    await appointments.record_outcome(db, free, with_card, "no_show", now=START + dt.timedelta(hours=1))
    assert await moved(db, with_card) == [] and await payment_jobs_of(db, with_card) == []
    covered, _ = await salon_stripe(no_show=10)  # 6.00, less the 10.00 deposit: nothing
    with_deposit, _ = await an_appointment(db, make_booking, covered, account, deposit=True)
    await appointments.record_outcome(db, covered, with_deposit, "no_show", now=START + dt.timedelta(hours=1))
    assert await moved(db, with_deposit) == []


async def test_erasing_the_clients_data_stops_their_messages_not_a_fee_already_asked(
    db, make_booking, salon_stripe
) -> None:
    salon, account = await salon_stripe(no_show=50)
    appointment, _ = await an_appointment(db, make_booking, salon, account)
    await appointments.record_outcome(db, salon, appointment, "no_show", now=START + dt.timedelta(hours=1))
    client = await db.fetch_row("SELECT client_id FROM appointments WHERE id = %s", (appointment,))
    await client_data.erase(db, salon.id, client["client_id"])
    [job] = await payment_jobs_of(db, appointment)
    assert job["status"] == "pending", "the fee's job is left to charge it"


async def test_the_desk_cancels_at_the_clients_word_through_the_api(db, make_booking, salon_stripe, api, app) -> None:
    salon, account = await salon_stripe(late=30)
    appointment, _ = await an_appointment(db, make_booking, salon, account)
    app.clock = lambda: START - dt.timedelta(hours=1)
    status, body = await api("POST", f"/appointments/{appointment}/cancel", await owner_token(db, salon.id),
                             {"byClient": True})  # fmt: skip
    assert status == 200 and body["cancelledBy"] == "client", body
    [fee] = await moved(db, appointment)
    assert (fee["reason"], fee["amount_cents"], fee["status"]) == ("late_cancellation", 1800, "pending")
    [job] = await payment_jobs_of(db, appointment)
    status, refused = await api("POST", f"/jobs/{job['id']}/cancel", await owner_token(db, salon.id))
    assert status == 409 and "payment" in refused["error"]["message"], "its money may have moved already"


async def test_the_cancel_page_cancels_at_the_clients_word_and_the_appointments_page_shows_the_fee(
    db, make_booking, salon_stripe, pages, app
) -> None:
    salon, account = await salon_stripe(late=30)
    appointment, _ = await an_appointment(db, make_booking, salon, account)
    app.clock = lambda: START - dt.timedelta(hours=1)
    session = pages()
    owner = await db.fetch_row("SELECT email FROM users WHERE salon_id = %s AND role = 'owner'", (salon.id,))
    await session.login(owner["email"])
    asked = (await session.get(f"/appointments/{appointment}/cancel")).body.decode()
    assert 'name="byClient"' in asked and "The client asked to cancel" in asked
    assert (await session.post(f"/appointments/{appointment}/cancel", {"byClient": "on"})).code == 303
    [fee] = await moved(db, appointment)
    assert (fee["reason"], fee["amount_cents"], fee["status"]) == ("late_cancellation", 1800, "pending")
    page = (await session.get(f"/appointments/{appointment}")).body.decode()
    assert "late cancellation" in page and "£18.00" in page and "pending" in page and "Payment through Stripe" in page


def spawn_worker(database_url: str, smtp: SmtpServer, api_base: str, log: Path) -> subprocess.Popen:
    """A worker-only ``server.py --web=false`` process against the test database and ``api_base`` (localstripe,
    or a proxy in front of it)."""
    return subprocess.Popen(
        [sys.executable, "server.py", "--web=false", f"--database_url={database_url}", "--smtp_host=127.0.0.1",
         f"--smtp_port={smtp.port}", f"--stripe_api_base={api_base}", "--poll_interval=0.5",
         "--heartbeat_interval=0.5", "--holds_interval=0.5", "--dead_after=2", "--retry_base_delay=0.2",
         "--shutdown_timeout=5"],
        cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip


async def a_no_show_alone(db: Database, make_booking, salon: Salon, stripe_: Stripe) -> tuple[uuid.UUID, str | None]:
    """An appointment with a saved card, marked a no-show: its fee's job the only one waiting (earlier tests' jobs
    are not a worker's here to die on). Its id and the card's customer."""
    appointment, customer = await an_appointment(db, make_booking, salon, stripe_)
    await appointments.record_outcome(db, salon, appointment, "no_show", now=START + dt.timedelta(hours=1))
    await db.execute(
        "UPDATE notification_jobs SET status = 'cancelled' WHERE status = 'pending' AND appointment_id <> %s",
        (appointment,),
    )
    return appointment, customer


async def killed_after_stripes_answer(database_url: str, smtp: SmtpServer, localstripe: LocalStripe, log: Path) -> None:
    """A worker process that asks Stripe through a proxy which keeps the first answer that moved money, SIGKILLed
    once Stripe has answered and before the answer reached it."""
    proxy = StripeProxy(localstripe.api_base)
    doomed = spawn_worker(database_url, smtp, proxy.api_base, log)
    try:
        await proxy.wait_answered(timeout=60)
        assert doomed.poll() is None, "the worker died before the kill"
        doomed.send_signal(signal.SIGKILL)
        doomed.wait()
    finally:
        if doomed.poll() is None:
            doomed.kill()
            doomed.wait()
        proxy.stop()


async def test_a_worker_killed_between_stripes_answer_and_the_record_charges_once(
    db, make_booking, salon_stripe, smtp_server, localstripe, database_url, tmp_path
) -> None:
    salon, account = await salon_stripe(no_show=50)
    appointment, customer = await a_no_show_alone(db, make_booking, salon, account)
    await killed_after_stripes_answer(database_url, smtp_server, localstripe, tmp_path / "doomed.log")
    [fee] = await moved(db, appointment)
    assert (fee["status"], fee["stripe_payment_intent_id"]) == ("pending", None), "Stripe's answer not recorded"
    [charged] = await account.intents_under(customer, fee["idempotency_key"])
    assert charged.status == "succeeded", "Stripe charged before the kill"

    rescuer = spawn_worker(database_url, smtp_server, localstripe.api_base, tmp_path / "rescuer.log")
    try:
        [fee] = await settled(db, appointment, timeout=60)
        assert (fee["status"], fee["stripe_payment_intent_id"]) == ("succeeded", charged.id)
        assert len(await account.intents_under(customer, fee["idempotency_key"])) == 1, "charged twice"
        [job] = await payment_jobs_of(db, appointment)
        assert (job["status"], job["attempts"]) == ("completed", 2)
    finally:
        rescuer.kill()
        rescuer.wait()


async def test_a_charge_left_pending_by_a_job_killed_on_its_last_attempt_is_found_and_recorded(
    db, make_booking, salon_stripe, smtp_server, localstripe, database_url, tmp_path
) -> None:
    salon, account = await salon_stripe(no_show=50)
    appointment, customer = await a_no_show_alone(db, make_booking, salon, account)
    await db.execute(  # its first attempt is its last
        "UPDATE notification_jobs SET max_attempts = 1 WHERE appointment_id = %s AND type = 'payment'", (appointment,)
    )
    await killed_after_stripes_answer(database_url, smtp_server, localstripe, tmp_path / "doomed.log")
    [charged] = await account.intents_under(customer, f"salonbook-fee-{appointment}-no_show")

    rescuer = spawn_worker(database_url, smtp_server, localstripe.api_base, tmp_path / "rescuer.log")
    try:
        deadline = time.monotonic() + 60
        while [j["status"] for j in await payment_jobs_of(db, appointment)] != ["failed"]:
            assert time.monotonic() < deadline, "the killed attempt was not rescued"
            await asyncio.sleep(0.1)
        [fee] = await moved(db, appointment)
        assert fee["status"] == "pending", "stranded: its job ended, nothing recorded"
        await db.execute(  # as found by the chore minutes later
            "UPDATE payments SET updated_at = updated_at - %s WHERE appointment_id = %s",
            (payment_jobs.STRANDED_AFTER, appointment),
        )
        [fee] = await settled(db, appointment, timeout=60)
        assert (fee["status"], fee["stripe_payment_intent_id"]) == ("succeeded", charged.id)
        assert len(await account.intents_under(customer, fee["idempotency_key"])) == 1, "charged twice"
        assert [(j["status"], j["attempts"]) for j in await payment_jobs_of(db, appointment)] == [
            ("failed", 1), ("completed", 1)
        ]  # fmt: skip
    finally:
        rescuer.kill()
        rescuer.wait()


async def test_requeue_stranded_queues_one_job_per_appointment_and_none_beside_a_live_one(
    db, make_booking, salon_stripe
) -> None:
    salon, account = await salon_stripe(no_show=50)
    appointment, _ = await an_appointment(db, make_booking, salon, account)
    await appointments.record_outcome(db, salon, appointment, "no_show", now=START + dt.timedelta(hours=1))
    await db.execute("UPDATE payments SET updated_at = now() - interval '1 hour' WHERE appointment_id = %s",
                     (appointment,))  # fmt: skip
    assert await payment_jobs.requeue_stranded(db) == 0, "its job is still waiting"
    await db.execute("UPDATE notification_jobs SET status = 'failed' WHERE appointment_id = %s", (appointment,))
    assert await payment_jobs.requeue_stranded(db) == 1
    assert await payment_jobs.requeue_stranded(db) == 0, "queued once; the row's change is now"
    assert [j["status"] for j in await payment_jobs_of(db, appointment)] == ["failed", "pending"]


async def test_a_row_stranded_for_long_is_asked_about_less_often(db, make_booking, salon_stripe) -> None:
    """A day old: not again an hour after its last job, again after a quarter of its age (6 hours)."""
    salon, account = await salon_stripe(no_show=50)
    appointment, _ = await an_appointment(db, make_booking, salon, account)
    await appointments.record_outcome(db, salon, appointment, "no_show", now=START + dt.timedelta(hours=1))
    await db.execute("UPDATE notification_jobs SET status = 'failed' WHERE appointment_id = %s", (appointment,))
    aged = (
        "UPDATE payments SET created_at = now() - interval '1 day', updated_at = now() - %s WHERE appointment_id = %s"
    )
    await db.execute(aged, (dt.timedelta(hours=1), appointment))
    assert await payment_jobs.requeue_stranded(db) == 0, "asked about an hour ago"
    await db.execute(aged, (dt.timedelta(hours=6, minutes=1), appointment))
    assert await payment_jobs.requeue_stranded(db) == 1


async def test_a_no_show_corrected_before_its_fee_moved_cancels_it_and_marked_again_asks_it_once(
    db, make_booking, salon_stripe, start_worker, smtp_server, localstripe
) -> None:
    salon, account = await salon_stripe(no_show=50)
    appointment, customer = await an_appointment(db, make_booking, salon, account)
    after = START + dt.timedelta(hours=1)
    await appointments.record_outcome(db, salon, appointment, "no_show", now=after)
    await appointments.record_outcome(db, salon, appointment, "completed", now=after)
    [fee] = await moved(db, appointment)
    assert fee["status"] == "canceled"
    [job] = await payment_jobs_of(db, appointment)
    assert job["status"] == "cancelled" and "no longer a no-show" in job["error"]
    await start_worker(smtp=smtp_server, stripe_api_base=localstripe.api_base)
    assert await account.intents_under(customer, fee["idempotency_key"]) == [], "nothing charged"

    await appointments.record_outcome(db, salon, appointment, "no_show", now=after)  # it was a no-show after all
    [fee] = await settled(db, appointment)
    assert (fee["status"], fee["amount_cents"]) == ("succeeded", 3000)
    assert len(await account.intents_under(customer, fee["idempotency_key"])) == 1


async def test_a_correction_after_an_attempt_leaves_the_lookup_to_say_whether_stripe_charged(
    db, make_booking, salon_stripe, start_worker, smtp_server, localstripe
) -> None:
    salon, account = await salon_stripe(no_show=50)
    appointment, customer = await an_appointment(db, make_booking, salon, account)
    after = START + dt.timedelta(hours=1)
    await appointments.record_outcome(db, salon, appointment, "no_show", now=after)
    # An attempt was made (Stripe out of reach, to be tried again): Stripe may have charged, so it is not canceled.
    await db.execute("UPDATE notification_jobs SET attempts = 1 WHERE appointment_id = %s", (appointment,))
    await appointments.record_outcome(db, salon, appointment, "completed", now=after)
    [fee] = await moved(db, appointment)
    assert fee["status"] == "pending"
    await start_worker(smtp=smtp_server, stripe_api_base=localstripe.api_base)
    [fee] = await settled(db, appointment)
    assert fee["status"] == "canceled", "looked up, nothing charged, no longer due"
    assert await account.intents_under(customer, fee["idempotency_key"]) == []
    [job] = await payment_jobs_of(db, appointment)
    assert job["status"] == "completed"


async def test_a_fee_charged_stays_when_corrected_and_the_owner_refunds_it_apart_from_the_deposit(
    db, make_booking, salon_stripe, start_worker, smtp_server, localstripe, api, pages, tmp_path
) -> None:
    salon, account = await salon_stripe(no_show=50)
    appointment, customer = await an_appointment(db, make_booking, salon, account, deposit=True)
    after = START + dt.timedelta(hours=1)
    await appointments.record_outcome(db, salon, appointment, "no_show", now=after)
    await start_worker(smtp=smtp_server, stripe_api_base=localstripe.api_base)
    [fee] = await settled(db, appointment)
    assert (fee["status"], fee["amount_cents"]) == ("succeeded", 3000 - DEPOSIT)
    await appointments.record_outcome(db, salon, appointment, "completed", now=after)
    [fee] = await moved(db, appointment)
    assert fee["status"] == "succeeded", "charged: it stays, for the owner to refund"
    fee_id = (await db.fetch_row("SELECT id FROM payments WHERE idempotency_key = %s", (fee["idempotency_key"],)))["id"]

    owner = pages()
    await owner.login((await db.fetch_row("SELECT email FROM users WHERE salon_id = %s AND role = 'owner'",
                                          (salon.id,)))["email"])  # fmt: skip
    page = (await owner.get(f"/appointments/{appointment}")).body.decode()
    assert 'name="refundPayment"' in page and "Deposit (paid at online booking), up to £10.00" in page
    assert f'value="{fee_id}"' in page and "Fee (no-show), up to £20.00" in page
    await check_html({"appointment-refunds-to-choose": page.encode()}, tmp_path)
    token = await owner_token(db, salon.id)
    status, part = await api("POST", f"/appointments/{appointment}/refund", token,
                             {"paymentId": str(fee_id), "amountCents": 500})  # fmt: skip
    assert status == 201 and (part["amountCents"], part["status"]) == (500, "succeeded"), part
    assert (await owner.post(f"/appointments/{appointment}/refund", {"refundPayment": str(fee_id)})).code == 303
    status, error = await api("POST", f"/appointments/{appointment}/refund", token, {"paymentId": str(fee_id)})
    assert status == 409 and "fee" in error["error"]["message"], "the fee is refunded in full"
    refunds = await db.fetch_all(
        """SELECT amount_cents, idempotency_key FROM payments WHERE appointment_id = %s AND kind = 'refund'
            ORDER BY created_at""",
        (appointment,),
    )
    assert [(r["amount_cents"], r["idempotency_key"]) for r in refunds] == [
        (500, f"salonbook-refund-{fee_id}-owner-1"), (1500, f"salonbook-refund-{fee_id}-owner-2")
    ]  # fmt: skip
    [intent] = await account.intents_under(customer, fee["idempotency_key"])
    assert sorted(r.amount for r in await account.refunds_of(intent.id)) == [500, 1500]
    status, deposit = await api("POST", f"/appointments/{appointment}/refund", token, {})
    assert status == 201 and deposit["amountCents"] == DEPOSIT, "the deposit is the default, still whole"


async def test_the_stripe_channel_moves_as_many_payments_at_once_as_it_has_connections(
    db, make_booking, salon_stripe, localstripe
) -> None:
    """With one connection, a payment's last moment before Stripe is asked (its gate) waits for the one before."""
    salon, account = await salon_stripe(no_show=50)
    for _ in range(3):
        appointment, _ = await an_appointment(db, make_booking, salon, account)
        await appointments.record_outcome(db, salon, appointment, "no_show", now=START + dt.timedelta(hours=1))
    worker = f"test-{uuid.uuid4().hex}"
    fees = [job for job in await claims.claim_due(db, worker, 50) if job.salon_id == salon.id]
    channel = StripeChannel(db, localstripe.api_base, connections=1)
    ended: list[uuid.UUID] = []
    ended_at_gate: list[int] = []

    async def move(job: ClaimedJob) -> None:
        async def gate() -> None:
            ended_at_gate.append(len(ended))
            await asyncio.sleep(0.05)  # a slow last moment: a second move would begin meanwhile if it could

        await channel.send(Delivery.from_job(job), gate)
        ended.append(job.id)

    try:
        await asyncio.gather(*(move(job) for job in fees))
    finally:
        await claims.release(db, worker)
    assert (len(fees), ended_at_gate) == (3, [0, 1, 2])
