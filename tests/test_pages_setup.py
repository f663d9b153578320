"""First run: /setup creates the salon and its owner, once."""

from __future__ import annotations

from booking import salons
from handlers.pages.auth import setup_choices
from tests.desk_words import english_on


async def test_setup_creates_the_first_salon_and_logs_the_owner_in(pages, db) -> None:
    assert not await salons.any_salon_exists(db), "this module's database must start without salons"
    session = pages()
    login = await session.get("/login")
    assert (login.code, login.headers["Location"]) == (302, "/setup"), "with no salon, login sends to setup"
    form = await session.get("/setup")
    assert form.code == 200
    page = form.body.decode()
    assert 'name="timezone" required data-guess-zone' in page, "the browser's zone is guessed (static/timezone.js)"
    assert '<option value="America/New_York">New York</option>' in page
    assert '<optgroup label="Europe" translate="no">' in page, "cities are names: the page walk does not read them"
    assert '<option value="Europe/Berlin">Berlin</option>' in page, "a city's name, not an IANA name to type"
    for accepted, city, country in (("de-DE,de;q=0.9", "Wien", "Deutschland"), ("es-MX,es", "Viena", "Alemania")):
        theirs = (await pages({"Accept-Language": accepted}).get("/setup")).body.decode()
        assert f'<option value="Europe/Vienna">{city}</option>' in theirs, "cities in the reader's language"
        assert f'<option value="DE">{country}</option>' in theirs and english_on(theirs) == [], accepted
    assert setup_choices("de") is setup_choices("de"), "made once per language, not per request"

    everything_wrong = {"name": "", "address": "2 Mill Lane", "timezone": "", "country": "FR", "locale": "",
                        "email": "desk@", "phone": "", "ownerEmail": "", "ownerPassword": "short"}  # fmt: skip
    refused = await session.post("/setup", everything_wrong)
    body = refused.body.decode()
    assert refused.code == 400
    for field in ("name", "timezone", "email", "ownerEmail", "ownerPassword"):
        assert f'id="{field}-error"' in body, f"every error at once: {field}"
    assert "2 Mill Lane" in body and 'value="desk@"' in body, "what was typed stays"

    fields = {
        "name": "Shears & Co",
        "address": "2 Mill Lane",
        "timezone": "Europe/Paris",
        "country": "FR",
        "locale": "",
        "email": "desk@shears.example",
        "phone": "",
        "ownerEmail": "owner@shears.example",
    }
    short = await session.post("/setup", fields | {"ownerPassword": "short"})
    assert short.code == 400
    assert b"at least 8 characters" in short.body
    assert b'value="Shears &amp; Co"' in short.body, "what was typed is kept (and escaped)"
    assert b"short" not in short.body.split(b"</header>")[1], "the password is never echoed"

    bad_zone = await session.post("/setup", fields | {"timezone": "Mars/Olympus", "ownerPassword": "long enough"})
    assert bad_zone.code == 400
    assert b"unknown timezone" in bad_zone.body

    created = await session.post("/setup", fields | {"ownerPassword": "long enough"})
    assert (created.code, created.headers["Location"]) == (303, "/")
    day = await session.get("/")
    assert day.code == 200
    assert b"Shears &amp; Co" in day.body
    assert b"(Europe/Paris)" in day.body


async def test_setup_is_closed_once_a_salon_exists(pages, make_salon) -> None:
    await make_salon()
    session = pages()
    again = await session.get("/setup")
    assert (again.code, again.headers["Location"]) == (302, "/login")
    fields = {"name": "Intruder", "timezone": "UTC", "ownerEmail": "x@example.com", "ownerPassword": "long enough"}
    posted = await session.post("/setup", fields)
    assert (posted.code, posted.headers["Location"]) == (302, "/login")
    assert await session.get("/login") is not None
    login = await session.post("/login", {"email": "x@example.com", "password": "long enough"})
    assert login.code == 400, "no owner was created by the refused setup"
