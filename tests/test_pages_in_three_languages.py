"""The front desk in its reader's language: a German and a Spanish salon work their pages without meeting an English
word, a user's own language beats the salon's, and before login the browser's Accept-Language decides."""

from __future__ import annotations

import datetime as dt

import pytest

from booking import appointments, code_sends, fields, locales, online, own_words, reasons, self_service, staff
from booking.errors import BookingError, Conflict, Invalid, NotFound, TooLate, TooMany
from booking.models import StaffDetails, WorkingHours
from db import Database
from tests.desk import book_at, set_up_desk
from tests.desk_words import desk_pages, english_on
from tests.page_fixtures import add_receptionist, add_stylist


async def _walk(logged_in, db: Database, locale: str, country: str, timezone: str) -> dict[str, list[str]]:
    """Every page of the walk, as the salon's owner: the English each still shows."""
    session, made = await logged_in(name="Peluquería Sol", country=country, timezone=timezone, locale=locale)
    found = {}
    for path in await desk_pages(db, made.salon):
        page = await session.get(path)
        assert page.code in (200, 404), f"{path}: {page.code}"
        found[path] = english_on(page.body.decode())
    return found


@pytest.mark.parametrize(
    ("locale", "country", "timezone", "heading"),
    [("de-DE", "DE", "Europe/Berlin", "Kundschaft"), ("es-ES", "ES", "Europe/Madrid", "Clientes")],
)
async def test_a_german_and_a_spanish_salon_meet_no_english_on_their_pages(
    logged_in, db: Database, locale: str, country: str, timezone: str, heading: str
) -> None:
    found = await _walk(logged_in, db, locale, country, timezone)
    assert {path: words for path, words in found.items() if words} == {}, "English words still on these pages"
    session, _ = await logged_in(country=country, timezone=timezone, locale=locale)
    assert f"<h1>{heading}</h1>" in (await session.get("/clients")).body.decode(), "and the words are theirs"


def test_the_walk_notices_english() -> None:
    """The check itself: an English page fails it, scripts and code do not."""
    assert english_on("<p>Log out of the day</p>") == ["Log out", "day", "of", "the"]
    attribute = english_on('<input placeholder="Search the clients"><p>Hola</p>')
    assert attribute == ["Search", "clients", "the"], "what attributes say too"
    assert english_on("<script>var the = 1;</script><code>of</code><p>Nada</p>") == []


async def test_a_users_own_language_beats_the_salons(logged_in, db: Database) -> None:
    session, made = await logged_in(country="DE", timezone="Europe/Berlin", locale="de-DE")
    assert "Abmelden" in (await session.get("/account")).body.decode(), "the salon's German first"
    chosen = await session.post("/account/language", {"locale": "es-MX"})
    assert chosen.code == 303
    account = (await session.get("/account?saved=language")).body.decode()
    assert "Cerrar sesión" in account and "Abmelden" not in account and '<html lang="es">' in account
    assert '<option value="es-MX" selected>' in account, "the choice shown as made"
    assert "Clientes" in (await session.get("/clients")).body.decode(), "every page, not only the account"
    others = await db.fetch_all("SELECT locale FROM users WHERE salon_id = %s", (made.salon.id,))
    assert [row["locale"] for row in others] == ["es-MX"]
    back = await session.post("/account/language", {"locale": ""})
    assert back.code == 303 and "Abmelden" in (await session.get("/account")).body.decode(), "the salon's again"


async def test_a_language_not_spoken_is_refused_beside_the_field(logged_in, db: Database) -> None:
    session, made = await logged_in()
    refused = await session.post("/account/language", {"locale": "fr-FR"})
    assert refused.code == 400 and 'id="locale-error"' in refused.body.decode()
    row = await db.fetch_one("SELECT locale FROM users WHERE id = %s", (made.owner.id,))
    assert row is not None and row["locale"] is None


async def test_a_user_changes_only_their_own_language_never_another_salons(logged_in, db: Database) -> None:
    _, other = await logged_in()
    session, made = await logged_in()
    await session.post("/account/language", {"locale": "de-AT"})
    rows = await db.fetch_all(
        "SELECT salon_id, locale FROM users WHERE salon_id IN (%s, %s)", (made.salon.id, other.salon.id)
    )
    assert {(row["salon_id"], row["locale"]) for row in rows} == {(made.salon.id, "de-AT"), (other.salon.id, None)}


