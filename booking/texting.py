"""Which numbers a salon texts: the mobiles of the countries it lists (``Salon.sms_countries``), nothing else.

A text costs the salon money, and an anonymous request chooses where it goes. Numbers that charge the
sender or cost more (premium rate, shared cost, satellite and the other international ranges, region
"001") and numbers that cannot take a text (landlines, pagers, VoIP, UAN, voicemail, unrecognised ones)
are refused, by phonenumbers' reading of the number. US and Canadian numbers do not say whether they are
mobiles (FIXED_LINE_OR_MOBILE) and are texted.

Asked when a number is given (``check``), when a text is planned (``textable``) and by both SMS channels
just before a text goes (``refusal``), so a salon that narrows its list stops texting at once.
"""

from __future__ import annotations

from collections.abc import Sequence

import phonenumbers
from phonenumbers import PhoneNumberType

from booking.errors import Field, NotAMobile, NotTextable, OutsideSmsCountries
from booking.notice_types import N_

MOBILE = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})
# Why a number cannot take a text, by phonenumbers' kind of it: a whole sentence each, for a catalogue.
_KINDS = {
    PhoneNumberType.FIXED_LINE: N_("{phone} cannot take texts: it is a landline"),
    PhoneNumberType.TOLL_FREE: N_("{phone} cannot take texts: it is a toll-free number"),
    PhoneNumberType.PREMIUM_RATE: N_("{phone} cannot take texts: it is a premium-rate number"),
    PhoneNumberType.SHARED_COST: N_("{phone} cannot take texts: it is a shared-cost number"),
    PhoneNumberType.VOIP: N_("{phone} cannot take texts: it is an internet (VoIP) number"),
    PhoneNumberType.PERSONAL_NUMBER: N_("{phone} cannot take texts: it is a personal (forwarding) number"),
    PhoneNumberType.PAGER: N_("{phone} cannot take texts: it is a pager"),
    PhoneNumberType.UAN: N_("{phone} cannot take texts: it is a company (UAN) number"),
    PhoneNumberType.VOICEMAIL: N_("{phone} cannot take texts: it is a voicemail number"),
}
_NOT_A_PHONE = N_("{phone} is not a phone number that can take texts")
_NOT_A_MOBILE = N_("{phone} cannot take texts: it is not a mobile number we recognise")
# Why the salon does not text a number of that country: (does it text some countries?, is the number international?)
_ELSEWHERE = {
    (True, False): N_("the salon texts mobile numbers in {countries} only; {phone} is a number from {where}"),
    (True, True): N_("the salon texts mobile numbers in {countries} only; "
                     "{phone} is an international (non-geographic) number"),
    (False, False): N_("the salon sends no texts; {phone} is a number from {where}"),
    (False, True): N_("the salon sends no texts; {phone} is an international (non-geographic) number"),
}  # fmt: skip


# Every sentence a refusal says (booking.reasons reads them inside a job's error).
REFUSALS = (*_KINDS.values(), _NOT_A_MOBILE, *_ELSEWHERE.values(), _NOT_A_PHONE)


def refusal(phone: str, countries: Sequence[str], field: Field = "phone") -> NotTextable | None:
    """Why the salon must not text ``phone`` (E.164), as the error to raise; None when it may."""
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return NotAMobile(_NOT_A_PHONE, field, phone=phone)
    region = phonenumbers.region_code_for_number(number)
    # An unrecognised number has no region: it belongs to whichever countries share its calling code.
    regions = {region} if region else set(phonenumbers.region_codes_for_country_code(number.country_code or 0))
    if not regions & set(countries):
        said = _ELSEWHERE[bool(countries), regions == {"001"}]
        where = "/".join(sorted(regions))
        return OutsideSmsCountries(said, field, countries=", ".join(countries), phone=phone, where=where)
    kind = phonenumbers.number_type(number)
    if kind not in MOBILE:
        return NotAMobile(_KINDS.get(kind, _NOT_A_MOBILE), field, phone=phone)
    return None


def textable(phone: str | None, countries: Sequence[str]) -> bool:
    """Whether a text may go to ``phone`` (E.164; None: there is no number)."""
    return phone is not None and refusal(phone, countries) is None


def check(phone: str, countries: Sequence[str], *, only_way: bool, field: Field = "phone") -> None:
    """Refuses a number the salon would be asked to text: one outside ``countries`` always (OutsideSmsCountries),
    one inside them that cannot take texts (NotAMobile) when it is the ``only_way`` to reach the client;
    otherwise it is kept for calling, and nothing is texted to it."""
    refused = refusal(phone, countries, field)
    if isinstance(refused, OutsideSmsCountries) or (refused is not None and only_way):
        raise refused
