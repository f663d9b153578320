"""The calendar in chromium against a real `python server.py`: an appointment dragged to another stylist and
time moves by the move form's rules (and its "Move anyway?" outside working hours), back on the calendar; on a
tablet's touch screen a swipe over an appointment scrolls the day, a long press picks it up and a tap opens it; on
a phone the free times are buttons to tap; a stylist's week fits a phone."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import psycopg2
import pytest

from booking import appointments, clients, salons, services, staff
from booking.models import ClientDetails, ServiceDetails, StaffDetails, WorkingHours
from db import Database
from tests.browser import ZONE
from tests.page_fixtures import add_stylist

PASSWORD = "long enough for a salon"
TOMORROW = dt.datetime.now(ZoneInfo(ZONE)).date() + dt.timedelta(days=1)
HOUR_PX = 88  # static/style.css: --hour


async def _seed(url: str) -> dict[str, Any]:
    """Bea (08-18) and Cy (09-17) every day, a 45-minute cut, Ann at 10:00 with Bea tomorrow, Deborah's fringe at
    12:00 with Bea, Eve's cut at 11:00 with Cy (the touch tests'), Bea can log in."""
    db = await Database.connect(url, maxsize=2)
    try:
        salon = (
            await salons.create_salon(
                db, name="Drag & Drop", timezone=ZONE, owner_email="owner@drag.example", owner_password=PASSWORD
            )
        ).salon
        week = lambda start, end: tuple(WorkingHours(d, dt.time(start), dt.time(end)) for d in range(7))  # noqa: E731
        bea = await staff.create_staff(db, salon.id, StaffDetails("Bea", "Cutter", working_hours=week(8, 18)))
        cy = await staff.create_staff(db, salon.id, StaffDetails("Cy", "Shears", working_hours=week(9, 17)))
        cut = await services.create_service(db, salon.id, ServiceDetails("Cut", 45, 3500))
        ann = await clients.create_client(db, salon.id, ClientDetails("Ann", "Example", "ann@example.com"))
        start = dt.datetime.combine(TOMORROW, dt.time(10), salon.zone)
        first = await appointments.book(
            db, salon, client_id=ann.id, staff_id=bea.id, service_id=cut.id, start_time=start
        )
        fringe = await services.create_service(db, salon.id, ServiceDetails("Fringe", 30, 1500))
        dee = await clients.create_client(db, salon.id, ClientDetails("Deborah", "Quick"))
        short = await appointments.book(
            db, salon, client_id=dee.id, staff_id=bea.id, service_id=fringe.id,
            start_time=dt.datetime.combine(TOMORROW, dt.time(12), salon.zone),
        )  # fmt: skip
        eve = await clients.create_client(db, salon.id, ClientDetails("Eve", "Touch"))
        touched = await appointments.book(
            db, salon, client_id=eve.id, staff_id=cy.id, service_id=cut.id,
            start_time=dt.datetime.combine(TOMORROW, dt.time(11), salon.zone),
        )  # fmt: skip
        stylist = await add_stylist(db, salon.id, bea.id)
        return {"bea": bea, "cy": cy, "appointment": first, "short": short, "touched": touched, "stylist": stylist}
    finally:
        await db.close()


@pytest.fixture(scope="module")
def salon(database_url: str) -> dict[str, Any]:
    return asyncio.run(_seed(database_url))


def drag(page: Any, appointment_id: object, staff_id: object, to: dt.time) -> None:
    """Drags the appointment's block by its top edge to ``to`` in the staff member's column, with the mouse."""
    block = page.locator(f'a[href="/appointments/{appointment_id}"]').bounding_box()
    column = page.locator(f'.member-day[data-staff="{staff_id}"]')
    first_hour = int(column.get_attribute("data-first-hour"))
    target = column.bounding_box()
    assert block and target
    x, y = block["x"] + block["width"] / 2, block["y"] + 6
    to_y = target["y"] + ((to.hour - first_hour) * 60 + to.minute) / 60 * HOUR_PX + 6
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 10, y + 10, steps=3)
    page.mouse.move(target["x"] + target["width"] / 2, to_y, steps=10)
    page.mouse.up()


def test_an_appointment_dragged_to_another_stylist_and_time_moves_there(new_tab, salon) -> None:
    from playwright.sync_api import expect

    page = new_tab(1280, 1000, log_in_as=("owner@drag.example", PASSWORD))
    page.goto(f"/?date={TOMORROW}")
    appointment, cy = salon["appointment"], salon["cy"]
    drag(page, appointment.id, cy.id, dt.time(14))
    expect(page).to_have_url(f"/?date={TOMORROW}")
    moved = page.locator(f'.member-day[data-staff="{cy.id}"] a[href="/appointments/{appointment.id}"]')
    expect(moved).to_contain_text("14:00")

    drag(page, appointment.id, cy.id, dt.time(8))  # before Cy's 09:00: the form's warning, then back here
    expect(page).to_have_url(f"/appointments/{appointment.id}/reschedule")
    expect(page.get_by_role("alert")).to_contain_text("Move anyway?")
    page.get_by_role("button", name="Move anyway").click()
    expect(page).to_have_url(f"/?date={TOMORROW}")
    expect(moved).to_contain_text("08:00")


def test_a_short_appointment_shows_its_clients_name_whole_on_a_tablet(new_tab, salon) -> None:
    page = new_tab(768, 1024, log_in_as=("owner@drag.example", PASSWORD))
    page.goto(f"/?date={TOMORROW}")
    for appointment, name in ((salon["short"], "Deborah Quick"), (salon["appointment"], "Ann Example")):
        block = page.locator(f'a[href="/appointments/{appointment.id}"]')
        client = block.locator(".client")
        outer, inner = block.bounding_box(), client.bounding_box()
        assert outer and inner, "both drawn"
        assert inner["y"] >= outer["y"] and inner["y"] + inner["height"] <= outer["y"] + outer["height"], (
            f"{name}'s name inside their block: {inner} in {outer}"
        )
        assert client.evaluate("e => e.scrollWidth <= e.clientWidth"), f"{name} written whole, not cut"
        assert client.inner_text() == name


def test_a_click_without_a_drag_still_opens_the_appointment(new_tab, salon) -> None:
    from playwright.sync_api import expect

    page = new_tab(1280, 1000, log_in_as=("owner@drag.example", PASSWORD))
    page.goto(f"/?date={TOMORROW}")
    page.locator(f'a[href="/appointments/{salon["appointment"].id}"]').click()
    expect(page).to_have_url(f"/appointments/{salon['appointment'].id}")


def where(database_url: str, appointment_id: object) -> tuple[str, dt.datetime]:
    """The appointment's staff member (id) and start, as the database has them."""
    with contextlib.closing(psycopg2.connect(database_url)) as conn, conn.cursor() as cur:
        cur.execute("SELECT staff_id, start_time FROM appointments WHERE id = %s", (str(appointment_id),))
        staff_id, start = cur.fetchone()
    return str(staff_id), start.astimezone(ZoneInfo(ZONE))