@pytest.mark.parametrize(
    ("accepted", "button"),
    [
        ("de-AT,de;q=0.9,en;q=0.5", "Anmelden"),
        ("fr-FR, es;q=0.8", "Iniciar sesión"),
        ("fr-FR", "Log in"),
        ("", "Log in"),
    ],
)
async def test_accept_language_picks_the_login_pages_language(pages, make_salon, accepted: str, button: str) -> None:
    await make_salon()  # a salon exists: /login is the login page, not setup
    page = await pages({"Accept-Language": accepted} if accepted else {}).get("/login")
    assert page.code == 200 and f'<button type="submit" class="primary">{button}</button>' in page.body.decode()


@pytest.mark.unit
@pytest.mark.parametrize(
    ("header", "locale"),
    [("de-AT,de;q=0.9", "de"), ("en-US,es;q=0.9", "en-GB"), ("es;q=0.1, de;q=0.2", "de"), ("fr", "en-GB"),
     ("de;q=0, es", "es"), ("q=;;,", "en-GB")],
)  # fmt: skip
def test_the_browsers_language_is_the_one_it_prefers_most_among_those_spoken(header: str, locale: str) -> None:
    assert locales.accepted_locale(header) == locale


async def test_a_users_own_locale_writes_the_calendars_times_too(logged_in, db: Database) -> None:
    """An American receptionist in a Berlin salon: English words and 12-hour times, in the salon's own zone."""
    session, made = await logged_in(country="DE", timezone="Europe/Berlin", locale="de-DE")
    week = tuple(WorkingHours(day, dt.time(9), dt.time(17)) for day in range(7))
    member = await staff.create_staff(db, made.salon.id, StaffDetails("Bea", "Moreno", working_hours=week))
    path = f"/?view=week&staff={member.id}&date=2030-06-04"
    german = (await session.get(path)).body.decode()
    assert "09:00" in german and "9:00 AM" not in german and "Dienstag, 4. Juni" in german
    await session.post("/account/language", {"locale": "en-US"})
    american = (await session.get(path)).body.decode()
    assert "9:00 AM" in american and "Tuesday, June 4" in american and "Week after" in american
    assert "Europe/Berlin" in american, "the salon's clock still"


async def test_a_form_error_is_in_the_readers_language_beside_the_field(logged_in) -> None:
    session, _ = await logged_in(country="ES", timezone="Europe/Madrid", locale="es-ES")
    refused = await session.post("/account", {"currentPassword": "wrong", "newPassword": "a new long secret",
                                              "newPasswordAgain": "a new long secret"})  # fmt: skip
    page = refused.body.decode()
    assert (
        refused.code == 400
        and '<span class="field-error" id="currentPassword-error">currentPassword no es correcto' in page
    )
    assert "Corrige el campo marcado abajo." in page
    missing = await session.post("/tokens", {"name": ""})
    assert missing.code == 400 and "name es obligatorio" in missing.body.decode()


async def test_an_error_page_before_login_speaks_the_browsers_language(pages, make_salon) -> None:
    await make_salon()
    german = pages({"Accept-Language": "de-DE,de;q=0.9"})
    refused = await german.post("/clients/new", {"firstName": "Ann"})  # logged in nobody
    page = refused.body.decode()
    assert refused.code == 403 and "<h1>Nicht erlaubt</h1>" in page and "Melden Sie sich zuerst an." in page
    assert english_on(page) == [], "no English on it"
    lost = await german.get("/nowhere")
    assert lost.code == 404 and "<h1>Nicht gefunden</h1>" in lost.body.decode() and english_on(lost.body.decode()) == []


