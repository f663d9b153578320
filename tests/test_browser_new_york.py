"""A salon in New York, set up and run on a tablet in chromium against a real `python server.py`: its phone
numbers, prices and times are written the American way, and its client's text goes to an American number."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.browser import CHROMIUM, CHROMIUM_ARGS, WAIT_MS, need_chromium

NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def tablet(request: pytest.FixtureRequest) -> Iterator[Any]:
    need_chromium()
    server = request.getfixturevalue("server")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(
            base_url=server, viewport={"width": 768, "height": 1024}, locale="en-US", timezone_id="America/New_York"
        )
        context.set_default_timeout(WAIT_MS)
        try:
            yield context.new_page()
        finally:
            browser.close()


def test_a_new_york_salon_writes_numbers_money_and_times_its_own_way(tablet) -> None:
    from playwright.sync_api import expect

    page = tablet
    page.goto("/setup")
    page.get_by_label("Salon name").fill("Curls of Brooklyn")
    expect(page.get_by_label("Time zone")).to_have_value("America/New_York")  # the browser's own, guessed
    assert page.get_by_label("Time zone").locator("option:checked").inner_text() == "New York"
    page.get_by_label("Country").select_option("US")
    page.get_by_label("Salon phone").fill("(718) 555-0100")
    page.get_by_label("Email", exact=True).fill("owner@brooklyn.example")
    page.get_by_label("Password").fill("long enough")
    page.get_by_role("button", name="Create the salon").click()
    page.wait_for_url("/")

    page.goto("/staff/new")
    page.get_by_label("First name").fill("Bea")
    for day in range(7):
        page.locator(f'input[name="workingHours[{day}].start"]').fill("09:00")
        page.locator(f'input[name="workingHours[{day}].end"]').fill("17:00")
    page.get_by_role("button", name="Save").click()
    page.goto("/services/new")
    page.get_by_label("Name").fill("Blowout")
    page.get_by_label("Duration (minutes)").fill("45")
    page.get_by_label("Price").fill("$65")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("main table")).to_contain_text("$65.00")
    page.goto("/clients/new")
    page.get_by_label("First name").fill("Maria")
    page.get_by_label("Mobile phone").fill("(207) 555-0188")
    page.get_by_label("Send confirmations and reminders").check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator("main table")).to_contain_text("(207) 555-0188")

    day = dt.datetime.now(NEW_YORK).date() + dt.timedelta(days=3)
    page.goto(f"/appointments/new?day={day}")
    page.get_by_label("Service").select_option(label="Blowout (45 min)")
    page.get_by_label("Staff").select_option(label="Bea")
    page.get_by_role("button", name="Show free times").click()
    page.get_by_label("Find a client").fill("555-0188")
    page.get_by_role("radio", name=re.compile("^Maria")).check()
    page.get_by_role("radio", name="2:00 PM", exact=True).check()
    page.get_by_role("button", name="Book", exact=True).click()
    expect(page.locator(".details")).to_contain_text(re.compile(r"2:00 PM (EST|EDT)"))

    page.goto("/outbox")
    for _ in range(60):
        if page.locator("tbody tr", has_text="+12075550188").count():
            break
        page.wait_for_timeout(500)
        page.reload()
    page.locator("tbody tr", has_text="+12075550188").first.get_by_role("link").first.click()
    text = page.locator("pre.message-text").inner_text()
    assert re.search(r"booked for \w{3}, \w{3} \d+, 2:00 PM E[SD]T", text), text
