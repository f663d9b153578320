"""The booking form in a real browser: choosing a stylist relabels the services with their own lengths at once
(static/booking.js), before the form is sent.

Needs chromium; without it this skips, except under CI.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from booking import salons, services, staff
from booking.models import ServiceDetails, StaffDetails, StaffOverride
from db import Database

PASSWORD = "long enough for a salon"


async def _seed(database_url: str) -> dict[str, Any]:
    """Bea takes 60 minutes for the 45-minute cut; Cy the cut's own 45 and the colour only he does."""
    db = await Database.connect(database_url, maxsize=2)
    try:
        made = await salons.create_salon(
            db, name="Long & Short", timezone="Europe/London", owner_email="owner@lengths.example",
            owner_password=PASSWORD,
        )  # fmt: skip
        salon = made.salon
        bea = await staff.create_staff(db, salon.id, StaffDetails("Bea", "Cutter"))
        cy = await staff.create_staff(db, salon.id, StaffDetails("Cy", "Shears"))
        cut = await services.create_service(
            db, salon.id, ServiceDetails("Cut", 45, staff_overrides=(StaffOverride(bea.id, 60),))
        )
        colour = await services.create_service(db, salon.id, ServiceDetails("Colour", 90, staff_ids=(cy.id,)))
        return {"bea": bea, "cy": cy, "cut": cut, "colour": colour}
    finally:
        await db.close()


@pytest.fixture(scope="module")
def salon(database_url: str) -> dict[str, Any]:
    return asyncio.run(_seed(database_url))


def test_choosing_a_stylist_relabels_the_services_with_their_lengths_at_once(new_tab, salon) -> None:
    from playwright.sync_api import expect

    page = new_tab(1180, 900, log_in_as=("owner@lengths.example", PASSWORD))
    page.goto("/appointments/new")
    cut = page.locator(f'select[name="serviceId"] option[value="{salon["cut"].id}"]')
    colour = page.locator(f'select[name="serviceId"] option[value="{salon["colour"].id}"]')
    expect(cut).to_have_text("Cut (45\u201360 min)")
    expect(colour).to_have_text("Colour (90 min)")

    page.get_by_label("Staff").select_option(label="Bea Cutter")
    expect(cut).to_have_text("Cut (60 min)")
    expect(colour).to_have_text("Colour (not with this staff member)")
    page.get_by_label("Staff").select_option(label="Cy Shears")
    expect(cut).to_have_text("Cut (45 min)")
    expect(colour).to_have_text("Colour (90 min)")
    page.get_by_label("Staff").select_option(label="Anyone free")
    expect(cut).to_have_text("Cut (45\u201360 min)")

    page.get_by_label("Staff").select_option(label="Bea Cutter")
    page.get_by_label("Service").select_option(label="Cut (60 min)")
    page.get_by_role("button", name="Show free times").click()
    expect(page.get_by_label("Service")).to_have_value(str(salon["cut"].id))
    expect(cut).to_have_text("Cut (60 min)"), "drawn by the server for her, as the script had it"