async def test_a_stylist_and_a_receptionist_of_a_spanish_salon_meet_no_english(logged_in, pages, db: Database) -> None:
    _, made = await logged_in(name="Peluquería Sol", country="MX", timezone="America/Mexico_City", locale="es-MX")
    week = tuple(WorkingHours(day, dt.time(9), dt.time(17)) for day in range(7))
    member = await staff.create_staff(db, made.salon.id, StaffDetails("Bea", "Moreno", working_hours=week))
    desk_of = await set_up_desk(db, made.salon)
    theirs = await book_at(db, made.salon, desk_of, dt.time(10), member)
    stylist, desk = pages(), pages()
    await stylist.login(await add_stylist(db, made.salon.id, member.id))
    await desk.login(await add_receptionist(db, made.salon.id))
    walk = [(stylist, "/"), (stylist, f"/?date={desk_of.day}"), (stylist, f"/appointments/{theirs.id}"),
            (stylist, "/account"), (desk, "/clients"), (desk, f"/?date={desk_of.day}"),
            (desk, f"/appointments/{theirs.id}"), (desk, "/jobs"), (desk, "/services"), (desk, "/staff"),
            (desk, "/account")]  # fmt: skip
    for session, path in walk:
        page = await session.get(path)
        assert page.code == 200 and english_on(page.body.decode()) == [], path
    assert "Mi semana" in (await stylist.get("/")).body.decode(), "the stylist's own menu"


@pytest.mark.unit
def test_countries_and_time_zones_cities_are_named_in_the_readers_language() -> None:
    assert ("Europe/Berlin", "Berlín") in dict(locales.timezone_choices("es-ES"))["Europe"]
    assert ("Europe/Vienna", "Wien") in dict(locales.timezone_choices("de-DE"))["Europe"]
    assert ("DE", "Alemania") in locales.country_choices("es-ES") and ("DE", "Germany") in locales.country_choices()


async def test_the_move_forms_warning_outside_working_hours_is_in_the_readers_language(logged_in, db) -> None:
    session, made = await logged_in(country="DE", timezone="Europe/Berlin", locale="de-DE")
    desk = await set_up_desk(db, made.salon)
    booked = await book_at(db, made.salon, desk, dt.time(10))
    warned = await session.post(f"/appointments/{booked.id}/reschedule", {"startTime": f"{desk.day}T19:30"})
    weekday = locales.weekday_names("de-DE")[desk.day.weekday()]
    assert (
        warned.code == 200
        and (
            f"19:30\u201320:15 liegt außerhalb der Arbeitszeiten von Bea Cutter ({weekday}: 09:00\u201317:00). "
            "Trotzdem verschieben?"
        )
        in warned.body.decode()
    )
    assert english_on(warned.body.decode()) == []


@pytest.mark.unit
@pytest.mark.parametrize(
    ("size", "locale", "written"),
    [(1_234_567, "de-DE", "1,2 MB"), (1_234_567, "en-GB", "1.2 MB"), (18_000, "es-ES", "18 kB")],
)
def test_a_backups_size_is_written_the_readers_way(size: int, locale: str, written: str) -> None:
    assert locales.file_size(size, locale) == written


async def test_a_services_form_error_in_a_members_row_is_in_the_readers_language(logged_in, db) -> None:
    session, made = await logged_in(country="ES", timezone="Europe/Madrid", locale="es-ES")
    desk = await set_up_desk(db, made.salon)
    member = desk.staff.id
    form = {"name": "Color", "durationMinutes": "60", "priceCents": "", "bufferMinutes": "0",
            "performedBy": "chosen", f"staff.{member}.performs": "on", f"staff.{member}.durationMinutes": "mucho",
            f"staff.{member}.priceCents": ""}  # fmt: skip
    refused = await session.post("/services/new", form)
    page = refused.body.decode()
    assert refused.code == 400 and "el valor debe ser un número entero" in page, "the row's error, said of it"
    assert english_on(page) == []


async def test_why_a_notification_was_not_sent_is_in_the_readers_language(logged_in, db) -> None:
    """The reasons stored in English (the API's words) are shown translated where a catalogue knows them."""
    session, made = await logged_in(country="DE", timezone="Europe/Berlin", locale="de-DE")
    desk = await set_up_desk(db, made.salon)
    booked = await book_at(db, made.salon, desk, dt.time(10))
    await appointments.cancel(db, made.salon, booked.id)
    job = await db.fetch_one(
        "SELECT id, error FROM notification_jobs WHERE appointment_id = %s AND status = 'cancelled' LIMIT 1",
        (booked.id,),
    )
    assert job is not None and job["error"] == "appointment was cancelled by the salon", "stored as it was"
    for path in ("/jobs", f"/jobs/{job['id']}", f"/appointments/{booked.id}"):
        page = (await session.get(path)).body.decode()
        assert "Termin wurde vom Salon storniert" in page and english_on(page) == [], path


