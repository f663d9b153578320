"""The manage link: a client sees their appointment, confirms, moves and cancels it, within the salon's rules.

The link comes from the worker's real email and text; the pages are fetched as a phone's browser would.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import urllib.parse

import pytest

from booking import appointments, clients, installation, links, salons
from booking.models import ClientDetails, Salon
from handlers.app import Salonbook, WebSettings
from tests.desk import Desk, book_at, set_up_desk
from tests.desk_words import english_on
from tests.servers import SmsApi, SmtpServer

PUBLIC_URL = "https://book.salon.example"


@pytest.fixture
def app(db) -> Salonbook:
    return Salonbook(db=db, cookie_secret="test-cookie-secret", settings=WebSettings(public_url=PUBLIC_URL))


async def a_salon(make_salon, db, **fields: str) -> tuple[Salon, Desk]:
    made = await make_salon(email="desk@salon.example", phone="+44 1225 123456", **fields)
    return made.salon, await set_up_desk(db, made.salon)


async def manage_path(db, appointment_id) -> str:
    return f"/m/{links.sign('manage', appointment_id, await installation.link_secret(db))}"


def offered_times(page: str) -> list[str]:
    """The free times a reschedule page offers, each a link that asks "Move to …?"."""
    return [urllib.parse.unquote(found) for found in re.findall(r'[?&]amp;startTime=([^"&]+)"', page)]


async def everything(db, appointment_id) -> tuple[object, ...]:
    """What a GET must leave as it was: the appointment's row and its jobs."""
    row = await db.fetch_row("SELECT * FROM appointments WHERE id = %s", (appointment_id,))
    jobs = await db.fetch_all(
        "SELECT id, type, status, run_at FROM notification_jobs WHERE appointment_id = %s ORDER BY id",
        (appointment_id,),
    )
    return tuple(row.items()), tuple(tuple(job.items()) for job in jobs)


async def test_the_confirmation_links_to_a_page_that_shows_the_appointment_and_changes_nothing(
    make_salon, db, pages, smtp_server: SmtpServer, sms_api: SmsApi, start_worker
) -> None:
    salon, desk = await a_salon(make_salon, db)
    await db.execute("UPDATE clients SET phone = '+447400900123' WHERE id = %s", (desk.client.id,))
    booked = await book_at(db, salon, desk, dt.time(10))
    worker = await start_worker(smtp=smtp_server, sms=sms_api, public_url=PUBLIC_URL)
    [mail] = await smtp_server.wait_for(1)
    text = mail.get_body(("plain",)).get_content()
    link = re.search(rf"{re.escape(PUBLIC_URL)}(/m/[\w-]+)", text)
    assert link, text
    assert link[0] in mail.get_body(("html",)).get_content()
    [sms] = await sms_api.wait_for(1)
    assert sms["Body"].endswith(link[0]), "the text carries the same link"
    assert link[1] == await manage_path(db, booked.id)
    await worker.stop()  # the confirmation is recorded as sent

    before = await everything(db, booked.id)
    client = pages()
    for method in ("GET", "HEAD"):
        for path in (link[1], f"{link[1]}/reschedule", f"{link[1]}/reschedule?date={desk.day}"):
            page = await client.fetch(path, method)
            assert page.code == 200, (method, path, page.body)
    body = (await client.get(link[1])).body.decode()
    assert await everything(db, booked.id) == before, "opening the link (as a mail scanner does) changed nothing"
    assert salon.name in body and "Cut" in body and ">Bea<" in body
    assert "10:00 " in body and ("GMT" in body or "BST" in body)
    assert "Cutter" not in body and "ann@example.com" not in body and "7400" not in body, "nothing private"
    assert "You can cancel it online until" in body
    for action in ("confirm", "cancel"):
        assert f'action="{link[1]}/{action}"' in body
    assert f'href="{link[1]}/reschedule"' in body


