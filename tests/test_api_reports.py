"""GET /api/v1/reports: the figures the domain computes, as JSON; its days checked like every other field."""

from __future__ import annotations

import pytest

from tests.report_fixtures import DST_WEEK, PAID_IN_DST_WEEK, SEEDED, expected, seed, seed_payments


async def test_the_report_of_chosen_days_is_the_rows_figures_in_json(api, db, make_salon) -> None:
    salon = await make_salon(timezone="Europe/London")
    bea = await seed(db, salon.salon, SEEDED)
    counts, revenue, booked = expected(SEEDED, DST_WEEK)

    status, found = await api("GET", f"/reports?from={DST_WEEK.first}&to={DST_WEEK.last}", salon.api_token)

    assert status == 200, found
    assert (found["from"], found["to"]) == ("2030-10-21", "2030-10-27")
    assert found["appointments"] == {
        "booked": counts["booked"],
        "completed": counts["completed"],
        "cancelledBySalon": counts["cancelled_by_salon"],
        "cancelledByClient": counts["cancelled_by_client"],
        "lateCancellations": counts["late_cancellations"],
        "noShows": counts["no_shows"],
        "online": counts["online"],
        "frontDesk": counts["front_desk"],
    }
    assert found["revenueCents"] == revenue
    assert found["staff"] == [
        {"staffId": str(bea), "staffName": "Bea", "bookedMinutes": booked, "workingMinutes": 21 * 60}
    ]
    assert found["messages"] == []
    assert found["payments"] is None, "a salon without a Stripe account and no payments: no money figures"


async def test_the_reports_money_is_the_payments_that_went_through(api, db, make_salon) -> None:
    salon = await make_salon(timezone="Europe/London")
    await seed_payments(db, salon.salon)

    status, found = await api("GET", f"/reports?from={DST_WEEK.first}&to={DST_WEEK.last}", salon.api_token)

    assert status == 200, found
    names = ("depositsCents", "noShowFeesCents", "lateCancellationFeesCents", "refundsCents", "netCents")
    assert found["payments"] == dict(zip(names, PAID_IN_DST_WEEK, strict=True))


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ("from=2026-03-01&to=2026-02-28", "to", "before from"),
        ("from=2026-01-01&to=2027-01-02", "to", "more than 366 days"),
        ("to=2026-01-02", "from", "required"),
        ("from=2026-01-01&to=", "to", ""),
        ("from=2026-02-30&to=2026-03-01", "from", ""),
    ],
)
async def test_days_that_make_no_report_are_a_400_naming_the_field(api, make_salon, query, field, words) -> None:
    salon = await make_salon()
    status, refused = await api("GET", f"/reports?{query}", salon.api_token)
    assert status == 400, refused
    assert refused["error"]["field"] == field and words in refused["error"]["message"]


async def test_no_token_no_report(api) -> None:
    status, refused = await api("GET", "/reports?from=2026-01-01&to=2026-01-02", None)
    assert status == 401, refused