# What a German and a Spanish desk read where English used to come through: a status, choices, a provider's words
# (an error page writes its message with a capital).
SAID = {
    "de": {
        "still waiting": "Diese Benachrichtigung kann nicht erneut gesendet werden: sie wartet noch auf den Versand",
        "cancelled twice": "Eine stornierte Benachrichtigung kann nicht storniert werden",
        "choices": "muss einer dieser Werte sein: pending, processing, completed, failed, cancelled",
        "email": "ist keine gültige E-Mail-Adresse: nach dem @-Zeichen muss etwas stehen",
        "phone": "ist keine Telefonnummer: sie hat zu wenige Ziffern",
        "abroad": "der Salon schreibt SMS nur an Mobilnummern in DE; +37477123456 ist eine Nummer aus AM",
    },
    "es": {
        "still waiting": "Esta notificación no se puede volver a enviar: todavía está esperando para salir",
        "cancelled twice": "Una notificación cancelada no se puede cancelar",
        "choices": "debe ser uno de estos valores: pending, processing, completed, failed, cancelled",
        "email": "no es una dirección de correo válida: falta algo después de la arroba (@)",
        "phone": "no es un número de teléfono: tiene muy pocas cifras",
        "abroad": "el salón solo envía SMS a móviles de ES; +37477123456 es un número de AM",
    },
}
SALONS = [("de-DE", "DE", "Europe/Berlin"), ("es-ES", "ES", "Europe/Madrid")]


@pytest.mark.parametrize(("locale", "country", "timezone"), SALONS)
async def test_a_jobs_status_and_a_filters_choices_are_said_in_the_readers_language(
    logged_in, db: Database, locale: str, country: str, timezone: str
) -> None:
    session, made = await logged_in(country=country, timezone=timezone, locale=locale)
    said = SAID[locales.language(locale)]
    desk = await set_up_desk(db, made.salon)
    await book_at(db, made.salon, desk, dt.time(10))
    pending = await db.fetch_one(
        "SELECT id FROM notification_jobs WHERE salon_id = %s AND status = 'pending' ORDER BY run_at LIMIT 1",
        (made.salon.id,),
    )
    assert pending is not None
    refused = await session.post(f"/jobs/{pending['id']}/retry", {})
    assert refused.code == 409 and said["still waiting"] in refused.body.decode(), "a status, as a whole sentence"
    assert english_on(refused.body.decode()) == []
    await session.post(f"/jobs/{pending['id']}/cancel", {})
    again = await session.post(f"/jobs/{pending['id']}/cancel", {})
    assert again.code == 409 and said["cancelled twice"] in again.body.decode()
    assert english_on(again.body.decode()) == []
    filtered = await session.get("/jobs?status=lost")
    assert filtered.code == 400 and said["choices"] in filtered.body.decode(), "the choices as the codes they are"
    assert english_on(filtered.body.decode()) == []


@pytest.mark.parametrize(("locale", "country", "timezone"), SALONS)
async def test_what_the_email_and_phone_checkers_say_is_in_the_readers_language(
    logged_in, locale: str, country: str, timezone: str
) -> None:
    session, _ = await logged_in(country=country, timezone=timezone, locale=locale)
    said = SAID[locales.language(locale)]
    typed = {"firstName": "Dora", "lastName": "Díaz", "email": "dora@", "phone": "", "optedInReminders": "on"}
    for bad, words in ({"email": "dora@"}, said["email"]), ({"email": "", "phone": "+34 12"}, said["phone"]):
        refused = await session.post("/clients/new", typed | bad)
        page = refused.body.decode()
        assert refused.code == 400 and words in page, "not email-validator's or phonenumbers' English"
        assert english_on(page) == []
    abroad = await session.post("/clients/new", typed | {"email": "", "phone": "+374 77 123456"})
    page = abroad.body.decode()
    assert abroad.code == 400 and said["abroad"] in page, "why the salon does not text it, in their words"
    assert english_on(page) == []


