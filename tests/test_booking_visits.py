"""After the start: recording that the client came, or did not."""

from __future__ import annotations

import datetime as dt

import pytest

from booking import appointments, clients, services, staff
from booking.errors import Conflict, Invalid
from booking.models import ClientDetails, ServiceDetails, StaffDetails
from db import Database

START = dt.datetime(2030, 5, 6, 10, 0, tzinfo=dt.UTC)  # a Monday
SECOND, DAY = dt.timedelta(seconds=1), dt.timedelta(days=1)


async def _booking(db: Database, make_salon, start: dt.datetime = START, *, price: int | None = 4000):
    salon = (await make_salon()).salon
    bea = await staff.create_staff(db, salon.id, StaffDetails(first_name="Bea"))
    cut = await services.create_service(
        db, salon.id, ServiceDetails(name="Cut", duration_minutes=30, price_cents=price)
    )
    ann = await clients.create_client(
        db, salon.id, ClientDetails(first_name="Ann", email="ann@example.com", opted_in_reminders=True)
    )
    booked = await appointments.book(
        db, salon, client_id=ann.id, staff_id=bea.id, service_id=cut.id, start_time=start, now=start - 2 * DAY
    )
    return salon, booked


async def test_a_started_appointment_is_marked_completed_and_its_pending_jobs_stop(db: Database, make_salon) -> None:
    salon, booked = await _booking(db, make_salon)
    assert booked.outcome is None
    done = await appointments.record_outcome(db, salon, booked.id, "completed", now=START + SECOND)
    assert done.status == "completed" and done.outcome == "completed"
    assert {job.status for job in done.notification_jobs} == {"cancelled"}


async def test_an_outcome_can_be_marked_from_the_start_until_seven_days_after_and_not_outside(
    db: Database, make_salon
) -> None:
    salon, booked = await _booking(db, make_salon)
    with pytest.raises(Conflict, match="not started"):
        await appointments.record_outcome(db, salon, booked.id, "no_show", now=START - SECOND)
    assert (await appointments.record_outcome(db, salon, booked.id, "no_show", now=START)).outcome == "no_show"
    last = START + dt.timedelta(days=7)
    corrected = await appointments.record_outcome(db, salon, booked.id, "completed", now=last)
    assert corrected.outcome == "completed", "a mistaken mark is put right within the window"
    with pytest.raises(Conflict, match="until 7 days after"):
        await appointments.record_outcome(db, salon, booked.id, "no_show", now=last + SECOND)
    assert (await appointments.get_appointment(db, salon.id, booked.id)).outcome == "completed"


async def test_a_cancelled_appointment_has_no_outcome_and_a_made_up_one_is_refused(db: Database, make_salon) -> None:
    salon, booked = await _booking(db, make_salon)
    with pytest.raises(Invalid):
        await appointments.record_outcome(db, salon, booked.id, "late", now=START)
    await appointments.cancel(db, salon, booked.id, now=START - dt.timedelta(days=1))
    with pytest.raises(Conflict, match="cancelled"):
        await appointments.record_outcome(db, salon, booked.id, "no_show", now=START)


async def test_an_appointment_keeps_the_price_it_was_booked_at(db: Database, make_salon) -> None:
    salon, booked = await _booking(db, make_salon, price=4000)
    assert booked.price_cents == 4000
    await db.execute("UPDATE services SET price_cents = 9900 WHERE id = %s", (booked.service_id,))
    assert (await appointments.get_appointment(db, salon.id, booked.id)).price_cents == 4000, "as booked"
    _, free = await _booking(db, make_salon, price=None)
    assert free.price_cents == 0, "a service without a price costs nothing"


async def test_the_appointment_page_offers_the_outcome_from_the_start_and_records_a_no_show(
    logged_in, db: Database, app
) -> None:
    session, new = await logged_in()
    salon = new.salon
    bea = await staff.create_staff(db, salon.id, StaffDetails(first_name="Bea"))
    cut = await services.create_service(db, salon.id, ServiceDetails(name="Cut", duration_minutes=30))
    ann = await clients.create_client(db, salon.id, ClientDetails(first_name="Ann"))
    booked = await appointments.book(
        db, salon, client_id=ann.id, staff_id=bea.id, service_id=cut.id, start_time=START, now=START - SECOND
    )
    app.clock = lambda: START - SECOND
    assert b'value="no_show"' not in (await session.get(f"/appointments/{booked.id}")).body, "not before the start"
    app.clock = lambda: START + dt.timedelta(days=7) + SECOND
    assert b'value="no_show"' not in (await session.get(f"/appointments/{booked.id}")).body, "nor after the window"
    app.clock = lambda: START
    assert b'value="no_show"' in (await session.get(f"/appointments/{booked.id}")).body
    answer = await session.post(f"/appointments/{booked.id}/visit", {"outcome": "no_show"})
    assert answer.code == 303
    assert (await appointments.get_appointment(db, salon.id, booked.id)).status == "no_show"
    marked = (await session.get(f"/appointments/{booked.id}")).body
    assert b'value="completed"' in marked, "a mistaken mark can be put right within the window"
