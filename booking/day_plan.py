"""The front desk's day as a calendar: a column per staff member, each appointment a block as long as it lasts;
and one stylist's week, a column per day, on the same grid.

Positions are minutes from the top of the day's grid, on the salon's wall clock; the page turns them into
lengths. The grid runs from the first hour anyone works or is booked to the last; cells a tap can book are
whole half hours inside a member's hours with nothing booked (nor a buffer, nor time off) and not yet begun.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from booking import appointments, jobs, staff, time_off
from booking.locales import clock_time, language, translations
from booking.models import Appointment, Salon, Staff
from db import Database
from jobqueue.queue import JobStatus

CELL_MINUTES = 30  # what one tap books from: a half hour, tall enough for a finger
DAY_MINUTES = 24 * 60
DEFAULT_HOURS = (9, 17)  # the grid of a day nobody works and nothing is booked


@dataclass(frozen=True)
class Span:
    """A stretch of the grid: ``top`` minutes below its start, ``length`` minutes long."""

    top: int
    length: int


@dataclass(frozen=True)
class Block:
    """An appointment on the grid; overlapping ones (a cancelled one and its replacement) share the width."""

    appointment: Appointment
    span: Span
    lane: int
    lanes: int
    failed_notices: int  # its failed notices, while nobody at the desk has looked at them
    buffer: Span | None = None  # after a booked one: the stylist still busy, the client gone


@dataclass(frozen=True)
class FreeCell:
    span: Span
    at: str  # the salon-local start, HH:MM: what the booking form is asked for
    label: str  # the same, as the salon writes it


@dataclass(frozen=True)
class Column:
    member: Staff
    hours: str  # that day's working hours in words, '' for a day off
    open: tuple[Span, ...]
    blocks: tuple[Block, ...]
    free: tuple[FreeCell, ...]


@dataclass(frozen=True)
class DayPlan:
    day: dt.date
    first_hour: int
    minutes: int  # the grid's length
    hour_marks: tuple[tuple[int, dt.time], ...]  # (top, the hour), written the salon's way by the page
    columns: tuple[Column, ...]
    not_working: tuple[Staff, ...]  # members with no hours and nothing booked that day
    now: int | None  # where "now" is on the grid, on today only

    @property
    def booked(self) -> int:
        return sum(1 for column in self.columns for block in column.blocks)


def wall_minutes(instant: dt.datetime, day: dt.date, zone: ZoneInfo) -> int:
    """Minutes after the local midnight that starts ``day`` on the wall clock, held to that day."""
    local = instant.astimezone(zone)
    minutes = (local.date() - day).days * DAY_MINUTES + local.hour * 60 + local.minute
    return max(0, min(DAY_MINUTES, minutes))


def _lanes(spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """(lane, lanes) for each of ``spans`` (start, end), sorted by start: overlapping ones side by side."""
    placed: list[tuple[int, int]] = []
    lane_ends: list[int] = []  # where each lane of the current run (spans that overlap one another) is free
    run_start, run_end = 0, -1
    for index, (start, end) in enumerate(spans):
        if start >= run_end:
            placed[run_start:] = [(lane, len(lane_ends)) for lane, _ in placed[run_start:]]
            run_start, lane_ends = index, []
        lane = next((n for n, lane_end in enumerate(lane_ends) if lane_end <= start), len(lane_ends))
        lane_ends[lane : lane + 1] = [end]
        placed.append((lane, 0))
        run_end = max(run_end, end) if index > run_start else end
    placed[run_start:] = [(lane, len(lane_ends)) for lane, _ in placed[run_start:]]
    return placed


def _buffer(appointment: Appointment, end: int) -> tuple[int, int] | None:
    """Where a booked appointment's buffer lies on the grid (it ends with the day at the latest), or None."""
    if appointment.status != "booked" or not appointment.buffer_minutes:
        return None
    return end, min(end + appointment.buffer_minutes, DAY_MINUTES)


def _with_time_off(hours: str, off: list[tuple[int, int]], locale: str) -> str:
    """The day's hours in words, and the member's time off that day: 'time off all day', or its times, in the
    reader's language."""
    if not off:
        return hours
    words = translations(language(locale))
    if any(start == 0 and end == DAY_MINUTES for start, end in off):
        away = words.gettext("time off all day")
    else:
        spans = ", ".join(f"{_clock(start, locale)}\u2013{_clock(end, locale)}" for start, end in off)
        away = words.gettext("time off %(times)s") % {"times": spans}
    return f"{hours}; {away}" if hours else away


