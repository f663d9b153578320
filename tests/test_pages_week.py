"""One stylist's week beside the day view: seven columns, links both ways, a stylist's landing page."""

from __future__ import annotations

import datetime as dt

from tests.desk import book_at, set_up_desk
from tests.page_fixtures import add_stylist


async def test_the_week_of_one_stylist_shows_their_seven_days_and_links_to_the_day(logged_in, db) -> None:
    owner, salon = await logged_in()
    desk = await set_up_desk(db, salon.salon)
    hers = await book_at(db, salon.salon, desk, dt.time(10))
    his = await book_at(db, salon.salon, desk, dt.time(11), desk.other_staff)
    page = await owner.get(f"/?view=week&staff={desk.staff.id}&date={desk.day}")
    assert page.code == 200
    html = page.body.decode()
    assert html.count('<section class="member') == 7, "a column per day"
    assert f"/appointments/{hers.id}" in html and f"/appointments/{his.id}" not in html
    assert f'href="/?date={desk.day}"' in html, "each day links to the day view"
    monday = desk.day - dt.timedelta(days=desk.day.weekday())
    assert f"date={monday - dt.timedelta(days=7)}" in html and f"date={monday + dt.timedelta(days=7)}" in html
    day = (await owner.get(f"/?date={desk.day}")).body.decode()
    assert f"view=week&amp;staff={desk.staff.id}&amp;date={desk.day}" in day, "the day links to each week"
    assert (await owner.get("/?view=month")).code == 400
    assert (await owner.get("/?view=week&staff=not-an-id")).code == 404
    part = await owner.part(f"/?view=week&staff={desk.staff.id}&date={desk.day}", "week_calendar")
    assert part.code == 200 and part.body.lstrip().startswith(b'<div id="week-calendar"')


async def test_a_stylist_lands_on_their_own_week_and_cannot_open_anothers(pages, make_salon, db) -> None:
    salon = await make_salon()
    desk = await set_up_desk(db, salon.salon)
    await book_at(db, salon.salon, desk, dt.time(10))
    await book_at(db, salon.salon, desk, dt.time(10), desk.other_staff)
    bea = pages()
    await bea.login(await add_stylist(db, salon.salon.id, desk.staff.id))
    landing = (await bea.get(f"/?date={desk.day}")).body.decode()
    assert "Bea Cutter" in landing and landing.count('<section class="member') == 7, "her week"
    assert "/appointments/new" not in landing, "booking is the desk's"
    day = await bea.get(f"/?view=day&date={desk.day}")
    assert day.code == 200 and day.body.decode().count('<section class="member') == 2, "the day's calendar too"
    assert day.body.count(b'href="/appointments/') == 1, "only her own appointment opens"
    assert (await bea.get(f"/?view=week&staff={desk.other_staff.id}")).code == 404