def touch_tablet(new_tab) -> Any:
    """A tablet with a touch screen showing tomorrow's calendar, short enough that the day scrolls (the page is the
    calendar's scroller: the calendar itself scrolls only sideways)."""
    page = new_tab(768, 480, log_in_as=("owner@drag.example", PASSWORD), has_touch=True)
    page.goto(f"/?date={TOMORROW}")
    assert page.evaluate("document.scrollingElement.scrollHeight > innerHeight + 300"), "the day scrolls"
    return page


class Finger:
    """One finger on the touch screen, through the DevTools protocol (as chromium gets a real touch)."""

    def __init__(self, page: Any) -> None:
        self.page, self.cdp = page, page.context.new_cdp_session(page)
        self.x = self.y = 0.0

    def _send(self, kind: str, *points: tuple[float, float]) -> None:
        touch_points = [{"x": x, "y": y} for x, y in points]
        self.cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": touch_points})

    def down(self, x: float, y: float) -> None:
        self.x, self.y = x, y
        self._send("touchStart", (x, y))

    def slide(self, x: float, y: float, steps: int = 8) -> None:
        """Slides to (x, y) in small steps a frame apart, as a finger does."""
        for step in range(1, steps + 1):
            self._send("touchMove", (self.x + (x - self.x) * step / steps, self.y + (y - self.y) * step / steps))
            self.page.wait_for_timeout(16)
        self.x, self.y = x, y

    def up(self) -> None:
        self._send("touchEnd")
        self.cdp.detach()


def bring_into_view(page: Any, locator: Any, at: float) -> dict[str, float]:
    """Scrolls the page so the element's top is ``at`` px from the viewport's top; its box then."""
    box = locator.bounding_box()
    assert box
    page.evaluate("y => window.scrollBy(0, y)", box["y"] - at)
    box = locator.bounding_box()
    assert box and abs(box["y"] - at) < 2, f"scrolled to {at}: {box}"
    return box


def scroll_top(page: Any) -> float:
    """How far the day is scrolled."""
    return page.evaluate("document.scrollingElement.scrollTop")


