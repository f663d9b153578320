"""The salon's own Stripe account: keys in on /settings and the API, never out, sealed at rest, one salon's only."""

from __future__ import annotations

import re

from booking import payments

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
    assert re.search(r"secret key ending <code>p7dc</code>", page) and "webhook signing secret\n    set" in page
    assert KEYS["secretKey"] not in page and KEYS["webhookSecret"] not in page
    assert f"/stripe/webhook/{salon.salon.slug}" in page, "where to point Stripe's webhook"
    assert (await session.post("/settings/stripe/remove", {})).code == 303
    assert "Not connected" in (await session.get("/settings")).body.decode()
