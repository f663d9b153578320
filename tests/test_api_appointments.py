"""Booking through the JSON API: the appointment and its jobs, and every refusal."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

import pytest

from db import Database
from tests.api_fixtures import IN_A_WEEK, set_up_directory


def _at(start: dt.datetime) -> str:
    return start.isoformat()


async def test_booking_answers_201_with_its_jobs(api, make_salon) -> None:
    salon = await make_salon()
    ids = await set_up_directory(api, salon.api_token)
    status, body = await api("POST", "/appointments", salon.api_token, ids | {"startTime": _at(IN_A_WEEK)})
    assert status == 201, body
    assert body["clientId"] == ids["clientId"] and body["status"] == "booked"
    assert dt.datetime.fromisoformat(body["endTime"]) - dt.datetime.fromisoformat(body["startTime"]) == dt.timedelta(
        minutes=45
    )
    types = {job["type"]: job for job in body["notificationJobs"]}
    assert set(types) == {"booking_confirmation", "reminder_24h", "reminder_2h"}
    assert all(job["status"] == "pending" for job in types.values())
    assert dt.datetime.fromisoformat(types["reminder_2h"]["runAt"]) == IN_A_WEEK - dt.timedelta(hours=2)

    status, fetched = await api("GET", f"/appointments/{body['id']}", salon.api_token)
    assert status == 200 and fetched["id"] == body["id"]
    assert len(fetched["notificationJobs"]) == 3


async def test_client_not_opted_in_gets_no_jobs(api, make_salon) -> None:
    salon = await make_salon()
    ids = await set_up_directory(api, salon.api_token, opted_in=False)
    status, body = await api("POST", "/appointments", salon.api_token, ids | {"startTime": _at(IN_A_WEEK)})
    assert status == 201, body
    assert body["notificationJobs"] == []


async def test_twenty_concurrent_bookings_of_one_slot_give_one_201(api, make_salon) -> None:
    salon = await make_salon()
    ids = await set_up_directory(api, salon.api_token)
    request = ids | {"startTime": _at(IN_A_WEEK)}
    results = await asyncio.gather(*(api("POST", "/appointments", salon.api_token, request) for _ in range(20)))
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * 19, statuses
    conflict = next(body for status, body in results if status == 409)
    assert conflict["error"]["code"] == "slot_taken"


async def test_overlapping_but_not_equal_slot_is_409_and_adjacent_is_fine(api, make_salon) -> None:
    salon = await make_salon()
    ids = await set_up_directory(api, salon.api_token)
    assert (await api("POST", "/appointments", salon.api_token, ids | {"startTime": _at(IN_A_WEEK)}))[0] == 201
    overlap = IN_A_WEEK + dt.timedelta(minutes=30)
    status, body = await api("POST", "/appointments", salon.api_token, ids | {"startTime": _at(overlap)})
    assert status == 409, body
    adjacent = IN_A_WEEK + dt.timedelta(minutes=45)
    assert (await api("POST", "/appointments", salon.api_token, ids | {"startTime": _at(adjacent)}))[0] == 201


async def test_cancel_cancels_reminders_and_queues_a_notice(api, make_salon) -> None:
    salon = await make_salon()
    ids = await set_up_directory(api, salon.api_token)
    _, booked = await api("POST", "/appointments", salon.api_token, ids | {"startTime": _at(IN_A_WEEK)})
    status, cancelled = await api("POST", f"/appointments/{booked['id']}/cancel", salon.api_token)
    assert status == 200, cancelled
    assert cancelled["status"] == "cancelled"
    by_type = {job["type"]: job["status"] for job in cancelled["notificationJobs"]}
    assert by_type == {
        "booking_confirmation": "cancelled",
        "reminder_24h": "cancelled",
        "reminder_2h": "cancelled",
        "cancellation": "pending",
    }
    status, again = await api("POST", f"/appointments/{booked['id']}/cancel", salon.api_token)
    assert status == 409, again
    # The slot is free again.
    assert (await api("POST", "/appointments", salon.api_token, ids | {"startTime": _at(IN_A_WEEK)}))[0] == 201


async def test_reschedule_replans_reminders_and_queues_a_notice(api, make_salon) -> None:
    salon = await make_salon()
    ids = await set_up_directory(api, salon.api_token)
    _, booked = await api("POST", "/appointments", salon.api_token, ids | {"startTime": _at(IN_A_WEEK)})
    later = IN_A_WEEK + dt.timedelta(days=1, hours=3)
    status, moved = await api("PATCH", f"/appointments/{booked['id']}", salon.api_token, {"startTime": _at(later)})
    assert status == 200, moved
    assert dt.datetime.fromisoformat(moved["startTime"]) == later
    live = {job["type"]: job for job in moved["notificationJobs"] if job["status"] == "pending"}
    assert set(live) == {"rescheduled", "reminder_24h", "reminder_2h"}
    assert dt.datetime.fromisoformat(live["reminder_24h"]["runAt"]) == later - dt.timedelta(hours=24)
    old = [job for job in moved["notificationJobs"] if job["status"] == "cancelled"]
    assert {job["type"] for job in old} == {"booking_confirmation", "reminder_24h", "reminder_2h"}


async def test_reschedule_onto_a_taken_slot_is_409_and_changes_nothing(api, make_salon) -> None:
    salon = await make_salon()
    ids = await set_up_directory(api, salon.api_token)
    assert (await api("POST", "/appointments", salon.api_token, ids | {"startTime": _at(IN_A_WEEK)}))[0] == 201
    later = IN_A_WEEK + dt.timedelta(hours=2)
    _, second = await api("POST", "/appointments", salon.api_token, ids | {"startTime": _at(later)})
    status, body = await api("PATCH", f"/appointments/{second['id']}", salon.api_token, {"startTime": _at(IN_A_WEEK)})
    assert status == 409, body
    _, unchanged = await api("GET", f"/appointments/{second['id']}", salon.api_token)
    assert dt.datetime.fromisoformat(unchanged["startTime"]) == later
    assert {job["status"] for job in unchanged["notificationJobs"]} == {"pending"}


async def test_list_appointments_of_a_salon_local_day(api, make_salon) -> None:
    salon = await make_salon(timezone="Pacific/Auckland")
    ids = await set_up_directory(api, salon.api_token)
    zone = salon.salon.zone
    local_day = (dt.datetime.now(zone) + dt.timedelta(days=10)).date()
    late_evening = dt.datetime.combine(local_day, dt.time(23, 0), zone)  # the next day in UTC
    assert (await api("POST", "/appointments", salon.api_token, ids | {"startTime": _at(late_evening)}))[0] == 201
    status, listed = await api("GET", f"/appointments?date={local_day}", salon.api_token)
    assert status == 200
    assert [dt.datetime.fromisoformat(a["startTime"]) for a in listed] == [late_evening]
    status, next_day = await api("GET", f"/appointments?date={local_day + dt.timedelta(days=1)}", salon.api_token)
    assert status == 200 and next_day == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"startTime": "tomorrow at ten"}, "startTime"),
        ({"startTime": "2031-05-01T10:00:00"}, "startTime"),
        ({"startTime": "2001-05-01T10:00:00+00:00"}, "startTime"),
        ({"clientId": "not-a-uuid"}, "clientId"),
        ({"staffId": 42}, "staffId"),
        ({"serviceId": None}, "serviceId"),
        ({"notes": ["a list"]}, "notes"),
    ],
)
async def test_bad_booking_fields_are_400_naming_the_field(api, make_salon, change, field) -> None:
    salon = await make_salon()
    ids = await set_up_directory(api, salon.api_token)
    status, body = await api("POST", "/appointments", salon.api_token, ids | {"startTime": _at(IN_A_WEEK)} | change)
    assert status == 400, body
    assert body["error"]["field"] == field, body


async def test_bad_json_is_400(api, make_salon) -> None:
    salon = await make_salon()
    for raw in (b"{not json", b"[1, 2]", b"\xff\xfe", b""):
        status, body = await api("POST", "/appointments", salon.api_token, raw=raw)
        assert status == 400, (raw, body)
        assert body["error"]["code"] == "invalid"


async def test_missing_or_wrong_token_is_401(api, make_salon) -> None:
    salon = await make_salon()
    for token in (None, "", salon.api_token + "x"):
        status, body = await api("GET", "/appointments", token)
        assert status == 401, body
        assert body["error"]["code"] == "unauthorized"


async def test_body_over_the_limit_is_413(api, make_salon) -> None:
    salon = await make_salon()
    huge = {"firstName": "A" * 20_000}
    status, body = await api("POST", "/clients", salon.api_token, huge)
    assert status == 413, body
    assert body["error"]["code"] == "too_large"


async def test_another_salons_ids_are_404_with_the_field(api, make_salon) -> None:
    ours, theirs = await make_salon(), await make_salon()
    our_ids = await set_up_directory(api, ours.api_token)
    their_ids = await set_up_directory(api, theirs.api_token)
    _, their_booking = await api("POST", "/appointments", theirs.api_token, their_ids | {"startTime": _at(IN_A_WEEK)})
    for field in ("clientId", "staffId", "serviceId"):
        request = our_ids | {field: their_ids[field], "startTime": _at(IN_A_WEEK)}
        status, body = await api("POST", "/appointments", ours.api_token, request)
        assert status == 404, body
        assert body["error"]["field"] == field
    for method, path in (("GET", ""), ("POST", "/cancel"), ("PATCH", "")):
        body = {"startTime": _at(IN_A_WEEK + dt.timedelta(days=1))} if method == "PATCH" else None
        status, answer = await api(method, f"/appointments/{their_booking['id']}{path}", ours.api_token, body)
        assert status == 404, (method, path, answer)
    status, listed = await api("GET", f"/appointments?date={IN_A_WEEK.date()}", ours.api_token)
    assert status == 200 and listed == []


async def test_unknown_id_and_unknown_path_are_json_404(api, make_salon) -> None:
    salon = await make_salon()
    status, body = await api("GET", "/appointments/8d2f9a52-0000-4000-8000-000000000000", salon.api_token)
    assert status == 404 and body["error"]["code"] == "not_found"
    status, body = await api("GET", "/nothing-here", salon.api_token)
    assert status == 404 and body["error"]["code"] == "not_found"


async def test_bad_query_parameters_are_400(api, make_salon) -> None:
    salon = await make_salon()
    for query, field in (
        ("/appointments?date=2030-13-45", "date"),
        ("/jobs?status=lost", "status"),
        ("/jobs?limit=0", "limit"),
        ("/jobs?appointmentId=x", "appointmentId"),
    ):
        status, body = await api("GET", query, salon.api_token)
        assert status == 400, (query, body)
        assert body["error"]["field"] == field


async def test_failure_after_the_appointment_insert_leaves_neither_row(api, make_salon, db: Database) -> None:
    """A job insert that fails (here: a broken trigger) rolls the appointment back too."""
    salon = await make_salon()
    ids = await set_up_directory(api, salon.api_token)
    await db.execute(
        """CREATE FUNCTION refuse_jobs() RETURNS trigger LANGUAGE plpgsql AS
           $$ BEGIN RAISE EXCEPTION 'queue is broken'; END $$"""
    )
    await db.execute(
        "CREATE TRIGGER refuse BEFORE INSERT ON notification_jobs FOR EACH ROW EXECUTE FUNCTION refuse_jobs()"
    )
    try:
        status, _ = await api("POST", "/appointments", salon.api_token, ids | {"startTime": _at(IN_A_WEEK)})
    finally:
        await db.execute("DROP TRIGGER refuse ON notification_jobs")
        await db.execute("DROP FUNCTION refuse_jobs()")
    assert status == 500
    counted = await db.fetch_one(
        """SELECT (SELECT count(*) FROM appointments WHERE salon_id = %(s)s) AS appointments,
                  (SELECT count(*) FROM notification_jobs WHERE salon_id = %(s)s) AS jobs""",
        {"s": salon.salon.id},
    )
    assert counted == {"appointments": 0, "jobs": 0}


def next_spring_forward_in_europe() -> dt.date:
    """The next last Sunday of March at least a week away: the night Europe's clocks go forward."""
    today = dt.date.today()
    for year in (today.year, today.year + 1):
        last_day = dt.date(year, 3, 31)
        sunday = last_day - dt.timedelta(days=(last_day.weekday() + 1) % 7)
        if sunday > today + dt.timedelta(days=7):
            return sunday
    raise AssertionError("unreachable: next year's is always ahead")


