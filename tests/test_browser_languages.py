"""A German and a Spanish salon's owner walk every desk page in chromium and read no English word in what it
renders (``document.body.innerText``): the same pages and words as the HTTP walk (tests/desk_words.py), after the
pages' scripts have run; a receptionist walks them too (the owner's pages refused with the 403 page, in words), and a
stylist their own: their week, their day, their appointment, their account. One browser, one context per walk.

Needs chromium; without it this skips, except under CI.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from booking import salons
from db import Database
from tests.browser import WAIT_MS
from tests.desk_words import desk_pages, english_in
from tests.page_fixtures import add_receptionist, add_stylist

PASSWORD = "long enough"
STAFF_PASSWORD = "correct horse battery"  # tests.page_fixtures' receptionist's and stylist's
Walks = dict[str, dict[str, tuple[str, list[str]]]]  # locale: {role: (login email, paths)}
SALONS = {  # locale: (country, zone, the owner's address)
    "de-DE": ("DE", "Europe/Berlin", "inhaberin@salon.example"),
    "es-ES": ("ES", "Europe/Madrid", "duena@peluqueria.example"),
}
# What a person reads: the text as rendered, without the names that are the same in every language (marked
# translate="no": a city, a country) and without code (a placeholder's name), as the HTTP walk reads it. Taken out,
# not hidden: a select's innerText holds every option, whatever their style.
READ = """() => {
    for (const unread of document.querySelectorAll('[translate="no"], code')) unread.remove();
    return document.body.innerText;
}"""


async def _seed(database_url: str) -> Walks:
    db = await Database.connect(database_url, maxsize=2)
    try:
        walks: Walks = {}
        for locale, (country, zone, owner) in SALONS.items():
            made = await salons.create_salon(
                db, name="Peluquería Sol", timezone=zone, country=country, locale=locale, owner_email=owner,
                owner_password=PASSWORD,
            )  # fmt: skip
            paths = await desk_pages(db, made.salon)
            booked = await db.fetch_row(
                "SELECT id, staff_id FROM appointments WHERE salon_id = %s ORDER BY start_time LIMIT 1",
                (made.salon.id,),
            )
            stylist = await add_stylist(db, made.salon.id, booked["staff_id"])
            theirs = ["/", paths[0], f"/appointments/{booked['id']}", "/account"]  # paths[0]: the booking's day
            walks[locale] = {
                "owner": (owner, paths),
                "receptionist": (await add_receptionist(db, made.salon.id), paths),
                "stylist": (stylist, theirs),
            }
        return walks
    finally:
        await db.close()


@pytest.fixture(scope="module")
def salon(database_url: str) -> Walks:
    """Each language's pages to walk (the ``browser`` fixture seeds this before the server starts)."""
    return asyncio.run(_seed(database_url))


@pytest.mark.parametrize("role", ["owner", "receptionist", "stylist"])
@pytest.mark.parametrize("locale", list(SALONS))
def test_every_desk_page_reads_without_english_in_the_browser(
    browser: Any, server: str, salon: Walks, locale: str, role: str
) -> None:
    _, zone, _ = SALONS[locale]
    email, paths = salon[locale][role]
    context = browser.new_context(
        base_url=server, viewport={"width": 1180, "height": 900}, locale=locale, timezone_id=zone
    )
    context.set_default_timeout(WAIT_MS)
    try:
        page = context.new_page()
        page.goto("/login")  # in the browser's language (Accept-Language), so no English label to find it by
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", PASSWORD if role == "owner" else STAFF_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("/")
        found, refused = {}, []
        for path in paths:
            answer = page.goto(path)
            assert answer is not None and answer.status in (200, 403, 404), f"{path}: {answer and answer.status}"
            if answer.status == 403:
                refused.append(path)
            page.wait_for_load_state("load")
            found[path] = english_in(page.evaluate(READ))
        assert {path: words for path, words in found.items() if words} == {}, "English words rendered on these pages"
        assert found and len(found) == len(paths), "every page of the walk was read"
        assert (refused == []) == (role != "receptionist"), ("the owner's own pages refuse a receptionist", refused)
    finally:
        context.close()


@pytest.mark.unit
def test_the_browsers_reading_notices_english() -> None:
    assert english_in("Termine\nLog out\nof the day") == ["Log out", "day", "of", "the"]
    assert english_in("Termine\nAbmelden") == []
