"""The waitlist in the domain: who is offered a freed time, when, and the one claim of it that wins."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import uuid

import pytest

from booking import appointments, client_data, clients, code_sends, online, salons, self_service, services, waitlist
from booking.errors import Conflict, NotFound
from booking.models import ClientDetails, OnlineBooking, QuietHours, Salon, ServiceDetails, Source
from db import Database
from tests.desk import Desk, set_up_desk

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)  # the desk's day is 9 to 15 days after it


async def open_desk(make_salon, db: Database, **fields: str) -> tuple[Salon, Desk]:
    made = await make_salon(**fields)
    return made.salon, await set_up_desk(db, made.salon)


async def join(db: Database, salon: Salon, desk: Desk, name: str, *, joined: dt.datetime = NOW, **wish: object):
    """A client of the salon, by email, put on the list by the desk for the desk's cut on the desk's day."""
    client = await clients.create_client(
        db, salon.id, ClientDetails(first_name=name, email=f"{name.lower()}.{uuid.uuid4().hex[:6]}@example.com")
    )
    wanted = waitlist.Wish(**({"service_id": desk.service.id, "staff_id": None, "from_date": desk.day,
                               "to_date": desk.day} | wish))  # fmt: skip
    return await waitlist.add(db, salon, client.id, wanted, source=Source.FRONT_DESK, now=joined)


def at(desk: Desk, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(desk.day, dt.time(hour, minute), desk.zone)


async def offers_of(db: Database, salon: Salon) -> list[dict]:
    return await db.fetch_all(
        """SELECT e.client_id, o.start_time, o.staff_id, j.channels, j.run_at, j.status
             FROM waitlist_offers o JOIN waitlist_entries e ON e.id = o.entry_id
             LEFT JOIN notification_jobs j ON j.payload->>'offerId' = o.id::text
            WHERE o.salon_id = %s ORDER BY e.joined_at""",
        (salon.id,),
    )


async def cancelled_at(db: Database, salon: Salon, desk: Desk, start: dt.datetime, *, now: dt.datetime = NOW):
    booked = await appointments.book(
        db, salon, client_id=desk.client.id, staff_id=desk.staff.id, service_id=desk.service.id, start_time=start,
        now=now,
    )  # fmt: skip
    return await appointments.cancel(db, salon, booked.id, now=now)


async def test_a_cancelled_time_is_offered_to_the_first_five_it_suits_in_the_order_they_joined(
    make_salon, db: Database
) -> None:
    salon, desk = await open_desk(make_salon, db)
    seven = [await join(db, salon, desk, f"Wait{n}", joined=NOW + dt.timedelta(seconds=n)) for n in range(7)]
    early = NOW - dt.timedelta(hours=1)  # joined before all of them, but the time does not suit them
    not_suited = [
        await join(db, salon, desk, "OnlyCy", joined=early, staff_id=desk.other_staff.id),
        await join(db, salon, desk, "Later", joined=early, from_date=desk.day + dt.timedelta(days=1),
                   to_date=desk.day + dt.timedelta(days=2)),
        await join(db, salon, desk, "Mornings", joined=early, latest=dt.time(9, 30)),
        await join(db, salon, desk, "Afternoons", joined=early, earliest=dt.time(13)),
    ]  # fmt: skip
    gone = await join(db, salon, desk, "Gone", joined=early)
    await waitlist.remove(db, salon.id, gone.id, NOW)

    cancelled = await cancelled_at(db, salon, desk, at(desk, 10))

    offers = await offers_of(db, salon)
    assert [row["client_id"] for row in offers] == [entry.client_id for entry in seven[:5]], "five, in join order"
    assert {row["start_time"] for row in offers} == {cancelled.start_time}
    assert {row["staff_id"] for row in offers} == {desk.staff.id}
    assert all(row["channels"] == ["email"] and row["run_at"] == NOW for row in offers), offers
    assert not {entry.client_id for entry in not_suited} & {row["client_id"] for row in offers}
    notes = await waitlist.offers_about(db, salon.id, cancelled.id)
    assert [note.client_name for note in notes] == ["Wait0", "Wait1", "Wait2", "Wait3", "Wait4"], "on its record"


async def test_a_time_moved_away_from_is_offered_but_not_one_still_taken(make_salon, db: Database) -> None:
    salon, desk = await open_desk(make_salon, db)
    entry = await join(db, salon, desk, "Waiting")
    booked = await appointments.book(
        db, salon, client_id=desk.client.id, staff_id=desk.staff.id, service_id=desk.service.id,
        start_time=at(desk, 10), now=NOW,
    )  # fmt: skip
    await appointments.reschedule(db, salon, booked.id, start_time=at(desk, 10, 30), now=NOW)
    assert await offers_of(db, salon) == [], "10:00 to 10:45 overlaps the new 10:30: not free"
    await appointments.reschedule(db, salon, booked.id, start_time=at(desk, 14), now=NOW)
    [offer] = await offers_of(db, salon)
    assert (offer["client_id"], offer["start_time"]) == (entry.client_id, at(desk, 10, 30))


async def test_nothing_is_offered_inside_the_minimum_notice(make_salon, db: Database) -> None:
    salon, desk = await open_desk(make_salon, db)
    await join(db, salon, desk, "Waiting")
    soon = at(desk, 10)
    await cancelled_at(db, salon, desk, soon, now=soon - dt.timedelta(minutes=119))
    assert await offers_of(db, salon) == [], "two hours' notice, as online bookings"
    await cancelled_at(db, salon, desk, soon, now=soon - dt.timedelta(minutes=121))
    assert len(await offers_of(db, salon)) == 1


async def test_an_offer_freed_at_night_waits_for_the_end_of_quiet_hours_or_is_not_made(
    make_salon, db: Database
) -> None:
    salon, desk = await open_desk(make_salon, db)
    salon = await salons.update_salon(db, dataclasses.replace(salon, quiet_hours=QuietHours(dt.time(21), dt.time(8))))
    await join(db, salon, desk, "Waiting")
    night = dt.datetime.combine(desk.day - dt.timedelta(days=1), dt.time(22), desk.zone)
    await cancelled_at(db, salon, desk, at(desk, 10), now=night)
    [offer] = await offers_of(db, salon)
    assert offer["run_at"] == at(desk, 8), "at the end of quiet hours"
    await cancelled_at(db, salon, desk, at(desk, 8, 15), now=night)
    assert len(await offers_of(db, salon)) == 1, "quiet hours end less than 30 minutes before 08:15: no offer"


async def test_another_salons_waiting_clients_are_never_offered_a_time(make_salon, db: Database) -> None:
    salon, desk = await open_desk(make_salon, db)
    other, theirs = await open_desk(make_salon, db)
    await join(db, other, theirs, "Elsewhere")
    await cancelled_at(db, salon, desk, at(desk, 10))
    assert await offers_of(db, salon) == [] and await offers_of(db, other) == []
    with pytest.raises(NotFound):
        await join(db, salon, desk, "Crossed", service_id=theirs.service.id)
    with pytest.raises(NotFound):
        await join(db, salon, desk, "Crossed", staff_id=theirs.staff.id)
    assert [entry.client_name for entry in await waitlist.list_entries(db, salon.id, limit=10)] == []


async def test_of_twenty_claims_at_once_exactly_one_books_the_time(make_salon, db: Database) -> None:
    salon, desk = await open_desk(make_salon, db)
    entries = [await join(db, salon, desk, f"Wait{n}", joined=NOW + dt.timedelta(seconds=n)) for n in range(5)]
    await cancelled_at(db, salon, desk, at(desk, 10))
    offer_ids = [row["id"] for row in await db.fetch_all("SELECT id FROM waitlist_offers WHERE salon_id = %s",
                                                          (salon.id,))]  # fmt: skip
    assert len(offer_ids) == 5
    claims = [self_service.claim_offer(db, salon, offer_ids[n % 5], NOW) for n in range(20)]
    results = await asyncio.gather(*claims, return_exceptions=True)
    won = [result for result in results if isinstance(result, appointments.Appointment)]
    assert len(won) == 1, results
    assert all(isinstance(result, Conflict) for result in results if result not in won), results
    [winner] = won
    assert winner.start_time == at(desk, 10) and winner.staff_id == desk.staff.id
    statuses = {entry.client_id: entry.status for entry in await waitlist.list_entries(db, salon.id, limit=10)}
    assert statuses.pop(winner.client_id) == waitlist.EntryStatus.BOOKED
    assert set(statuses.values()) == {waitlist.EntryStatus.WAITING}, "the others stay on the list"
    assert len(statuses) == len(entries) - 1
    notes = await waitlist.offers_about(db, salon.id, winner.id)
    assert [note.appointment_id for note in notes] == [winner.id], "the claim is on the appointment's record"
    for offer_id in offer_ids:
        offer = await waitlist.find_offer(db, offer_id)
        assert offer is not None
        if offer.entry_status == waitlist.EntryStatus.WAITING:
            with pytest.raises(self_service.OfferGone):  # a claim later still loses
                await self_service.claim_offer(db, salon, offer_id, NOW)


async def test_entries_past_their_last_day_end(make_salon, db: Database) -> None:
    salon, desk = await open_desk(make_salon, db)
    entry = await join(db, salon, desk, "Waiting")
    await waitlist.end_past(db, at(desk, 23, 59))
    assert (await waitlist.list_entries(db, salon.id, limit=1))[0].status == waitlist.EntryStatus.WAITING
    await waitlist.end_past(db, dt.datetime.combine(desk.day + dt.timedelta(days=1), dt.time(0, 1), desk.zone))
    [ended] = await waitlist.list_entries(db, salon.id, limit=1)
    assert (ended.id, ended.status) == (entry.id, waitlist.EntryStatus.EXPIRED)
    await cancelled_at(db, salon, desk, at(desk, 10))
    assert await offers_of(db, salon) == []


async def test_a_span_freed_with_no_service_is_offered_to_those_whose_service_fits(make_salon, db: Database) -> None:
    """As removing time off would: the span's start, for any service the stylist is free long enough for."""
    salon, desk = await open_desk(make_salon, db)
    colour = await services.create_service(db, salon.id, ServiceDetails(name="Colour", duration_minutes=180))
    long_wait = await join(db, salon, desk, "Colour", service_id=colour.id)
    short_wait = await join(db, salon, desk, "Cut", joined=NOW + dt.timedelta(seconds=1))
    await appointments.book(
        db, salon, client_id=desk.client.id, staff_id=desk.staff.id, service_id=desk.service.id,
        start_time=at(desk, 12), now=NOW,
    )  # fmt: skip
    async with db.transaction() as cur:
        offered = await waitlist.offer_freed(cur, salon, waitlist.Freed(desk.staff.id, None, at(desk, 10)), NOW)
    assert len(offered) == 1
    [offer] = await offers_of(db, salon)
    assert offer["client_id"] == short_wait.client_id != long_wait.client_id, "10:00 to 13:00 would run into 12:00"


