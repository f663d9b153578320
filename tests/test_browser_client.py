"""A client on a phone, in chromium against a real `python server.py`: books online with the code from the
outbox, then confirms, moves and cancels from the emailed link; the salon's notice arrives. The clients'
pages fit a 375 px phone and pass axe-core."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import re
from typing import Any

import pytest

from booking import clients, installation, links, salons, services, staff
from booking.models import ClientDetails, OnlineBooking, ServiceDetails, StaffDetails, WorkingHours
from db import Database
from tests.browser import ZONE
from tests.test_browser_tablet import AXE, sideways
from tests.tools import missing

PASSWORD = "long enough for a salon"


async def _seed(url: str) -> dict[str, Any]:
    db = await Database.connect(url, maxsize=2)
    try:
        made = await salons.create_salon(
            db,
            name="Curl Up & Dye",
            timezone=ZONE,
            owner_email="owner@curl.example",
            owner_password=PASSWORD,
            address="3 Orange Grove, Bath",
            email="desk@curl.example",
            phone="+44 1225 000111",
        )
        salon = await salons.update_salon(
            db, dataclasses.replace(made.salon, online_booking=OnlineBooking(enabled=True))
        )
        every_day = tuple(WorkingHours(day, dt.time(9), dt.time(17)) for day in range(7))
        await staff.create_staff(db, salon.id, StaffDetails("Bea", "Cutter", working_hours=every_day))
        await services.create_service(db, salon.id, ServiceDetails("Cut", 45, 3500))
        eve = await clients.create_client(db, salon.id, ClientDetails("Eve", "", "eve@example.com", None, True))
        unsubscribe = f"/u/{links.sign('unsubscribe', eve.id, await installation.link_secret(db))}"
        return {"slug": salon.slug, "unsubscribe": unsubscribe}
    finally:
        await db.close()


@pytest.fixture(scope="module")
def salon(database_url: str) -> dict[str, Any]:
    return asyncio.run(_seed(database_url))


@pytest.fixture
def tab(new_tab):
    """``tab()``: a phone's tab; ``tab(desk=True)``: the front desk's, logged in."""
    return lambda desk=False: (
        new_tab(1280, 900, log_in_as=("owner@curl.example", PASSWORD)) if desk else new_tab(375, 740)
    )


def from_the_outbox(desk, subject: str, pattern: str, *, seen: int = 0) -> str:
    """Waits for the outbox's ``seen+1``-th message whose subject holds ``subject``; what ``pattern`` finds in it."""
    for _ in range(60):
        desk.goto("/outbox")
        found = desk.get_by_role("link", name=re.compile(re.escape(subject)))
        if found.count() > seen:
            found.first.click()
            text = desk.locator("pre.message-text").inner_text()
            match = re.search(pattern, text)
            assert match, text
            return match[1]
        desk.wait_for_timeout(500)
    raise AssertionError(f"no email {subject!r} in the outbox")


class Checks:
    """What every client page must be on a phone: no sideways scrolling, nothing serious for axe-core."""

    def __init__(self) -> None:
        self.axe = AXE.is_file()
        self.problems: list[str] = []

    def look(self, page, name: str) -> None:
        if (over := sideways(page)) > 0:
            self.problems.append(f"{name}: {over} px too wide")
        if self.axe:
            page.evaluate(AXE.read_text())  # by the browser's debugger: the page's CSP does not apply
            found = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
            self.problems += [
                f"{name}: {v['id']}: {v['help']}" for v in found if v["impact"] in ("serious", "critical")
            ]


def test_a_client_books_confirms_moves_and_cancels_on_a_phone(tab, salon, server: str) -> None:
    phone, desk, checks = tab(), tab(desk=True), Checks()
    phone.goto(f"/book/{salon['slug']}")
    checks.look(phone, "services")
    phone.get_by_role("link", name=re.compile("^Cut")).click()
    checks.look(phone, "staff")
    phone.get_by_role("link", name=re.compile("^Anyone")).click()
    phone.get_by_role("navigation", name="Days").get_by_role("link").nth(2).click()  # Bea's whole day is free
    checks.look(phone, "times")
    phone.get_by_role("link", name="10:00").click()
    checks.look(phone, "details")
    phone.get_by_label("First name").fill("Dee")
    phone.get_by_label("Email").fill("dee@example.com")
    phone.get_by_label("Remind me before the appointment").check()
    phone.get_by_role("button", name="Send me the code").click()
    assert phone.get_by_role("heading", name="Type your code").is_visible()
    checks.look(phone, "code")

    code = from_the_outbox(desk, "Your booking code", r"\b(\d{6})\b")
    phone.get_by_label("Code").fill(code)
    phone.get_by_role("button", name="Book").click()
    assert phone.get_by_text("You are booked").is_visible()
    checks.look(phone, "booked")

    link = from_the_outbox(desk, "is confirmed", rf"({re.escape(server)}/m/[\w-]+)")
    phone.goto(link)
    phone.get_by_role("button", name="I'll be there").click()
    assert phone.get_by_text("we know you will be there").is_visible()
    phone.get_by_role("link", name="Choose another time").click()
    checks.look(phone, "another time")
    phone.get_by_role("link", name="11:30").click()
    assert phone.get_by_role("heading", name=re.compile(r"^Move to .*11:30")).is_visible(), "a tap asks first"
    checks.look(phone, "move asked")
    phone.get_by_role("button", name="Yes, move it").click()
    assert phone.get_by_text("Your appointment has moved").is_visible()
    assert phone.locator("dd", has_text=re.compile(r"11:30 (GMT|BST)")).is_visible()
    phone.get_by_text("Cancel the appointment").click()
    checks.look(phone, "cancel asked")
    phone.get_by_role("button", name="Yes, cancel it").click()
    assert phone.get_by_text("Your appointment is cancelled").is_visible()
    checks.look(phone, "cancelled")

    # Two notices to the salon (moved, then cancelled); the newest, first in the outbox, links the appointment.
    page = from_the_outbox(
        desk, "a client changed an appointment", rf"{re.escape(server)}(/appointments/[\w-]+)", seen=1
    )
    assert "Dee cancelled their appointment" in desk.locator("pre.message-text").inner_text()
    desk.goto(page)
    assert desk.get_by_text("cancelled by client").is_visible() and desk.get_by_text("booked online").is_visible()
    assert not checks.problems, "\n".join(checks.problems)
    if not checks.axe:
        missing(f"axe-core not found at {AXE} (`make test` installs it): widths checked, accessibility not")


def test_a_client_turns_reminders_off_from_an_emails_link_on_a_phone(tab, salon) -> None:
    phone, checks = tab(), Checks()
    phone.goto(salon["unsubscribe"])
    checks.look(phone, "unsubscribe asked")
    phone.get_by_role("button", name="Stop my reminders").click()
    assert phone.get_by_role("heading", name="No more reminders").is_visible()
    checks.look(phone, "unsubscribed")
    assert not checks.problems, "\n".join(checks.problems)
