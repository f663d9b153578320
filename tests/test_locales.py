"""Each salon's own ways: times, money and language as its country writes them; the catalogues complete."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import email.policy
import re
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from booking import locales
from tests.conftest import ROOT
from tests.worker_fixtures import claimed_job, delivery_for
from worker.messages import render_email, render_sms

WINTER = dt.datetime(2026, 12, 1, 19, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("locale", "zone", "long", "short"),
    [
        ("en-US", "America/New_York", "Tuesday, December 1, 2:00 PM EST", "Tue, Dec 1, 2:00 PM EST"),
        ("en-GB", "Europe/London", "Tuesday, 1 December, 19:00 GMT", "Tue 1 Dec, 19:00 GMT"),
        ("de-DE", "Europe/Berlin", "Dienstag, 1. Dezember, 20:00 CET", "Di., 1. Dez., 20:00 CET"),
        ("es-ES", "Europe/Madrid", "martes, 1 de diciembre, 20:00 CET", "mar, 1 dic, 20:00 CET"),
    ],
)
def test_a_moment_is_written_the_locales_way_with_its_zone_abbreviated(locale, zone, long, short) -> None:
    assert locales.wall_clock(WINTER, ZoneInfo(zone), locale, long=True) == long
    assert locales.wall_clock(WINTER, ZoneInfo(zone), locale) == short


@pytest.mark.parametrize(
    ("country", "locale", "currency"),
    [("US", "en-US", "USD"), ("GB", "en-GB", "GBP"), ("DE", "de-DE", "EUR"), ("AT", "de-AT", "EUR"),
     ("FR", "en-FR", "EUR"), ("JP", "en", "JPY")],
)  # fmt: skip
def test_a_country_brings_its_language_if_spoken_and_its_money(country, locale, currency) -> None:
    assert (locales.default_locale(country), locales.default_currency(country)) == (locale, currency)


def test_money_is_written_the_locales_way() -> None:
    assert locales.money(6500, "USD", "en-US") == "$65.00"
    assert locales.money(6550, "EUR", "de-DE") == "65,50\xa0€"
    assert locales.plain_amount(6550, "EUR", "de-DE") == "65,50"


def test_a_currency_without_cents_is_written_in_whole_units() -> None:
    assert [locales.smallest_cents(currency) for currency in ("USD", "EUR", "BHD", "JPY", "KRW", "ISK")] == [
        1, 1, 1, 100, 100, 100,
    ]  # fmt: skip
    assert locales.money(650000, "JPY", "en") == "¥6,500"
    assert locales.plain_amount(650000, "JPY", "en") == "6500"


def _german_salon_delivery(kind: str):
    job = claimed_job(kind, now=dt.datetime(2030, 5, 6, 9, 0, tzinfo=dt.UTC))
    return dataclasses.replace(delivery_for(job), salon_locale="de-DE", salon_timezone="Europe/Berlin")


def test_a_german_salons_client_reads_german() -> None:
    message = email.message_from_bytes(
        render_email(_german_salon_delivery("booking_confirmation"), "Salon <s@example.com>"),
        policy=email.policy.default,
    )
    assert message["Subject"] == "Ihr Termin bei Hair by Ann ist bestätigt"
    text = message.get_body(("plain",)).get_content()
    assert "Ihr Termin bei Hair by Ann ist bestätigt." in text and "Wann:  Dienstag, 7. Mai, 11:00 CEST" in text
    html = message.get_body(("html",)).get_content()
    assert '<html lang="de">' in html and "Hallo Ann," in html
    sms = render_sms(_german_salon_delivery("reminder_24h"))
    assert sms == (
        "Hair by Ann: bis morgen, Di., 7. Mai, 11:00 CEST, zu Ihrem Termin (Cut & colour). "
        "Antworten Sie JA zur Bestätigung."
    ), "and the word that confirms, in German"


def test_a_spanish_salons_client_reads_spanish() -> None:
    job = claimed_job("booking_confirmation", now=dt.datetime(2030, 5, 6, 9, 0, tzinfo=dt.UTC))
    delivery = dataclasses.replace(delivery_for(job), salon_locale="es-ES", salon_timezone="Europe/Madrid")
    message = email.message_from_bytes(render_email(delivery, "Salon <s@example.com>"), policy=email.policy.default)
    assert message["Subject"] == "Su cita en Hair by Ann está confirmada"
    text = message.get_body(("plain",)).get_content()
    assert "Su cita en Hair by Ann está confirmada." in text and "martes, 7 de mayo, 11:00 CEST" in text
    assert '<html lang="es">' in message.get_body(("html",)).get_content()
    reminder = claimed_job("reminder_24h", now=dt.datetime(2030, 5, 6, 9, 0, tzinfo=dt.UTC))
    sms = render_sms(
        dataclasses.replace(delivery_for(reminder), salon_locale="es-MX", salon_timezone="America/Mexico_City")
    )
    assert sms.startswith("Hair by Ann: le esperamos mañana, ") and sms.endswith("Responda SÍ para confirmar."), sms


@pytest.mark.unit
def test_spanish_is_offered_as_spain_mexico_and_the_united_states_write_it() -> None:
    offered = dict(locales.locale_choices())
    assert {"es-ES", "es-MX", "es-US"} <= offered.keys() and offered["es-MX"].startswith("español")
    assert (locales.default_locale("ES"), locales.default_locale("MX")) == ("es-ES", "es-MX")
    assert locales.check_locale("es_us") == "es-US"


PLACEHOLDERS = re.compile(r"%\(\w+\)s|%\(\w+\)d|\{\w+\}")


def catalogue_problems(wanted: set[str | tuple[str, ...]], catalogue: Catalog) -> list[str]:
    """What is wrong with a language's catalogue: an entry missing, empty or fuzzy, or a translation that names
    other values than its original (``%(name)s`` / ``{name}``)."""
    problems = []
    for msgid in sorted(wanted, key=str):  # a plural's id is (singular, plural)
        found = catalogue.get(msgid)
        if found is None or found.fuzzy:
            problems.append(f"not translated{' (fuzzy)' if found is not None else ''}: {msgid!r}")
            continue
        written = found.string if isinstance(found.string, tuple) else (found.string,)
        if not all(written):
            problems.append(f"not translated: {msgid!r}")
            continue
        names = {
            name for text in (msgid if isinstance(msgid, tuple) else (msgid,)) for name in PLACEHOLDERS.findall(text)
        }
        if names != {name for text in written for name in PLACEHOLDERS.findall(text)}:
            problems.append(f"the translation of {msgid!r} names other values")
    return problems


@pytest.mark.unit
def test_a_catalogue_missing_fuzzy_or_naming_other_values_is_found_out() -> None:
    catalogue = Catalog(locale="es")
    catalogue.add("Hello %(name)s,", "Hola, %(nombre)s:")
    catalogue.add("Book", "Reservar", flags=("fuzzy",))
    catalogue.add("{salon}: see you", "{salon}: hasta luego")
    catalogue.add(("%(num)d minute", "%(num)d minutes"), ("%(num)d minuto", ""))
    wanted = {"Hello %(name)s,", "Book", "{salon}: see you", "Log out", ("%(num)d minute", "%(num)d minutes")}
    assert catalogue_problems(wanted, catalogue) == [
        "not translated: ('%(num)d minute', '%(num)d minutes')",
        "not translated (fuzzy): 'Book'",
        "the translation of 'Hello %(name)s,' names other values",
        "not translated: 'Log out'",
    ]


def test_every_message_a_client_or_the_desk_reads_is_translated_in_every_language(tmp_path: Path) -> None:
    template = tmp_path / "messages.pot"
    calls = re.search(r"^TRANSLATED_CALLS := (.+)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert calls is not None, "the Makefile names the calls whose words are messages"
    keywords = [option for call in calls.group(1).split() for option in ("-k", call)]
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", *keywords,
         "--no-location", "--omit-header", "-o", str(template), "."],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    with template.open("rb") as source:
        wanted = {message.id for message in read_po(source) if message.id}
    assert len(wanted) > 300, "the extraction found the templates and the code, the desk's and the clients'"
    assert {"Log out", "Your appointment at {salon} is confirmed", "{field} is required"} <= wanted
    assert locales.SPOKEN == ("en", "de", "es")
    for language in locales.SPOKEN[1:]:
        with (locales.CATALOGUES / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
            catalogue = read_po(po, locale=language)
        assert catalogue_problems(wanted, catalogue) == [], language