async def test_a_client_whose_data_is_erased_waits_no_more(make_salon, db: Database) -> None:
    salon, desk = await open_desk(make_salon, db)
    entry = await join(db, salon, desk, "Erased")
    assert entry.client_id is not None
    await client_data.erase(db, salon.id, entry.client_id)
    [ended] = await waitlist.list_entries(db, salon.id, limit=1)
    assert ended.status == waitlist.EntryStatus.LEFT
    await cancelled_at(db, salon, desk, at(desk, 10))
    assert await offers_of(db, salon) == []


async def test_the_match_is_one_probe_of_an_index_however_many_wait_for_other_days(make_salon, db: Database) -> None:
    salon, desk = await open_desk(make_salon, db)
    await db.execute(
        """INSERT INTO waitlist_entries (salon_id, client_id, service_id, from_date, to_date, joined_at)
           SELECT %(salon)s, %(client)s, %(service)s, %(day)s::date + 1 + n %% 60, %(day)s::date + 1 + n %% 60 + 7,
                  now() - make_interval(secs => n)
             FROM generate_series(1, 10000) AS n""",
        {"salon": salon.id, "client": desk.client.id, "service": desk.service.id, "day": desk.day},
    )
    await db.execute("ANALYZE waitlist_entries")
    start = at(desk, 10).astimezone(dt.UTC)
    params = {"salon": salon.id, "service": desk.service.id, "staff": desk.staff.id, "start": start,
              "day": desk.day, "clock": dt.time(10), "limit": waitlist.OFFERS_PER_TIME, "freed_by": None,
              "now": NOW}  # fmt: skip
    async with db.transaction() as cur:
        await cur.execute("EXPLAIN " + waitlist._MATCH, params)
        plan = "\n".join(row["QUERY PLAN"] for row in await cur.fetchall())
    assert "waitlist_entries_matching" in plan and "Seq Scan on waitlist_entries" not in plan, plan
    await join(db, salon, desk, "Today")
    await cancelled_at(db, salon, desk, at(desk, 10))
    assert len(await offers_of(db, salon)) == 1, "only the one whose days hold the freed day"


async def test_a_held_time_given_back_is_offered(make_salon, db: Database) -> None:
    salon, desk = await open_desk(make_salon, db)
    salon = await salons.update_salon(db, dataclasses.replace(salon, online_booking=OnlineBooking(enabled=True)))
    entry = await join(db, salon, desk, "Waiting")
    asked = online.Request(desk.service.id, desk.staff.id, at(desk, 10), "Dee", "", "dee@example.com", None, False)
    hold = await online.hold(db, salon, asked, client_address="10.1.2.3", minutes=15, limits=code_sends.Limits(),
                             now=NOW)  # fmt: skip
    assert await offers_of(db, salon) == [], "held: not free"
    sent = await db.fetch_row(
        "SELECT payload->'secret'->>'code' AS code FROM notification_jobs WHERE payload->>'email' = 'dee@example.com'"
    )
    wrong = "000000" if sent["code"] != "000000" else "111111"
    for _ in range(online.WRONG_CODES):
        with pytest.raises(online.WrongCode):
            await online.verify(db, salon, hold.id, wrong, now=NOW)
    [offer] = await offers_of(db, salon)
    assert (offer["client_id"], offer["start_time"]) == (entry.client_id, at(desk, 10)), "five wrong codes free it"
