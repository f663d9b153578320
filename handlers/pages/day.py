"""The calendar: the front desk's day, a column per staff member, or one stylist's week, a column per day
(booking/day_plan.py lays both out). A stylist lands on their own week."""

from __future__ import annotations

import datetime as dt

from booking import access, day_plan, fields, onboarding, staff
from booking.errors import Invalid
from handlers.pages.base import SalonPage, page_id

VIEWS = ("day", "week")


class DayPage(SalonPage):
    roles = access.EVERYONE
    parts = ("day_calendar", "week_calendar")  # refreshed in place by static/live.js

    async def get(self) -> None:
        date = self.get_query_argument("date", "").strip()
        today = self.now().astimezone(self.salon.zone).date()
        day = fields.date(date, "date") if date else today
        view = self.get_query_argument("view", "").strip() or ("week" if self.is_stylist else "day")
        if view not in VIEWS:
            raise Invalid("{field} must be day or week", "view")
        if view == "week":
            await self.week(day, today)
            return
        plan = await day_plan.day_plan(self.db, self.salon, day, self.now(), self.page_locale)
        progress = None if self.part or self.is_stylist else await onboarding.progress(self.db, self.salon.id)
        self.render_page(
            "day.html",
            day=day,
            today=today,
            previous=day - dt.timedelta(days=1),
            next=day + dt.timedelta(days=1),
            plan=plan,
            progress=progress,
            can_book=not self.is_stylist,
        )

    async def week(self, day: dt.date, today: dt.date) -> None:
        """One staff member's week: a stylist's own; the desk's choice, the first on the list unless said."""
        asked = self.get_query_argument("staff", "").strip()
        if asked:
            member = page_id(asked)
        elif self.current_user.staff_id is not None:
            member = self.current_user.staff_id
        else:
            first = await staff.list_staff(self.db, self.salon.id, limit=1)
            if not first:
                self.redirect(self.request.path, status=303)  # no staff yet: the day, with its first steps
                return
            member = first[0].id
        self.own_staff(member)
        plan = await day_plan.week_plan(self.db, self.salon, member, day, self.now(), self.page_locale)
        monday = plan.days[0].day
        self.render_page(
            "week.html",
            day=day,
            today=today,
            plan=plan,
            previous=monday - dt.timedelta(days=7),
            next=monday + dt.timedelta(days=7),
            can_book=not self.is_stylist,
        )
