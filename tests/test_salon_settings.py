"""A salon's country, language, currency and policies: set up, read, changed; phone numbers and prices follow."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest

from booking import api_tokens, clients, notifications, salons, services, staff
from booking.errors import OutsideSmsCountries
from booking.models import ClientDetails, ServiceDetails, StaffDetails


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


async def test_the_salons_own_phone_is_kept_in_e164_read_with_its_country(api, make_salon, db) -> None:
    made = await make_salon(country="DE", phone="030 1234567")
    assert made.salon.phone == "+49301234567"
    await db.execute("UPDATE salons SET phone = 'ask at the desk' WHERE id = %s", (made.salon.id,))  # typed before
    status, kept = await api("PATCH", "/salon", made.api_token, {"name": "Hair by Ann"})
    assert (status, kept["phone"]) == (200, "ask at the desk"), "an unrelated change is not refused for it"
    status, changed = await api("PATCH", "/salon", made.api_token, {"country": "US", "phone": "(207) 555-0188"})
    assert (status, changed["phone"]) == (200, "+12075550188"), "read with the country it is saved with"
    status, refused = await api("PATCH", "/salon", made.api_token, {"phone": "call us"})
    assert (status, refused["error"]["field"]) == (400, "phone")


async def test_the_owner_changes_the_salon_on_the_settings_page(logged_in, db) -> None:
    session, salon = await logged_in(quiet_hours=True)
    page = (await session.get("/settings")).body.decode()
    assert 'value="GBP"' in page and 'id="quietHours.start" name="quietHours.start" type="time" value="21:00"' in page
    form = {
        "name": "Shears Berlin", "address": "Hauptstr. 1", "timezone": "Europe/Berlin", "country": "DE",
        "locale": "de-DE", "currency": "EUR", "email": "", "phone": "030 1234567", "quietHours.start": "",
        "quietHours.end": "", "cancelCutoffMinutes": "720", "rescheduleCutoffMinutes": "60",
        "onlineBooking.enabled": "on", "onlineBooking.minNoticeMinutes": "60", "onlineBooking.maxDaysAhead": "30",
        "smsCountries": "GB",
    }  # fmt: skip
    half = await session.post("/settings", form | {"quietHours.start": "22:00"})
    assert half.code == 400
    assert re.search(r'id="quietHours.end-error">[^<]*both times', half.body.decode())
    saved = await session.post("/settings", form)
    assert (saved.code, saved.headers["Location"]) == (303, "/settings?saved=1")
    salon_now = await api_tokens.salon_for_token(db, salon.api_token)
    assert salon_now is not None
    assert (salon_now.name, salon_now.locale, salon_now.currency, salon_now.quiet_hours) == (
        "Shears Berlin", "de-DE", "EUR", None,
    )  # fmt: skip
    assert (salon_now.cancel_cutoff_minutes, salon_now.online_booking.enabled) == (720, True)
    assert salon_now.sms_countries == ("DE",), "a salon that texted its own country texts its new one"
    assert salon_now.phone == "+49301234567", "read with the salon's new country"


async def test_setup_asks_for_the_country_and_picks_its_language_and_money(pages, db) -> None:
    await db.execute("TRUNCATE salons CASCADE")
    session = pages()
    assert (await session.get("/setup")).code == 200  # the form, and its XSRF cookie
    form = {"name": "Hair NYC", "address": "", "timezone": "America/New_York", "country": "US", "locale": "",
            "email": "", "phone": "", "ownerEmail": "owner@nyc.example", "ownerPassword": "long enough"}  # fmt: skip
    assert (await session.post("/setup", form)).code == 303
    row = await db.fetch_row("SELECT country, locale, currency FROM salons WHERE name = 'Hair NYC'")
    assert (row["country"], row["locale"], row["currency"]) == ("US", "en-US", "USD")


async def test_the_countries_a_salon_texts_are_read_and_changed_through_the_api(api, make_salon) -> None:
    salon = await make_salon()
    token = salon.api_token
    assert (await api("GET", "/salon", token))[1]["smsCountries"] == ["GB"], "a salon starts with its own country"
    status, changed = await api("PATCH", "/salon", token, {"smsCountries": ["gb", " IE ", "IE"]})
    assert (status, changed["smsCountries"]) == (200, ["GB", "IE"])
    for wrong in (["GB", "XX"], ["001"], "GB", [44]):
        status, answer = await api("PATCH", "/salon", token, {"smsCountries": wrong})
        assert (status, answer["error"]["field"]) == (400, "smsCountries"), (wrong, answer)
    assert "'XX' is not one" in (await api("PATCH", "/salon", token, {"smsCountries": ["XX"]}))[1]["error"]["message"]
    status, moved = await api("PATCH", "/salon", token, {"country": "US"})
    assert moved["smsCountries"] == ["GB", "IE"], "a list the owner made stays as it is"
    assert (await api("PATCH", "/salon", token, {"smsCountries": []}))[1]["smsCountries"] == [], "no texts at all"
    await api("PATCH", "/salon", token, {"smsCountries": ["US"]})
    status, follows = await api("PATCH", "/salon", token, {"country": "CA"})
    assert follows["smsCountries"] == ["CA"], "its own country alone, as it started: it follows the country"


async def test_the_settings_page_says_beside_the_countries_what_is_wrong_and_keeps_what_was_typed(
    logged_in, db
) -> None:
    session, made = await logged_in()
    page = (await session.get("/settings")).body.decode()
    assert 'name="smsCountries" type="text" value="GB"' in page
    form = dict(re.findall(r'name="([\w.]+)" type="[a-z]+" value="([^"]*)"', page))
    form |= {"country": "GB", "locale": "en-GB", "address": "", "timezone": "Europe/London"}
    wrong = await session.post("/settings", form | {"smsCountries": "GB, XX"})
    body = wrong.body.decode()
    assert wrong.code == 400 and re.search(r'id="smsCountries-error">[^<]*&#39;XX&#39; is not one', body)
    assert 'value="GB, XX"' in body
    assert (await session.post("/settings", form | {"smsCountries": "gb ie"})).code == 303
    assert (await salons.get_salon(db, made.salon.id)).sms_countries == ("GB", "IE")


async def test_the_desk_cannot_want_texts_to_a_number_the_salon_does_not_text(api, logged_in, db) -> None:
    session, made = await logged_in(country="US", timezone="America/New_York")
    token, armenian, landline = made.api_token, "+374 77 123456", "+44 121 234 5678"
    status, answer = await api("POST", "/clients", token, {"firstName": "Ann", "email": "ann@example.com",
                                                             "phone": armenian, "optedInReminders": True})  # fmt: skip
    assert (status, answer["error"]["code"], answer["error"]["field"]) == (400, "sms_country", "phone")
    status, kept = await api("POST", "/clients", token, {"firstName": "Ann", "phone": armenian})
    assert (status, kept["phone"]) == (201, "+37477123456"), "without reminders the number is kept, for calling"
    page = await session.post("/clients/new", {"firstName": "Ann", "lastName": "", "email": "", "phone": armenian,
                                               "optedInReminders": "on"})  # fmt: skip
    assert page.code == 400 and re.search(r'id="phone-error">[^<]*texts mobile numbers in US only', page.body.decode())

    status, answer = await api("PATCH", f"/clients/{kept['id']}", token, {"optedInReminders": True})
    assert (status, answer["error"]["code"]) == (400, "sms_country"), "asking for reminders is asking for texts"
    status, renamed = await api("PATCH", f"/clients/{kept['id']}", token, {"lastName": "Petrosyan"})
    assert (status, renamed["phone"]) == (200, "+37477123456")

    await api("PATCH", "/salon", token, {"smsCountries": ["US", "GB"]})
    with_email = {"firstName": "Bo", "email": "bo@example.com", "phone": landline, "optedInReminders": True}
    status, bo = await api("POST", "/clients", token, with_email)
    assert status == 201, "a landline beside an email is kept; texts just do not go to it"
    status, answer = await api("POST", "/clients", token, with_email | {"email": None})
    assert (status, answer["error"]["code"]) == (400, "sms_number"), "the reminders wanted could reach them nowhere"
    day = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    member = await staff.create_staff(db, made.salon.id, StaffDetails("Bea", working_hours=()))
    cut = await services.create_service(db, made.salon.id, ServiceDetails("Cut", 45))
    booking = {"clientId": bo["id"], "staffId": str(member.id), "serviceId": str(cut.id), "startTime": day.isoformat()}
    status, booked = await api("POST", "/appointments", token, booking)
    jobs = await db.fetch_all("SELECT channels FROM notification_jobs WHERE appointment_id = %s", (booked["id"],))
    assert status == 201 and jobs and {tuple(job["channels"]) for job in jobs} == {("email",)}


async def test_a_number_on_file_stays_editable_after_the_salon_stops_texting_its_country(make_salon, db) -> None:
    made = await make_salon(country="US", timezone="America/New_York")
    both = ("US", "AM")
    ann = await clients.create_client(
        db, made.salon.id, ClientDetails("Ann", phone="+374 77 123456", opted_in_reminders=True), region="US",
        sms_countries=both,
    )  # fmt: skip
    renamed = ClientDetails("Anna", phone=ann.phone, opted_in_reminders=True)
    kept = await clients.update_client(db, made.salon.id, ann.id, renamed, region="US", sms_countries=("US",))
    assert (kept.first_name, kept.phone, kept.opted_in_reminders) == ("Anna", "+37477123456", True)
    other = dataclasses.replace(renamed, phone="+374 77 654321")
    with pytest.raises(OutsideSmsCountries):
        await clients.update_client(db, made.salon.id, ann.id, other, region="US", sms_countries=("US",))
    assert notifications.channels_for(kept, ("US",)) == (), "nothing is texted to it, and it has no email"
