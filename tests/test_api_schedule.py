"""The schedule through the JSON API: split shifts, time off, who performs a service, buffers."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from tests.desk import desk_day

DAY = dt.date.today() + dt.timedelta(days=10)
HOURS = [{"weekday": day, "start": start, "end": end} for day in range(7) for start, end in
         (("09:00", "12:00"), ("13:00", "17:00"))]  # fmt: skip


def _at(hour: int, minute: int = 0) -> str:
    return dt.datetime.combine(DAY, dt.time(hour, minute), dt.timezone(dt.timedelta(hours=0))).isoformat()


async def _salon(api, make_salon) -> tuple[str, dict[str, Any]]:
    """A salon in UTC with Bea and Cal (a lunch break every day), a cut and a client."""
    made = await make_salon(timezone="UTC")
    token = made.api_token
    ids: dict[str, Any] = {}
    for name in ("Bea", "Cal"):
        status, member = await api("POST", "/staff", token, {"firstName": name, "workingHours": HOURS})
        assert status == 201, member
        ids[name] = member["id"]
    status, cut = await api("POST", "/services", token, {"name": "Cut", "durationMinutes": 45})
    assert status == 201, cut
    status, client = await api("POST", "/clients", token, {"firstName": "Ann", "email": "ann@example.com"})
    assert status == 201, client
    return token, ids | {"cut": cut["id"], "client": client["id"]}


def _booking(ids: dict[str, Any], member: str, start: str, service: str = "cut") -> dict[str, Any]:
    return {"clientId": ids["client"], "staffId": ids[member], "serviceId": ids[service], "startTime": start}


async def test_split_shifts_round_trip_and_overlapping_ones_are_refused(api, make_salon) -> None:
    token, ids = await _salon(api, make_salon)
    status, bea = await api("GET", f"/staff/{ids['Bea']}", token)
    assert status == 200 and bea["workingHours"] == HOURS
    status, _ = await api("POST", "/appointments", token, _booking(ids, "Bea", _at(12, 30)))
    assert status == 201, "the API books regardless of hours, as before"
    overlapping = [{"weekday": 1, "start": "09:00", "end": "12:00"}, {"weekday": 1, "start": "11:00", "end": "15:00"}]
    status, body = await api("POST", "/staff", token, {"firstName": "Dee", "workingHours": overlapping})
    assert status == 400 and body["error"]["field"] == "workingHours[1].start", body
    status, body = await api("PATCH", f"/staff/{ids['Bea']}", token, {"workingHours": overlapping})
    assert status == 400 and body["error"]["field"] == "workingHours[1].start", body
    lunch = [{"weekday": 1, "start": "09:00", "end": "12:00"}, {"weekday": 1, "start": "12:30", "end": "15:00"}]
    status, changed = await api("PATCH", f"/staff/{ids['Bea']}", token, {"workingHours": lunch})
    assert status == 200 and changed["workingHours"] == lunch and changed["firstName"] == "Bea", changed
    stranger = (await make_salon()).api_token
    assert (await api("PATCH", f"/staff/{ids['Bea']}", stranger, {"firstName": "Eve"}))[0] == 404


async def test_time_off_is_added_listed_and_removed_and_nothing_is_booked_inside(api, make_salon) -> None:
    token, ids = await _salon(api, make_salon)
    status, inside = await api("POST", "/appointments", token, _booking(ids, "Bea", _at(10)))
    assert status == 201, inside
    base = f"/staff/{ids['Bea']}/time-off"
    status, added = await api("POST", base, token, {"start": _at(9), "end": _at(17), "reason": "holiday"})
    assert status == 201, added
    assert added["affected"] == [inside["id"]] and added["reason"] == "holiday"
    assert dt.datetime.fromisoformat(added["start"]) == dt.datetime.fromisoformat(_at(9))
    status, moved = await api("GET", f"/appointments/{inside['id']}", token)
    assert moved["startTime"] == inside["startTime"] and moved["status"] == "booked", "nothing is moved"

    status, body = await api("POST", "/appointments", token, _booking(ids, "Bea", _at(14)))
    assert status == 409 and body["error"]["code"] == "unavailable", body
    status, body = await api("PATCH", f"/appointments/{inside['id']}", token, {"startTime": _at(15)})
    assert status == 409 and body["error"]["code"] == "unavailable", body

    status, listed = await api("GET", base, token)
    assert status == 200 and [entry["id"] for entry in listed] == [added["id"]]
    status, none = await api("DELETE", f"{base}/{added['id']}", token)
    assert status == 204 and none is None
    status, body = await api("DELETE", f"{base}/{added['id']}", token)
    assert status == 404 and body["error"]["code"] == "not_found"
    status, booked = await api("POST", "/appointments", token, _booking(ids, "Bea", _at(14)))
    assert status == 201, booked


async def test_time_off_lists_what_has_not_ended_or_from_a_day_past_time_off_too(api, make_salon, db) -> None:
    token, ids = await _salon(api, make_salon)
    base = f"/staff/{ids['Bea']}/time-off"
    status, coming = await api("POST", base, token, {"start": _at(9), "end": _at(17), "reason": "holiday"})
    assert status == 201, coming
    past = await db.fetch_row(
        """INSERT INTO time_off (salon_id, staff_id, during, reason)
           SELECT salon_id, id, tstzrange('2021-03-01 09:00+00', '2021-03-01 17:00+00'), 'course' FROM staff
            WHERE id = %s RETURNING id""",
        (ids["Bea"],),
    )
    status, listed = await api("GET", base, token)
    assert status == 200 and [entry["reason"] for entry in listed] == ["holiday"], "only what has not ended"
    status, listed = await api("GET", f"{base}?from=2021-01-01", token)
    assert status == 200 and [entry["id"] for entry in listed] == [str(past["id"]), coming["id"]]
    status, listed = await api("GET", f"{base}?from={DAY + dt.timedelta(days=1)}", token)
    assert status == 200 and listed == [], "ended before that day"
    status, body = await api("GET", f"{base}?from=yesterday", token)
    assert status == 400 and body["error"]["field"] == "from", body


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"end": "2030-01-01T10:00:00+00:00"}, "start"),
        ({"start": "2030-01-01T10:00:00+00:00", "end": "2030-01-01T09:00:00+00:00"}, "end"),
        ({"start": "2030-01-01T10:00:00", "end": "2030-01-01T11:00:00+00:00"}, "start"),
        ({"start": "2030-01-01T10:00:00+00:00", "end": "2030-01-01T11:00:00+00:00", "reason": 5}, "reason"),
    ],
)
async def test_bad_time_off_is_a_400_naming_the_field(api, make_salon, body, field) -> None:
    token, ids = await _salon(api, make_salon)
    status, answer = await api("POST", f"/staff/{ids['Bea']}/time-off", token, body)
    assert status == 400 and answer["error"]["field"] == field, answer


async def test_another_salons_owner_cannot_reach_this_salons_time_off_or_staff(api, make_salon) -> None:
    token, ids = await _salon(api, make_salon)
    base = f"/staff/{ids['Bea']}/time-off"
    status, added = await api("POST", base, token, {"start": _at(9), "end": _at(10)})
    assert status == 201
    stranger = (await make_salon()).api_token
    assert (await api("GET", base, stranger))[0] == 404
    assert (await api("POST", base, stranger, {"start": _at(11), "end": _at(12)}))[0] == 404
    assert (await api("DELETE", f"{base}/{added['id']}", stranger))[0] == 404
    status, body = await api("POST", "/services", stranger, {"name": "Colour", "durationMinutes": 60,
                                                             "staffIds": [ids["Bea"]]})  # fmt: skip
    assert status == 404 and body["error"]["field"] == "staffIds[0]", body
    status, listed = await api("GET", base, token)
    assert [entry["id"] for entry in listed] == [added["id"]], "still there"


async def test_a_colourist_alone_does_colour_with_a_buffer_and_their_own_price(api, make_salon) -> None:
    token, ids = await _salon(api, make_salon)
    colour = {"name": "Colour", "durationMinutes": 60, "bufferMinutes": 15, "staffIds": [ids["Cal"]],
              "staffOverrides": [{"staffId": ids["Cal"], "priceCents": 9000}]}  # fmt: skip
    status, made = await api("POST", "/services", token, colour)
    assert status == 201, made
    assert made["staffIds"] == [ids["Cal"]] and made["bufferMinutes"] == 15
    assert made["staffOverrides"] == [{"staffId": ids["Cal"], "durationMinutes": None, "priceCents": 9000}]
    ids["colour"] = made["id"]

    status, body = await api("POST", "/appointments", token, _booking(ids, "Bea", _at(10), "colour"))
    assert status == 409 and body["error"]["code"] == "not_offered" and body["error"]["field"] == "staffId", body
    status, booked = await api("POST", "/appointments", token, _booking(ids, "Cal", _at(10), "colour"))
    assert status == 201 and booked["endTime"] == booked["startTime"].replace("T10:00", "T11:00"), booked
    assert booked["bufferMinutes"] == 15
    status, body = await api("POST", "/appointments", token, _booking(ids, "Cal", _at(11)))
    assert status == 409 and body["error"]["code"] == "slot_taken", "the buffer keeps Cal busy"
    status, _ = await api("POST", "/appointments", token, _booking(ids, "Cal", _at(11, 15)))
    assert status == 201

    status, changed = await api("PATCH", f"/services/{ids['colour']}", token, {"staffIds": None})
    assert status == 200 and changed["staffIds"] is None and changed["bufferMinutes"] == 15, changed
    assert changed["name"] == "Colour" and changed["staffOverrides"] == made["staffOverrides"], "the rest stays"
    status, _ = await api("POST", "/appointments", token, _booking(ids, "Bea", _at(14), "colour"))
    assert status == 201, "everyone does colour now"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"bufferMinutes": 121}, "bufferMinutes"),
        ({"bufferMinutes": -1}, "bufferMinutes"),
        ({"staffIds": ["not-an-id"]}, "staffIds[0]"),
        ({"staffIds": "everyone"}, "staffIds"),
        ({"staffOverrides": [{"durationMinutes": 30}]}, "staffOverrides[0].staffId"),
        ({"durationMinutes": 2}, "durationMinutes"),
        ({"name": None}, "name"),
    ],
)
async def test_a_bad_service_change_is_a_400_naming_the_field(api, make_salon, change, field) -> None:
    token, ids = await _salon(api, make_salon)
    status, body = await api("PATCH", f"/services/{ids['cut']}", token, change)
    assert status == 400 and body["error"]["field"] == field, body


async def test_a_salons_real_week_agrees_between_the_desk_and_online(api, make_salon, http_server_client) -> None:
    """Two stylists with a lunch break, one on holiday on Tuesday, a colourist who alone does colour with a
    15-minute buffer: what the API books and what a client is offered online agree."""
    token, ids = await _salon(api, make_salon)  # Bea and Cal: 09-12 and 13-17 every day
    status, dee = await api("POST", "/staff", token, {"firstName": "Dee", "workingHours": HOURS})
    tuesday = desk_day(dt.UTC)
    status, salon = await api("PATCH", "/salon", token, {"onlineBooking": {"enabled": True}})
    assert status == 200, salon
    status, _ = await api("POST", f"/staff/{ids['Bea']}/time-off", token, {
        "start": f"{tuesday}T00:00:00+00:00", "end": f"{tuesday + dt.timedelta(days=1)}T00:00:00+00:00",
        "reason": "holiday"})  # fmt: skip
    assert status == 201
    status, colour = await api("POST", "/services", token, {"name": "Colour", "durationMinutes": 60,
                                                            "bufferMinutes": 15, "staffIds": [dee["id"]]})  # fmt: skip
    assert status == 201

    async def offered(service: str) -> list[tuple[str, str]]:
        response = await http_server_client.fetch(
            f"/api/public/{salon['slug']}/slots?serviceId={service}&date={tuesday}", raise_error=False
        )
        assert response.code == 200, response.body
        return [(slot["startTime"][11:16], slot["staffName"]) for slot in json.loads(response.body)["slots"]]

    cuts = await offered(ids["cut"])
    assert cuts and "Bea" not in {name for _, name in cuts}, "on holiday"
    assert not {start for start, _ in cuts} & {"11:30", "12:00", "12:15"}, "lunch: 12:00 to 13:00"
    assert {name for start, name in await offered(colour["id"])} == {"Dee"}, "the colourist alone"

    def at(hour: int, minute: int = 0) -> str:
        return dt.datetime.combine(tuesday, dt.time(hour, minute), dt.UTC).isoformat()

    body = {"clientId": ids["client"], "serviceId": colour["id"], "staffId": dee["id"], "startTime": at(9)}
    status, booked = await api("POST", "/appointments", token, body)
    assert status == 201, booked
    colours = [start for start, _ in await offered(colour["id"])]
    assert "10:00" not in colours and "10:15" in colours, "the buffer: Dee is busy until 10:15"
    status, refused = await api("POST", "/appointments", token, body | {"staffId": ids["Cal"], "startTime": at(14)})
    assert status == 409 and refused["error"]["code"] == "not_offered"
    status, refused = await api("POST", "/appointments", token, body | {"serviceId": ids["cut"], "staffId": ids["Bea"]})
    assert status == 409 and refused["error"]["code"] == "unavailable"
