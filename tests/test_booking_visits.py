"""After the start: recording that the client came, or did not."""

from __future__ import annotations

import datetime as dt

import pytest

from booking import appointments, clients, services, staff
from booking.errors import Conflict, Invalid
from booking.models import ClientDetails, ServiceDetails, StaffDetails
from db import Database


async def _booking(db: Database, make_salon, start: dt.datetime):
    salon = (await make_salon()).salon
    bea = await staff.create_staff(db, salon.id, StaffDetails(first_name="Bea"))
    cut = await services.create_service(db, salon.id, ServiceDetails(name="Cut", duration_minutes=30))
    ann = await clients.create_client(
        db, salon.id, ClientDetails(first_name="Ann", email="ann@example.com", opted_in_reminders=True)
    )
    booked = await appointments.book(db, salon, client_id=ann.id, staff_id=bea.id, service_id=cut.id, start_time=start)
    return salon, booked


async def test_a_started_appointment_is_marked_completed_and_its_pending_jobs_stop(db: Database, make_salon) -> None:
    salon, booked = await _booking(db, make_salon, dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
    done = await appointments.record_visit(db, salon, booked.id, "completed")
    assert done.status == "completed"
    assert {job.status for job in done.notification_jobs} == {"cancelled"}
    with pytest.raises(Conflict):
        await appointments.record_visit(db, salon, booked.id, "no_show")


async def test_a_visit_cannot_be_recorded_before_the_start_or_with_a_made_up_outcome(db: Database, make_salon) -> None:
    salon, booked = await _booking(db, make_salon, dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
    with pytest.raises(Conflict, match="not started"):
        await appointments.record_visit(db, salon, booked.id, "no_show")
    with pytest.raises(Invalid):
        await appointments.record_visit(db, salon, booked.id, "late")


async def test_the_appointment_page_records_a_no_show(logged_in, db: Database) -> None:
    session, new = await logged_in()
    salon = new.salon
    bea = await staff.create_staff(db, salon.id, StaffDetails(first_name="Bea"))
    cut = await services.create_service(db, salon.id, ServiceDetails(name="Cut", duration_minutes=30))
    ann = await clients.create_client(db, salon.id, ClientDetails(first_name="Ann"))
    booked = await appointments.book(
        db,
        salon,
        client_id=ann.id,
        staff_id=bea.id,
        service_id=cut.id,
        start_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=2),
    )
    page = await session.get(f"/appointments/{booked.id}")
    assert b'value="no_show"' in page.body
    answer = await session.post(f"/appointments/{booked.id}/visit", {"outcome": "no_show"})
    assert answer.code == 303
    assert (await appointments.get_appointment(db, salon.id, booked.id)).status == "no_show"
