"""The front desk's day: every appointment of a salon-local day, per staff member."""

from __future__ import annotations

import datetime as dt

from booking import appointments, fields
from booking.models import Appointment
from handlers.pages.base import SalonPage


def per_staff(day: list[Appointment]) -> list[list[Appointment]]:
    """The day's appointments in one list per staff member, members by name, each in time order."""
    groups: dict[object, list[Appointment]] = {}
    for appointment in sorted(day, key=lambda a: (a.staff_name.lower(), str(a.staff_id), a.start_time)):
        groups.setdefault(appointment.staff_id, []).append(appointment)
    return list(groups.values())


class DayPage(SalonPage):
    async def get(self) -> None:
        date = self.get_query_argument("date", "").strip()
        today = dt.datetime.now(self.salon.zone).date()
        day = fields.date(date, "date") if date else today
        self.render_page(
            "day.html",
            day=day,
            today=today,
            previous=day - dt.timedelta(days=1),
            next=day + dt.timedelta(days=1),
            per_staff=per_staff(await appointments.list_day(self.db, self.salon, day)),
        )
