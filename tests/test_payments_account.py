"""The salon's own Stripe account: keys in on /settings and the API, never out, sealed at rest, one salon's only."""

from __future__ import annotations

import re

import pytest

from booking import payments
from booking.models import Deposit

KEYS = {
    "secretKey": "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
    "publishableKey": "pk_test_TYooMQauvdEDq54NiTphI7jx",
    "webhookSecret": "whsec_abcdefgh12345678",
}


async def test_keys_saved_through_the_api_are_never_shown_back(api, db, make_salon) -> None:
    salon = await make_salon()
    status, before = await api("GET", "/salon/stripe", salon.api_token)
    assert status == 200 and before == {
        "connected": False, "secretKeyLast4": None, "publishableKey": None, "webhookSecret": "not set"
    }  # fmt: skip
    status, saved = await api("PUT", "/salon/stripe", salon.api_token, KEYS)
    assert status == 200, saved
    assert saved == {
        "connected": True, "secretKeyLast4": "p7dc", "publishableKey": KEYS["publishableKey"], "webhookSecret": "set"
    }  # fmt: skip
    assert KEYS["secretKey"] not in str(saved) and KEYS["webhookSecret"] not in str(saved)
    row = await db.fetch_row("SELECT * FROM stripe_accounts WHERE salon_id = %s", (salon.salon.id,))
    stored = bytes(row["secret_key_sealed"]) + bytes(row["webhook_secret_sealed"])
    assert b"sk_test" not in stored and b"whsec" not in stored and b"LyjWD" not in stored, "sealed at rest"
    found = await payments.keys(db, salon.salon.id, "http://stripe.test")
    assert found is not None and found.account.secret_key == KEYS["secretKey"]
    assert found.webhook_secret == KEYS["webhookSecret"]


async def test_a_key_left_out_stays_and_a_bad_one_is_refused_by_name(api, make_salon) -> None:
    salon = await make_salon()
    status, error = await api("PUT", "/salon/stripe", salon.api_token, {"secretKey": KEYS["secretKey"]})
    assert status == 400 and "publishableKey" in error["error"]["message"], "the first time needs both keys"
    assert (await api("PUT", "/salon/stripe", salon.api_token, KEYS))[0] == 200
    status, error = await api("PUT", "/salon/stripe", salon.api_token, {"secretKey": "pk_live_oops12345678"})
    assert status == 400 and "secretKey" in error["error"]["message"], error
    status, saved = await api("PUT", "/salon/stripe", salon.api_token, {"secretKey": "sk_live_anotherkey9999"})
    assert status == 200 and saved["secretKeyLast4"] == "9999" and saved["webhookSecret"] == "set"
    assert (await api("DELETE", "/salon/stripe", salon.api_token))[0] == 204
    assert (await api("GET", "/salon/stripe", salon.api_token))[1]["connected"] is False


async def test_one_salons_keys_are_not_another_salons(api, db, make_salon) -> None:
    ours, theirs = await make_salon(), await make_salon()
    assert (await api("PUT", "/salon/stripe", ours.api_token, KEYS))[0] == 200
    status, seen = await api("GET", "/salon/stripe", theirs.api_token)
    assert status == 200 and seen["connected"] is False, "another salon sees nothing of ours"
    assert (await api("DELETE", "/salon/stripe", theirs.api_token))[0] == 204
    assert (await api("GET", "/salon/stripe", ours.api_token))[1]["connected"] is True, "and cannot remove ours"
    assert await payments.keys(db, theirs.salon.id, "http://stripe.test") is None


async def test_the_settings_page_takes_the_keys_and_shows_only_the_last_four(logged_in) -> None:
    session, salon = await logged_in()
    page = (await session.get("/settings")).body.decode()
    assert "Not connected" in page
    refused = await session.post("/settings/stripe", KEYS | {"secretKey": "not a key"})
    body = refused.body.decode()
    assert refused.code == 400 and 'id="secretKey-error"' in body
    assert KEYS["webhookSecret"] not in body, "a secret typed is not shown back, even with an error"
    saved = await session.post("/settings/stripe", KEYS)
    assert saved.code == 303
    page = (await session.get("/settings")).body.decode()
    assert re.search(r"secret key ending <code>p7dc</code>", page) and "webhook signing secret set" in page
    assert KEYS["secretKey"] not in page and KEYS["webhookSecret"] not in page
    assert f"/stripe/webhook/{salon.salon.slug}" in page, "where to point Stripe's webhook"
    assert (await session.post("/settings/stripe/remove", {})).code == 303
    assert "Not connected" in (await session.get("/settings")).body.decode()


async def test_a_service_asks_a_percent_or_an_amount_never_both(api, make_salon) -> None:
    salon = await make_salon()
    cut = {"name": "Colour", "durationMinutes": 90, "priceCents": 8000}
    status, made = await api("POST", "/services", salon.api_token, cut | {"deposit": {"percent": 20}})
    assert status == 201 and made["deposit"] == {"percent": 20, "amountCents": None}
    status, changed = await api("PATCH", f"/services/{made['id']}", salon.api_token, {"deposit": {"amountCents": 1500}})
    assert status == 200 and changed["deposit"] == {"percent": None, "amountCents": 1500}
    status, kept = await api("PATCH", f"/services/{made['id']}", salon.api_token, {"name": "Full colour"})
    assert status == 200 and kept["deposit"] == {"percent": None, "amountCents": 1500}, "left out: it stays"
    for wrong, field in (({"percent": 20, "amountCents": 500}, "deposit.amountCents"),
                         ({"percent": 0}, "deposit.percent"), ({"percent": 101}, "deposit.percent"),
                         ({"amountCents": 0}, "deposit.amountCents")):  # fmt: skip
        status, error = await api("PATCH", f"/services/{made['id']}", salon.api_token, {"deposit": wrong})
        assert status == 400 and error["error"]["field"] == field, (wrong, error)
    status, none = await api("PATCH", f"/services/{made['id']}", salon.api_token, {"deposit": None})
    assert status == 200 and none["deposit"] is None


@pytest.mark.unit
def test_a_deposit_is_whole_cents_half_up_and_never_more_than_the_price() -> None:
    assert Deposit(percent=20).of(8000) == 1600
    assert Deposit(percent=33).of(1050) == 347  # 346.5 -> 347
    assert Deposit(percent=100).of(0) == 0, "a free service asks nothing"
    assert Deposit(amount_cents=1500).of(8000) == 1500
    assert Deposit(percent=15).of(123400, step=100) == 18500, "15 % of ¥1,234 is ¥185 (185.1): whole yen"
    assert Deposit(percent=20).of(123400, step=100) == 24700, "246.8 -> ¥247"
    assert Deposit(amount_cents=1500).of(1000) == 1000, "never more than the price"