@pytest.mark.unit
@pytest.mark.parametrize(
    ("typed", "words"),
    [("dora", "it needs an @ sign"), ("@example.com", "something must come before the @ sign"),
     ("dora@localhost", "after the @ sign comes a domain like example.com"), ("a..b@example.com", "its dots"),
     ("a b@example.com", "it holds characters an address cannot have"), ("a@" + "b" * 300 + ".com", "too long")],
)  # fmt: skip
def test_each_kind_of_bad_email_address_gets_our_own_sentence(typed: str, words: str) -> None:
    with pytest.raises(Invalid) as refused:
        fields.email(typed, "email")
    assert words in refused.value.message and refused.value.words in _catalogued("de"), refused.value.message


def _catalogued(language: str) -> set[str]:
    return {message for message in locales.translations(language)._catalog if isinstance(message, str)}


@pytest.mark.parametrize(("locale", "country", "timezone"), SALONS)
async def test_a_stored_reason_with_a_value_is_read_in_the_readers_language(
    logged_in, db: Database, locale: str, country: str, timezone: str
) -> None:
    """ "appointment moved to ..." is stored in English (the API's words); the desk reads it in its language, rows
    written before included (the same English), and words no message of ours wrote as they are."""
    session, made = await logged_in(country=country, timezone=timezone, locale=locale)
    moved_to = {"de": "Termin verschoben auf ", "es": "la cita se movió a "}[locales.language(locale)]
    opted_out = {"de": "+4915112345678 hat SMS abbestellt: schrieb STOP",
                 "es": "+4915112345678 se dio de baja de los SMS: escribió STOP"}[locales.language(locale)]  # fmt: skip
    desk = await set_up_desk(db, made.salon)
    booked = await book_at(db, made.salon, desk, dt.time(10))
    moved = await session.post(f"/appointments/{booked.id}/reschedule", {"startTime": f"{desk.day}T11:00"})
    assert moved.code == 303
    rows = await db.fetch_all(
        "SELECT id, error FROM notification_jobs WHERE appointment_id = %s AND status = 'cancelled' ORDER BY run_at",
        (booked.id,),
    )
    assert rows and all(row["error"].startswith("appointment moved to ") for row in rows), "stored as ever"
    when = rows[0]["error"].removeprefix("appointment moved to ")
    older, unknown = rows[0]["id"], rows[-1]["id"]
    await db.execute(  # a row from before, and one whose words no message of ours wrote
        "UPDATE notification_jobs SET error = CASE id WHEN %s THEN %s ELSE %s END WHERE id IN (%s, %s)",
        (older, "+4915112345678 opted out of texts: texted STOP", "Fehler 550 vom Server", older, unknown),
    )
    for path in ("/jobs", f"/appointments/{booked.id}", f"/jobs/{older}"):
        page = (await session.get(path)).body.decode()
        assert opted_out in page and english_on(page) == [], path
    page = (await session.get("/jobs")).body.decode()
    assert f"{moved_to}{when}" in page and "Fehler 550 vom Server" in page, "the value as stored, the rest as it is"


@pytest.mark.unit
def test_every_refusal_a_client_can_meet_is_a_whole_sentence_in_german_and_spanish() -> None:
    """The cut-off, the limits on codes and bookings, a waiting list's offer: each refusal one catalogued sentence,
    its values (a number) filled in, so neither a client's page nor the desk shows an English word."""
    refusals: list[BookingError] = [
        *(TooLate(message, hours="24") for message in appointments.CUT_OFF_HOURS.values()),
        *(TooLate(message, minutes="90") for message in appointments.CUT_OFF_MINUTES.values()),
        TooMany(code_sends.RECIPIENT_HOUR_FULL, 60, most="3"), TooMany(code_sends.SALON_DAY_FULL, 60),
        TooMany(online.ADDRESS_HOUR_FULL, 60), TooMany(online.ADDRESS_HOLDS_FULL, 60, most="2"),
        *(Conflict(message) for message in self_service.NO_LONGER_WAITING.values()),
    ]  # fmt: skip
    for language in ("de", "es"):
        words = locales.translations(language)
        for refusal in refusals:
            read = refusal.describe(str, words.gettext)
            assert read != refusal.message and "{" not in read, (language, read)
            assert english_on(f"<p>{read}</p>") == [], (language, read)
    assert "(3)" in refusals[4].describe(str, locales.translations("de").gettext), "the number in its place"


