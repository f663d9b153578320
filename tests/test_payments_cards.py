"""The salon's fee policy and the card saved at online booking, against localstripe with the official library: the
owner sets a no-show and a late-cancellation fee; where one may apply, online booking saves the client's card
(the deposit's own payment, or a SetupIntent when the service asks none) and books only once Stripe says the card
is saved (the signed webhook or the page's own check, once); without a key or a fee nothing is asked."""

from __future__ import annotations

from booking import payments
from tests.stripe_server import LocalStripe, localstripe
from tests.test_public_online_api import public

__all__ = ["localstripe", "public"]


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
