"""The front desk on a phone (375 px), a tablet (768 px) and a desktop (1280 px), in Debian's chromium against a
real `python server.py`: nothing scrolls sideways, every page passes axe-core, the calendar books with a tap,
searches answer as they are typed, cancelling asks first, lists refresh in place, and a booking can be made with
the keyboard alone.

axe-core is installed by `make test` (Makefile: AXE); without it the accessibility test skips, except under CI.
SCREENSHOTS=1 saves the tablet screenshots in docs/screenshots/ for the README.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import os
import re
import time
import uuid
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg2
import pytest

from booking import appointments, clients, inbound, salons, services, staff
from booking.models import ClientDetails, ServiceDetails, StaffDetails, WorkingHours
from db import Database
from tests.browser import SCREENSHOTS, ZONE
from tests.conftest import ROOT
from tests.tools import missing

AXE = Path(
    os.environ.get("AXE_CORE") or ROOT / ".venv/node/axe-core-4.14.1/node_modules/axe-core/axe.min.js"
)  # Makefile: AXE
WIDTHS = (375, 768, 1280)
PASSWORD = "long enough for a salon"
TOMORROW = dt.datetime.now(ZoneInfo(ZONE)).date() + dt.timedelta(days=1)


async def _seed(url: str) -> dict[str, Any]:
    """A salon with three stylists, three services, clients, and tomorrow's appointments (one cancelled)."""
    db = await Database.connect(url, maxsize=2)
    try:
        salon = (
            await salons.create_salon(
                db,
                name="Curl Up & Dye",
                timezone=ZONE,
                owner_email="owner@curl.example",
                owner_password=PASSWORD,
                address="3 Orange Grove, Bath",
            )
        ).salon
        # Maria's number is American: the salon texts there too.
        salon = await salons.update_salon(db, dataclasses.replace(salon, sms_countries=("GB", "US")))
        week = lambda start, end: tuple(WorkingHours(d, dt.time(start), dt.time(end)) for d in range(7))  # noqa: E731
        bea = await staff.create_staff(db, salon.id, StaffDetails("Bea", "Cutter", working_hours=week(8, 18)))
        cy = await staff.create_staff(db, salon.id, StaffDetails("Cy", "Shears", working_hours=week(9, 17)))
        await staff.create_staff(db, salon.id, StaffDetails("Di", "Dryer", working_hours=week(12, 20)))
        cut = await services.create_service(db, salon.id, ServiceDetails("Cut", 45, 3500))
        colour = await services.create_service(db, salon.id, ServiceDetails("Cut & colour", 90, 6500))
        ann = await clients.create_client(db, salon.id, ClientDetails("Ann", "Example", "ann@example.com", None, True))
        maria = await clients.create_client(
            db, salon.id, ClientDetails("Maria", "de la Cruz", None, "(207) 555-0188", True), region="US"
        )
        for n in range(12):
            await clients.create_client(db, salon.id, ClientDetails(f"Client {n:02d}", "Regular", f"c{n}@example.com"))

        async def book(who, member, service, hour, minute=0):
            start = dt.datetime.combine(TOMORROW, dt.time(hour, minute), salon.zone)
            return await appointments.book(
                db, salon, client_id=who.id, staff_id=member.id, service_id=service.id, start_time=start
            )

        first = await book(ann, bea, cut, 10)
        await book(maria, bea, colour, 11)
        dropped = await book(ann, cy, cut, 9, 30)
        await appointments.cancel(db, salon, dropped.id)
        await book(maria, cy, cut, 9, 30)
        await book(ann, cy, colour, 13)
        await inbound.receive(db, inbound.IncomingText(maria.phone or "", "Can I come 10 minutes early?"), salon)
        return {"salon": salon, "bea": bea, "cut": cut, "ann": ann, "maria": maria, "appointment": first}
    finally:
        await db.close()


@pytest.fixture(scope="module")
def salon(database_url: str) -> dict[str, Any]:
    return asyncio.run(_seed(database_url))


@pytest.fixture
def open_page(new_tab):
    """``open_page(width)``: a logged-in tab that wide (768 px unless said)."""
    return lambda width=768, height=1024: new_tab(width, height, log_in_as=("owner@curl.example", PASSWORD))