@pytest.mark.unit
@pytest.mark.parametrize(
    ("notice", "language", "english", "german"),
    [("nosuch", "de", "no notice 'nosuch' a salon words; they are ",
      "keine Nachricht 'nosuch', die ein Salon selbst formuliert; es gibt "),
     ("reminder_24h", "fr", "no language 'fr' the product speaks; they are en, de, es",
      "keine Sprache 'fr', die das Produkt spricht; es gibt en, de, es")],
)  # fmt: skip
def test_a_notice_or_language_not_found_is_one_sentence_with_its_values_named(
    notice: str, language: str, english: str, german: str
) -> None:
    with pytest.raises(NotFound) as refused:
        own_words.check_notice(notice, language)
    assert refused.value.message.startswith(english), refused.value.message
    assert refused.value.describe(str, locales.translations("de").gettext).startswith(german)


async def test_a_time_in_a_stored_reason_is_told_the_readers_way(logged_in, db: Database) -> None:
    """A German salon's "moved to Mi., 4. Dez., 14:30 CET" read by a user who reads Mexican Spanish: the time as
    they write it; a time that does not read back as one stays as stored."""
    session, made = await logged_in(country="DE", timezone="Europe/Berlin", locale="de-DE")
    desk = await set_up_desk(db, made.salon)
    booked = await book_at(db, made.salon, desk, dt.time(10))
    moved = await session.post(f"/appointments/{booked.id}/reschedule", {"startTime": f"{desk.day}T14:30"})
    assert moved.code == 303
    row = await db.fetch_row(
        "SELECT error FROM notification_jobs WHERE appointment_id = %s AND status = 'cancelled' LIMIT 1", (booked.id,)
    )
    start = dt.datetime.combine(desk.day, dt.time(14, 30), made.salon.zone)
    assert row["error"] == f"appointment moved to {locales.wall_clock(start, made.salon.zone, 'de-DE')}"
    assert (await session.post("/account/language", {"locale": "es-MX"})).code == 303
    page = (await session.get("/jobs")).body.decode()
    mexican = locales.wall_clock(start, made.salon.zone, "es-MX")
    assert "p.m." in mexican and f"la cita se movió a {mexican}" in page, mexican


@pytest.mark.unit
@pytest.mark.parametrize(
    ("written", "reader", "stored", "told"),
    [("de-DE", "en-US", "Mi., 4. Dez., 14:30 CET", "Wed, Dec 4, 2:30 PM CET"),
     ("de-DE", "es-ES", "Mittwoch, 4. Dezember, 09:05 CET", "miércoles, 4 de diciembre, 9:05 CET"),
     ("en-US", "de-DE", "Tue, Feb 29, 12:15 AM EST", "Di., 29. Feb., 00:15 EST"),
     ("es-MX", "en-GB", "mié 4 de dic, 2:30 p.m. CST", "Wed 4 Dec, 14:30 CST"),
     ("de-DE", "en-GB", "Fehler 550 vom Server", "Fehler 550 vom Server"),
     ("de-DE", "en-GB", "Mo., 31. Feb., 10:00 CET", "Mo., 31. Feb., 10:00 CET"),
     ("de-DE", "de-DE", "Mi., 4. Dez., 14:30 CET", "Mi., 4. Dez., 14:30 CET")],
)  # fmt: skip
def test_a_time_as_the_salon_wrote_it_is_told_again_the_readers_way(
    written: str, reader: str, stored: str, told: str
) -> None:
    assert locales.retold(stored, written, reader) == told
    moved = reasons.said(reasons.MOVED, when=stored)
    assert (
        reasons.read(moved, locales.translations("en"), locales.Retold(written, reader))
        == f"appointment moved to {told}"
    )