async def test_i_will_be_there_is_noted_for_the_front_desk(make_salon, db, pages) -> None:
    salon, desk = await a_salon(make_salon, db)
    booked = await book_at(db, salon, desk, dt.time(10))
    client, path = pages(), await manage_path(db, booked.id)
    await client.get(path)
    answer = await client.post(f"{path}/confirm", {})
    assert (answer.code, answer.headers["Location"]) == (303, f"{path}?done=confirmed")
    page = (await client.get(answer.headers["Location"])).body.decode()
    assert "we know you will be there" in page and "confirmed by you" in page
    assert f'action="{path}/confirm"' not in page, "nothing left to confirm"
    row = await db.fetch_row("SELECT client_confirmed_at, status FROM appointments WHERE id = %s", (booked.id,))
    assert row["client_confirmed_at"] is not None and row["status"] == "booked"


async def test_the_api_says_who_booked_confirmed_and_cancelled(make_salon, db, pages, api) -> None:
    made = await make_salon(email="desk@salon.example")
    desk = await set_up_desk(db, made.salon)
    booked = await book_at(db, made.salon, desk, dt.time(10))
    status, shown = await api("GET", f"/appointments/{booked.id}", made.api_token)
    assert status == 200
    assert (shown["source"], shown["clientConfirmedAt"], shown["cancelledBy"]) == ("front_desk", None, None)
    client, path = pages(), await manage_path(db, booked.id)
    await client.get(path)
    await client.post(f"{path}/confirm", {})
    await client.post(f"{path}/cancel", {})
    _, shown = await api("GET", f"/appointments/{booked.id}", made.api_token)
    assert shown["clientConfirmedAt"] and (shown["status"], shown["cancelledBy"]) == ("cancelled", "client")


async def test_a_client_cancels_the_reminders_stop_and_the_salon_is_told(
    make_salon, db, pages, smtp_server: SmtpServer, start_worker
) -> None:
    salon, desk = await a_salon(make_salon, db)
    booked = await book_at(db, salon, desk, dt.time(10))
    client, path = pages(), await manage_path(db, booked.id)
    await client.get(path)
    answer = await client.post(f"{path}/cancel", {})
    assert (answer.code, answer.headers["Location"]) == (303, f"{path}?done=cancelled")
    page = (await client.get(answer.headers["Location"])).body.decode()
    assert "Your appointment is cancelled" in page and f'action="{path}/cancel"' not in page

    jobs = await db.fetch_all(
        "SELECT type, status, error FROM notification_jobs WHERE appointment_id = %s ORDER BY created_at, type",
        (booked.id,),
    )
    assert {(job["type"], job["status"]) for job in jobs} >= {
        ("reminder_24h", "cancelled"),
        ("reminder_2h", "cancelled"),
        ("cancellation", "pending"),
    }
    assert {job["error"] for job in jobs if job["type"].startswith("reminder")} == {
        "appointment was cancelled by the client"
    }
    assert (await client.post(f"{path}/cancel", {})).code == 409, "once"

    # Only this salon's notices go out: the module's other tests leave theirs queued.
    await db.execute("UPDATE notification_jobs SET status = 'cancelled' WHERE salon_id <> %s", (salon.id,))
    await start_worker(smtp=smtp_server, public_url=PUBLIC_URL)
    mails = await smtp_server.wait_for(2)  # the cancellation, the salon's notice (the confirmation never left)
    [notice] = [mail for mail in mails if mail["To"] == "desk@salon.example"]
    assert notice["Subject"] == f"{salon.name}: a client changed an appointment"
    text = notice.get_body(("plain",)).get_content()
    assert "Ann Example cancelled their appointment on" in text
    assert f"{PUBLIC_URL}/appointments/{booked.id}" in text


