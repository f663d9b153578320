"""Input an attacker sends where a person would not: a clear 4xx, never a 500.

Each case was once a 500: a NUL in a salon's slug or a link's token, half a surrogate pair in a code,
a year-9999 time in a booking form.
"""

from __future__ import annotations

import dataclasses
import json
import re
import uuid

import pytest

from booking import salons
from booking.models import OnlineBooking, Salon
from tests.desk import Desk, set_up_desk

NUL, LONE_SURROGATE = "%00", "\ud800"


async def open_salon(make_salon, db) -> tuple[Salon, Desk]:
    made = await make_salon(email="desk@salon.example", phone="+44 1225 123456")
    salon = await salons.update_salon(db, dataclasses.replace(made.salon, online_booking=OnlineBooking(True)))
    return salon, await set_up_desk(db, salon)


@pytest.mark.parametrize(
    "path",
    [
        f"/api/public/{NUL}/services",
        f"/api/public/{NUL}/slots?serviceId={uuid.UUID(int=1)}&date=2030-01-01",
        f"/book/{NUL}",
        f"/book/{NUL}/code/{uuid.UUID(int=1)}",
        f"/m/{NUL}",
        f"/m/{NUL}/reschedule",
        f"/u/{NUL}",
        f"/invite/{NUL}",
    ],
)
async def test_a_nul_in_a_path_is_a_page_that_is_not_there(http_server_client, path: str) -> None:
    answer = await http_server_client.fetch(path, raise_error=False)
    assert answer.code == 404, (path, answer.code, answer.body[:300])


async def test_half_a_surrogate_pair_in_a_code_is_refused_not_a_crash(http_server_client, make_salon, db) -> None:
    salon, desk = await open_salon(make_salon, db)
    hold = await http_server_client.fetch(
        f"/api/public/{salon.slug}/bookings",
        method="POST",
        body=json.dumps(
            {
                "serviceId": str(desk.service.id),
                "staffId": str(desk.staff.id),
                "startTime": f"{desk.day}T10:00:00+00:00",
                "firstName": "Eve",
                "email": "eve@example.com",
            }
        ),
        headers={"Content-Type": "application/json"},
    )
    hold_id = json.loads(hold.body)["holdId"]
    body = '{"code": "12345\\ud800"}'  # JSON's own escape: a lone surrogate in the decoded text
    answer = await http_server_client.fetch(
        f"/api/public/{salon.slug}/bookings/{hold_id}/verify",
        method="POST",
        body=body,
        headers={"Content-Type": "application/json"},
        raise_error=False,
    )
    assert answer.code == 400, answer.body
    assert json.loads(answer.body)["error"]["field"] == "code"


async def test_a_year_9999_time_in_the_desks_booking_form_is_shown_again_with_the_error(logged_in, db) -> None:
    session, made = await logged_in()
    desk = await set_up_desk(db, made.salon)
    form = {
        "serviceId": str(desk.service.id),
        "staffId": "",
        "day": str(desk.day),
        "clientId": str(desk.client.id),
        "startTime": f"{desk.staff.id}@9999-12-31T23:45:00+14:00",
        "notes": "",
    }
    answer = await session.post("/appointments/new", form)
    assert answer.code == 400, answer.body[:300]
    assert re.search(rb"choose one of the free times", answer.body), "the form again, the error beside the times"


async def test_a_year_9999_time_on_the_clients_booking_page_is_refused(pages, make_salon, db) -> None:
    salon, desk = await open_salon(make_salon, db)
    client = pages()
    await client.get(f"/book/{salon.slug}")
    form = {
        "serviceId": str(desk.service.id),
        "staffId": "any",
        "startTime": "9999-12-31T23:45:00+14:00",
        "firstName": "Eve",
        "email": "eve@example.com",
        "lastName": "",
        "phone": "",
    }
    answer = await client.post(f"/book/{salon.slug}", form)
    assert answer.code == 400, answer.body[:300]
    assert b"<html" in answer.body
