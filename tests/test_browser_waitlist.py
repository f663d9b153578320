"""The waitlist in chromium against a real `python server.py`: a client on a phone joins it from the booking page
with the code from the outbox; the desk cancels another client's appointment; the offer's link books the time
for the waiting client. The client's pages fit a 375 px phone and pass axe-core."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import re
from typing import Any

import pytest

from booking import appointments, clients, salons, services, staff
from booking.models import ClientDetails, OnlineBooking, ServiceDetails, StaffDetails, WorkingHours
from db import Database
from tests.browser import ZONE
from tests.desk import desk_day
from tests.test_browser_client import Checks, from_the_outbox
from tests.tools import missing

PASSWORD = "long enough for a salon"


async def _seed(url: str) -> dict[str, Any]:
    db = await Database.connect(url, maxsize=2)
    try:
        made = await salons.create_salon(
            db, name="Wait & See", timezone=ZONE, owner_email="owner@wait.example", owner_password=PASSWORD,
            address="5 Queen Square, Bath", email="desk@wait.example",
        )  # fmt: skip
        salon = await salons.update_salon(
            db, dataclasses.replace(made.salon, online_booking=OnlineBooking(enabled=True), quiet_hours=None)
        )
        every_day = tuple(WorkingHours(day, dt.time(9), dt.time(17)) for day in range(7))
        bea = await staff.create_staff(db, salon.id, StaffDetails("Bea", "Cutter", working_hours=every_day))
        cut = await services.create_service(db, salon.id, ServiceDetails("Cut", 45, 3500))
        eve = await clients.create_client(db, salon.id, ClientDetails("Eve", "Early", "eve@example.com", None, True))
        day = desk_day(salon.zone)
        booked = await appointments.book(
            db, salon, client_id=eve.id, staff_id=bea.id, service_id=cut.id,
            start_time=dt.datetime.combine(day, dt.time(10), salon.zone),
        )  # fmt: skip
        return {"slug": salon.slug, "service": str(cut.id), "day": str(day), "appointment": str(booked.id)}
    finally:
        await db.close()


@pytest.fixture(scope="module")
def salon(database_url: str) -> dict[str, Any]:
    return asyncio.run(_seed(database_url))


def test_a_waiting_client_gets_a_cancelled_time_from_the_offers_link(new_tab, salon, server: str) -> None:
    phone, desk, checks = new_tab(375, 740), new_tab(1280, 900, log_in_as=("owner@wait.example", PASSWORD)), Checks()
    phone.goto(f"/book/{salon['slug']}?serviceId={salon['service']}&staffId=any&date={salon['day']}")
    phone.get_by_role("link", name="No time suits you? Join the waiting list").click()
    checks.look(phone, "join")
    assert phone.get_by_label("From").input_value() == salon["day"]
    phone.get_by_label("Not before (optional)").fill("09:00")
    phone.get_by_label("First name").fill("Dee")
    phone.get_by_label("Email").fill("dee@example.com")
    phone.get_by_role("button", name="Send me the code").click()
    assert phone.get_by_role("heading", name="Type your code").is_visible()
    checks.look(phone, "join code")
    phone.get_by_label("Code").fill(from_the_outbox(desk, "Your code to join the waiting list", r"\b(\d{6})\b"))
    phone.get_by_role("button", name="Join the waiting list").click()
    assert phone.get_by_role("heading", name="You are on the waiting list").is_visible()
    checks.look(phone, "joined")

    desk.goto("/waitlist")
    assert desk.get_by_role("cell", name="Dee").is_visible()
    desk.goto(f"/appointments/{salon['appointment']}/cancel")
    desk.get_by_role("button", name="Yes, cancel the appointment").click()
    assert desk.get_by_role("heading", name="Waitlist").is_visible(), "the offer is on the appointment's record"

    link = from_the_outbox(desk, "is free: 10:00", rf"({re.escape(server)}/w/[\w-]+)")
    phone.goto(link)
    assert phone.get_by_role("heading", name="A free time for you").is_visible()
    checks.look(phone, "offer")
    phone.get_by_role("button", name="Claim this time").click()
    assert phone.get_by_text("You are booked").is_visible()
    assert phone.locator("dd", has_text=re.compile(r"10:00 (GMT|BST)")).is_visible()
    phone.goto(link)
    assert phone.get_by_role("heading", name="You are booked").is_visible(), "the link now says it is theirs"
    desk.goto("/waitlist")
    assert desk.get_by_role("cell", name="booked").is_visible()
    assert not checks.problems, "\n".join(checks.problems)
    if not checks.axe:
        missing("axe-core not found (`make test` installs it): widths checked, accessibility not")
