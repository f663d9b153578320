"""Repeat bookings: every free occurrence booked as an ordinary appointment, the taken ones offered nearby times."""

from __future__ import annotations

import datetime as dt

import pytest

from booking import appointments, clients, locales, services, staff
from booking.errors import Invalid, SlotTaken
from booking.models import ClientDetails, ServiceDetails, StaffDetails
from db import Database
from tests.desk import ALL_WEEK

LONDON_SPRING = dt.date(2027, 3, 16)  # a Tuesday: Europe's clocks go forward on Sunday 28 March
NOW = dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.UTC)


async def _salon(db: Database, make_salon):
    salon = (await make_salon(timezone="Europe/London")).salon
    bea = await staff.create_staff(db, salon.id, StaffDetails(first_name="Bea", working_hours=tuple(ALL_WEEK)))
    colour = await services.create_service(db, salon.id, ServiceDetails(name="Colour", duration_minutes=60))
    cy = await clients.create_client(
        db, salon.id, ClientDetails(first_name="Cy", email="cy@example.com", opted_in_reminders=True)
    )
    dee = await clients.create_client(db, salon.id, ClientDetails(first_name="Dee"))
    return salon, bea, colour, cy, dee


def _local(salon, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), salon.zone)


async def test_a_weekly_series_keeps_its_wall_clock_time_across_the_clock_change_and_lists_a_taken_week(
    db: Database, make_salon
) -> None:
    salon, bea, colour, cy, dee = await _salon(db, make_salon)
    taken_day = LONDON_SPRING + dt.timedelta(weeks=2)
    await appointments.book(
        db, salon, client_id=dee.id, staff_id=bea.id, service_id=colour.id,
        start_time=_local(salon, taken_day, 10), now=NOW,
    )  # fmt: skip

    series = await appointments.book_series(
        db, salon, appointments.Repeat(every_weeks=1, count=4), client_id=cy.id, staff_id=bea.id,
        service_id=colour.id, start_time=_local(salon, LONDON_SPRING, 10), now=NOW,
    )  # fmt: skip

    assert [a.start_time.astimezone(salon.zone).strftime("%d %H:%M") for a in series.booked] == [
        "16 10:00", "23 10:00", "06 10:00",
    ]  # fmt: skip
    assert [a.start_time.astimezone(dt.UTC).hour for a in series.booked] == [10, 10, 9], "10:00 GMT, then 10:00 BST"
    assert len({a.series_id for a in series.booked}) == 1 and series.booked[0].series_id is not None
    assert all({job.type for job in a.notification_jobs} >= {"booking_confirmation"} for a in series.booked)
    [taken] = series.conflicts
    assert taken.start_time == _local(salon, taken_day, 10)
    assert [t.astimezone(salon.zone).strftime("%H:%M") for t in taken.nearest] == ["09:00", "11:00", "11:15"]
    theirs = await appointments.list_day(db, salon, taken_day)
    assert [a.client_id for a in theirs] == [dee.id], "nothing booked behind the desk's back that day"


async def test_an_occurrence_outside_the_stylists_hours_is_not_booked(db: Database, make_salon) -> None:
    salon, _, colour, cy, _ = await _salon(db, make_salon)
    tuesdays = tuple(hours for hours in ALL_WEEK if hours.weekday == 1)
    tuesdays_only = await staff.create_staff(db, salon.id, StaffDetails(first_name="Tue", working_hours=tuesdays))
    series = await appointments.book_series(
        db, salon, appointments.Repeat(every_weeks=1, count=2), client_id=cy.id, staff_id=tuesdays_only.id,
        service_id=colour.id, start_time=_local(salon, LONDON_SPRING, 16, 30), now=NOW,
    )  # fmt: skip
    assert series.booked == () and len(series.conflicts) == 2, "16:30 + 60 minutes ends after 17:00"
    assert all(len(c.nearest) == 3 for c in series.conflicts)


@pytest.mark.parametrize(("every", "count", "field"), [(0, 2, "every_weeks"), (13, 2, "every_weeks"),
                                                       (1, 1, "count"), (1, 27, "count")])  # fmt: skip
def test_a_repeat_is_every_1_to_12_weeks_2_to_26_times(every: int, count: int, field: str) -> None:
    with pytest.raises(Invalid) as refused:
        appointments.Repeat(every, count)
    assert refused.value.field == ("repeat", field)


