"""Free slots from working hours, service length and what is already booked."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import pytest

from booking import appointments, availability, clients, services, staff, time_off
from booking.errors import NotFound
from booking.models import ClientDetails, ServiceDetails, StaffDetails, StaffOverride, WorkingHours
from db import Database

DAY = dt.date(2030, 6, 3)  # a Monday
NOW = dt.datetime(2030, 6, 1, tzinfo=dt.UTC)
BEFORE_2027 = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)  # "now" for the DST nights of 2027


async def _salon_with_staff(db: Database, make_salon):
    new = await make_salon(timezone="Europe/Paris")
    monday = WorkingHours(0, dt.time(9), dt.time(12))
    bea = await staff.create_staff(db, new.salon.id, StaffDetails(first_name="Bea", working_hours=[monday]))
    cal = await staff.create_staff(
        db, new.salon.id, StaffDetails(first_name="Cal", working_hours=[WorkingHours(0, dt.time(11), dt.time(13))])
    )
    cut = await services.create_service(db, new.salon.id, ServiceDetails(name="Cut", duration_minutes=60))
    return new.salon, bea, cal, cut


def _local(slot: availability.Slot, zone) -> str:
    return slot.start.astimezone(zone).strftime("%H:%M")


async def test_slots_fill_working_hours_in_the_salons_time(db: Database, make_salon) -> None:
    salon, bea, _, cut = await _salon_with_staff(db, make_salon)
    slots = await availability.free_slots(db, salon, service_id=cut.id, day=DAY, staff_id=bea.id, now=NOW)
    assert [_local(slot, salon.zone) for slot in slots] == [
        "09:00",
        "09:15",
        "09:30",
        "09:45",
        "10:00",
        "10:15",
        "10:30",
        "10:45",
        "11:00",
    ]
    assert all(slot.end - slot.start == dt.timedelta(hours=1) for slot in slots)
    assert (
        await availability.free_slots(
            db, salon, service_id=cut.id, day=DAY + dt.timedelta(days=1), staff_id=bea.id, now=NOW
        )
        == []
    )


async def test_booked_time_is_not_offered_and_anyone_free_merges_staff(db: Database, make_salon) -> None:
    salon, bea, _, cut = await _salon_with_staff(db, make_salon)
    ann = await clients.create_client(db, salon.id, ClientDetails(first_name="Ann"))
    ten = dt.datetime.combine(DAY, dt.time(10), salon.zone)
    await appointments.book(db, salon, client_id=ann.id, staff_id=bea.id, service_id=cut.id, start_time=ten)
    bea_slots = await availability.free_slots(db, salon, service_id=cut.id, day=DAY, staff_id=bea.id, now=NOW)
    assert [_local(slot, salon.zone) for slot in bea_slots] == ["09:00", "11:00"]
    anyone = await availability.free_slots(db, salon, service_id=cut.id, day=DAY, now=NOW)
    # One offer per start time, the first free member by name: a salon's size never multiplies the list.
    assert [(_local(slot, salon.zone), slot.staff_name) for slot in anyone] == [
        ("09:00", "Bea"),
        ("11:00", "Bea"),
        ("11:15", "Cal"),
        ("11:30", "Cal"),
        ("11:45", "Cal"),
        ("12:00", "Cal"),
    ]


async def test_slots_in_the_past_are_not_offered(db: Database, make_salon) -> None:
    salon, bea, _, cut = await _salon_with_staff(db, make_salon)
    half_past_ten = dt.datetime.combine(DAY, dt.time(10, 30), salon.zone)
    slots = await availability.free_slots(db, salon, service_id=cut.id, day=DAY, staff_id=bea.id, now=half_past_ten)
    assert [_local(slot, salon.zone) for slot in slots] == ["10:30", "10:45", "11:00"]


async def test_an_appointment_being_moved_does_not_block_its_own_time(db: Database, make_salon) -> None:
    salon, bea, _, cut = await _salon_with_staff(db, make_salon)
    ann = await clients.create_client(db, salon.id, ClientDetails(first_name="Ann"))
    ten = dt.datetime.combine(DAY, dt.time(10), salon.zone)
    booked = await appointments.book(db, salon, client_id=ann.id, staff_id=bea.id, service_id=cut.id, start_time=ten)
    slots = await availability.free_slots(
        db, salon, service_id=cut.id, day=DAY, staff_id=bea.id, now=NOW, moving=booked.id
    )
    assert "10:30" in [_local(slot, salon.zone) for slot in slots]  # overlaps its own old time: fine to move to


# The rule at fixed, awkward dates: each test builds its salon and passes ``now``, so nothing depends on the
# clock's date. Appointments are written as rows (``occupy``): the booking rules refuse times in the past, and
# these dates will be past one day.


async def _salon(db: Database, make_salon, zone: str, minutes: int, *members: tuple[str, list[WorkingHours]]):
    new = await make_salon(timezone=zone)
    made = [
        await staff.create_staff(
            db, new.salon.id, StaffDetails(first_name=name.split()[0], last_name=name.partition(" ")[2],
                                           working_hours=hours)
        )
        for name, hours in members
    ]  # fmt: skip
    service = await services.create_service(db, new.salon.id, ServiceDetails(name="Cut", duration_minutes=minutes))
    return new.salon, made, service


async def occupy(db: Database, salon, member, start: dt.datetime, minutes: int, status: str = "booked") -> uuid.UUID:
    """A row in the appointments table, as a booking, a hold or a cancellation leaves it."""
    client = await clients.create_client(db, salon.id, ClientDetails(first_name="Ann"))
    service = await services.create_service(db, salon.id, ServiceDetails(name="Block", duration_minutes=minutes))
    row = await db.fetch_row(
        """INSERT INTO appointments (salon_id, client_id, staff_id, service_id, start_time, end_time, status)
           VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id""",
        (salon.id, None if status == "held" else client.id, member.id, service.id, start,
         start + dt.timedelta(minutes=minutes), status),
    )  # fmt: skip
    return row["id"]


def _clock(slots: list[availability.Slot], zone) -> list[str]:
    return [slot.start.astimezone(zone).strftime("%H:%M") for slot in slots]


def _utc(slots: list[availability.Slot]) -> list[str]:
    return [slot.start.astimezone(dt.UTC).strftime("%H:%M") for slot in slots]


async def test_on_londons_spring_night_a_skipped_time_is_no_start_and_lengths_are_real_time(db, make_salon) -> None:
    sunday = dt.date(2027, 3, 28)  # at 01:00 GMT the clocks go to 02:00 BST
    salon, [nia], cut = await _salon(
        db, make_salon, "Europe/London", 60, ("Nia", [WorkingHours(6, dt.time(0), dt.time(4))])
    )
    slots = await availability.free_slots(db, salon, service_id=cut.id, day=sunday, staff_id=nia.id, now=BEFORE_2027)
    assert _clock(slots, salon.zone) == [
        "00:00",
        "00:15",
        "00:30",
        "00:45",
        "02:00",
        "02:15",
        "02:30",
        "02:45",
        "03:00",
    ]
    assert _utc(slots) == ["00:00", "00:15", "00:30", "00:45", "01:00", "01:15", "01:30", "01:45", "02:00"]
    assert all(slot.end - slot.start == dt.timedelta(hours=1) for slot in slots)
    assert slots[3].end.astimezone(salon.zone).strftime("%H:%M") == "02:45", "an hour of real time, across the change"


async def test_on_new_yorks_spring_night_the_day_loses_its_two_oclock_hour(db, make_salon) -> None:
    sunday = dt.date(2027, 3, 14)  # at 02:00 EST the clocks go to 03:00 EDT
    salon, [nia], cut = await _salon(
        db, make_salon, "America/New_York", 90, ("Nia", [WorkingHours(6, dt.time(1), dt.time(5))])
    )
    slots = await availability.free_slots(db, salon, service_id=cut.id, day=sunday, staff_id=nia.id, now=BEFORE_2027)
    assert _clock(slots, salon.zone) == ["01:00", "01:15", "01:30", "01:45", "03:00", "03:15", "03:30"]
    assert slots[3].end.astimezone(salon.zone).strftime("%H:%M") == "04:15"
    assert all(slot.end - slot.start == dt.timedelta(minutes=90) for slot in slots)


async def test_on_londons_autumn_night_a_repeated_time_is_offered_once_at_its_second_reading(db, make_salon) -> None:
    sunday = dt.date(2027, 10, 31)  # at 02:00 BST the clocks go back to 01:00 GMT
    salon, [nia], cut = await _salon(
        db, make_salon, "Europe/London", 30, ("Nia", [WorkingHours(6, dt.time(0), dt.time(3))])
    )
    slots = await availability.free_slots(db, salon, service_id=cut.id, day=sunday, staff_id=nia.id, now=BEFORE_2027)
    assert _clock(slots, salon.zone) == [
        "00:00", "00:15", "00:30", "00:45", "01:00", "01:15", "01:30", "01:45", "02:00", "02:15", "02:30",
    ]  # fmt: skip
    assert _utc(slots)[3:5] == ["23:45", "01:00"], "01:00 is read as GMT, as PostgreSQL reads a repeated time"


async def test_a_lunch_break_splits_the_day_and_a_service_never_runs_into_it(db, make_salon) -> None:
    hours = [WorkingHours(0, dt.time(9), dt.time(12)), WorkingHours(0, dt.time(13), dt.time(17))]
    salon, [nia], cut = await _salon(db, make_salon, "Europe/Paris", 60, ("Nia", hours))
    slots = await availability.free_slots(db, salon, service_id=cut.id, day=DAY, staff_id=nia.id, now=NOW)
    morning = ["09:00", "09:15", "09:30", "09:45", "10:00", "10:15", "10:30", "10:45", "11:00"]
    afternoon = [f"{hour}:{minute:02}" for hour in range(13, 17) for minute in (0, 15, 30, 45)][:13]
    assert _clock(slots, salon.zone) == morning + afternoon


async def test_booked_and_held_time_is_busy_cancelled_time_free_and_anyone_is_the_first_free_by_name(
    db, make_salon
) -> None:
    hours = [WorkingHours(0, dt.time(9), dt.time(13))]
    salon, [zed, _, able], cut = await _salon(
        db, make_salon, "Europe/Paris", 60, ("Ann Zed", hours), ("Bea", hours), ("Ann Able", hours)
    )

    def at(hour: int) -> dt.datetime:
        return dt.datetime.combine(DAY, dt.time(hour), salon.zone)

    await occupy(db, salon, able, at(10), 60)
    await occupy(db, salon, able, at(11), 60, "held")
    await occupy(db, salon, zed, at(10), 120, "cancelled")
    await occupy(db, salon, zed, at(9), 15)
    slots = await availability.free_slots(db, salon, service_id=cut.id, day=DAY, staff_id=able.id, now=NOW)
    assert _clock(slots, salon.zone) == ["09:00", "12:00"]
    anyone = await availability.free_slots(db, salon, service_id=cut.id, day=DAY, now=NOW)
    chosen = {_clock([slot], salon.zone)[0]: slot.staff_name for slot in anyone}
    assert chosen["09:00"] == "Ann Able", "Ann Able comes before Ann Zed (busy at 09:00 anyway) and Bea"
    assert chosen["09:15"] == "Ann Zed", "Ann Able is booked from 10:00; Ann Zed's cancelled 10:00 is free time"
    assert chosen["10:00"] == chosen["11:00"] == "Ann Zed"
    assert chosen["12:00"] == "Ann Able"
    assert len(anyone) == 13 and {slot.staff_id for slot in anyone} == {able.id, zed.id}, "Bea is never first"


async def test_an_unknown_service_or_staff_member_is_not_found(db, make_salon) -> None:
    salon, bea, _, cut = await _salon_with_staff(db, make_salon)
    other, _, _, other_cut = await _salon_with_staff(db, make_salon)
    with pytest.raises(NotFound) as unknown:
        await availability.free_slots(db, salon, service_id=other_cut.id, day=DAY, now=NOW)
    assert unknown.value.field == ("service_id",)
    stranger = (await staff.list_staff(db, other.id))[0]
    with pytest.raises(NotFound) as unknown:
        await availability.free_slots(db, salon, service_id=cut.id, day=DAY, staff_id=stranger.id, now=NOW)
    assert unknown.value.field == ("staff_id",)
    closed_day = DAY + dt.timedelta(days=1)  # nobody works Tuesdays: known, and nothing free
    assert await availability.free_slots(db, salon, service_id=cut.id, day=closed_day, staff_id=bea.id, now=NOW) == []


# The same rule by brute force, as an oracle for the statement on schedules nobody would write out by hand.


def _reads_back(instant: dt.datetime, local: dt.datetime, zone: ZoneInfo) -> bool:
    """Whether ``instant`` shows ``local`` on the zone's clock (through UTC: astimezone to an instant's own
    zone changes nothing)."""
    return instant.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None) == local


def _reading(local: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """A wall-clock time as PostgreSQL's AT TIME ZONE reads it, in UTC: a repeated time at its second
    occurrence, a skipped one with the offset from before the change."""
    later = local.replace(tzinfo=zone, fold=1)
    return (later if _reads_back(later, local, zone) else local.replace(tzinfo=zone, fold=0)).astimezone(dt.UTC)


@dataclass(frozen=True)
class Member:
    id: uuid.UUID
    first_name: str
    last_name: str
    hours: list[tuple[dt.time, dt.time]]  # the day's spans
    busy: list[tuple[dt.datetime, dt.datetime]]  # booked and held with their buffers, the one being moved left out
    away: list[tuple[dt.datetime, dt.datetime]] = field(default_factory=list)  # time off
    length: dt.timedelta | None = None  # their own for the service
    performs: bool = True


def oracle(
    members: list[Member],
    day: dt.date,
    zone: ZoneInfo,
    length: dt.timedelta,
    not_before: dt.datetime,
    buffer: dt.timedelta = dt.timedelta(0),
):
    """(start in UTC, member id) of every free start, one per start time: the first free member by name."""
    free = []
    for member in (one for one in members if one.performs):
        for starts, ends in member.hours:
            local, last = dt.datetime.combine(day, starts), dt.datetime.combine(day, ends)
            while local <= last:
                start = _reading(local, zone)
                end = start + (member.length or length)
                if (
                    _reads_back(start, local, zone)
                    and end <= _reading(last, zone)
                    and start >= not_before
                    and not any(taken < end + buffer and start < until for taken, until in member.busy)
                    and not any(off < end and start < back for off, back in member.away)
                ):
                    free.append((start, (member.first_name, member.last_name, member.id)))
                local += availability.SLOT_STEP
    first: dict[dt.datetime, uuid.UUID] = {}
    for start, (_, _, member_id) in sorted(free):
        first.setdefault(start, member_id)
    return sorted(first.items())


async def _random_salon(db: Database, make_salon, zone: str, day: dt.date, chance: random.Random):
    """30 staff with 0 to 3 spans of hours at any time of ``day`` (names repeat, so the id decides), and
    appointments one after another from the evening before to the morning after: booked, held, cancelled."""
    new = await make_salon(timezone=zone)
    salon = new.salon
    client = await clients.create_client(db, salon.id, ClientDetails(first_name="Ann"))
    block = await services.create_service(db, salon.id, ServiceDetails(name="Block", duration_minutes=5))
    members, rows = [], []
    for _ in range(30):
        cuts = sorted(chance.sample(range(0, 24 * 60, 5), 2 * chance.randint(0, 3)))
        spans = [(dt.time(*divmod(a, 60)), dt.time(*divmod(b, 60))) for a, b in zip(cuts[::2], cuts[1::2], strict=True)]
        other_day = [WorkingHours((day.weekday() + 1) % 7, dt.time(9), dt.time(17))]
        details = StaffDetails(
            first_name=chance.choice(["Ann", "Bea", "Cy"]),
            last_name=chance.choice(["Ash", "Birch"]),
            working_hours=[WorkingHours(day.weekday(), a, b) for a, b in spans] + other_day,
        )
        made = await staff.create_staff(db, salon.id, details)
        at = dt.datetime.combine(day, dt.time(0), ZoneInfo(zone)).astimezone(dt.UTC) - dt.timedelta(hours=3)
        while at < dt.datetime.combine(day, dt.time(0), ZoneInfo(zone)).astimezone(dt.UTC) + dt.timedelta(hours=27):
            at += dt.timedelta(minutes=chance.choice([0, 5, 15, 40, 90, 180]))
            until = at + dt.timedelta(minutes=chance.choice([5, 15, 30, 45, 60, 120]))
            rows.append((made.id, at, until, chance.choice(["booked", "booked", "held", "cancelled"])))
            at = until
        members.append((made, spans))
    ids = []
    for member_id, at, until, status in rows:
        row = await db.fetch_row(
            """INSERT INTO appointments (salon_id, client_id, staff_id, service_id, start_time, end_time, status)
               VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id""",
            (salon.id, None if status == "held" else client.id, member_id, block.id, at, until, status),
        )
        ids.append(row["id"])
    return salon, members, list(zip(ids, rows, strict=True))


NIGHTS = [
    ("Europe/London", dt.date(2027, 3, 28)),
    ("America/New_York", dt.date(2027, 3, 14)),
    ("Europe/London", dt.date(2027, 10, 31)),
    ("Asia/Kolkata", dt.date(2027, 3, 28)),
]


@pytest.mark.parametrize(("zone", "day"), NIGHTS, ids=[f"{zone}-{day}" for zone, day in NIGHTS])
async def test_the_statement_agrees_with_a_brute_force_oracle_on_thirty_staff(db, make_salon, zone, day) -> None:
    chance = random.Random(f"{zone}{day}")
    salon, made, appointments_made = await _random_salon(db, make_salon, zone, day, chance)
    moving = chance.choice([id_ for id_, (_, _, _, status) in appointments_made if status == "booked"])
    for minutes, not_before, moved in (
        (45, BEFORE_2027, None),
        (90, _reading(dt.datetime.combine(day, dt.time(10, 7)), ZoneInfo(zone)), moving),
    ):
        cut = await services.create_service(db, salon.id, ServiceDetails(name="Cut", duration_minutes=minutes))
        members = [
            Member(member.id, member.first_name, member.last_name, spans, [
                (at, until) for id_, (member_id, at, until, status) in appointments_made
                if member_id == member.id and status != "cancelled" and id_ != moved
            ])
            for member, spans in made
        ]  # fmt: skip
        length = dt.timedelta(minutes=minutes)
        expected = oracle(members, day, ZoneInfo(zone), length, not_before)
        anyone = await availability.free_slots(db, salon, service_id=cut.id, day=day, now=not_before, moving=moved)
        assert [(slot.start, slot.staff_id) for slot in anyone] == expected
        assert len(expected) > 20, "a schedule with something to find"
        for member in members[:5]:
            alone = await availability.free_slots(
                db, salon, service_id=cut.id, day=day, staff_id=member.id, now=not_before, moving=moved
            )
            assert [(slot.start, slot.staff_id) for slot in alone] == oracle(
                [member], day, ZoneInfo(zone), length, not_before
            )


@pytest.mark.parametrize(("zone", "day"), NIGHTS, ids=[f"{zone}-{day}" for zone, day in NIGHTS])
async def test_the_statement_agrees_with_the_oracle_on_time_off_buffers_and_who_does_what(
    db, make_salon, zone, day
) -> None:
    """The random thirty, now with buffers after some appointments, time off (across midnight too), a service
    with a buffer that two thirds of them do, some in their own length."""
    chance = random.Random(f"schedule {zone}{day}")
    salon, made, _ = await _random_salon(db, make_salon, zone, day, chance)
    await db.execute(
        """WITH gaps AS (
               SELECT id, lead(start_time) OVER (PARTITION BY staff_id ORDER BY start_time) - end_time AS gap
                 FROM appointments WHERE salon_id = %s AND status IN ('booked', 'held'))
           UPDATE appointments a SET buffer_minutes = least(coalesce(extract(epoch FROM gaps.gap)::int / 60, 20), 20)
             FROM gaps WHERE a.id = gaps.id AND abs(hashtext(a.id::text)) %% 2 = 0""",
        (salon.id,),
    )  # a buffer wherever it fits before the next one
    midnight = dt.datetime.combine(day, dt.time(0), ZoneInfo(zone)).astimezone(dt.UTC)  # real minutes from here
    away: dict[uuid.UUID, list[tuple[dt.datetime, dt.datetime]]] = {}
    for member, _ in made:
        for _ in range(chance.choice([0, 0, 1, 2])):
            off = midnight + dt.timedelta(minutes=chance.randrange(-4 * 60, 28 * 60, 5))
            back = off + dt.timedelta(minutes=chance.choice([30, 45, 120, 600]))
            await time_off.add_time_off(db, salon.id, member.id, start=off, end=back)
            away.setdefault(member.id, []).append((off, back))
    doers = [member for member, _ in made if chance.random() < 2 / 3]
    own = {member.id: dt.timedelta(minutes=chance.choice([30, 75])) for member in doers if chance.random() < 0.3}
    colour = await services.create_service(
        db, salon.id,
        ServiceDetails(name="Colour", duration_minutes=60, buffer_minutes=15, staff_ids=tuple(m.id for m in doers),
                       staff_overrides=tuple(StaffOverride(m, int(t.total_seconds() // 60)) for m, t in own.items())),
    )  # fmt: skip
    rows = await db.fetch_all(
        """SELECT staff_id, start_time, end_time + make_interval(mins => buffer_minutes) AS busy_until
             FROM appointments WHERE salon_id = %s AND status IN ('booked', 'held')""",
        (salon.id,),
    )
    members = [
        Member(member.id, member.first_name, member.last_name, spans,
               [(r["start_time"], r["busy_until"]) for r in rows if r["staff_id"] == member.id],
               away.get(member.id, []), own.get(member.id), member in doers)
        for member, spans in made
    ]  # fmt: skip
    expected = oracle(members, day, ZoneInfo(zone), dt.timedelta(hours=1), BEFORE_2027, dt.timedelta(minutes=15))
    anyone = await availability.free_slots(db, salon, service_id=colour.id, day=day, now=BEFORE_2027)
    assert [(slot.start, slot.staff_id) for slot in anyone] == expected
    assert len(expected) > 20 and any(away.values()) and own, "a schedule with something to find"
    for member in members[:8]:
        alone = await availability.free_slots(db, salon, service_id=colour.id, day=day, staff_id=member.id,
                                              now=BEFORE_2027)  # fmt: skip
        assert [(slot.start, slot.staff_id) for slot in alone] == oracle(
            [member], day, ZoneInfo(zone), dt.timedelta(hours=1), BEFORE_2027, dt.timedelta(minutes=15)
        )
        assert all(slot.end - slot.start == (member.length or dt.timedelta(hours=1)) for slot in alone)


async def test_one_statement_answers_whatever_the_number_of_staff(db: Database, make_salon, monkeypatch) -> None:
    salon, bea, _, cut = await _salon_with_staff(db, make_salon)
    sent: list[str] = []
    real = Database._cursor

    def counting(self: Database, statement: str, *args, **kwargs):
        sent.append(statement)
        return real(self, statement, *args, **kwargs)

    monkeypatch.setattr(Database, "_cursor", counting)  # every statement outside a transaction passes here
    await availability.free_slots(db, salon, service_id=cut.id, day=DAY, now=NOW)
    await availability.free_slots(db, salon, service_id=cut.id, day=DAY, staff_id=bea.id, now=NOW)
    assert len(sent) == 2
    await db.execute(
        """WITH s AS (INSERT INTO staff (salon_id, first_name) SELECT %s, 'Extra ' || n FROM generate_series(1, 28) n
                      RETURNING id)
           INSERT INTO working_hours (staff_id, weekday, starts, ends) SELECT id, 0, '08:00', '18:00' FROM s""",
        (salon.id,),
    )
    sent.clear()
    anyone = await availability.free_slots(db, salon, service_id=cut.id, day=DAY, now=NOW)
    assert len(sent) == 1, "thirty staff: still one statement"
    by_time = {_local(slot, salon.zone): slot.staff_name for slot in anyone}
    assert len(by_time) == 37, "08:00 to 17:00, the extras' hours"
    assert (by_time["08:00"], by_time["09:00"], by_time["11:15"], by_time["17:00"]) == (
        "Extra 1",
        "Bea",
        "Cal",
        "Extra 1",
    )


async def test_a_members_busy_time_is_read_by_one_probe_of_the_overlap_index(db: Database, make_salon) -> None:
    """The day's booked and held time of each member comes from the overlap constraint's GiST index (booked and
    held rows only), once per member: neither the salon's history nor its future bookings are walked."""
    day = dt.date(2027, 3, 28)
    salon, _, _ = await _random_salon(db, make_salon, "Europe/London", day, random.Random(19))
    await db.execute(
        """INSERT INTO appointments (salon_id, client_id, staff_id, service_id, start_time, end_time, status)
           SELECT s.salon_id, c.id, s.id, v.id, t, t + interval '1 hour',
                  CASE WHEN n < 0 THEN 'completed' ELSE 'booked' END
             FROM staff s, generate_series(-100, 100) n,
                  LATERAL (SELECT %(noon)s::timestamptz + n * interval '2 days' AS t) times,
                  LATERAL (SELECT id FROM clients WHERE salon_id = s.salon_id LIMIT 1) c,
                  LATERAL (SELECT id FROM services WHERE salon_id = s.salon_id LIMIT 1) v
            WHERE s.salon_id = %(salon)s AND n <> 0""",
        {"salon": salon.id, "noon": dt.datetime(2027, 3, 29, 12, tzinfo=dt.UTC)},
    )  # two years around the day, every other day: 3,000 past and 3,000 coming appointments
    await db.execute("ANALYZE appointments")
    cut = await services.create_service(db, salon.id, ServiceDetails(name="Cut", duration_minutes=45))
    asked = availability.asking(salon, cut.id, day, None, BEFORE_2027, None)
    rows = await db.fetch_all("EXPLAIN (COSTS OFF) " + availability.FREE_STARTS, asked)
    plan = "\n".join(row["QUERY PLAN"] for row in rows)
    members = plan[plan.index("CTE members") : plan.index("CTE starts")]
    assert "Index Scan using appointments_no_overlap on appointments" in members, plan
    assert "(staff_id = m_1.id)" in members, plan
    assert "(busy_span(start_time, end_time, buffer_minutes) && tstzrange(" in members, plan
    assert plan.count(" on appointments") == 1, f"appointments are read in one place only:\n{plan}"
    assert "Scan using time_off_staff on time_off" in members, plan
