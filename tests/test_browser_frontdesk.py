"""The front desk in a real browser against a real `python server.py`, mail caught by the built-in catcher.

Needs chromium (`apt-get install chromium`); without it these tests skip, except under CI
(env CI set), where a missing browser is a failure. Phones, tablets, accessibility and the
screenshots: tests/test_browser_tablet.py.
"""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

import pytest

from tests.browser import CHROMIUM, CHROMIUM_ARGS, WAIT_MS, ZONE, need_chromium


@pytest.fixture
def page(request: pytest.FixtureRequest):
    """A chromium tab on the server; checks for chromium before any server or database is started."""
    need_chromium()
    server = request.getfixturevalue("server")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(
            base_url=server, viewport={"width": 1180, "height": 820}, locale="en-GB", timezone_id=ZONE
        )
        context.set_default_timeout(WAIT_MS)
        try:
            yield context.new_page()
        finally:
            browser.close()


def _booking_day() -> dt.date:
    """Today in the salon, unless it is too late for a 30-minute slot; then tomorrow."""
    now = dt.datetime.now(ZoneInfo(ZONE))
    return now.date() if now.hour < 23 else now.date() + dt.timedelta(days=1)


def test_front_desk_sets_up_books_sees_the_mail_and_cancels(page) -> None:
    from playwright.sync_api import expect

    # First run: every page leads to the setup form.
    page.goto("/")
    expect(page).to_have_url("/setup")
    page.get_by_label("Salon name").fill("Curl Up & Dye")
    page.get_by_label("Address").fill("3 Orange Grove, Bath")
    expect(page.get_by_label("Time zone")).to_have_value(ZONE)
    page.get_by_label("Salon email").fill("desk@curl.example")
    page.get_by_label("Email", exact=True).fill("owner@curl.example")
    page.get_by_label("Password").fill("long enough")
    page.get_by_role("button", name="Create the salon").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"({ZONE})")

    # A new browser session must log in.
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url("/login")
    page.get_by_label("Email").fill("owner@curl.example")
    page.get_by_label("Password").fill("long enough")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Book", exact=True).first).to_be_visible()

    _add_staff_service_and_client(page)
    appointment_url = _book(page)
    _book_a_new_client(page)

    # The worker sends the confirmation at once: it lands in the outbox and the job completes.
    page.goto("/outbox")
    _reload_until(page, "tbody tr", "ann@example.com")
    page.locator("tbody tr", has_text="ann@example.com").first.get_by_role("link").first.click()
    expect(page.locator("iframe.email")).to_be_visible()
    expect(page.locator("pre.message-text")).to_contain_text("Ann")
    with page.context.expect_page() as opened:  # the email's link opens, in a tab of its own
        page.frame_locator("iframe.email").get_by_role("link", name="Confirm, move or cancel").click()
    manage = opened.value
    expect(manage.get_by_role("heading", level=1)).to_have_text("Your appointment")
    assert "/m/" in manage.url
    manage.close()

    page.goto("/jobs?type=booking_confirmation")
    confirmation = page.locator("table.jobs tbody tr", has_text="Booking confirmation")
    expect(confirmation.locator(".status")).to_have_text("completed")  # the page refreshes itself
    expect(page).to_have_url("/jobs?type=booking_confirmation")
    page.goto("/jobs")

    page.goto(appointment_url)
    expect(page.locator(".timeline")).to_contain_text("sent at")
    page.goto(f"/?date={_booking_day()}")
    expect(page.locator(".calendar")).to_contain_text("Ann Example")
    expect(page.locator(".calendar")).to_contain_text("Dee Walker")

    page.goto(appointment_url)
    page.get_by_role("link", name="Cancel appointment…").click()
    page.get_by_role("button", name="Yes, cancel the appointment").click()
    expect(page.locator(".page-head .status")).to_have_text("cancelled")
    expect(page.locator(".timeline")).to_contain_text("Cancellation notice")
    page.goto("/outbox")
    _reload_until(page, "tbody tr", "ann@example.com", count=2)


def _add_staff_service_and_client(page) -> None:
    page.goto("/staff/new")
    page.get_by_label("First name").fill("Bea")
    page.get_by_label("Last name").fill("Cutter")
    for day in range(7):
        page.locator(f'input[name="workingHours[{day}].start"]').fill("00:00")
        page.locator(f'input[name="workingHours[{day}].end"]').fill("23:59")
    page.get_by_role("button", name="Save").click()
    expect_text(page, "main table", "Bea Cutter")

    page.goto("/services/new")
    page.get_by_label("Name").fill("Cut")
    page.get_by_label("Duration (minutes)").fill("30")
    page.get_by_label("Price").fill("25")
    page.get_by_role("button", name="Save").click()
    expect_text(page, "main table", "25.00")

    page.goto("/clients/new")
    page.get_by_label("First name").fill("Ann")
    page.get_by_label("Last name").fill("Example")
    page.get_by_label("Email").fill("ann@example.com")
    page.get_by_label("Send confirmations and reminders").check()
    page.get_by_role("button", name="Save").click()
    expect_text(page, "main table", "ann@example.com")


def _choose_free_times(page) -> None:
    from playwright.sync_api import expect

    page.get_by_role("link", name="Book", exact=True).first.click()
    page.get_by_label("Service").select_option(label="Cut (30 min)")
    page.get_by_label("Staff").select_option(label="Bea Cutter")
    page.get_by_label("Day").fill(_booking_day().isoformat())
    page.get_by_role("button", name="Show free times").click()
    expect(page.get_by_role("radio").first).to_be_visible()


def _book(page) -> str:
    """Books Ann with Bea through the form, picking the first free time; returns the appointment's URL."""
    from playwright.sync_api import expect

    _choose_free_times(page)
    page.get_by_label("Find a client").fill("ann@")
    page.get_by_role("radio", name="Ann Example (ann@example.com)").check()
    page.get_by_role("radio").first.check()
    page.get_by_role("button", name="Book", exact=True).click()
    expect(page.locator(".timeline")).to_contain_text("Booking confirmation")
    return page.url


def _book_a_new_client(page) -> None:
    """A walk-in who wants no messages, added inline while booking the next free time."""
    from playwright.sync_api import expect

    _choose_free_times(page)
    page.get_by_role("radio", name="New client…").check()
    page.get_by_label("First name").fill("Dee")
    page.get_by_label("Last name").fill("Walker")
    page.get_by_label("Mobile phone").fill("07400 900123")
    expect(page.locator("#reminder-channels")).to_have_text("by text message")
    page.get_by_label("Send confirmations and reminders").uncheck()
    page.get_by_role("radio").first.check()
    page.get_by_role("button", name="Book", exact=True).click()
    expect(page.locator(".timeline")).to_contain_text("No notifications")


def expect_text(page, selector: str, text: str) -> None:
    from playwright.sync_api import expect

    expect(page.locator(selector)).to_contain_text(text)


def _reload_until(page, selector: str, text: str, count: int = 1) -> None:
    """The outbox has no auto-refresh: reload until ``count`` matching rows are there."""
    deadline = time.monotonic() + WAIT_MS / 1000
    while page.locator(selector, has_text=text).count() < count:
        assert time.monotonic() < deadline, f"fewer than {count} rows with {text!r} in time"
        time.sleep(0.5)
        page.reload()
