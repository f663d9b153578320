"""The waitlist's pages: the desk's /waitlist, a client joining from the booking page, an appointment's record."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import secrets
import urllib.parse

import pytest

from booking import appointments, clients, salons, waitlist
from booking.models import ClientDetails, OnlineBooking, Source
from tests.desk import set_up_desk
from tests.servers import SmtpServer


async def test_the_desk_finds_a_client_adds_them_and_takes_them_off(logged_in, db) -> None:
    session, made = await logged_in()
    desk = await set_up_desk(db, made.salon)
    other_session, other_made = await logged_in()
    other = await set_up_desk(db, other_made.salon)
    page = await session.get("/waitlist?q=ann")
    assert page.code == 200 and b"Nobody is waiting." in page.body
    assert str(desk.client.id).encode() in page.body and str(other.client.id).encode() not in page.body
    form = {"clientId": str(desk.client.id), "serviceId": str(desk.service.id), "staffId": "",
            "fromDate": str(desk.day), "toDate": str(desk.day - dt.timedelta(days=1)), "earliest": "",
            "latest": "x"}  # fmt: skip
    refused = await session.post("/waitlist", form)
    assert refused.code == 400
    body = refused.body.decode()
    assert 'id="toDate-error"' in body and 'id="latest-error"' in body, "every wrong field, beside it"
    assert f'value="{desk.client.id}" required checked' in body, "the chosen client stays chosen"
    crossed = await session.post("/waitlist", form | {"clientId": str(other.client.id), "toDate": str(desk.day),
                                                      "latest": ""})  # fmt: skip
    assert crossed.code == 404, "another salon's client is no client here"
    added = await session.post("/waitlist", form | {"toDate": str(desk.day), "latest": "12:00"})
    assert added.code == 303 and added.headers["Location"] == "/waitlist"
    listed = (await session.get("/waitlist")).body.decode()
    assert "Ann Example" in listed and "anyone" in listed and "12:00" in listed and "waiting" in listed
    [entry] = await waitlist.list_entries(db, made.salon.id, limit=5)
    assert "Ann Example" not in (await other_session.get("/waitlist")).body.decode(), "another salon's desk"
    assert (await other_session.post(f"/waitlist/{entry.id}/remove", {})).code == 404
    assert (await session.post(f"/waitlist/{entry.id}/remove", {})).code == 303
    [ended] = await waitlist.list_entries(db, made.salon.id, limit=5)
    assert ended.status == waitlist.EntryStatus.LEFT


async def test_an_appointments_record_shows_the_offers_of_its_time_and_the_claim(logged_in, db) -> None:
    session, made = await logged_in()
    desk = await set_up_desk(db, made.salon)
    zoe = await clients.create_client(db, made.salon.id, ClientDetails("Zoe", "Waits", "zoe@example.com"))
    wish = waitlist.Wish(desk.service.id, None, desk.day, desk.day)
    now = dt.datetime.now(dt.UTC)
    await waitlist.add(db, made.salon, zoe.id, wish, source=Source.FRONT_DESK, now=now)
    start = dt.datetime.combine(desk.day, dt.time(10), desk.zone)
    booked = await appointments.book(
        db, made.salon, client_id=desk.client.id, staff_id=desk.staff.id, service_id=desk.service.id, start_time=start
    )
    await appointments.cancel(db, made.salon, booked.id)
    record = (await session.get(f"/appointments/{booked.id}")).body.decode()
    assert "Waitlist" in record and "Zoe Waits" in record and "offered" in record, record


@pytest.fixture(autouse=True)
def empty_queue(io_loop, db) -> None:
    """A worker a test starts sends that test's messages only (the module's tests share a database)."""
    io_loop.run_sync(lambda: db.execute("TRUNCATE notification_jobs, notification_attempts"))


async def test_a_client_joins_from_the_booking_page_with_the_code_sent_to_them(
    make_salon, db, pages, smtp_server: SmtpServer, start_worker
) -> None:
    made = await make_salon(email="desk@salon.example")
    salon = await salons.update_salon(db, dataclasses.replace(made.salon, online_booking=OnlineBooking(enabled=True)))
    desk = await set_up_desk(db, salon)
    visitor = pages({"X-Real-Ip": f"10.9.{secrets.randbelow(256)}.{secrets.randbelow(256)}"})
    times = (await visitor.get(f"/book/{salon.slug}?serviceId={desk.service.id}&staffId=any&date={desk.day}")).body
    link = re.search(rb'href="(/book/[^"]+/waitlist\?[^"]+)"', times)
    assert link, times
    path = link[1].decode().replace("&amp;", "&")
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)["date"] == [str(desk.day)]
    form = {"serviceId": str(desk.service.id), "staffId": "any", "fromDate": str(desk.day),
            "toDate": str(desk.day - dt.timedelta(days=2)), "earliest": "", "latest": "", "firstName": "Dee",
            "lastName": "", "email": "dee@example.com", "phone": ""}  # fmt: skip
    await visitor.get(path)
    refused = await visitor.post(path.split("?")[0], form)
    assert refused.code == 400 and b'id="toDate-error"' in refused.body
    joined = await visitor.post(path.split("?")[0], form | {"toDate": str(desk.day)})
    assert joined.code == 303, joined.body
    code_page = joined.headers["Location"]
    assert b"We have sent a 6-digit code to" in (await visitor.get(code_page)).body
    await start_worker(smtp=smtp_server)
    mails = await smtp_server.wait_for(1)
    [mail] = [mail for mail in mails if mail["To"].addresses[0].addr_spec == "dee@example.com"]
    code = re.search(r"\b(\d{6})\b", mail.get_body(("plain",)).get_content())
    assert code
    done = await visitor.post(code_page, {"code": code[1]})
    assert done.code == 200 and b"You are on the waiting list" in done.body
    [entry] = await waitlist.list_entries(db, salon.id, limit=5)
    assert (entry.status, entry.source, entry.client_name) == (waitlist.EntryStatus.WAITING, Source.ONLINE, "Dee")