def test_on_a_tablet_a_swipe_over_an_appointment_scrolls_the_day(new_tab, salon, database_url) -> None:
    page = touch_tablet(new_tab)
    touched = salon["touched"]
    before = where(database_url, touched.id)
    block = bring_into_view(page, page.locator(f'a[href="/appointments/{touched.id}"]'), at=300)
    top = scroll_top(page)
    finger = Finger(page)
    finger.down(block["x"] + block["width"] / 2, block["y"] + 10)
    finger.slide(finger.x, finger.y - 200)  # a quick swipe up, at once: the day moves on
    finger.up()
    page.wait_for_function("top => document.scrollingElement.scrollTop > top + 50", arg=top)
    page.wait_for_timeout(600)  # longer than a long press: nothing was picked up on the way either
    assert page.url.endswith(f"/?date={TOMORROW}"), "the swipe opened nothing"
    assert page.locator(".block.dragging, .block.moving").count() == 0, "nothing picked up"
    assert where(database_url, touched.id) == before, "the appointment stayed where it was"


def test_on_a_tablet_a_long_press_picks_an_appointment_up_and_drops_it(new_tab, salon, database_url) -> None:
    from playwright.sync_api import expect

    page = touch_tablet(new_tab)
    touched, bea = salon["touched"], salon["bea"]
    _, start = where(database_url, touched.id)
    to = dt.time(start.hour + 2, start.minute)  # two hours later, with Bea
    link = page.locator(f'a[href="/appointments/{touched.id}"]')
    block = bring_into_view(page, link, at=120)
    column = page.locator(f'.member-day[data-staff="{bea.id}"]')
    target = column.bounding_box()
    assert target
    first_hour = int(column.get_attribute("data-first-hour"))
    to_y = target["y"] + ((to.hour - first_hour) * 60 + to.minute) / 60 * HOUR_PX + 6
    assert to_y < 470, f"the drop is on the screen: {to_y}"
    top = scroll_top(page)

    finger = Finger(page)
    finger.down(block["x"] + block["width"] / 2, block["y"] + 6)
    page.wait_for_timeout(100)
    assert page.locator(".block.dragging").count() == 0, "a touch is not a pick-up yet"
    expect(page.locator(".block.dragging")).to_have_count(1)  # held still: picked up
    finger.slide(target["x"] + target["width"] / 2, to_y, steps=12)
    assert scroll_top(page) == top, "the day stays still under a held appointment"
    finger.up()

    expect(column.locator(f'a[href="/appointments/{touched.id}"]')).to_contain_text(to.strftime("%H:%M"))
    expect(page).to_have_url(f"/?date={TOMORROW}")
    assert where(database_url, touched.id) == (str(bea.id), start.replace(hour=to.hour)), "moved in the database"


def test_on_a_tablet_an_appointment_held_and_let_go_in_place_stays(new_tab, salon, database_url) -> None:
    from playwright.sync_api import expect

    page = touch_tablet(new_tab)
    touched = salon["touched"]
    before = where(database_url, touched.id)
    block = bring_into_view(page, page.locator(f'a[href="/appointments/{touched.id}"]'), at=200)
    finger = Finger(page)
    finger.down(block["x"] + block["width"] / 2, block["y"] + 10)
    expect(page.locator(".block.dragging")).to_have_count(1)
    page.wait_for_timeout(400)  # past the browser's own long press too
    finger.up()
    expect(page.locator(".block.dragging")).to_have_count(0)  # put back
    page.wait_for_timeout(500)
    assert page.url.endswith(f"/?date={TOMORROW}"), "letting go in place opens nothing"
    assert where(database_url, touched.id) == before, "nor moves it"


def test_on_a_tablet_a_tap_opens_the_appointment(new_tab, salon) -> None:
    from playwright.sync_api import expect

    page = touch_tablet(new_tab)
    touched = salon["touched"]
    link = page.locator(f'a[href="/appointments/{touched.id}"]')
    link.tap()
    expect(page).to_have_url(f"/appointments/{touched.id}")


def test_on_a_phone_a_free_time_is_a_button_to_tap(new_tab, salon) -> None:
    from playwright.sync_api import expect

    page = new_tab(375, 740, log_in_as=("owner@drag.example", PASSWORD))
    page.goto(f"/?date={TOMORROW}")
    bea = salon["bea"]
    free = page.locator(f'a.free[href*="staffId={bea.id}"][href*="at=15%3A00"]')
    expect(free).to_be_visible()
    expect(free).to_contain_text("15:00")
    box = free.bounding_box()
    assert box and box["height"] >= 44 and box["width"] >= 44, f"a finger-sized button: {box}"
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    free.click()
    expect(page).to_have_url(f"/appointments/new?staffId={bea.id}&day={TOMORROW}&at=15%3A00")


def test_a_stylists_week_fits_a_phone(new_tab, salon) -> None:
    from playwright.sync_api import expect

    page = new_tab(375, 740, log_in_as=(salon["stylist"], "correct horse battery"))
    expect(page.locator("section.member")).to_have_count(7)
    expect(page.locator("h1")).to_contain_text("Bea Cutter")
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    expect(page.locator("a.free")).to_have_count(0)
