"""How a time is written to a salon or its clients: its wall clock, with the zone named."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


def wall_clock(instant: dt.datetime, zone: ZoneInfo, *, seconds: bool = False, year: bool = False) -> str:
    """'Tue 3 Dec, 10:00 (Europe/London)'; ``year`` adds it after the month, ``seconds`` after the minutes."""
    local = instant.astimezone(zone)
    clock = f"{local:%H:%M:%S}" if seconds else f"{local:%H:%M}"
    return f"{local:%a} {local.day} {local:%b}{f' {local.year}' if year else ''}, {clock} ({zone.key})"