def front_desk_pages(salon: dict[str, Any]) -> dict[str, str]:
    appointment, bea, cut = salon["appointment"], salon["bea"], salon["cut"]
    return {
        "day": f"/?date={TOMORROW}",
        "day-today": "/",
        "week": f"/?view=week&staff={bea.id}&date={TOMORROW}",
        "booking": f"/appointments/new?serviceId={cut.id}&staffId={bea.id}&day={TOMORROW}&clientSearch=ann",
        "appointment": f"/appointments/{appointment.id}",
        "appointment-cancel": f"/appointments/{appointment.id}/cancel",
        "clients": "/clients",
        "client-new": "/clients/new",
        "client-edit": f"/clients/{salon['ann'].id}/edit",
        "staff": "/staff",
        "staff-edit": f"/staff/{bea.id}/edit",
        "services": "/services",
        "service-new": "/services/new",
        "jobs": "/jobs",
        "inbox": "/inbox",
        "inbox-conversation": f"/inbox/{salon['maria'].phone.removeprefix('+')}",
        "outbox": "/outbox",
        "outbox-texts": f"/outbox/texts/{salon['maria'].phone.removeprefix('+')}",
        "tokens": "/tokens",
        "settings": "/settings",
        "account": "/account",
    }


def sideways(page) -> int:
    """How far the page scrolls sideways: 0 when everything fits the window."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_no_page_scrolls_sideways_and_every_page_passes_axe(open_page, salon) -> None:
    run_axe = AXE.is_file()
    not_found: list[str] = []
    too_wide: list[str] = []
    violations: list[str] = []
    for width in WIDTHS:
        page = open_page(width)
        page.on("response", lambda answer: not_found.append(answer.url) if answer.status == 404 else None)
        if run_axe and width == 768:
            page.evaluate(AXE.read_text())  # evaluated by the browser's debugger: the page's CSP does not apply
        for name, path in front_desk_pages(salon).items():
            page.goto(path)
            if (over := sideways(page)) > 0:
                too_wide.append(f"{name} at {width} px: {over} px too wide")
            if run_axe and width == 768:
                if not page.evaluate("typeof axe !== 'undefined'"):
                    page.evaluate(AXE.read_text())
                found = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
                violations += [
                    f"{name}: {v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
                    for v in found
                    if v["impact"] in ("serious", "critical")
                ]
    if run_axe:  # the checker itself finds what it should: an image without a text
        page = open_page(768)
        page.set_content('<!doctype html><html lang="en"><title>t</title><main><img src="data:,"></main></html>')
        page.evaluate(AXE.read_text())
        found = page.evaluate("async () => (await axe.run(document)).violations.map(v => v.id)")
        assert "image-alt" in found, found
    problems = [f"scrolls sideways: {wide}" for wide in too_wide] + [f"axe-core: {found}" for found in violations]
    problems += [f"404 while loading a page (a favicon?): {url}" for url in sorted(set(not_found))]
    assert not problems, "\n".join(problems)
    if not run_axe:
        missing(f"axe-core not found at {AXE} (`make test` installs it): widths checked, accessibility not")


def test_a_tap_on_an_empty_time_in_the_calendar_starts_a_booking_there(open_page, salon) -> None:
    from playwright.sync_api import expect

    page = open_page(768)
    page.goto(f"/?date={TOMORROW}")
    bea = salon["bea"]
    cell = page.locator(f'a.free[href*="staffId={bea.id}"][href*="at=14%3A00"]')
    box = cell.bounding_box()
    assert box and box["height"] >= 44 and box["width"] >= 44, f"a finger-sized cell: {box}"
    booked = page.locator(".block", has_text="Ann Example").first.bounding_box()
    assert booked and booked["height"] >= 60, "45 minutes is a block as long as it lasts"
    expect(page.locator(".block.status-cancelled")).to_contain_text("cancelled")
    cell.click()
    expect(page).to_have_url(f"/appointments/new?staffId={bea.id}&day={TOMORROW}&at=14%3A00")
    expect(page.get_by_label("Staff")).to_have_value(str(bea.id))
    page.get_by_label("Service").select_option(label="Cut (45 min)")
    page.get_by_role("button", name="Show free times").click()
    expect(page.get_by_role("radio", name="14:00")).to_be_checked()
    page.get_by_label("Find a client").fill("cruz")
    page.get_by_role("radio", name="Maria de la Cruz (+1 207-555-0188)").check()  # abroad, as dialled from here
    page.get_by_role("button", name="Book", exact=True).click()
    expect(page.locator(".details")).to_contain_text("14:00")
    page.goto(f"/?date={TOMORROW}")
    expect(page.locator(f'a.free[href*="staffId={bea.id}"][href*="at=14%3A00"]')).to_have_count(0)


def test_on_a_phone_the_day_is_a_list_per_staff_member(open_page) -> None:
    page = open_page(375, 740)
    page.goto(f"/?date={TOMORROW}")
    members = page.locator("section.member")
    first, second = members.nth(0).bounding_box(), members.nth(1).bounding_box()
    assert first and second and second["y"] >= first["y"] + first["height"], "members one under the other"
    assert page.locator(".hour-gutter").is_hidden(), "no grid: a list"
    assert page.locator("a.free").first.is_visible(), "free times to tap (tests/test_browser_calendar.py)"
    assert sideways(page) <= 0


def test_clients_are_found_as_the_search_is_typed_without_reloading(open_page) -> None:
    from playwright.sync_api import expect

    page = open_page(768)
    page.goto("/clients")
    page.evaluate("window.stillHere = true")
    page.get_by_label("Find a client").press_sequentially("555-0188", delay=20)
    rows = page.locator("#client-list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("Maria de la Cruz")
    expect(page).to_have_url("/clients?q=555-0188")
    assert page.evaluate("window.stillHere === true"), "the list changed, the page stayed"
    page.get_by_label("Find a client").fill("0188")
    expect(rows).to_contain_text("Maria de la Cruz")


def test_cancelling_an_appointment_and_a_notification_asks_first(open_page, salon) -> None:
    from playwright.sync_api import expect

    page = open_page(768)
    page.goto(f"/appointments/{salon['appointment'].id}")
    page.get_by_role("link", name="Cancel appointment…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel Ann Example's appointment?")
    page.get_by_role("link", name="No, keep it").click()
    expect(page.locator(".page-head .status")).to_have_text("booked")
    reminder = page.locator(".timeline .job", has_text="Reminder, 2 h before")
    reminder.get_by_role("link").first.click()
    page.get_by_role("link", name="Cancel…").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Cancel the reminder, 2 h before for Ann Example?")
    page.get_by_role("button", name="Yes, cancel it").click()
    expect(page.locator(".page-head .status")).to_have_text("cancelled")


def test_on_a_phone_notifications_are_cards_that_refresh_in_place(open_page, salon, database_url: str) -> None:
    from playwright.sync_api import expect

    page = open_page(375, 740)
    page.goto("/jobs")
    page.evaluate("window.stillHere = true")
    assert page.locator("table.jobs thead").is_hidden(), "no wide table on a phone"
    card = page.locator("table.jobs tbody tr").first
    assert page.evaluate("(row) => getComputedStyle(row).display", card.element_handle()) == "grid"
    assert sideways(page) <= 0
    marker = f"Mailbox full {uuid.uuid4().hex[:6]}"
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute(
            """UPDATE notification_jobs SET status = 'failed', error = %s, processed_at = now()
                WHERE id = (SELECT id FROM notification_jobs WHERE status = 'pending'
                             ORDER BY created_at DESC LIMIT 1)""",
            (marker,),
        )
    conn.close()
    expect(page.locator("table.jobs")).to_contain_text(marker, timeout=15_000)
    assert page.evaluate("window.stillHere === true"), "refreshed in place, not reloaded"


def test_a_clients_text_is_read_and_answered_from_the_inbox(open_page, salon) -> None:
    """With no SMS provider the desk plays the client's text in the outbox; it waits, counted, in the inbox,
    and the reply goes out as a text (kept in the outbox) shown in the conversation."""
    from playwright.sync_api import expect

    page = open_page(768)
    page.goto("/outbox")
    page.get_by_text("Play a client's text").click()
    page.get_by_label("From (the client's mobile)").fill("+1 207 555 0188")
    page.get_by_label("Their text").fill("Do you sell gift cards?")
    page.get_by_role("button", name="Receive it").click()
    expect(page.locator(".text.in").last).to_contain_text("Do you sell gift cards?")
    inbox = page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile("^Inbox"))
    expect(inbox.locator(".unread")).to_be_visible()
    inbox.click()
    page.get_by_role("link", name="Maria de la Cruz").click()
    expect(page.locator(".text.in").last).to_contain_text("Do you sell gift cards?")
    page.get_by_label("Reply by text").fill("Yes, from 10 to 100 pounds.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_role("status")).to_contain_text("Your reply is on its way")
    reply = page.locator(".text.out", has_text="Yes, from 10 to 100 pounds.")
    expect(reply).to_contain_text("Reply from the front desk")
    expect(reply.locator(".status")).to_have_text("completed", timeout=20_000)  # the page refreshes in place
    expect(inbox.locator(".unread")).to_have_count(0)


def _tab_to(page, description: str, check: str, most: int = 60) -> None:
    """Presses Tab until the focused element passes ``check`` (a JS expression on ``el``)."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const el = document.activeElement; return !!({check}); }})()"):
            return
    raise AssertionError(f"{description} never got the focus by Tab ({page.url})")


