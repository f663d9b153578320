"""A staff member's time off: listed with the appointments still booked inside it, added, removed."""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

from booking import appointments, fields, paths, staff, time_off
from booking.errors import Invalid
from booking.models import Appointment
from handlers.html import Errors, Form, form_errors
from handlers.pages.base import SalonPage, page_id

FIELDS = ("start", "startTime", "end", "endTime", "reason")


def span(form: Form, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """The instants the form means: whole days when both times are empty (from the first day's start to the last
    day's end), else from the first day at its time to the last (the first if not given) at its time."""
    first = fields.date(form["start"], "start")
    last = fields.date(form["end"], "end") if form["end"].strip() else first
    if not form["startTime"].strip() and not form["endTime"].strip():
        midnight = dt.time(0)
        return (dt.datetime.combine(first, midnight, zone),
                dt.datetime.combine(last + dt.timedelta(days=1), midnight, zone))  # fmt: skip
    if not (form["startTime"].strip() and form["endTime"].strip()):
        raise Invalid("give both times, or neither for whole days", "end_time")
    start_time, end_time = fields.clock(form["startTime"], "start_time"), fields.clock(form["endTime"], "end_time")
    # A time the clocks skip that night is refused, as the move form does.
    return (fields.local_instant(f"{first}T{start_time:%H:%M}", zone, "start_time"),
            fields.local_instant(f"{last}T{end_time:%H:%M}", zone, "end_time"))  # fmt: skip


class TimeOffPage(SalonPage):
    async def get(self, staff_id: str) -> None:
        await self.show(page_id(staff_id), dict.fromkeys(FIELDS, ""), {})

    async def post(self, staff_id: str) -> None:
        member, form = page_id(staff_id), self.read_form(FIELDS)
        try:
            start, end = span(form, self.salon.zone)
            added = await time_off.add_time_off(
                self.db, self.salon.id, member, start=start, end=end, reason=form["reason"]
            )
        except Invalid as error:
            await self.show(member, form, form_errors(error, form, self.gettext), 400)
            return
        self.redirect(f"{paths.STAFF_TIME_OFF(id=member)}?added={added.id}", status=303)

    async def show(self, member: uuid.UUID, form: Form, errors: Errors, status: int = 200) -> None:
        person = await staff.get_staff(self.db, self.salon.id, member)
        entries = await time_off.list_time_off(self.db, self.salon.id, member, now=self.now())
        inside = await appointments.by_ids(self.db, self.salon.id, [a for e in entries for a in e.affected])
        found: dict[uuid.UUID, Appointment] = {appointment.id: appointment for appointment in inside}
        booked: dict[uuid.UUID, list[Appointment]] = {
            entry.id: [found[a] for a in entry.affected if a in found] for entry in entries
        }
        self.render_page(
            "time_off.html",
            status,
            member=person,
            entries=entries,
            booked=booked,
            added=next((e for e in entries if str(e.id) == self.get_query_argument("added", "")), None),
            form=form,
            errors=errors,
            here=paths.STAFF_TIME_OFF(id=member),
            remove_path=lambda entry: paths.REMOVE_TIME_OFF(id=member, time_off_id=entry.id),
            appointment_path=lambda appointment: paths.APPOINTMENT(id=appointment.id),
            cancel_path=lambda appointment: paths.CANCEL_APPOINTMENT(id=appointment.id),
        )


class RemoveTimeOff(SalonPage):
    async def post(self, staff_id: str, time_off_id: str) -> None:
        member = page_id(staff_id)
        await time_off.remove_time_off(self.db, self.salon, member, page_id(time_off_id), now=self.now())
        self.redirect(paths.STAFF_TIME_OFF(id=member), status=303)