@pytest.mark.unit
def test_every_reason_with_values_reads_back_in_german_and_spanish() -> None:
    values = {"when": "Mi., 3. Dez., 10:00 MEZ", "minutes": "30", "phone": "+4915112345678", "words": "STOP",
              "reason": reasons.PROVIDER_UNSUBSCRIBED, "worker": "w-1", "attempt": "2", "seconds": "300 s"}  # fmt: skip
    values |= {"why": "421", "said": "550 5.1.1", "phone": "+4915112345678", "recipient": "ann@example.com",
               "sender": "desk@example.com", "seconds": "10"}  # fmt: skip
    for language in ("de", "es"):
        words = locales.translations(language)
        for message in reasons.WITH_VALUES:
            stored = reasons.said(message, **values)
            read = reasons.read(stored, words)
            assert read != stored and english_on(f"<p>{read}</p>") == [], (language, read)
            assert reasons.read(stored, locales.translations("en")) == stored, "English reads as stored"
        assert reasons.read("something a provider said", words) == "something a provider said"
    nested = reasons.read(reasons.said(reasons.OPTED_OUT, phone="+4915112345678", reason=reasons.PROVIDER_UNSUBSCRIBED),
                          locales.translations("de"))  # fmt: skip
    assert nested == "+4915112345678 hat SMS abbestellt: laut SMS-Anbieter abgemeldet (21610)", "the reason inside too"
    english = reasons.read("worker vanished stopped during attempt 1; no attempts left", locales.translations("en"))
    assert english == "worker vanished stopped during attempt 1; no attempts left", "as jobqueue.claims writes it"
    rescued = reasons.read("worker vanished stopped during attempt 1; no attempts left", locales.translations("es"))
    assert rescued == "el proceso vanished se detuvo durante el intento 1; no quedan intentos"


@pytest.mark.parametrize(
    ("locale", "country", "timezone", "headings", "own"),
    [("de-DE", "DE", "Europe/Berlin", ("Englisch", "Deutsch", "Spanisch"), "(Deutsch)"),
     ("es-ES", "ES", "Europe/Madrid", ("Inglés", "Alemán", "Español"), "(español)"),
     ("en-GB", "GB", "Europe/London", ("English", "German", "Spanish"), "(English)")],
)  # fmt: skip
async def test_the_messages_page_names_its_languages_in_the_readers_language(
    logged_in, locale: str, country: str, timezone: str, headings: tuple[str, ...], own: str
) -> None:
    session, _ = await logged_in(country=country, timezone=timezone, locale=locale)
    page = (await session.get("/settings/messages")).body.decode()
    assert "".join(f"<th>{name}</th>" for name in headings) in page, "names, not codes"
    assert own in page, "the clients' language in the sentence, as a sentence writes it"
    one = (await session.get("/settings/messages/reminder/de")).body.decode()
    assert f"<small>({headings[1]})</small>" in one


@pytest.mark.unit
@pytest.mark.parametrize(
    ("stored", "german"),
    [("email: the mail server refused ann@example.com: 550 5.1.1 mailbox unavailable (gave up after 3 attempts)",
      "E-Mail: der Mailserver hat ann@example.com abgelehnt: 550 5.1.1 mailbox unavailable "
      "(nach 3 Versuchen aufgegeben)"),
     ("sms: not sent: +449012345678 cannot take texts: it is a premium-rate number",
      "SMS: nicht gesendet: +449012345678 kann keine SMS empfangen: es ist eine Mehrwertnummer"),
     ("email: no answer from the outbox within 10 s; sms: client has no phone number",
      "E-Mail: keine Antwort vom Postausgang innerhalb von 10 s; SMS: keine Telefonnummer bei der Kundin oder dem "
      "Kunden"),
     ("sms: not sent: appointment is marked no show", "SMS: nicht gesendet: Termin ist als nicht erschienen markiert"),
     ("email: could not reach the mail server: its host name was not found",
      "E-Mail: Mailserver nicht erreichbar: sein Hostname wurde nicht gefunden"),
     ("email: 421 try later", "E-Mail: 421 try later")],
)  # fmt: skip
def test_why_a_channel_failed_is_read_part_by_part_the_providers_words_as_they_came(stored: str, german: str) -> None:
    """A job's error as worker.outcome writes it: each channel's part, our words translated, a server's kept."""
    assert reasons.read(stored, locales.translations("de")) == german
    assert reasons.read(stored, locales.translations("en")) == stored, "English reads as stored"