async def test_a_client_moves_to_a_free_time_of_the_same_stylist_and_the_link_keeps_working(
    make_salon, db, pages
) -> None:
    salon, desk = await a_salon(make_salon, db)
    booked = await book_at(db, salon, desk, dt.time(10))
    await book_at(db, salon, desk, dt.time(14), member=desk.other_staff)
    client, path = pages(), await manage_path(db, booked.id)
    other_day = desk.day + dt.timedelta(days=1)
    times = (await client.get(f"{path}/reschedule?date={other_day}")).body.decode()
    offered = offered_times(times)
    assert len(offered) == 30, "09:00 to 16:15, every 15 minutes, Bea's day"
    assert f"?date={desk.day}" in times, "the week's days to choose from"

    taken = dt.datetime.combine(desk.day, dt.time(11), desk.zone)
    await book_at(db, salon, desk, dt.time(11, 30))  # Bea is busy at 11:30 on the first day
    refused = await client.post(f"{path}/reschedule", {"startTime": taken.isoformat()})
    assert refused.code == 409 and "<html" in refused.body.decode(), "a page, not JSON"

    new_start = dt.datetime.fromisoformat(offered[4])  # 10:00 the next day
    asked = await client.get(
        f"{path}/reschedule?{urllib.parse.urlencode({'date': other_day, 'startTime': offered[4]})}"
    )
    question = asked.body.decode()
    assert re.search(rf"Move to \w+, {other_day.day} \w+, 10:00 \w+\?", question), "a tap asks first"
    assert f'name="startTime" value="{new_start.isoformat()}"' in question
    assert (await appointments.get_appointment(db, salon.id, booked.id)).start_time != new_start, "not yet"
    moved = await client.post(f"{path}/reschedule", {"startTime": new_start.isoformat()})
    assert (moved.code, moved.headers["Location"]) == (303, f"{path}?done=moved")
    after = await appointments.get_appointment(db, salon.id, booked.id)
    assert (after.start_time, after.staff_id, after.moved_by) == (new_start, desk.staff.id, "client")
    page = (await client.get(moved.headers["Location"])).body.decode()
    assert "Your appointment has moved" in page
    assert re.search(rf"{other_day.day} \w+, 10:00", page), "the same link shows the new time"
    jobs = await db.fetch_all(
        "SELECT type, status FROM notification_jobs WHERE appointment_id = %s AND status = 'pending'", (booked.id,)
    )
    assert "rescheduled" in {job["type"] for job in jobs}
    notices = await db.fetch_all(
        "SELECT payload FROM notification_jobs WHERE type = 'salon_notice' AND salon_id = %s", (salon.id,)
    )
    assert [(n["payload"]["what"], n["payload"]["appointmentId"]) for n in notices] == [("moved", str(booked.id))]


async def test_inside_the_cut_off_the_page_shows_the_phone_and_a_hand_made_post_is_refused(
    make_salon, db, app, pages
) -> None:
    salon, desk = await a_salon(make_salon, db)
    booked = await book_at(db, salon, desk, dt.time(10))
    soon = booked.start_time
    app.clock = lambda: soon - dt.timedelta(hours=3)  # inside the salon's cut-off
    client, path = pages(), await manage_path(db, booked.id)
    page = (await client.get(path)).body.decode()
    assert 'href="tel:+441225123456">01225 123456</a>' in page and "please call us" in page, "as the salon writes it"
    assert f'action="{path}/cancel"' not in page and f'href="{path}/reschedule"' not in page
    assert f'action="{path}/confirm"' in page, "confirming is still welcome"

    before = await everything(db, booked.id)
    for action, form in (("cancel", {}), ("reschedule", {"startTime": (soon + dt.timedelta(days=2)).isoformat()})):
        refused = await client.post(f"{path}/{action}", form)
        assert refused.code == 409, (action, refused.code)
        assert "too late to change this appointment online" in refused.body.decode()
    assert await everything(db, booked.id) == before


