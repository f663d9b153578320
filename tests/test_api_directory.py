"""Staff, services and clients through the JSON API."""

from __future__ import annotations

import pytest


async def test_staff_with_working_hours_round_trip(api, make_salon) -> None:
    salon = await make_salon()
    hours = [{"weekday": 0, "start": "09:00", "end": "17:30"}, {"weekday": 5, "start": "10:00", "end": "14:00"}]
    body = {"firstName": "Bea", "lastName": "Ng", "email": "bea@example.com", "workingHours": hours}
    status, created = await api("POST", "/staff", salon.api_token, body)
    assert status == 201, created
    assert created["id"] and created["workingHours"] == hours
    status, listed = await api("GET", "/staff", salon.api_token)
    assert status == 200 and [member["id"] for member in listed] == [created["id"]]
    assert listed[0]["workingHours"] == hours


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"lastName": "Ng"}, "firstName"),
        ({"firstName": "  "}, "firstName"),
        ({"firstName": "Bea", "email": "not-an-email"}, "email"),
        (
            {"firstName": "Bea", "workingHours": [{"weekday": 7, "start": "09:00", "end": "10:00"}]},
            "workingHours[0].weekday",
        ),
        (
            {"firstName": "Bea", "workingHours": [{"weekday": 1, "start": "9am", "end": "10:00"}]},
            "workingHours[0].start",
        ),
        (
            {"firstName": "Bea", "workingHours": [{"weekday": 1, "start": "12:00", "end": "10:00"}]},
            "workingHours[0].end",
        ),
        ({"firstName": "Bea", "workingHours": "mornings"}, "workingHours"),
        (  # named by its place in the list as sent, not in week order
            {
                "firstName": "Bea",
                "workingHours": [
                    {"weekday": 4, "start": "09:00", "end": "17:00"},
                    {"weekday": 0, "start": "13:00", "end": "12:00"},
                ],
            },
            "workingHours[1].end",
        ),
    ],
)
async def test_bad_staff_is_400_naming_the_field(api, make_salon, body, field) -> None:
    salon = await make_salon()
    status, answer = await api("POST", "/staff", salon.api_token, body)
    assert status == 400, answer
    assert answer["error"]["field"] == field


async def test_services_round_trip_and_validation(api, make_salon) -> None:
    salon = await make_salon()
    status, created = await api("POST", "/services", salon.api_token, {"name": "Colour", "durationMinutes": 90})
    assert status == 201 and created["durationMinutes"] == 90 and created["priceCents"] is None
    for bad, field in (
        ({"name": "X", "durationMinutes": 0}, "durationMinutes"),
        ({"name": "X", "durationMinutes": "90"}, "durationMinutes"),
        ({"name": "X", "durationMinutes": True}, "durationMinutes"),
        ({"name": "X", "durationMinutes": 30, "priceCents": -1}, "priceCents"),
        ({"durationMinutes": 30}, "name"),
    ):
        status, answer = await api("POST", "/services", salon.api_token, bad)
        assert status == 400 and answer["error"]["field"] == field, (bad, answer)
    status, listed = await api("GET", "/services", salon.api_token)
    assert [service["name"] for service in listed] == ["Colour"]


async def test_a_salon_in_yen_takes_its_amounts_in_whole_yen(api, make_salon, db) -> None:
    salon = await make_salon()
    await db.execute("UPDATE salons SET currency = 'JPY' WHERE id = %s", (salon.salon.id,))
    cut = {"name": "Cut", "durationMinutes": 45}
    for bad, field in (
        ({"priceCents": 650050}, "priceCents"),
        ({"priceCents": 650000, "deposit": {"amountCents": 100050}}, "deposit.amountCents"),
    ):
        status, answer = await api("POST", "/services", salon.api_token, cut | bad)
        assert status == 400 and answer["error"]["field"] == field, (bad, answer)
        assert answer["error"]["message"] == f"{field} must be whole JPY, a multiple of 100 cents"
    status, created = await api("POST", "/services", salon.api_token, cut | {"priceCents": 650000})
    assert status == 201 and created["priceCents"] == 650000, "¥6,500"
    status, answer = await api("PATCH", f"/services/{created['id']}", salon.api_token, {"priceCents": 650001})
    assert status == 400 and answer["error"]["field"] == "priceCents", answer
    assert (await api("GET", f"/services/{created['id']}", salon.api_token))[1]["priceCents"] == 650000