def test_a_booking_can_be_made_with_the_keyboard_alone(open_page) -> None:
    from playwright.sync_api import expect

    page = open_page(1280, 900)
    keys = page.keyboard
    _tab_to(page, "the next day", "el.matches('a[rel=next]')")
    keys.press("Enter")
    page.wait_for_url(f"/?date={TOMORROW}")
    _tab_to(page, "Di's Book link", "el.matches('a.book-with') && el.textContent.includes('Di Dryer')")
    keys.press("Enter")
    page.wait_for_url("**/appointments/new?**")
    _tab_to(page, "the service", "el.id === 'serviceId'")
    keys.type("Cut (")
    _tab_to(page, "Show free times", "el.textContent.trim() === 'Show free times'")
    keys.press("Enter")
    page.wait_for_url("**serviceId=**")
    _tab_to(page, "a free time", "el.type === 'radio' && el.name === 'startTime'")
    keys.press("ArrowRight")  # the second free time
    _tab_to(page, "the client search", "el.id === 'clientSearch'")
    keys.type("ann ex")
    expect(page.get_by_role("radio", name="Ann Example (ann@example.com)")).to_be_visible()
    _tab_to(page, "the client", "el.type === 'radio' && el.name === 'clientId'")
    keys.press("Space")
    _tab_to(page, "Book", "el.type === 'submit' && el.textContent.trim() === 'Book'")
    keys.press("Enter")
    expect(page.locator(".details")).to_contain_text("Di Dryer")
    expect(page.locator(".details")).to_contain_text("12:15")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ann Example")


