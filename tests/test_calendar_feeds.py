"""A stylist's calendar feed: made and revoked by the owner (API and staff page) or the stylist, read by calendar
programs (checked here with icalendar and vobject), two weeks back to sixty days ahead, no client contact."""

from __future__ import annotations

import datetime as dt
import logging
import urllib.parse

import icalendar
import vobject

from booking import api_tokens, appointments
from tests.desk import book_at, set_up_desk
from tests.page_fixtures import add_stylist


def feed_path(url: str) -> str:
    return urllib.parse.urlsplit(url).path


async def test_the_feed_shows_the_stylists_span_readably_for_two_parsers(
    api, db, make_salon, http_server_client
) -> None:
    salon = await make_salon()
    desk = await set_up_desk(db, salon.salon)
    kept = await book_at(db, salon.salon, desk, dt.time(10))
    cancelled = await book_at(db, salon.salon, desk, dt.time(11))
    await appointments.cancel(db, salon.salon, cancelled.id)
    moved = await book_at(db, salon.salon, desk, dt.time(12))
    await appointments.reschedule(
        db, salon.salon, moved.id, start_time=dt.datetime.combine(desk.day, dt.time(14), desk.zone)
    )
    await book_at(db, salon.salon, desk, dt.time(10), desk.other_staff)  # another stylist's: not in hers
    too_old = await book_at(db, salon.salon, desk, dt.time(15))
    too_far = await book_at(db, salon.salon, desk, dt.time(16))
    await db.execute(  # the Tuesday after next, 9 to 15 days ahead: moved to 16+ days back and 61+ days ahead
        """UPDATE appointments SET start_time = start_time + shift, end_time = end_time + shift
             FROM (VALUES (%s::uuid, interval '-31 days'), (%s::uuid, interval '52 days')) AS s(id, shift)
            WHERE appointments.id = s.id""",
        (too_old.id, too_far.id),
    )

    status, made = await api("POST", f"/staff/{desk.staff.id}/calendar-feed", salon.api_token)
    assert status == 201 and made["url"].startswith("http://127.0.0.1:8888/cal/") and made["url"].endswith(".ics")
    response = await http_server_client.fetch(feed_path(made["url"]))
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    text = response.body.decode()
    assert "ann@example.com" not in text and "Example" not in text, "no email, no last name"

    calendar = icalendar.Calendar.from_ical(response.body)
    events = {str(event["UID"]): event for event in calendar.walk("VEVENT")}
    expected_ids = {kept.id, cancelled.id, moved.id}
    assert set(events) == {f"{i}@salonbook" for i in expected_ids}, "hers, in the span only"
    kept_event = events[f"{kept.id}@salonbook"]
    assert str(kept_event["SUMMARY"]) == "Cut · Ann"
    assert kept_event.decoded("DTSTART") == kept.start_time
    assert str(kept_event["STATUS"]) == "CONFIRMED"
    assert str(events[f"{cancelled.id}@salonbook"]["STATUS"]) == "CANCELLED"
    moved_event = events[f"{moved.id}@salonbook"]
    assert int(moved_event["SEQUENCE"]) == 1, "its revision"
    assert moved_event.decoded("DTSTART") == dt.datetime.combine(desk.day, dt.time(14), desk.zone)

    parsed = vobject.readOne(text)
    by_uid = {event.uid.value: event for event in parsed.vevent_list}
    assert set(by_uid) == set(events)
    assert by_uid[f"{cancelled.id}@salonbook"].status.value == "CANCELLED"
    assert by_uid[f"{kept.id}@salonbook"].summary.value == "Cut · Ann"
    assert by_uid[f"{moved.id}@salonbook"].dtstart.value == moved_event.decoded("DTSTART")

    again = icalendar.Calendar.from_ical((await http_server_client.fetch(feed_path(made["url"]))).body)
    assert [str(e["UID"]) for e in again.walk("VEVENT")] == list(events), "UIDs are stable"