@pytest.mark.parametrize(
    ("country", "timezone", "cancel", "move"),
    [
        ("DE", "Europe/Berlin", "Online lässt sich ein Termin bis 90 Min. vor Beginn absagen",
         "Online lässt sich dieser Termin nicht mehr verschieben"),
        ("ES", "Europe/Madrid", "En línea, una cita se puede cancelar hasta 90 min antes de que empiece",
         "En línea, esta cita ya no se puede cambiar"),
    ],
)  # fmt: skip
async def test_past_the_cut_off_the_refusal_says_it_in_the_salons_language(
    make_salon, db, app, pages, country: str, timezone: str, cancel: str, move: str
) -> None:
    salon, desk = await a_salon(make_salon, db, country=country, timezone=timezone)
    salon = await salons.update_salon(db, dataclasses.replace(salon, cancel_cutoff_minutes=90))
    booked = await book_at(db, salon, desk, dt.time(10))
    app.clock = lambda: booked.start_time - dt.timedelta(minutes=80)
    client, path = pages(), await manage_path(db, booked.id)
    await client.get(path)
    later = (booked.start_time + dt.timedelta(days=1)).isoformat()
    for action, form, said in (("cancel", {}, cancel), ("reschedule", {"startTime": later}, move)):
        refused = await client.post(f"{path}/{action}", form)
        body = refused.body.decode()
        assert refused.code == 409 and said in body, (action, body[-2000:])
        assert english_on(body) == [], (action, english_on(body))


async def test_the_cut_off_is_the_salons(make_salon, db, app, pages) -> None:
    salon, desk = await a_salon(make_salon, db)
    salon = await salons.update_salon(db, dataclasses.replace(salon, cancel_cutoff_minutes=60))
    booked = await book_at(db, salon, desk, dt.time(10))
    app.clock = lambda: booked.start_time - dt.timedelta(hours=3)
    client, path = pages(), await manage_path(db, booked.id)
    page = (await client.get(path)).body.decode()
    assert f'action="{path}/cancel"' in page and f'href="{path}/reschedule"' not in page, "cancel 1 h, move 24 h"
    assert (await client.post(f"{path}/cancel", {})).code == 303


