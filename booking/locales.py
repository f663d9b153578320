"""A salon's country, language and currency: which are known, which go together, and how each is written.

Babel (CLDR) knows how every locale writes dates, times and money; this module asks it, so no
format is written by hand. The product speaks the languages of ``SPOKEN`` to clients (its
catalogues in ``locale/``); a salon elsewhere writes in English, the ways its country does.
"""

from __future__ import annotations

import datetime as dt
import decimal
import gettext
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal, cast
from zoneinfo import ZoneInfo, available_timezones

import babel
import babel.dates
import babel.lists
import babel.messages.mofile
import babel.messages.pofile
import babel.numbers
import babel.support
import phonenumbers

from booking.errors import Field, Invalid

SPOKEN = ("en", "de", "es")  # the languages of the catalogues in locale/ (English is the source)
CATALOGUES = Path(__file__).resolve().parent.parent / "locale"


@cache
def _babel(locale: str) -> babel.Locale:
    return babel.Locale.parse(locale, sep="-")


def territory(locale: str) -> str:
    """The country a locale is of: 'US' for en-US, '' for a bare language ('en')."""
    return _babel(locale).territory or ""


def language(locale: str) -> str:
    """The language a salon's clients read: 'de' for de-AT, 'en' for en-US."""
    return _babel(locale).language


def default_locale(country: str) -> str:
    """The country's usual language if the product speaks it, else English: written the country's way."""
    likely = babel.Locale.parse(f"und_{country}")
    for tag in (f"{likely.language}-{country}", f"en-{country}"):
        if likely.language in SPOKEN or tag.startswith("en-"):
            try:
                return str(_babel(tag)).replace("_", "-")
            except (babel.UnknownLocaleError, ValueError):
                continue
    return "en"


def default_currency(country: str) -> str:
    return (babel.numbers.get_territory_currencies(country) or ["EUR"])[0]


def check_country(value: str, field: Field = "country") -> str:
    country = value.strip().upper()
    if country not in phonenumbers.SUPPORTED_REGIONS:
        raise Invalid("{field} must be a country code such as GB, US or DE, not {value}", field, value=repr(value))
    return country


def check_locale(value: str, field: Field = "locale") -> str:
    """A language tag whose language the product speaks to clients: en-US, en-GB, de-DE ..."""
    try:
        parsed = _babel(value.strip().replace("_", "-"))
    except (babel.UnknownLocaleError, ValueError, TypeError):
        parsed = None
    if parsed is None or parsed.language not in SPOKEN:
        spoken = ", ".join(f"{lang}-…" for lang in SPOKEN)  # no English "or" inside a translated sentence
        raise Invalid(
            "{field} must be a language tag in {spoken}, such as en-US or de-DE, not {value}",
            field,
            spoken=spoken,
            value=repr(value),
        )
    return str(parsed).replace("_", "-")


def check_currency(value: str, field: Field = "currency") -> str:
    currency = value.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", currency) or currency not in babel.numbers.list_currencies():
        raise Invalid("{field} must be a currency code such as GBP, USD or EUR, not {value}", field, value=repr(value))
    return currency


# Language tags offered in forms; any other tag of a spoken language may still be set (API, settings).
OFFERED = (
    *("en-GB", "en-US", "en-IE", "en-CA", "en-AU", "en-NZ", "en-ZA", "en-IN"),
    *("de-DE", "de-AT", "de-CH"),
    *("es-ES", "es-MX", "es-US"),
)


def locale_choices(current: str = "") -> list[tuple[str, str]]:
    """(tag, name in its own language) for a form's list, the salon's current tag included."""
    tags = [*OFFERED, *([current] if current and current not in OFFERED else [])]
    return [(tag, _babel(tag).get_display_name(_babel(tag)) or tag) for tag in tags]


@cache
def language_name(code: str, locale: str) -> str:
    """A language ('de') named in the reader's ``locale``, as CLDR writes it inside a sentence: 'German', 'Deutsch',
    'alemán' (a heading capitalizes it)."""
    return _babel(code).get_display_name(_babel(locale)) or code


def page_locale(own: str | None, salon: str) -> str:
    """The locale a user's pages are written in: their own choice, else the salon's."""
    return own or salon


def accepted_locale(header: str) -> str:
    """The locale of a page nobody is logged in to, from the browser's Accept-Language: the language it prefers
    most among those the product speaks ('de' for 'de-AT,de;q=0.9,en;q=0.5'), else English as in Britain."""
    preferred: list[tuple[float, int, str]] = []
    for place, part in enumerate(header.split(",")):
        tag, _, weight = part.strip().partition(";")
        quality = weight.strip().removeprefix("q=")
        try:
            q = float(quality) if weight else 1.0
        except ValueError:
            continue
        if tag.strip() and q > 0:
            preferred.append((-q, place, tag.strip()))
    tags = [tag for _, _, tag in sorted(preferred)]
    found = babel.negotiate_locale(tags, SPOKEN, sep="-")
    return "en-GB" if found in (None, "en") else found