async def test_reminder_run_at_across_dst_is_stored_as_real_hours(api, make_salon) -> None:
    salon = await make_salon(timezone="Europe/London")
    ids = await set_up_directory(api, salon.api_token)
    day = next_spring_forward_in_europe()
    status, body = await api("POST", "/appointments", salon.api_token, ids | {"startTime": f"{day}T10:00:00+01:00"})
    assert status == 201, body
    run_at = {job["type"]: dt.datetime.fromisoformat(job["runAt"]) for job in body["notificationJobs"]}
    the_day_before = day - dt.timedelta(days=1)
    assert run_at["reminder_24h"] == dt.datetime.combine(the_day_before, dt.time(9), dt.UTC), "09:00 GMT"
    assert run_at["reminder_2h"] == dt.datetime.combine(day, dt.time(7), dt.UTC), "08:00 BST"
    # Answers are written in the salon's offset of that moment: GMT before the change, BST after.
    assert body["startTime"] == f"{day}T10:00:00+01:00"
    reminder = next(job for job in body["notificationJobs"] if job["type"] == "reminder_24h")
    assert reminder["runAt"] == f"{the_day_before}T09:00:00+00:00"


async def test_every_answer_shows_an_appointment_the_same_way(api, make_salon) -> None:
    """Create, get, list, move and cancel answer with one shape, field by field, names included; the appointment's
    own answer adds the card on file (tests/test_payments_cards.py) and its waitlist offers
    (tests/test_public_waitlist.py)."""
    salon = await make_salon()
    token = salon.api_token
    ids = await set_up_directory(api, token)

    async def read(appointment_id: str, day: dt.date) -> tuple[dict[str, Any], dict[str, Any]]:
        _, got = await api("GET", f"/appointments/{appointment_id}", token)
        assert got.pop("cardOnFile") is None, "booked at the desk: no card saved"
        assert got.pop("waitlistOffers") == [], "nobody waits"
        _, listed = await api("GET", f"/appointments?date={day}", token)
        return got, next(item for item in listed if item["id"] == appointment_id)

    status, created = await api("POST", "/appointments", token, ids | {"startTime": _at(IN_A_WEEK)})
    assert status == 201
    got, listed = await read(created["id"], IN_A_WEEK.astimezone(salon.salon.zone).date())
    assert created == got == listed
    assert (created["clientName"], created["staffName"], created["serviceName"]) == ("Ann Lee", "Bea Stylist", "Cut")

    later = IN_A_WEEK + dt.timedelta(days=1)
    status, moved = await api("PATCH", f"/appointments/{created['id']}", token, {"startTime": _at(later)})
    assert status == 200
    got, listed = await read(created["id"], later.astimezone(salon.salon.zone).date())
    assert moved == got == listed
    assert moved["clientName"] == "Ann Lee" and moved["startTime"] == later.astimezone(salon.salon.zone).isoformat()

    status, cancelled = await api("POST", f"/appointments/{created['id']}/cancel", token)
    assert status == 200
    got, listed = await read(created["id"], later.astimezone(salon.salon.zone).date())
    assert cancelled == got == listed
    assert cancelled["status"] == "cancelled" and cancelled["serviceName"] == "Cut"


