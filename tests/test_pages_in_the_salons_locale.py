"""A salon in New York reads its pages the American way: 12-hour times on the calendar and in staff hours, days
as Americans write them, numbers as dialled at home, an American example number; never a UK default."""

from __future__ import annotations

import datetime as dt

from booking import clients, staff
from booking.models import ClientDetails, StaffDetails, WorkingHours


async def test_a_new_york_salon_reads_its_pages_the_american_way(logged_in, db) -> None:
    session, made = await logged_in(country="US", timezone="America/New_York", locale="en-US")
    salon = made.salon
    week = tuple(WorkingHours(day, dt.time(9), dt.time(17)) for day in range(7))
    await staff.create_staff(db, salon.id, StaffDetails("Bea", "Cutter", working_hours=week))
    await clients.create_client(
        db, salon.id, ClientDetails("Maria", "Cruz", None, "(207) 555-0188", True), region="US", sms_countries=("US",)
    )
    day = dt.date(2030, 6, 4)  # a Tuesday
    calendar = (await session.get(f"/?date={day}")).body.decode()
    assert "9:00 AM" in calendar and "4:00 PM" in calendar and "09:00" not in calendar, "the axis and hours, 12-hour"
    assert "Book 4:30 PM with Bea Cutter" in calendar, "a free half hour, named the American way"
    assert "Monday, June 3" in calendar and "Wednesday, June 5" in calendar, "the day buttons, American"
    team = (await session.get("/staff")).body.decode()
    assert "9:00 AM\u20135:00 PM" in team, "staff hours, 12-hour"
    new_client = (await session.get("/clients/new")).body.decode()
    assert "e.g. (201) 555-0123." in new_client and "+44" not in new_client, "an American example number"
    found = (await session.get("/clients?q=0188")).body.decode()
    assert "(207) 555-0188" in found and "+12075550188" not in found, "a number as dialled at home"