@cache
def country_choices(locale: str = "en") -> list[tuple[str, str]]:
    """(code, name in the ``locale``'s language) of every country whose phone numbers can be read, by name."""
    names = _babel(locale).territories
    return sorted(((code, names.get(code, code)) for code in phonenumbers.SUPPORTED_REGIONS), key=lambda c: c[1])


# The regions of the tz database whose zones are named after a city (not Etc/, US/ and other aliases).
_CITY_ZONE = re.compile(r"(Africa|America|Antarctica|Asia|Atlantic|Australia|Europe|Indian|Pacific)/[A-Za-z_/-]+")


@cache
def timezone_choices(locale: str = "en-GB") -> list[tuple[str, list[tuple[str, str]]]]:
    """The time zones a salon picks from, by region, each named by its city as the ``locale`` names it (CLDR):
    ("America", [("America/New_York", "New York"), ...]), the cities in order, then UTC."""
    regions: dict[str, list[tuple[str, str]]] = {}
    for zone in sorted(available_timezones()):
        if _CITY_ZONE.fullmatch(zone):
            region, _, place = zone.partition("/")
            regions.setdefault(region, []).append((zone, _city(zone, place, locale)))
    grouped = [(region, sorted(zones, key=lambda zone: zone[1])) for region, zones in sorted(regions.items())]
    return [*grouped, ("UTC", [("UTC", "UTC")])]


def _city(zone: str, place: str, locale: str) -> str:
    """The zone's city in the locale's words ('Berlín' in es), else as the tz database writes it."""
    try:
        return _plain_spaces(babel.dates.get_timezone_location(zone, locale=_babel(locale), return_city=True))
    except LookupError:  # a zone CLDR does not know
        return place.rsplit("/", 1)[-1].replace("_", " ")


def country_names(countries: Sequence[str], locale: str) -> str:
    """Countries named in the locale's language, as a list: 'United States and Canada' (en), 'Vereinigte
    Staaten und Kanada' (de)."""
    names = _babel(locale).territories
    return babel.lists.format_list([names.get(code, code) for code in countries], locale=_babel(locale))


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The catalogue of what clients read, in ``language`` (read from its .po once); English as written."""
    source = CATALOGUES / language / "LC_MESSAGES" / "messages.po"
    if language == "en" or not source.is_file():
        return gettext.NullTranslations()
    with source.open("rb") as po:
        catalogue = babel.messages.pofile.read_po(po, locale=language)
    compiled = io.BytesIO()
    babel.messages.mofile.write_mo(compiled, catalogue)
    compiled.seek(0)
    return babel.support.Translations(compiled)


# --- writing -----------------------------------------------------------------


@cache
def _day_pattern(locale: str) -> str:
    """The locale's full date without the year: 'EEEE, MMMM d' (en-US), 'EEEE, d MMMM' (en-GB), "EEEE, d 'de'
    MMMM" (es), ..."""
    full = _babel(locale).date_formats["full"].pattern  # the words joining the year go with it: "... 'de' y" (es)
    return re.sub(r"(\s*'[^']*')?[,.\s]*y+[.\s]*|y+[^\w\s']*\s*", "", full).strip(" ,")


def wall_clock(
    instant: dt.datetime, zone: ZoneInfo, locale: str, *, long: bool = False, seconds: bool = False, year: bool = False
) -> str:
    """A moment on the salon's clock the salon's way, with the zone's abbreviation:
    'Tue, Dec 1, 2:00 PM EST' (en-US), 'Tue 1 Dec, 14:00 GMT' (en-GB); ``long`` spells the day out
    for messages ('Tuesday 1 December'), ``year`` adds it, ``seconds`` adds them.
    """
    local = instant.astimezone(zone)
    where = _babel(locale)
    if long:
        day = babel.dates.format_date(local, _day_pattern(locale) + (" y" if year else ""), locale=where)
    else:
        day = _pattern(locale, "yMMMEd" if year else "MMMEd").apply(local, where)
    clock = _pattern(locale, "medium" if seconds else "short").apply(local, where)
    return _plain_spaces(f"{day}, {clock} {local.tzname()}")


@cache
def _pattern(locale: str, form: str) -> babel.dates.DateTimePattern:
    """The locale's pattern for a time format ('short', 'medium') or a date skeleton ('MMMEd'), found once: Babel's
    own format_skeleton and format_time look it up again on every call, the most of a long list's time."""
    where = _babel(locale)
    if form in ("short", "medium"):
        found: babel.dates.DateTimePattern = where.time_formats[form]
        return found
    skeletons = where.datetime_skeletons
    found = skeletons[form if form in skeletons else babel.dates.match_skeleton(form, skeletons)]
    return found


