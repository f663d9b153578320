"""The booking page (/book/{slug}) as a phone's browser without scripts walks it: link by link, then the code."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import secrets
import urllib.parse

import pytest

from booking import salons, services
from booking.models import OnlineBooking, Salon, ServiceDetails
from handlers.app import Salonbook, WebSettings
from tests.desk import Desk, set_up_desk
from tests.desk_words import english_on


@pytest.fixture
def app(db) -> Salonbook:
    return Salonbook(db=db, cookie_secret="test-cookie-secret", settings=WebSettings(xheaders=True))


async def open_salon(make_salon, db, **fields: str) -> tuple[Salon, Desk]:
    made = await make_salon(phone="+44 1225 123456", **fields)
    salon = await salons.update_salon(db, dataclasses.replace(made.salon, online_booking=OnlineBooking(enabled=True)))
    return salon, await set_up_desk(db, salon)


def links_in(body: bytes) -> list[str]:
    return [href.replace("&amp;", "&") for href in re.findall(r'href="(\?[^"]*)"', body.decode())]


def details_form(body: bytes, **typed: str) -> dict[str, str]:
    """The details form's hidden fields, with what the client types."""
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', body.decode()))
    hidden.pop("_xsrf", None)
    return hidden | {"firstName": "Dee", "lastName": "Online", "email": "dee@example.com", "phone": ""} | typed


async def walk_to_details(client, salon: Salon, desk: Desk) -> bytes:
    """Service, anyone, the first day's first time: the details form's page."""
    start = await client.get(f"/book/{salon.slug}")
    assert start.code == 200 and b"Cut" in start.body
    service_link = next(link for link in links_in(start.body) if str(desk.service.id) in link)
    staff_page = await client.get(f"/book/{salon.slug}{service_link}")
    assert b"staffId=any" in staff_page.body and b">Bea<" in staff_page.body and b"Cutter" not in staff_page.body
    anyone = next(link for link in links_in(staff_page.body) if "staffId=any" in link)
    times = await client.get(f"/book/{salon.slug}{anyone}&date={desk.day}")
    assert times.code == 200
    first_time = next(link for link in links_in(times.body) if "startTime=" in link)
    assert "T09%3A00" in first_time or "T09:00" in first_time
    details = await client.get(f"/book/{salon.slug}{first_time}")
    assert details.code == 200 and b'name="firstName"' in details.body
    return details.body


async def test_a_salon_that_does_not_book_online_has_no_page(make_salon, pages) -> None:
    made = await make_salon()
    assert (await pages().get(f"/book/{made.salon.slug}")).code == 404
    assert (await pages().get("/book/nobody")).code == 404


async def test_a_client_books_with_the_code_and_lands_on_their_appointment(make_salon, db, pages) -> None:
    salon, desk = await open_salon(make_salon, db)
    client = pages()
    details = await walk_to_details(client, salon, desk)
    assert await db.fetch_one("SELECT 1 FROM holds WHERE salon_id = %s", (salon.id,)) is None, "looking holds nothing"

    held = await client.post(f"/book/{salon.slug}", details_form(details))
    assert held.code == 303, held.body
    code_page = held.headers["Location"]
    assert code_page.startswith(f"/book/{salon.slug}/code/")
    page = await client.get(code_page)
    assert page.code == 200 and "6-digit code to d…@example.com" in page.body.decode(), "says where it went"
    job = await db.fetch_row(
        "SELECT payload FROM notification_jobs WHERE type = 'booking_code' AND salon_id = %s", (salon.id,)
    )
    code = job["payload"]["secret"]["code"]

    wrong = await client.post(code_page, {"code": "000000" if code != "000000" else "111111"})
    assert wrong.code == 400 and b"You can try 4 more times" in wrong.body
    booked = await client.post(code_page, {"code": code})
    assert booked.code == 303 and booked.headers["Location"].startswith("/m/")
    mine = (await client.get(booked.headers["Location"])).body.decode()
    assert "You are booked" in mine and "09:00" in mine
    assert "We have sent a confirmation to d…@example.com" in mine, "true, and says where"
    row = await db.fetch_row("SELECT id, source, status FROM appointments WHERE salon_id = %s AND client_id IS NOT NULL"
                             " AND source = 'online'", (salon.id,))  # fmt: skip
    assert (row["source"], row["status"]) == ("online", "booked")
    jobs = await db.fetch_all("SELECT type, channels FROM notification_jobs WHERE appointment_id = %s", (row["id"],))
    assert [(job["type"], job["channels"]) for job in jobs] == [("booking_confirmation", ["email"])], (
        "no box ticked: the confirmation to the email proved by the code, and no reminders"
    )
    assert (await client.get(code_page)).code == 409, "the code page of a booked hold says to start again"