async def test_a_query_parameter_given_blank_is_refused_as_the_document_says_not_ignored(
    api, make_salon, db, http_server_client
) -> None:
    made = await make_salon()
    for path, field in (
        ("/appointments?after=", "after"),
        ("/appointments?date=", "date"),
        ("/appointments?limit=", "limit"),
        ("/jobs?status=", "status"),
        ("/jobs?appointmentId=", "appointmentId"),
        ("/appointments?date=2200-01-01", "date"),
        ("/appointments?date=20300501", "date"),
    ):
        status, answer = await api("GET", path, made.api_token)
        assert (status, answer["error"]["field"]) == (400, field), path
    assert (await api("GET", "/clients?q=", made.api_token))[0] == 200, "a blank search is no search"
    await db.execute("UPDATE salons SET online_booking = true WHERE id = %s", (made.salon.id,))
    ids = await set_up_directory(api, made.api_token)
    answer = await http_server_client.fetch(
        f"/api/public/{made.salon.slug}/slots?serviceId={ids['serviceId']}&date=2030-05-07&staffId=", raise_error=False
    )
    assert (answer.code, json.loads(answer.body)["error"]["field"]) == (400, "staffId"), "only leaving it out is anyone"


async def test_an_appointment_answers_its_price_as_booked_and_its_outcome_from_the_start(api, make_salon, app) -> None:
    salon = await make_salon()
    ids = await set_up_directory(api, salon.api_token)
    start = IN_A_WEEK
    _, booked = await api("POST", "/appointments", salon.api_token, ids | {"startTime": _at(start)})
    assert booked["priceCents"] == 3500 and booked["outcome"] is None and booked["seriesId"] is None
    outcome = f"/appointments/{booked['id']}/outcome"

    app.clock = lambda: start - dt.timedelta(seconds=1)
    status, refused = await api("POST", outcome, salon.api_token, {"outcome": "no_show"})
    assert status == 409 and refused["error"]["code"] == "conflict", refused
    status, refused = await api("POST", outcome, salon.api_token, {"outcome": "gone"})
    assert status == 400 and refused["error"]["field"] == "outcome", refused

    app.clock = lambda: start + dt.timedelta(days=7)
    status, marked = await api("POST", outcome, salon.api_token, {"outcome": "no_show"})
    assert status == 200, marked
    assert marked["outcome"] == "no_show" and marked["status"] == "no_show", "the released status says it too"
    app.clock = lambda: start + dt.timedelta(days=7, seconds=1)
    status, refused = await api("POST", outcome, salon.api_token, {"outcome": "completed"})
    assert status == 409, refused

    other = await make_salon()
    status, _ = await api("POST", outcome, other.api_token, {"outcome": "completed"})
    assert status == 404, "another salon's appointment is not found"