async def test_clients_are_normalised_and_validated(api, make_salon) -> None:
    salon = await make_salon()
    status, client = await api(
        "POST",
        "/clients",
        salon.api_token,
        {"firstName": "Ann", "email": "Ann@Example.COM", "phone": "07400 900123", "optedInReminders": True},
    )
    assert status == 201, client
    assert client["phone"] == "+447400900123"
    assert client["email"] == "Ann@example.com"
    assert client["optedInReminders"] is True
    for bad, field in (
        ({"firstName": "A", "phone": "call me"}, "phone"),
        ({"firstName": "A", "email": "a@"}, "email"),
        ({"firstName": "A", "optedInReminders": "yes"}, "optedInReminders"),
        ({"firstName": "A", "email": "a@example.com\r\nBcc: x@example.com"}, "email"),
    ):
        status, answer = await api("POST", "/clients", salon.api_token, bad)
        assert status == 400 and answer["error"]["field"] == field, (bad, answer)


async def test_a_client_is_changed_field_by_field(api, make_salon) -> None:
    salon, other = await make_salon(), await make_salon()
    token = salon.api_token
    body = {"firstName": "Ann", "lastName": "Lee", "email": "ann@example.com", "phone": "07400 900123"}
    _, ann = await api("POST", "/clients", token, body)
    status, changed = await api("PATCH", f"/clients/{ann['id']}", token, {"lastName": "Shaw", "email": None})
    assert status == 200, changed
    assert (changed["firstName"], changed["lastName"], changed["email"], changed["phone"]) == (
        "Ann", "Shaw", None, "+447400900123",
    ), "what the body leaves out stays; null clears"  # fmt: skip
    shown = (await api("GET", f"/clients/{ann['id']}", token))[1]
    assert shown.pop("history") == {"visits": 0, "noShows": 0, "lateCancellations": 0, "spentCents": 0}
    assert shown == changed, "GET answers the client as PATCH left it, with their history beside"
    for bad, field in (({"firstName": ""}, "firstName"), ({"phone": "call me"}, "phone")):
        status, answer = await api("PATCH", f"/clients/{ann['id']}", token, bad)
        assert (status, answer["error"]["field"]) == (400, field), answer
    assert (await api("PATCH", f"/clients/{ann['id']}", other.api_token, {"lastName": "X"}))[0] == 404
    assert (await api("POST", f"/clients/{ann['id']}/erase", token))[0] == 200
    status, answer = await api("PATCH", f"/clients/{ann['id']}", token, {"lastName": "Back"})
    assert (status, answer["error"]["code"]) == (409, "conflict"), "an erased client stays erased"


async def test_directory_is_per_salon(api, make_salon) -> None:
    ours, theirs = await make_salon(), await make_salon()
    _, their_client = await api("POST", "/clients", theirs.api_token, {"firstName": "Zed"})
    status, listed = await api("GET", "/clients", ours.api_token)
    assert status == 200 and listed == []
    status, _ = await api("GET", f"/clients/{their_client['id']}", ours.api_token)
    assert status == 404


async def test_clients_are_searched_with_q_and_with_search_as_before(api, make_salon) -> None:
    salon = await make_salon()
    for first, phone in (("Ann", "07400 900188"), ("Bea", "07400 900123"), ("Cy", None)):
        await api("POST", "/clients", salon.api_token, {"firstName": first, "lastName": "Lee", "phone": phone})
    for query, expected in (("q=ann", ["Ann"]), ("q=0188", ["Ann"]), ("search=900-1", ["Ann", "Bea"]), ("q=LEE", 3)):
        status, found = await api("GET", f"/clients?{query}", salon.api_token)
        assert status == 200, found
        if isinstance(expected, int):
            assert len(found) == expected, query
        else:
            assert [client["firstName"] for client in found] == expected, query
    status, page, link = await api("GET", "/clients?q=lee&limit=2", salon.api_token, headers=True)
    assert [client["firstName"] for client in page] == ["Ann", "Bea"] and "q=lee" in link and "after=" in link
    status, refused = await api("GET", "/clients?q=" + "x" * 101, salon.api_token)
    assert status == 400 and refused["error"]["field"] == "q"


async def test_a_body_wrong_in_several_fields_names_them_all(api, make_salon) -> None:
    salon = await make_salon()
    body = {"firstName": "Ann", "email": "not an address", "phone": "call me"}
    status, refused = await api("POST", "/clients", salon.api_token, body)
    assert status == 400, refused
    assert refused["error"]["field"] == "email", "the first, as before"
    assert [each["field"] for each in refused["error"]["fields"]] == ["email", "phone"], refused