async def test_a_filled_honeypot_holds_nothing(make_salon, db, pages) -> None:
    salon, desk = await open_salon(make_salon, db)
    client = pages()
    details = await walk_to_details(client, salon, desk)
    assert (await client.post(f"/book/{salon.slug}", details_form(details, website="http://spam.example"))).code == 400
    assert await db.fetch_one("SELECT 1 FROM holds WHERE salon_id = %s", (salon.id,)) is None


async def test_what_to_fix_is_said_beside_the_field_in_the_salons_language(make_salon, db, pages) -> None:
    salon, desk = await open_salon(make_salon, db, country="DE", timezone="Europe/Berlin")
    client = pages()
    details = await walk_to_details(client, salon, desk)
    refused = await client.post(f"/book/{salon.slug}", details_form(details, email="", phone=""))
    body = refused.body.decode()
    assert refused.code == 400 and '<html lang="de">' in body
    assert re.search(r'id="email-error">[^<]*E-Mail', body), body[-3000:]
    assert 'value="Dee"' in body, "what was typed stays"
    assert await db.fetch_one("SELECT 1 FROM holds WHERE salon_id = %s", (salon.id,)) is None


async def test_a_number_the_salon_does_not_text_is_said_beside_the_phone_field(make_salon, db, pages) -> None:
    salon, desk = await open_salon(make_salon, db, country="DE", timezone="Europe/Berlin")
    client = pages()
    details = await walk_to_details(client, salon, desk)
    american = await client.post(f"/book/{salon.slug}", details_form(details, email="", phone="+1 201 555 0123"))
    body = american.body.decode()
    assert american.code == 400 and 'value="+1 201 555 0123"' in body, "what was typed stays"
    assert re.search(r'id="phone-error">[^<]*nur an Handynummern aus diesen Ländern: Deutschland\.', body)
    landline = await client.post(f"/book/{salon.slug}", details_form(details, email="", phone="030 1234567"))
    assert landline.code == 400
    assert re.search(r'id="phone-error">An diese Nummer können keine SMS gehen', landline.body.decode())
    assert await db.fetch_one("SELECT 1 FROM holds WHERE salon_id = %s", (salon.id,)) is None, "nothing held"


async def test_a_fourth_code_to_one_address_in_an_hour_is_refused_on_the_page_too(make_salon, db, pages) -> None:
    salon, desk = await open_salon(make_salon, db)
    inbox = f"victim.{secrets.token_hex(4)}@example.com"
    answers = []
    for hour in (9, 10, 11, 12):
        client = pages({"X-Real-Ip": f"10.1.{hour}.1"})  # each from an address of its own
        start = dt.datetime.combine(desk.day, dt.time(hour), desk.zone).isoformat()
        query = urllib.parse.urlencode(
            {"serviceId": desk.service.id, "staffId": desk.other_staff.id, "startTime": start}
        )
        details = await client.get(f"/book/{salon.slug}?{query}")
        answers.append(await client.post(f"/book/{salon.slug}", details_form(details.body, email=inbox)))
    assert [answer.code for answer in answers] == [303, 303, 303, 429]
    assert b"Too many tries" in answers[-1].body and 3500 < int(answers[-1].headers["Retry-After"]) <= 3600


@pytest.mark.parametrize(
    ("country", "timezone", "said"),
    [
        ("DE", "Europe/Berlin", "hat in der letzten Stunde so viele Codes erhalten, wie an sie gehen dürfen (3)"),
        ("ES", "Europe/Madrid", "ya ha recibido en la última hora tantos códigos como se le pueden enviar (3)"),
    ],
)
async def test_a_code_refused_for_its_limit_says_why_in_the_salons_language(
    make_salon, db, pages, country: str, timezone: str, said: str
) -> None:
    salon, desk = await open_salon(make_salon, db, country=country, timezone=timezone)
    inbox = f"victim.{secrets.token_hex(4)}@example.com"
    for hour in (9, 10, 11, 12):
        client = pages({"X-Real-Ip": f"10.2.{hour}.1"})
        start = dt.datetime.combine(desk.day, dt.time(hour), desk.zone).isoformat()
        query = urllib.parse.urlencode({"serviceId": desk.service.id, "staffId": desk.staff.id, "startTime": start})
        details = await client.get(f"/book/{salon.slug}?{query}")
        answer = await client.post(f"/book/{salon.slug}", details_form(details.body, email=inbox))
    body = answer.body.decode()
    assert answer.code == 429 and said in body, body[-2000:]
    assert english_on(body) == [], english_on(body)


