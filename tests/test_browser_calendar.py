"""The calendar in chromium against a real `python server.py`: an appointment dragged to another stylist and
time moves by the move form's rules (and its "Move anyway?" outside working hours), back on the calendar; on a
phone the free times are buttons to tap; a stylist's week fits a phone."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

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
    """Bea (08-18) and Cy (09-17) every day, a 45-minute cut, Ann at 10:00 with Bea tomorrow, Bea can log in."""
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
        stylist = await add_stylist(db, salon.id, bea.id)
        return {"bea": bea, "cy": cy, "appointment": first, "short": short, "stylist": stylist}
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
