"""The front desk's day: a calendar with a column per staff member (booking/day_plan.py lays it out)."""

from __future__ import annotations

import datetime as dt

from booking import access, day_plan, fields, onboarding
from handlers.pages.base import SalonPage


class DayPage(SalonPage):
    roles = access.EVERYONE
    parts = ("day_calendar",)  # refreshed in place by static/live.js

    async def get(self) -> None:
        date = self.get_query_argument("date", "").strip()
        today = self.now().astimezone(self.salon.zone).date()
        day = fields.date(date, "date") if date else today
        plan = await day_plan.day_plan(self.db, self.salon, day, self.now())
        progress = None if self.part else await onboarding.progress(self.db, self.salon.id)
        self.render_page(
            "day.html",
            day=day,
            today=today,
            previous=day - dt.timedelta(days=1),
            next=day + dt.timedelta(days=1),
            plan=plan,
            progress=progress,
        )