async def test_a_repeat_booking_answers_what_was_booked_and_what_was_taken_and_cancels_the_following(
    api, make_salon
) -> None:
    salon = await make_salon()
    ids = await set_up_directory(api, salon.api_token)
    status, hours = await api("GET", f"/staff/{ids['staffId']}", salon.api_token)
    assert status == 200 and hours["workingHours"] == []
    body = ids | {"startTime": _at(IN_A_WEEK), "repeat": {"everyWeeks": 2, "count": 3}}
    status, series = await api("POST", "/appointments", salon.api_token, body)
    assert status == 201, series
    assert series["booked"] == [] and len(series["conflicts"]) == 3, "a stylist without hours is never free"

    status, member = await api("POST", "/staff", salon.api_token, {"firstName": "Cy", "workingHours": [
        {"weekday": day, "start": "00:00", "end": "23:59"} for day in range(7)]})  # fmt: skip
    assert status == 201, member
    body |= {"staffId": member["id"]}
    status, series = await api("POST", "/appointments", salon.api_token, body)
    assert status == 201, series
    assert series["conflicts"] == [], series
    zone = salon.salon.zone
    local = [dt.datetime.fromisoformat(a["startTime"]).astimezone(zone) for a in series["booked"]]
    first_day = IN_A_WEEK.astimezone(zone)
    assert [(t.date(), t.time()) for t in local] == [
        (first_day.date() + dt.timedelta(weeks=n), first_day.time()) for n in (0, 2, 4)
    ], "every other week at the same wall-clock time"
    assert len({a["seriesId"] for a in series["booked"]}) == 1 and all(a["notificationJobs"] for a in series["booked"])
    status, again = await api("POST", "/appointments", salon.api_token, body)
    assert status == 201 and again["booked"] == [] and len(again["conflicts"]) == 3
    assert all(len(c["nearest"]) == 3 for c in again["conflicts"]), "each taken one with the nearest free times"

    first, second, third = series["booked"]
    later = dt.datetime.fromisoformat(second["startTime"]) + dt.timedelta(days=1, hours=1)
    move = {"startTime": later.isoformat(), "following": True}
    status, moved = await api("PATCH", f"/appointments/{second['id']}", salon.api_token, move)
    assert status == 200, moved
    status, last = await api("GET", f"/appointments/{third['id']}", salon.api_token)
    shifted = dt.datetime.fromisoformat(third["startTime"]).astimezone(zone) + dt.timedelta(days=1)
    assert dt.datetime.fromisoformat(last["startTime"]).astimezone(zone) == shifted.replace(
        hour=later.astimezone(zone).hour
    ), "the later one follows"
    status, cancelled = await api("POST", f"/appointments/{second['id']}/cancel", salon.api_token, {"following": True})
    assert status == 200 and cancelled["status"] == "cancelled", cancelled
    status, last = await api("GET", f"/appointments/{third['id']}", salon.api_token)
    assert last["status"] == "cancelled"
    status, kept = await api("GET", f"/appointments/{first['id']}", salon.api_token)
    assert kept["status"] == "booked"

    for repeat, field in (({"everyWeeks": 13, "count": 2}, "repeat.everyWeeks"), ({"everyWeeks": 1}, "repeat.count"),
                          ("weekly", "repeat")):  # fmt: skip
        status, refused = await api("POST", "/appointments", salon.api_token, body | {"repeat": repeat})
        assert status == 400 and refused["error"]["field"] == field, refused
