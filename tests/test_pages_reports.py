"""/reports: the owner's week beside the week before, as charts with tables, and each section as CSV."""

from __future__ import annotations

import csv
import io
import re

import pytest

from booking import staff
from booking.models import StaffDetails
from db import Database
from handlers.app import Salonbook
from tests.page_fixtures import add_receptionist
from tests.report_fixtures import (
    DST_WEEK,
    PAID_IN_DST_WEEK,
    PAID_THE_WEEK_BEFORE,
    SEEDED,
    expected,
    local,
    seed,
    seed_payments,
)

MONDAY_MORNING = local(28, 8)  # the Monday after the DST week: "last week" is that week


@pytest.fixture
def app(db: Database) -> Salonbook:
    """The application with its clock on a Monday morning, so "last week" is the seeded week."""
    return Salonbook(db=db, cookie_secret="test-cookie-secret", clock=lambda: MONDAY_MORNING)


def _figures(body: bytes, caption: str) -> dict[str, tuple[str, str]]:
    """{figure: (this period's, the previous one's)} from the table captioned ``caption``."""
    table = body.decode().split(f"{caption}</caption>", 1)[1].split("</table>", 1)[0]
    rows = re.findall(
        r'<th scope="row">([^<]+)</th><td class="number">([^<]+)</td><td class="number">([^<]+)</td>', table
    )
    return {label: (now, before) for label, now, before in rows}


async def test_on_a_monday_the_owner_sees_last_week_beside_the_week_before(logged_in, db) -> None:
    session, salon = await logged_in(timezone="Europe/London")
    await seed(db, salon.salon, SEEDED)
    counts, revenue, _ = expected(SEEDED, DST_WEEK)

    page = await session.get("/reports")

    assert page.code == 200, page.body[:400]
    body = page.body.decode()
    assert "21\u201327 Oct 2030" in body and "14\u201320 Oct 2030" in body, "last week, beside the week before"
    shown = _figures(page.body, "Appointments")
    assert shown["Booked"] == (str(counts["booked"]), "1")
    assert shown["No-shows"] == (str(counts["no_shows"]), "0")
    assert shown["Cancelled late"] == (str(counts["late_cancellations"]), "0")
    assert f"£{revenue / 100:,.2f}" in _figures(page.body, "Revenue")["Completed appointments"][0]
    assert _figures(page.body, "Booked hours over working hours, per stylist")["Bea"][0] == "5 h of 21 h"
    assert body.count("<svg") == 5 and 'aria-hidden="true"' in body, "a chart per section, a table for readers"
    assert "Deposits, fees and refunds" not in body, "no Stripe account and no payments: no money section"


async def test_the_money_section_shows_the_payments_beside_the_week_before_and_downloads(logged_in, db) -> None:
    session, salon = await logged_in(timezone="Europe/London")
    await seed_payments(db, salon.salon)

    page = await session.get("/reports")

    assert page.code == 200 and "<title>Payments</title>" in page.body.decode(), "its own chart"
    shown = _figures(page.body, "Payments")
    labels = ("Deposits taken", "No-show fees", "Late cancellation fees", "Refunds", "Net")
    paired = list(zip(labels, PAID_IN_DST_WEEK, PAID_THE_WEEK_BEFORE, strict=True))
    assert shown == {label: (f"£{now / 100:,.2f}", f"£{then / 100:,.2f}") for label, now, then in paired}
    period = f"period=days&from={DST_WEEK.first}&to={DST_WEEK.last}"
    download = await session.get(f"/reports?{period}&format=csv&section=payments")
    assert download.code == 200 and download.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(download.body.decode("utf-8-sig"))))
    assert rows[0] == ["figure", "2030-10-21 to 2030-10-27 (GBP)", "2030-10-14 to 2030-10-20 (GBP)"]
    assert rows[1:] == [[label, f"{now / 100:.2f}", f"{then / 100:.2f}"] for label, now, then in paired]


async def test_each_section_downloads_as_csv_with_the_same_numbers(logged_in, db) -> None:
    session, salon = await logged_in(timezone="Europe/London")
    await seed(db, salon.salon, SEEDED)
    await staff.create_staff(db, salon.salon.id, StaffDetails(first_name="=HYPERLINK(1)"))
    counts, revenue, booked = expected(SEEDED, DST_WEEK)
    period = f"period=days&from={DST_WEEK.first}&to={DST_WEEK.last}"

    def read(response) -> list[list[str]]:
        assert response.code == 200 and response.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert "attachment" in response.headers["Content-Disposition"]
        return list(csv.reader(io.StringIO(response.body.decode("utf-8-sig"))))

    rows = read(await session.get(f"/reports?{period}&format=csv&section=appointments"))
    assert rows[0] == ["figure", "2030-10-21 to 2030-10-27", "2030-10-14 to 2030-10-20"]
    assert rows[1:] == [
        ["Booked", str(counts["booked"]), "1"],
        ["Completed", str(counts["completed"]), "1"],
        ["Cancelled by the salon", str(counts["cancelled_by_salon"]), "0"],
        ["Cancelled by the client", str(counts["cancelled_by_client"]), "0"],
        ["Cancelled late", str(counts["late_cancellations"]), "0"],
        ["No-shows", str(counts["no_shows"]), "0"],
    ]
    assert read(await session.get(f"/reports?{period}&format=csv&section=revenue"))[1] == [
        "revenue (GBP)",
        f"{revenue / 100:.2f}",
        "99.99",
    ]
    stylists = read(await session.get(f"/reports?{period}&format=csv&section=staff"))
    assert stylists[1] == ["Bea", str(booked), str(21 * 60), "30", str(20 * 60)]
    assert all(not row[0].startswith("=") for row in stylists), "a name is never a formula"


async def test_days_that_make_no_report_are_shown_again_with_the_reason_beside_them(logged_in) -> None:
    session, _ = await logged_in()
    page = await session.get("/reports?period=days&from=2026-03-01&to=2026-02-01")
    assert page.code == 400
    assert re.search(rb'id="to-error">to is before from<', page.body), page.body[:2000]
    assert b'value="2026-02-01"' in page.body, "what was typed stays"
    page = await session.get("/reports?period=month&date=2026-02-31")
    assert page.code == 400 and b'id="date-error"' in page.body


async def test_a_receptionist_sees_no_reports_and_no_money(pages, make_salon, db) -> None:
    salon = await make_salon()
    session = pages()
    await session.login(await add_receptionist(db, salon.salon.id))
    for path in ("/reports", "/reports?format=csv&section=revenue"):
        refused = await session.get(path)
        assert refused.code == 403 and b"Revenue" not in refused.body
    assert b'href="/reports"' not in (await session.get("/")).body, "not in a receptionist's menu"