def day_name(day: dt.date, locale: str, *, year: bool = False) -> str:
    """A day as a date picker names it: 'Tuesday, December 1' (en-US), 'Dienstag, 1. Dezember' (de-DE);
    ``year`` adds it, the locale's way ('Tuesday, December 1, 2026')."""
    pattern = "full" if year else _day_pattern(locale)
    return _plain_spaces(babel.dates.format_date(day, pattern, locale=_babel(locale)))


@cache
def weekday_names(locale: str, width: Literal["wide", "abbreviated"] = "wide") -> tuple[str, ...]:
    """Monday to Sunday as the locale names them ('Montag', ...; 'abbreviated': 'Mo.'): the hours editor's rows."""
    names = babel.dates.get_day_names(width, locale=_babel(locale))
    return tuple(names[day] for day in range(7))


def _plain_spaces(text: str) -> str:
    """CLDR's no-break spaces ('2:00\u202fPM') as plain ones: one of them would make a text message
    UCS-2, halving what fits in it."""
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def phone_number(number: str, country: str) -> str:
    """A stored E.164 number as the salon writes it: '(207) 555-0188' at home (US), '+44 7700 900123' abroad."""
    try:
        parsed = phonenumbers.parse(number)
    except phonenumbers.NumberParseException:
        return number
    home = phonenumbers.region_code_for_number(parsed) == country
    style = phonenumbers.PhoneNumberFormat.NATIONAL if home else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(parsed, style)


def clock_time(time: dt.time, locale: str) -> str:
    """A time of day with no date, the salon's way: '9:00 AM' (en-US), '09:00' (en-GB): hours, an hour mark."""
    return _plain_spaces(babel.dates.format_time(time, "short", locale=_babel(locale)))


def example_phone(country: str) -> str:
    """A mobile number of the country, written as its people write it: a hint beside a phone field."""
    example = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.MOBILE)
    if example is None:
        return "+44 7400 123456"
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL)


def time_of_day(instant: dt.datetime, zone: ZoneInfo, locale: str) -> str:
    """Just the time, the salon's way: '2:00 PM' (en-US), '14:00' (en-GB)."""
    return _plain_spaces(_pattern(locale, "short").apply(instant.astimezone(zone), _babel(locale)))


def smallest_cents(currency: str) -> int:
    """The least amount the currency is written in, in cents (hundredths of its unit, as every amount is kept): 1
    for most, 100 for one written in whole units (JPY, KRW, ISK, CLP ...). An amount of it is a multiple of this."""
    return int(10 ** max(0, 2 - babel.numbers.get_currency_precision(currency)))


def money(cents: int | None, currency: str, locale: str) -> str:
    """'$65.00' (en-US, USD), '65,00 €' (de-DE, EUR); '' for no price."""
    if cents is None:
        return ""
    return babel.numbers.format_currency(decimal.Decimal(cents) / 100, currency, locale=_babel(locale))


def file_size(size: int, locale: str) -> str:
    """A file's size the locale's way: '1.5 MB' (en), '1,5 MB' (de); kB below a megabyte."""
    if size >= 1_000_000:
        return babel.numbers.format_decimal(size / 1e6, "#,##0.0", locale=_babel(locale)) + " MB"
    return babel.numbers.format_decimal(size / 1e3, "#,##0", locale=_babel(locale)) + " kB"


def plain_amount(cents: int | None, currency: str, locale: str) -> str:
    """The amount as a form shows it for editing: '65.50' (en), '65,50' (de), '6500' (yen); '' for none."""
    if cents is None:
        return ""
    pattern = "0.00" if smallest_cents(currency) == 1 else "0"
    return babel.numbers.format_decimal(decimal.Decimal(cents) / 100, pattern, locale=_babel(locale))


def amount(value: str, currency: str, locale: str) -> decimal.Decimal:
    """An amount as someone of the locale types it: '65', '65.00', '$65' (en-US), '65,50 €' (de-DE).

    Raises ValueError for anything else.
    """
    symbol = babel.numbers.get_currency_symbol(currency, locale=_babel(locale))
    bare = value.strip().replace(symbol, "").replace(currency, "").strip()
    if not bare or not re.fullmatch(r"[\d\s.,'\u00a0\u202f]+", bare):
        raise ValueError(value)
    try:
        return babel.numbers.parse_decimal(bare, locale=_babel(locale), strict=True)
    except babel.numbers.NumberFormatError:
        raise ValueError(value) from None


# --- a time as wall_clock wrote it, read back -----------------------------------------------------------------------