async def test_a_lapsed_hold_says_to_start_again(make_salon, db, pages) -> None:
    salon, desk = await open_salon(make_salon, db)
    client = pages()
    details = await walk_to_details(client, salon, desk)
    code_page = (await client.post(f"/book/{salon.slug}", details_form(details))).headers["Location"]
    await db.execute("UPDATE holds SET expires_at = now() WHERE salon_id = %s", (salon.id,))
    again = await client.get(code_page)
    assert again.code == 409 and b"no longer held" in again.body and f'href="/book/{salon.slug}"'.encode() in again.body


async def test_settings_show_the_booking_pages_address_and_its_qr_code(logged_in, db) -> None:
    owner, made = await logged_in()
    page = (await owner.get("/settings")).body.decode()
    address = f"http://127.0.0.1:8888/book/{made.salon.slug}"
    assert f'<a href="{address}"><code>{address}</code></a> (it opens once clients can book online)' in page
    qr = re.search(r'<img src="(data:image/svg\+xml[^"]+)" alt="QR code of the booking page"', page)
    assert qr and len(qr[1]) > 1000
    await salons.update_salon(db, dataclasses.replace(made.salon, online_booking=OnlineBooking(enabled=True)))
    assert "it opens once" not in (await owner.get("/settings")).body.decode()


async def test_the_booking_pages_share_the_addresss_allowance_and_refuse_in_the_salons_language(
    make_salon, db, app, pages
) -> None:
    salon, _ = await open_salon(make_salon, db, country="DE", timezone="Europe/Berlin")
    app.public_limits.clock = lambda: 1000.0  # time stands still: only the burst counts
    here, elsewhere = pages({"X-Real-Ip": "198.51.100.7"}), pages({"X-Real-Ip": "198.51.100.8"})
    assert [(await here.get(f"/book/{salon.slug}")).code for _ in range(25)] == [200] * 25
    refused = await here.get(f"/book/{salon.slug}")
    body = refused.body.decode()
    assert (refused.code, refused.headers["Retry-After"]) == (429, "1")
    assert '<html lang="de">' in body and "Zu viele Versuche" in body and salon.name in body, body
    assert (await here.get("/book/no-such-salon")).code == 429, "counted before the salon is looked up"
    assert (await elsewhere.get(f"/book/{salon.slug}")).code == 200, "another address has its own allowance"


async def test_the_times_open_on_the_first_day_with_a_free_time_and_the_empty_days_say_so(
    make_salon, db, pages, app
) -> None:
    salon, desk = await open_salon(make_salon, db)
    app.clock = lambda: dt.datetime.combine(desk.day, dt.time(6), desk.zone)  # the desk's Tuesday, before opening
    await db.execute(
        "DELETE FROM working_hours WHERE staff_id = ANY(%s) AND weekday IN (1, 2)",
        ([desk.staff.id, desk.other_staff.id],),
    )  # nobody works on Tuesdays or Wednesdays
    times = await pages().get(f"/book/{salon.slug}?serviceId={desk.service.id}&staffId=any")
    page = times.body.decode()
    thursday = desk.day + dt.timedelta(days=2)
    assert re.search(rf'href="\?[^"]*date={thursday}"[^>]*aria-current="date"', page), "Thursday is open, first"
    for empty in (desk.day, desk.day + dt.timedelta(days=1)):
        assert re.search(rf'date={empty}"[^>]*class="empty"', page), f"{empty} is marked: nothing free"
    assert f'date={thursday}" class="empty"' not in page
    assert "startTime=" in page, "Thursday's times are on the page"


async def test_the_staff_step_offers_only_those_who_perform_the_service(make_salon, db, pages) -> None:
    salon, desk = await open_salon(make_salon, db)
    colour = await services.create_service(
        db, salon.id, ServiceDetails(name="Colour", duration_minutes=60, staff_ids=(desk.other_staff.id,))
    )
    staff_page = await pages().get(f"/book/{salon.slug}?serviceId={colour.id}")
    assert staff_page.code == 200
    assert b">Cy<" in staff_page.body and b">Bea<" not in staff_page.body, "only the colourist"
    cuts = await pages().get(f"/book/{salon.slug}?serviceId={desk.service.id}")
    assert b">Cy<" in cuts.body and b">Bea<" in cuts.body, "everyone does cuts"
