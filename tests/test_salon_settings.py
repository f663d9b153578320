"""A salon's country, language, currency and policies: set up, read, changed; phone numbers and prices follow."""

from __future__ import annotations

import re

from booking import accounts


async def test_the_salon_is_read_and_changed_through_the_api(api, make_salon) -> None:
    salon = await make_salon(quiet_hours=True)
    status, got = await api("GET", "/salon", salon.api_token)
    assert status == 200
    assert (got["country"], got["locale"], got["currency"]) == ("GB", "en-GB", "GBP")
    assert got["quietHours"] == {"start": "21:00", "end": "08:00"}
    assert (got["cancelCutoffMinutes"], got["rescheduleCutoffMinutes"]) == (1440, 1440)
    assert got["onlineBooking"] == {"enabled": False, "minNoticeMinutes": 120, "maxDaysAhead": 60}

    change = {"country": "us", "locale": "en-US", "currency": "USD", "timezone": "America/New_York",
              "quietHours": None, "onlineBooking": {"enabled": True}}  # fmt: skip
    status, changed = await api("PATCH", "/salon", salon.api_token, change)
    assert status == 200, changed
    assert (changed["country"], changed["locale"], changed["currency"]) == ("US", "en-US", "USD")
    assert changed["quietHours"] is None
    assert changed["onlineBooking"] == {"enabled": True, "minNoticeMinutes": 120, "maxDaysAhead": 60}
    assert changed["name"] == got["name"], "what the body leaves out stays"
    status, again = await api("GET", "/salon", salon.api_token)
    assert again == changed, "the change is what every later answer sees"


async def test_a_bad_setting_is_a_400_naming_it(api, make_salon) -> None:
    salon = await make_salon()
    for body, field in [
        ({"country": "XX"}, "country"),
        ({"locale": "fr-FR"}, "locale"),
        ({"currency": "DOLLARS"}, "currency"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"quietHours": {"start": "21:00"}}, "quietHours.end"),
        ({"cancelCutoffMinutes": -5}, "cancelCutoffMinutes"),
        ({"onlineBooking": {"maxDaysAhead": 0}}, "onlineBooking.maxDaysAhead"),
    ]:
        status, answer = await api("PATCH", "/salon", salon.api_token, body)
        assert (status, answer["error"]["field"]) == (400, field), (body, answer)


async def test_a_us_salon_reads_local_phone_numbers_and_dollar_prices(api, logged_in, db) -> None:
    session, salon = await logged_in(country="US", timezone="America/New_York")
    assert (salon.salon.locale, salon.salon.currency) == ("en-US", "USD")
    status, client = await api("POST", "/clients", salon.api_token, {"firstName": "Ann", "phone": "(207) 555-0188"})
    assert (status, client["phone"]) == (201, "+12075550188")
    added = await session.post("/services/new", {"name": "Cut", "durationMinutes": "45", "priceCents": "$65"})
    assert added.code == 303
    status, services = await api("GET", "/services", salon.api_token)
    assert services[0]["priceCents"] == 6500
    assert "$65.00" in (await session.get("/services")).body.decode()


async def test_the_owner_changes_the_salon_on_the_settings_page(logged_in, db) -> None:
    session, salon = await logged_in(quiet_hours=True)
    page = (await session.get("/settings")).body.decode()
    assert 'value="GBP"' in page and 'id="quietHours.start" name="quietHours.start" type="time" value="21:00"' in page
    form = {
        "name": "Shears Berlin", "address": "Hauptstr. 1", "timezone": "Europe/Berlin", "country": "DE",
        "locale": "de-DE", "currency": "EUR", "email": "", "phone": "030 1234567", "quietHours.start": "",
        "quietHours.end": "", "cancelCutoffMinutes": "720", "rescheduleCutoffMinutes": "60",
        "onlineBooking.enabled": "on", "onlineBooking.minNoticeMinutes": "60", "onlineBooking.maxDaysAhead": "30",
    }  # fmt: skip
    half = await session.post("/settings", form | {"quietHours.start": "22:00"})
    assert half.code == 400
    assert re.search(r'id="quietHours.end-error">[^<]*both times', half.body.decode())
    saved = await session.post("/settings", form)
    assert (saved.code, saved.headers["Location"]) == (303, "/settings?saved=1")
    salon_now = await accounts.salon_for_token(db, salon.api_token)
    assert salon_now is not None
    assert (salon_now.name, salon_now.locale, salon_now.currency, salon_now.quiet_hours) == (
        "Shears Berlin", "de-DE", "EUR", None,
    )  # fmt: skip
    assert (salon_now.cancel_cutoff_minutes, salon_now.online_booking.enabled) == (720, True)


async def test_setup_asks_for_the_country_and_picks_its_language_and_money(pages, db) -> None:
    await db.execute("TRUNCATE salons CASCADE")
    session = pages()
    assert (await session.get("/setup")).code == 200  # the form, and its XSRF cookie
    form = {"name": "Hair NYC", "address": "", "timezone": "America/New_York", "country": "US", "locale": "",
            "email": "", "phone": "", "ownerEmail": "owner@nyc.example", "ownerPassword": "long enough"}  # fmt: skip
    assert (await session.post("/setup", form)).code == 303
    row = await db.fetch_row("SELECT country, locale, currency FROM salons WHERE name = 'Hair NYC'")
    assert (row["country"], row["locale"], row["currency"]) == ("US", "en-US", "USD")