async def test_a_changed_character_is_a_404_and_an_ended_appointment_a_friendly_page(make_salon, db, pages) -> None:
    salon, desk = await a_salon(make_salon, db)
    booked = await book_at(db, salon, desk, dt.time(10))
    client, path = pages(), await manage_path(db, booked.id)
    token = path.removeprefix("/m/")
    for position in (0, len(token) // 2, len(token) - 1):
        changed = token[:position] + ("A" if token[position] != "A" else "B") + token[position + 1 :]
        assert (await client.get(f"/m/{changed}")).code == 404
        await client.get(path)
        assert (await client.post(f"/m/{changed}/cancel", {})).code == 404
    assert (await client.get(f"/m/{token}x")).code == 404 and (await client.get("/m/")).code == 404
    someone_else = links.sign("unsubscribe", booked.id, await installation.link_secret(db))
    assert (await client.get(f"/m/{someone_else}")).code == 404, "a token for another purpose"
    assert (await client.get(f"/m/{urllib.parse.quote(token + '=')}")).code == 404

    await db.execute(
        "UPDATE appointments SET start_time = now() - interval '2 hours', end_time = now() - interval '1 hour'"
        " WHERE id = %s",
        (booked.id,),
    )
    ended = await client.get(path)
    assert ended.code == 410 and "This appointment has passed" in ended.body.decode()
    assert (await client.post(f"{path}/cancel", {})).code == 410


async def test_the_page_speaks_the_salons_language(make_salon, db, pages) -> None:
    salon, desk = await a_salon(make_salon, db, country="DE", timezone="Europe/Berlin")
    assert salon.locale == "de-DE"
    booked = await book_at(db, salon, desk, dt.time(10))
    client, path = pages(), await manage_path(db, booked.id)
    page = (await client.get(path)).body.decode()
    assert '<html lang="de">' in page and "Ihr Termin" in page and "Your appointment" not in page
    await client.post(f"{path}/confirm", {})
    assert "Danke" in (await client.get(f"{path}?done=confirmed")).body.decode()


async def test_the_front_desk_sees_at_a_glance_what_clients_did(logged_in, db, pages) -> None:
    desk_session, made = await logged_in(email="desk@salon.example")
    desk = await set_up_desk(db, made.salon)
    confirmed, moved, cancelled = [await book_at(db, made.salon, desk, dt.time(hour)) for hour in (10, 12, 14)]
    client = pages()
    for appointment, action, form in (
        (confirmed, "confirm", {}),
        (moved, "reschedule", {"startTime": dt.datetime.combine(desk.day, dt.time(15), desk.zone).isoformat()}),
        (cancelled, "cancel", {}),
    ):
        path = await manage_path(db, appointment.id)
        await client.get(path)
        assert (await client.post(f"{path}/{action}", form)).code == 303, action
    day = (await desk_session.get(f"/?date={desk.day}")).body.decode()
    for words in ("confirmed by client", "moved by client", "cancelled by client"):
        assert day.count(words) == 1, words
    page = (await desk_session.get(f"/appointments/{confirmed.id}")).body.decode()
    assert "confirmed by client" in page and "moved by client" not in page


@pytest.mark.parametrize(
    "now",
    [
        dt.datetime(2030, 3, 3, 23, 50, tzinfo=dt.UTC),  # a Sunday night in London: Monday is tomorrow
        dt.datetime(2030, 3, 31, 0, 30, tzinfo=dt.UTC),  # the night Europe's clocks go forward
    ],
)
async def test_the_week_strip_holds_the_appointments_day_and_the_next_at_any_instant(
    make_salon, db, pages, app, now: dt.datetime
) -> None:
    """The pages take "now" from the application's clock: stopped here at awkward instants, the strip of days a
    client may move to still holds the appointment's own day and the day after, in one calendar week."""
    app.clock = lambda: now
    salon, desk = await a_salon(make_salon, db)
    today = now.astimezone(salon.zone).date()
    tuesday = today + dt.timedelta(days=7 - today.weekday() + 1)  # the coming week's Tuesday
    start = dt.datetime.combine(tuesday, dt.time(10), salon.zone)
    booked = await appointments.book(
        db, salon, client_id=desk.client.id, staff_id=desk.staff.id, service_id=desk.service.id,
        start_time=start, now=now,
    )  # fmt: skip
    path = await manage_path(db, booked.id)
    wednesday = tuesday + dt.timedelta(days=1)
    page = (await pages().get(f"{path}/reschedule?date={wednesday}")).body.decode()
    assert f"?date={tuesday}" in page and f"?date={wednesday}" in page, "the week's days to choose from"
    offered = offered_times(page)
    assert offered and all(dt.datetime.fromisoformat(o).date() == wednesday for o in offered), "Wednesday's times"


async def test_the_page_says_a_message_went_only_where_one_went(make_salon, db, pages) -> None:
    salon, desk = await a_salon(make_salon, db)
    quiet = await clients.create_client(db, salon.id, ClientDetails("Quinn", "Quiet", "quinn@example.com"))
    told = await book_at(db, salon, desk, dt.time(10))
    untold = await appointments.book(
        db, salon, client_id=quiet.id, staff_id=desk.other_staff.id, service_id=desk.service.id,
        start_time=dt.datetime.combine(desk.day, dt.time(10), desk.zone),
    )  # fmt: skip
    browser = pages()
    for booked, said in ((told, "We have sent a confirmation to a…@example.com."), (untold, None)):
        path = await manage_path(db, booked.id)
        cancelled = await browser.post(f"{path}/cancel", {})
        page = (await browser.get(cancelled.headers["Location"])).body.decode()
        assert "Your appointment is cancelled." in page
        if said:
            assert said in page, "the cancellation went to the email she gave"
        else:
            assert "We have sent" not in page, (
                "a client of the desk who wanted no messages gets none, and is not told so"
            )
