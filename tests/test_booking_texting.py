"""Which numbers a salon texts (mobiles of its countries), and the form codes to one inbox are counted under."""

from __future__ import annotations

import phonenumbers
import pytest

from booking import code_sends, texting
from booking.errors import NotAMobile, OutsideSmsCountries

T = phonenumbers.PhoneNumberType


def example(region: str, kind: phonenumbers.PhoneNumberType) -> str:
    """phonenumbers' own example of a number of that kind there, in E.164."""
    number = phonenumbers.example_number_for_type(region, kind)
    assert number is not None, (region, kind)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@pytest.mark.parametrize(
    ("phone", "countries"),
    [
        (example("GB", T.MOBILE), ("GB",)),
        (example("US", T.FIXED_LINE_OR_MOBILE), ("US",)),  # US numbers do not say whether they are mobiles
        (example("CA", T.MOBILE), ("US", "CA")),
        (example("DE", T.MOBILE), ("GB", "DE")),
    ],
)
def test_a_mobile_of_a_listed_country_is_texted(phone: str, countries: tuple[str, ...]) -> None:
    assert texting.refusal(phone, countries) is None and texting.textable(phone, countries)


@pytest.mark.parametrize(
    ("phone", "countries", "refused", "words"),
    [
        ("+881612345678", ("US",), OutsideSmsCountries, "an international (non-geographic) number"),  # satellite
        ("+979123456789", ("US",), OutsideSmsCountries, "an international (non-geographic) number"),  # premium
        ("+37477123456", ("US",), OutsideSmsCountries, "a number from AM"),
        (example("CA", T.MOBILE), ("US",), OutsideSmsCountries, "a number from CA"),
        (example("GB", T.MOBILE), (), OutsideSmsCountries, "the salon sends no texts"),
        (example("US", T.PREMIUM_RATE), ("US",), NotAMobile, "a premium-rate number"),
        (example("GB", T.FIXED_LINE), ("GB",), NotAMobile, "a landline"),
        (example("GB", T.VOIP), ("GB",), NotAMobile, "an internet (VoIP) number"),
        (example("GB", T.PAGER), ("GB",), NotAMobile, "a pager"),
        (example("GB", T.UAN), ("GB",), NotAMobile, "a company (UAN) number"),
        (example("GB", T.PREMIUM_RATE), ("GB",), NotAMobile, "a premium-rate number"),
        (example("DE", T.SHARED_COST), ("DE",), NotAMobile, "a shared-cost number"),
        ("+447700900123", ("GB",), NotAMobile, "not a mobile number we recognise"),  # Ofcom's drama range
        ("07400 900123", ("GB",), NotAMobile, "not a phone number"),  # not E.164: never stored so
    ],
)
def test_anything_else_is_refused_with_its_reason(
    phone: str, countries: tuple[str, ...], refused: type[Exception], words: str
) -> None:
    refusal = texting.refusal(phone, countries)
    assert type(refusal) is refused and words in refusal.message, refusal
    assert refusal.field == ("phone",) and not texting.textable(phone, countries)


def test_a_number_that_cannot_take_texts_is_refused_only_where_it_is_the_only_way() -> None:
    landline, armenian = example("GB", T.FIXED_LINE), "+37477123456"
    texting.check(landline, ("GB",), only_way=False)  # kept for calling: an email gets the messages
    with pytest.raises(NotAMobile):
        texting.check(landline, ("GB",), only_way=True)
    with pytest.raises(OutsideSmsCountries):
        texting.check(armenian, ("GB",), only_way=False)


@pytest.mark.parametrize(
    ("address", "counted_as"),
    [
        ("+447400900123", "+447400900123"),
        ("Ann@Example.com", "ann@example.com"),
        ("ann+spam@example.com", "ann@example.com"),
        ("ANN+1+2@EXAMPLE.COM", "ann@example.com"),
        ("+tag@example.com", "+tag@example.com"),  # nothing before the tag: the address as it is
    ],
)
def test_codes_to_one_inbox_are_counted_under_one_form(address: str, counted_as: str) -> None:
    assert code_sends.normalised(address) == counted_as
