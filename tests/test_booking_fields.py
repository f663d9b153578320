"""What people type, read with one set of rules for the API and the pages; no database."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from booking import fields
from booking.errors import Invalid
from booking.models import WorkingHours
from booking.staff import check_hours
from handlers.base import outside_name

LONDON = ZoneInfo("Europe/London")


def refusal(read, *arguments) -> Invalid:
    with pytest.raises(Invalid) as caught:
        read(*arguments)
    return caught.value


@pytest.mark.parametrize(
    ("typed", "currency", "locale", "cents"),
    [
        ("25", "GBP", "en-GB", 2500),
        ("25.5", "GBP", "en-GB", 2550),
        (" 25.50 ", "GBP", "en-GB", 2550),
        ("£25.50", "GBP", "en-GB", 2550),
        ("$65", "USD", "en-US", 6500),
        ("65.00", "USD", "en-US", 6500),
        ("1,065.00", "USD", "en-US", 106500),
        ("65,50 €", "EUR", "de-DE", 6550),
        ("1.065,50", "EUR", "de-DE", 106550),
        ("0", "GBP", "en-GB", 0),
        ("", "GBP", "en-GB", None),
        ("¥6,500", "JPY", "en", 650000),  # a yen is a whole unit, kept in cents as every amount is
        ("6500.00", "JPY", "en", 650000),
    ],
)
def test_money_is_read_the_salons_way_as_cents(typed: str, currency: str, locale: str, cents: int | None) -> None:
    assert fields.money(typed, "price_cents", currency, locale) == cents


@pytest.mark.parametrize("typed", ["25.505", "abc", "NaN", "Infinity", "1e30", "-1e400", "65,5,0", "€65"])
def test_money_that_is_not_an_amount_is_refused_naming_the_field(typed: str) -> None:
    error = refusal(fields.money, typed, "price_cents", "USD", "en-US")
    assert error.field == ("price_cents",)
    assert error.describe(outside_name) == "priceCents must be an amount like $25.00"


@pytest.mark.parametrize("typed", ["6500.50", "0.5", "¥6,500.01"])
def test_money_in_whole_units_is_refused_with_a_fraction_of_one(typed: str) -> None:
    error = refusal(fields.money, typed, "price_cents", "JPY", "en")
    assert error.describe(outside_name) == "priceCents must be an amount like ¥2,500"


@pytest.mark.parametrize(
    ("typed", "clock"), [("09:30", dt.time(9, 30)), ("9:05", dt.time(9, 5)), ("23:59", dt.time(23, 59))]
)
def test_clock_times_are_hours_and_minutes(typed: str, clock: dt.time) -> None:
    assert fields.clock(typed, "start") == clock


@pytest.mark.parametrize("typed", ["24:00", "09:60", "09:30:00", "09:00+01:00", "0930", "²:00", ""])
def test_anything_else_is_not_a_clock_time(typed: str) -> None:
    assert refusal(fields.clock, typed, ("working_hours", 1, "start")).field == ("working_hours", 1, "start")


@pytest.mark.parametrize("typed", ["45", " 7 "])
def test_whole_numbers(typed: str) -> None:
    assert fields.whole_number(typed, "duration_minutes") == int(typed)


@pytest.mark.parametrize("typed", ["²", "-5", "4.5", "1" * 5000, "٣"])
def test_digits_of_other_kinds_and_huge_numbers_are_refused(typed: str) -> None:
    assert refusal(fields.whole_number, typed, "limit", 1, 500).describe(outside_name) == (
        "limit must be a whole number from 1 to 500"
    )


def test_an_instant_needs_its_offset_and_a_local_time_must_exist() -> None:
    assert fields.instant("2030-05-01T10:00:00+01:00", "start_time").utcoffset() == dt.timedelta(hours=1)
    assert "needs a UTC offset" in refusal(fields.instant, "2030-05-01T10:00:00", "start_time").message
    spring = fields.local_instant("2030-03-31T12:00", LONDON, "start_time")
    assert spring.utcoffset() == dt.timedelta(hours=1)
    gap = refusal(fields.local_instant, "2030-03-31T01:30", LONDON, "start_time")
    assert gap.message == "01:30 does not exist that day in Europe/London: the clocks go forward"


def test_a_phone_number_is_read_with_the_region_unless_it_has_a_country_code() -> None:
    assert fields.phone("01225 123456", "phone", "GB") == "+441225123456"
    assert fields.phone("+1 207 555 0188", "phone", "GB") == "+12075550188"
    assert fields.phone("  ", "phone", "GB") is None
    assert refusal(fields.phone, "call me", "phone", "GB").field == ("phone",)


def test_working_hours_errors_name_the_entry_as_it_was_given() -> None:
    hours = [
        WorkingHours(4, dt.time(9), dt.time(17)),
        WorkingHours(0, dt.time(13), dt.time(12)),  # the end before the start: the second entry
        WorkingHours(0, dt.time(9), dt.time(12)),
    ]
    assert refusal(check_hours, hours).field == ("working_hours", 1, "end")
    overlapping = [WorkingHours(2, dt.time(9), dt.time(17)), WorkingHours(0, dt.time(9), dt.time(12))]
    overlapping.append(WorkingHours(2, dt.time(12), dt.time(13)))
    error = refusal(check_hours, overlapping)
    assert error.field == ("working_hours", 2, "start"), "the later of the two overlapping entries, by its place"
    assert outside_name(error.field) == "workingHours[2].start"


def test_checked_hours_come_back_in_week_order() -> None:
    given = [WorkingHours(3, dt.time(9), dt.time(12)), WorkingHours(0, dt.time(13), dt.time(17))]
    assert check_hours(given) == (given[1], given[0])
