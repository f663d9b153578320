"""No request can crash, freeze or hog the API: hostile values, paged lists, caps per salon, rate limits."""

from __future__ import annotations

import json
import urllib.parse

import pytest

from booking.services import MAX_SERVICES
from booking.staff import MAX_STAFF
from handlers.app import WebSettings
from handlers.limits import address_key
from tests.api_fixtures import set_up_directory


@pytest.fixture
def web_settings() -> WebSettings:
    """5 requests a second per token, 25 at once: enough for each test here, and a burst can exceed it."""
    return WebSettings(api_rate=5.0)


HOSTILE = [
    ("GET", "/appointments?date=9999-12-31", None, "date"),
    ("GET", "/appointments?date=0001-01-01", None, "date"),
    ("POST", "/appointments", {"startTime": "9999-12-31T23:30:00+00:00"}, "startTime"),
    ("POST", "/services", {"name": "Cut", "durationMinutes": 10**100}, "durationMinutes"),
    ("POST", "/services", {"name": "Cut", "durationMinutes": 45, "priceCents": 1e30}, "priceCents"),
    ("POST", "/services", {"name": "Cut\u0000", "durationMinutes": 45}, "name"),
    ("POST", "/clients", {"firstName": "Ann\ud800"}, "firstName"),
    ("POST", "/clients", {"firstName": "Ann", "notes": "x", "lastName": "\u0000"}, "lastName"),
    ("POST", "/staff", {"firstName": "Bea", "workingHours": [{"weekday": 0, "start": "09:00+01:00", "end": "17:00"}]},
     "workingHours[0].start"),
    ("POST", "/staff", {"firstName": "Bea", "workingHours": [{"weekday": 10**40, "start": "09:00", "end": "17:00"}]},
     "workingHours[0].weekday"),
    ("GET", "/jobs?limit=²", None, "limit"),
    ("GET", "/jobs?limit=" + "9" * 5000, None, "limit"),
    ("GET", "/jobs?after=%00x", None, "after"),
    ("GET", "/clients/not-an-id", None, "clientId"),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "body", "field"), HOSTILE)
async def test_a_hostile_value_is_a_400_naming_the_field(api, make_salon, method, path, body, field) -> None:
    salon = await make_salon()
    if path == "/appointments" and method == "POST":
        body = await set_up_directory(api, salon.api_token) | body
    status, answer = await api(method, path, salon.api_token, body)
    assert status == 400, answer
    assert answer["error"]["field"] == field, answer


async def test_json_nested_past_the_recursion_limit_is_a_400_and_a_huge_body_a_413(api, make_salon) -> None:
    salon = await make_salon()
    nested = b'{"firstName": ' + b"[" * 5000 + b"]" * 5000 + b"}"  # 10 KB: under the size cap
    status, answer = await api("POST", "/clients", salon.api_token, raw=nested)
    assert (status, answer["error"]["code"]) == (400, "invalid")
    status, _ = await api("POST", "/clients", salon.api_token, raw=b"[" * 70_000)
    assert status == 413


async def test_lists_come_in_pages_linked_to_the_next(api, make_salon) -> None:
    salon = await make_salon()
    for n in range(7):
        status, _ = await api("POST", "/clients", salon.api_token, {"firstName": f"Client {n}"})
        assert status == 201
    names, path = [], "/clients?limit=3"
    while path:
        status, page, link = await api("GET", path, salon.api_token, headers=True)
        assert status == 200 and len(page) <= 3
        names += [client["firstName"] for client in page]
        path = link and urllib.parse.unquote(link.split(">")[0].removeprefix("</api/v1"))
    assert names == [f"Client {n}" for n in range(7)], "every client once, in order"
    for bad in ("0", "501", "-1", "x"):
        status, answer = await api("GET", f"/clients?limit={bad}", salon.api_token)
        assert (status, answer["error"]["field"]) == (400, "limit")


async def test_a_salon_holds_at_most_its_staff_and_services(api, db, make_salon) -> None:
    salon = await make_salon()
    await db.execute(
        "INSERT INTO staff (salon_id, first_name) SELECT %s, 'S' || n FROM generate_series(2, %s) AS n",
        (salon.salon.id, MAX_STAFF),
    )
    await db.execute(
        """INSERT INTO services (salon_id, name, duration_minutes)
           SELECT %s, 'V' || n, 30 FROM generate_series(2, %s) AS n""",
        (salon.salon.id, MAX_SERVICES),
    )
    assert (await api("POST", "/staff", salon.api_token, {"firstName": "Last one"}))[0] == 201
    assert (await api("POST", "/services", salon.api_token, {"name": "Last", "durationMinutes": 30}))[0] == 201
    status, answer = await api("POST", "/staff", salon.api_token, {"firstName": "One too many"})
    assert (status, answer["error"]["code"]) == (409, "limit")
    status, answer = await api("POST", "/services", salon.api_token, {"name": "Too many", "durationMinutes": 30})
    assert (status, answer["error"]["code"]) == (409, "limit")


async def test_a_token_is_limited_to_its_rate_and_told_when_to_come_back(db, make_salon, http_server_client) -> None:
    salon, other = await make_salon(), await make_salon()

    async def call(token: str):
        return await http_server_client.fetch(
            "/api/v1/staff", headers={"Authorization": f"Bearer {token}"}, raise_error=False
        )

    answers = [await call(salon.api_token) for _ in range(40)]  # 25 at once, then 5 a second
    refused = [answer for answer in answers if answer.code == 429]
    assert refused, "a burst beyond the limit is refused"
    assert int(refused[0].headers["Retry-After"]) >= 1
    assert json.loads(refused[0].body)["error"]["code"] == "rate_limited"
    assert (await call(other.api_token)).code == 200, "another salon's token has its own allowance"


def test_an_address_counts_alone_and_an_ipv6_address_with_its_64() -> None:
    assert address_key("192.0.2.1") == address_key("::ffff:192.0.2.1") != address_key("192.0.2.2")
    assert address_key("2001:db8:1:2::7") == address_key("2001:db8:1:2:ffff:ffff:ffff:ffff"), "one subscriber"
    assert address_key("2001:db8:1:2::7") != address_key("2001:db8:1:3::7"), "the next /64 is someone else"
    assert address_key("not an address") == b"not an address"
