"""The salon's own words in a real browser: the preview follows what the owner types (static/message_preview.js).

Needs chromium; without it this skips, except under CI.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from booking import salons
from db import Database

PASSWORD = "long enough"


async def _seed(database_url: str) -> str:
    db = await Database.connect(database_url, maxsize=2)
    try:
        made = await salons.create_salon(
            db, name="Curl Up & Dye", timezone="Europe/London", owner_email="owner@words.example",
            owner_password=PASSWORD,
        )  # fmt: skip
        return made.salon.name
    finally:
        await db.close()


@pytest.fixture(scope="module")
def salon(database_url: str) -> str:
    return asyncio.run(_seed(database_url))


def test_the_preview_follows_the_words_as_they_are_typed_and_nothing_is_saved_until_save(new_tab: Any) -> None:
    from playwright.sync_api import expect

    page = new_tab(1180, 900, log_in_as=("owner@words.example", PASSWORD))
    page.goto("/settings/messages/reminder/en")
    expect(page.get_by_role("heading", name="Our words", exact=True)).to_be_visible()
    page.get_by_label("Text message (SMS)").fill("See you {when}, {client_first_name}!")
    preview = page.locator("#message-preview")
    expect(preview).to_contain_text("Preview of your words (not saved yet)")
    expect(preview).to_contain_text(", Ann! Reply YES to confirm.")
    page.get_by_label("Text message (SMS)").fill("See you {nope}")
    page.wait_for_timeout(1500)
    expect(preview).to_contain_text(", Ann! Reply YES to confirm."), "refused words leave the last good preview"
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#sms-error")).to_contain_text("unknown placeholder")
    page.goto("/settings/messages")
    expect(page.get_by_role("link", name="your words")).to_have_count(0)