def _clock(minutes: int, locale: str) -> str:
    """A minute of the grid's day as the salon writes the time (midnight at its end too)."""
    return clock_time(dt.time(minutes // 60 % 24, minutes % 60), locale)


def _free_cells(open_spans: list[tuple[int, int]], booked: list[tuple[int, int]], not_before: int) -> list[int]:
    """Starts of the half hours inside the open spans that nothing booked overlaps and that have not begun."""
    starts = []
    for start, end in open_spans:
        cell = -(-start // CELL_MINUTES) * CELL_MINUTES  # the first whole half hour
        while cell + CELL_MINUTES <= end:
            if cell >= not_before and not any(b < cell + CELL_MINUTES and cell < e for b, e in booked):
                starts.append(cell)
            cell += CELL_MINUTES
    return starts


def plan(
    day: dt.date,
    zone: ZoneInfo,
    members: Sequence[Staff],
    booked: Sequence[Appointment],
    now: dt.datetime,
    unseen_failures: Collection[uuid.UUID] = (),
    locale: str = "en-GB",
    away: Mapping[uuid.UUID, Sequence[tuple[dt.datetime, dt.datetime]]] = {},
) -> DayPlan:
    """The day's grid from the staff (with their hours) and the day's appointments, every status; the
    appointments with ``unseen_failures`` (a failed notice nobody has looked at) are marked. A member's time
    off (``away``) has no free cells."""
    local_now = now.astimezone(zone)
    on_today = local_now.date() == day
    now_minutes = local_now.hour * 60 + local_now.minute if on_today else None
    not_before = (now_minutes or 0) if on_today else (DAY_MINUTES if day < local_now.date() else 0)
    by_member: dict[object, list[Appointment]] = {}
    for appointment in sorted(booked, key=lambda a: a.start_time):
        by_member.setdefault(appointment.staff_id, []).append(appointment)

    rows = []
    for member in members:
        open_spans = [
            (h.start.hour * 60 + h.start.minute, h.end.hour * 60 + h.end.minute)
            for h in member.working_hours
            if h.weekday == day.weekday()
        ]
        theirs = by_member.get(member.id, [])
        spans = [(wall_minutes(a.start_time, day, zone), wall_minutes(a.end_time, day, zone)) for a in theirs]
        buffers = [_buffer(a, end) for a, (_, end) in zip(theirs, spans, strict=True)]
        rows.append((member, open_spans, theirs, spans, buffers))
    shown = [row for row in rows if row[1] or row[2]]
    edges = [minute for _, open_spans, _, spans, _ in shown for span in open_spans + spans for minute in span]
    first_hour = min(edges) // 60 if edges else DEFAULT_HOURS[0]
    last_hour = min(24, -(-max(edges) // 60)) if edges else DEFAULT_HOURS[1]
    last_hour = max(last_hour, first_hour + 1)
    top = first_hour * 60

    columns = []
    for member, open_spans, theirs, spans, buffers in shown:
        off = [
            (wall_minutes(gone, day, zone), wall_minutes(back, day, zone))
            for gone, back in (away or {}).get(member.id, ())
        ]
        busy = [
            (start, buffer[1] if buffer else end)
            for appointment, (start, end), buffer in zip(theirs, spans, buffers, strict=True)
            if appointment.status == "booked"
        ] + off
        blocks = tuple(
            Block(
                appointment,
                Span(start - top, max(end - start, 5)),
                lane,
                lanes,
                sum(1 for job in appointment.notification_jobs if job.status == JobStatus.FAILED)
                if appointment.id in unseen_failures
                else 0,
                Span(buffer[0] - top, buffer[1] - buffer[0]) if buffer else None,
            )
            for appointment, (start, end), (lane, lanes), buffer in zip(
                theirs, spans, _lanes(spans), buffers, strict=True
            )
        )
        free = tuple(
            FreeCell(
                Span(start - top, CELL_MINUTES),
                f"{start // 60:02d}:{start % 60:02d}",
                clock_time(dt.time(start // 60, start % 60), locale),
            )
            for start in _free_cells(open_spans, busy, not_before)
        )
        columns.append(
            Column(
                member=member,
                hours=_with_time_off(staff.hours_text(member.working_hours, day.weekday(), locale), off, locale),
                open=tuple(Span(start - top, end - start) for start, end in open_spans),
                blocks=blocks,
                free=free,
            )
        )
    return DayPlan(
        day=day,
        first_hour=first_hour,
        minutes=(last_hour - first_hour) * 60,
        hour_marks=tuple(((hour - first_hour) * 60, dt.time(hour)) for hour in range(first_hour, last_hour)),
        columns=tuple(columns),
        not_working=tuple(row[0] for row in rows if not (row[1] or row[2])),
        now=now_minutes - top if now_minutes is not None and top <= now_minutes <= last_hour * 60 else None,
    )


async def day_plan(db: Database, salon: Salon, day: dt.date, now: dt.datetime, locale: str | None = None) -> DayPlan:
    """The salon's day as of ``now``: its staff (at most MAX_STAFF) and the day's appointments with their jobs,
    three reads; times written the ``locale``'s way (its reader's own), else the salon's."""
    members, booked, away = await asyncio.gather(
        staff.list_staff(db, salon.id),
        appointments.list_day(db, salon, day),
        time_off.away_between(db, salon.id, *appointments.local_day_bounds(salon, day)),
    )
    unseen = await jobs.unseen_failures_of(db, salon.id, [appointment.id for appointment in booked])
    return plan(day, salon.zone, members, booked, now, unseen, locale or salon.locale, away)


@dataclass(frozen=True)
class WeekDay:
    """One day's column of a stylist's week."""

    day: dt.date
    hours: str  # that day's working hours in words, '' for a day off
    open: tuple[Span, ...]
    blocks: tuple[Block, ...]
    free: tuple[FreeCell, ...]


@dataclass(frozen=True)
class WeekPlan:
    member: Staff
    first_hour: int
    minutes: int
    hour_marks: tuple[tuple[int, dt.time], ...]
    days: tuple[WeekDay, ...]  # Monday to Sunday
    now: tuple[dt.date, int] | None  # today and where "now" is on its column, within this week only

    @property
    def booked(self) -> int:
        return sum(len(day.blocks) for day in self.days)


def week_start(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week."""
    return day - dt.timedelta(days=day.weekday())


def _moved(span: Span, minutes: int) -> Span:
    return Span(span.top + minutes, span.length)


def week(
    monday: dt.date,
    zone: ZoneInfo,
    member: Staff,
    booked: Sequence[Appointment],
    now: dt.datetime,
    unseen_failures: Collection[uuid.UUID] = (),
    locale: str = "en-GB",
    away: Sequence[tuple[dt.datetime, dt.datetime]] = (),
) -> WeekPlan:
    """One staff member's week from Monday: each day laid out as the day's calendar lays out a column, all on
    one grid, from the first hour any day needs to the last; their time off (``away``) has no free cells."""
    days = [monday + dt.timedelta(days=n) for n in range(7)]
    plans = [
        plan(day, zone, [member], [a for a in booked if a.start_time.astimezone(zone).date() == day], now,
             unseen_failures, locale, {member.id: away})
        for day in days
    ]  # fmt: skip
    worked = [p for p in plans if p.columns]
    first_hour = min((p.first_hour for p in worked), default=DEFAULT_HOURS[0])
    last_hour = max((p.first_hour + p.minutes // 60 for p in worked), default=DEFAULT_HOURS[1])
    columns = []
    for day, day_plan in zip(days, plans, strict=True):
        shift = (day_plan.first_hour - first_hour) * 60
        column = day_plan.columns[0] if day_plan.columns else None
        columns.append(
            WeekDay(
                day=day,
                hours=staff.hours_text(member.working_hours, day.weekday(), locale),
                open=tuple(_moved(span, shift) for span in column.open) if column else (),
                blocks=tuple(replace(b, span=_moved(b.span, shift)) for b in column.blocks) if column else (),
                free=tuple(replace(c, span=_moved(c.span, shift)) for c in column.free) if column else (),
            )
        )
    today = now.astimezone(zone)
    now_minutes = today.hour * 60 + today.minute - first_hour * 60
    shown_now = (
        (today.date(), now_minutes)
        if today.date() in days and 0 <= now_minutes <= (last_hour - first_hour) * 60
        else None
    )
    return WeekPlan(
        member=member,
        first_hour=first_hour,
        minutes=(last_hour - first_hour) * 60,
        hour_marks=tuple(((hour - first_hour) * 60, dt.time(hour)) for hour in range(first_hour, last_hour)),
        days=tuple(columns),
        now=shown_now,
    )


async def week_plan(
    db: Database, salon: Salon, staff_id: uuid.UUID, day: dt.date, now: dt.datetime, locale: str | None = None
) -> WeekPlan:
    """A staff member's week (the one ``day`` is in) as of ``now``: NotFound for another salon's; three reads,
    the appointments along appointments_staff_time; times the ``locale``'s way, else the salon's."""
    monday = week_start(day)
    start, _ = appointments.local_day_bounds(salon, monday)
    _, end = appointments.local_day_bounds(salon, monday + dt.timedelta(days=6))
    member, booked, away = await asyncio.gather(
        staff.get_staff(db, salon.id, staff_id),
        appointments.list_week(db, salon, staff_id, monday),
        time_off.away_between(db, salon.id, start, end),
    )
    unseen = await jobs.unseen_failures_of(db, salon.id, [appointment.id for appointment in booked])
    return week(monday, salon.zone, member, booked, now, unseen, locale or salon.locale, away.get(staff_id, ()))