async def test_cancelling_this_and_the_following_leaves_the_earlier_ones(db: Database, make_salon) -> None:
    salon, bea, colour, cy, _ = await _salon(db, make_salon)
    series = await appointments.book_series(
        db, salon, appointments.Repeat(every_weeks=6, count=4), client_id=cy.id, staff_id=bea.id,
        service_id=colour.id, start_time=_local(salon, LONDON_SPRING, 10), now=NOW,
    )  # fmt: skip
    first, second, *_ = series.booked
    await appointments.cancel(db, salon, first.id, now=NOW)  # this one
    await appointments.cancel(db, salon, second.id, following=True, now=NOW)
    statuses = [(await appointments.get_appointment(db, salon.id, a.id)).status for a in series.booked]
    assert statuses == ["cancelled"] * 4
    later = await appointments.get_appointment(db, salon.id, series.booked[3].id)
    assert {job.type for job in later.notification_jobs if job.status == "pending"} == {"cancellation"}


async def test_cancelling_one_leaves_the_rest_of_the_series(db: Database, make_salon) -> None:
    salon, bea, colour, cy, _ = await _salon(db, make_salon)
    series = await appointments.book_series(
        db, salon, appointments.Repeat(every_weeks=4, count=3), client_id=cy.id, staff_id=bea.id,
        service_id=colour.id, start_time=_local(salon, LONDON_SPRING, 10), now=NOW,
    )  # fmt: skip
    await appointments.cancel(db, salon, series.booked[1].id, now=NOW)
    statuses = [(await appointments.get_appointment(db, salon.id, a.id)).status for a in series.booked]
    assert statuses == ["booked", "cancelled", "booked"]


async def test_moving_this_and_the_following_keeps_their_rhythm_and_wall_clock_time(db: Database, make_salon) -> None:
    salon, bea, colour, cy, _ = await _salon(db, make_salon)
    series = await appointments.book_series(
        db, salon, appointments.Repeat(every_weeks=1, count=3), client_id=cy.id, staff_id=bea.id,
        service_id=colour.id, start_time=_local(salon, LONDON_SPRING, 10), now=NOW,
    )  # fmt: skip
    first, second, third = series.booked
    # a week later: each lands where the next one was, so they must move last first
    await appointments.reschedule(
        db, salon, second.id, start_time=_local(salon, LONDON_SPRING + dt.timedelta(weeks=2), 14), following=True,
        now=NOW,
    )  # fmt: skip
    starts = [(await appointments.get_appointment(db, salon.id, a.id)).start_time for a in (first, second, third)]
    assert starts == [
        _local(salon, LONDON_SPRING, 10),  # the earlier one stays
        _local(salon, LONDON_SPRING + dt.timedelta(weeks=2), 14),
        _local(salon, LONDON_SPRING + dt.timedelta(weeks=3), 14),  # 14:00 after the clock change too
    ]
    moved = await appointments.get_appointment(db, salon.id, third.id)
    assert {job.type for job in moved.notification_jobs if job.status == "pending"} >= {"rescheduled"}


async def test_a_series_moves_whole_or_not_at_all_and_says_which_day_clashes(db: Database, make_salon) -> None:
    salon, bea, colour, cy, dee = await _salon(db, make_salon)
    series = await appointments.book_series(
        db, salon, appointments.Repeat(every_weeks=1, count=3), client_id=cy.id, staff_id=bea.id,
        service_id=colour.id, start_time=_local(salon, LONDON_SPRING, 10), now=NOW,
    )  # fmt: skip
    third_day = LONDON_SPRING + dt.timedelta(weeks=2)
    await appointments.book(
        db, salon, client_id=dee.id, staff_id=bea.id, service_id=colour.id, start_time=_local(salon, third_day, 15),
        now=NOW,
    )  # fmt: skip
    with pytest.raises(SlotTaken, match=r"^Tuesday, (30 March|March 30)") as clash:
        await appointments.reschedule(
            db, salon, series.booked[0].id, start_time=_local(salon, LONDON_SPRING, 15), following=True, now=NOW
        )
    german = clash.value.describe(str, locales.translations("de").gettext)
    assert german.startswith("Tuesday, ") and german != clash.value.message, "the day's sentence in the catalogue"
    assert german == "Tuesday, 30 March: diese Zeit ist bei dieser Person schon vergeben", german
    starts = [(await appointments.get_appointment(db, salon.id, a.id)).start_time for a in series.booked]
    assert starts == [_local(salon, LONDON_SPRING + dt.timedelta(weeks=n), 10) for n in range(3)], "none moved"
    alone = await appointments.reschedule(
        db, salon, series.booked[0].id, start_time=_local(salon, LONDON_SPRING, 15), now=NOW
    )
    assert alone.start_time == _local(salon, LONDON_SPRING, 15), "this one alone moves"
