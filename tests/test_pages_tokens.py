"""The API tokens page: a token made in the browser works on the API until it is revoked."""

from __future__ import annotations

import re

from booking import api_tokens
from tests.page_fixtures import add_receptionist


async def test_a_token_made_on_the_page_works_until_revoked(logged_in, api) -> None:
    session, _ = await logged_in()
    made = await session.post("/tokens", {"name": "Website widget"})
    assert made.code == 201
    token = re.search(rb'<code class="token">([^<]+)</code>', made.body).group(1).decode()
    status, _ = await api("GET", "/clients", token)
    assert status == 200

    listed = await session.get("/tokens")
    assert b"Website widget" in listed.body
    assert token.encode() not in listed.body, "a token is shown once, when made"
    token_id = re.search(rb"/tokens/([0-9a-f-]+)/revoke", listed.body.split(b"Website widget")[1]).group(1).decode()
    revoked = await session.post(f"/tokens/{token_id}/revoke", {})
    assert revoked.code == 303
    status, body = await api("GET", "/clients", token)
    assert status == 401, body


async def test_a_token_needs_a_name_and_another_salons_token_is_not_found(logged_in) -> None:
    session, _ = await logged_in()
    other, _ = await logged_in()
    unnamed = await session.post("/tokens", {"name": "  "})
    assert unnamed.code == 400
    assert b"name is required" in unnamed.body
    theirs = await other.get("/tokens")
    their_id = re.search(rb"/tokens/([0-9a-f-]+)/revoke", theirs.body).group(1).decode()
    refused = await session.post(f"/tokens/{their_id}/revoke", {})
    assert refused.code == 404


async def test_a_receptionist_cannot_see_or_revoke_the_api_tokens(logged_in, pages, db) -> None:
    _, salon = await logged_in()
    desk = pages()
    await desk.login(await add_receptionist(db, salon.salon.id))
    assert (await desk.get("/tokens")).code == 403
    [token] = await api_tokens.list_api_tokens(db, salon.salon.id)
    assert (await desk.post(f"/tokens/{token.id}/revoke", {})).code == 403
    assert await api_tokens.list_api_tokens(db, salon.salon.id) == [token], "still there"
    assert b'href="/tokens"' not in (await desk.get("/")).body, "no API link in a receptionist's menu"