def png_width(png: bytes) -> int:
    """The width of a PNG image, from its header (IHDR)."""
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and png[12:16] == b"IHDR", "a PNG image"
    return int.from_bytes(png[16:20], "big")


def test_tablet_screenshots(open_page, salon) -> None:
    """The README's pictures, at 768 px, each taken once the page shows what the README says it shows: saved
    with SCREENSHOTS=1, else only taken."""
    from playwright.sync_api import expect

    page = open_page(768)
    shots = {  # each page, and what must be on it before it is taken
        "day": (f"/?date={TOMORROW}", page.locator("#day-calendar").get_by_text("Maria de la Cruz").first),
        "booking": (
            f"/appointments/new?serviceId={salon['cut'].id}&day={TOMORROW}&clientSearch=ex",
            page.get_by_role("radio", name="Ann Example (ann@example.com)"),
        ),
        "appointment": (f"/appointments/{salon['appointment'].id}", page.get_by_role("heading", level=1)),
        "jobs": ("/jobs", page.locator("tbody").get_by_text("Booking confirmation").first),
        "clients": ("/clients?q=ex", page.get_by_text("Ann Example").first),
        "texts": (
            f"/inbox/{salon['maria'].phone.removeprefix('+')}",
            page.get_by_text("Can I come 10 minutes early?"),
        ),
    }
    deadline = time.monotonic() + 20
    page.goto("/outbox")
    while page.locator("tbody tr .card-title").count() == 0:
        assert time.monotonic() < deadline, "the worker's messages reached the outbox within 20 s"
        time.sleep(0.5)
        page.reload()
    shots_taken = [("outbox", page.screenshot(full_page=True))]
    for name, (path, shown) in shots.items():
        page.goto(path)
        expect(shown).to_be_visible()
        shots_taken.append((name, page.screenshot(full_page=True)))
    assert [(name, png_width(png)) for name, png in shots_taken] == [(name, 768) for name, _ in shots_taken]
    if os.environ.get("SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for name, png in shots_taken:
            (SCREENSHOTS / f"{name}.png").write_bytes(png)