# The years tried for a day read back without its year: the first whose date falls on the weekday written (28
# years: every date on every weekday). The weekday, day, month and clock written again are the same in each.
_YEARS = range(2024, 2052)


@dataclass(frozen=True)
class Retold:
    """Tells a time ``wall_clock`` wrote the ``written`` locale's way (a salon's, in a stored reason) again the
    ``reader``'s way; hashable, so a cache of what was read can hold it (booking.reasons)."""

    written: str
    reader: str

    def __call__(self, text: str) -> str:
        return retold(text, self.written, self.reader)


def retold(text: str, written: str, reader: str) -> str:
    """``text`` as ``wall_clock`` wrote it in ``written`` (short or ``long``, without seconds or a year), written
    again in ``reader``; as it is when it does not read as one (another format, a salon that changed its locale)."""
    if written == reader:
        return text
    day_text, comma, rest = text.rpartition(", ")
    clock_text, space, zone = rest.rpartition(" ")
    if not comma or not space:
        return text
    clock = _reader(written, "clock").fullmatch(clock_text)
    if clock is None:
        return text
    for form in ("short", "long"):
        if (day := _reader(written, form).fullmatch(day_text)) and (moment := _moment(day, clock, written)):
            where = _babel(reader)
            if form == "long":
                said = babel.dates.format_date(moment, _day_pattern(reader), locale=where)
            else:
                said = _pattern(reader, "MMMEd").apply(moment, where)
            return _plain_spaces(f"{said}, {_pattern(reader, 'short').apply(moment, where)} {zone}")
    return text


def _moment(day: re.Match[str], clock: re.Match[str], locale: str) -> dt.datetime | None:
    where = _babel(locale)
    weekday = _index(day["weekday"], [where.days["format"][width] for width in ("abbreviated", "wide")])
    month = _index(day["month"], [where.months["format"][width] for width in ("abbreviated", "wide")])
    hour = int(clock["hour"])
    if (period := clock.groupdict().get("period")) is not None:
        pm = _plain_spaces(where.day_periods["format"]["abbreviated"]["pm"]).casefold() == period.casefold()
        hour = hour % 12 + (12 if pm else 0)
    if weekday is None or month is None or hour > 23:
        return None
    for year in _YEARS:
        try:
            date = dt.date(year, month, int(day["day"]))
        except ValueError:  # 29 February in a year that has none (the years hold one on every weekday)
            continue
        if date.weekday() == weekday:
            return dt.datetime.combine(date, dt.time(hour, int(clock["minute"])))
    return None


def _index(name: str, tables: list[dict[int, str]]) -> int | None:
    for table in tables:
        for index, said in table.items():
            if _plain_spaces(said).casefold() == name.casefold():
                return index
    return None


@cache
def _reader(locale: str, form: str) -> re.Pattern[str]:
    """A pattern that reads ``wall_clock``'s day (``form`` short or long) or clock (``form`` clock) back."""
    where = _babel(locale)
    if form == "clock":
        shape = _pattern(locale, "short").format
    elif form == "long":
        shape = babel.dates.parse_pattern(_day_pattern(locale)).format
    else:
        shape = _pattern(locale, "MMMEd").format
    # Babel annotates DateTimePattern.format as a DateTimeFormat; it holds the pattern as a %-format string.
    parts = re.split(r"%\((\w+)\)s", cast(str, shape))
    return re.compile(
        "".join(
            re.escape(_plain_spaces(part.replace("%%", "%"))) if at % 2 == 0 else _field(part, where)
            for at, part in enumerate(parts)
        ),
        re.IGNORECASE,
    )


def _names(*tables: dict[int, str] | dict[str, str]) -> str:
    said = {_plain_spaces(name) for table in tables for name in table.values()}
    return "|".join(re.escape(name) for name in sorted(said, key=len, reverse=True))


def _field(symbol: str, where: babel.Locale) -> str:
    """A date pattern's field as a regular expression; one a wall_clock does not write matches nothing."""
    width = "wide" if len(symbol) == 4 else "abbreviated"  # "EEEE", "MMMM": the long day's
    if symbol[0] in "Ec":
        return f"(?P<weekday>{_names(where.days['format'][width])})"
    if symbol[0] in "ML" and len(symbol) >= 3:
        return f"(?P<month>{_names(where.months['format'][width])})"
    if symbol[0] == "d":
        return r"(?P<day>\d{1,2})"
    if symbol[0] in "Hh":
        return r"(?P<hour>\d{1,2})"
    if symbol == "mm":
        return r"(?P<minute>\d{2})"
    if symbol[0] in "ab":
        return f"(?P<period>{_names(where.day_periods['format']['abbreviated'])})"
    return r"(?!)"