async def test_a_new_address_stops_the_old_and_a_revoked_one_is_not_found(
    api, db, make_salon, http_server_client
) -> None:
    salon, elsewhere = await make_salon(), await make_salon()
    desk, other_desk = await set_up_desk(db, salon.salon), await set_up_desk(db, elsewhere.salon)
    path = f"/staff/{desk.staff.id}/calendar-feed"
    _, first = await api("POST", path, salon.api_token)
    _, second = await api("POST", path, salon.api_token)

    async def answer(url: str) -> int:
        return int((await http_server_client.fetch(feed_path(url), raise_error=False)).code)

    assert (await answer(first["url"]), await answer(second["url"])) == (404, 200), "the old one stopped"
    assert (await api("DELETE", path, salon.api_token))[0] == 204
    assert await answer(second["url"]) == 404, "revoked"
    assert await answer("http://x/cal/made-up.ics") == 404
    status, refused = await api("POST", f"/staff/{other_desk.staff.id}/calendar-feed", salon.api_token)
    assert (status, refused["error"]["field"]) == (404, "staffId"), "another salon's stylist"
    assert (await api("DELETE", f"/staff/{other_desk.staff.id}/calendar-feed", salon.api_token))[0] == 404


async def test_a_stylist_makes_their_own_feed_only(api, db, make_salon, pages) -> None:
    salon = await make_salon()
    desk = await set_up_desk(db, salon.salon)
    email = await add_stylist(db, salon.salon.id, desk.staff.id)
    async with db.transaction() as cur:
        await cur.execute("SELECT id FROM users WHERE email = %s", (email,))
        token = await api_tokens.add(cur, salon.salon.id, (await cur.fetchone())["id"], "hers")
    assert (await api("POST", f"/staff/{desk.staff.id}/calendar-feed", token))[0] == 201
    status, refused = await api("POST", f"/staff/{desk.other_staff.id}/calendar-feed", token)
    assert (status, refused["error"]["code"]) == (403, "forbidden"), "another stylist's"

    bea = pages()
    await bea.login(email)
    account = (await bea.get("/account")).body.decode()
    assert f'action="/staff/{desk.staff.id}/calendar-feed"' in account
    made = await bea.post(f"/staff/{desk.staff.id}/calendar-feed", {})
    assert made.code == 201 and b"/cal/" in made.body
    assert (await bea.post(f"/staff/{desk.other_staff.id}/calendar-feed", {})).code == 404
    assert (await bea.post(f"/staff/{desk.staff.id}/calendar-feed/revoke", {})).code == 200


async def test_the_owner_has_the_feed_buttons_on_the_staff_page(logged_in, db) -> None:
    owner, salon = await logged_in()
    desk = await set_up_desk(db, salon.salon)
    page = (await owner.get(f"/staff/{desk.staff.id}/edit")).body.decode()
    assert f'action="/staff/{desk.staff.id}/calendar-feed"' in page
    assert f'action="/staff/{desk.staff.id}/calendar-feed/revoke"' in page
    made = await owner.post(f"/staff/{desk.staff.id}/calendar-feed", {})
    assert made.code == 201 and b"/cal/" in made.body


async def test_a_feeds_token_never_reaches_the_log(api, db, make_salon, http_server_client, caplog) -> None:
    salon = await make_salon()
    desk = await set_up_desk(db, salon.salon)
    _, made = await api("POST", f"/staff/{desk.staff.id}/calendar-feed", salon.api_token)
    token = feed_path(made["url"]).removeprefix("/cal/").removesuffix(".ics")
    with caplog.at_level(logging.INFO, logger="tornado.access"):
        await http_server_client.fetch(feed_path(made["url"]))
    lines = [record.getMessage() for record in caplog.records if record.name == "tornado.access"]
    assert any("GET /cal/….ics" in line for line in lines), lines
    assert not any(token in line for line in lines)
