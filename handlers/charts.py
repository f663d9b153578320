"""Bar charts drawn on the server: each row's bars for this period and the one before, measured here and written
as SVG by templates/_chart.html. No script draws them, so they show without JavaScript, print, and a screen
reader reads the table beside each one instead (the SVG is hidden from it)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

WIDTH = 640  # the drawing's own units; the page scales it to its column
LABEL_WIDTH = 190  # the rows' names, left of the bars
VALUE_WIDTH = 120  # room right of the longest bar for its value
BAR_HEIGHT = 16
ROW_HEIGHT = 2 * BAR_HEIGHT + 14  # this period's bar above the previous one's, and a gap


@dataclass(frozen=True)
class Bar:
    y: int
    width: float
    text: str  # the value as the page writes it


@dataclass(frozen=True)
class Row:
    label: str
    label_y: int
    current: Bar
    previous: Bar


@dataclass(frozen=True)
class Chart:
    title: str
    rows: list[Row]
    height: int
    bars_x: int = LABEL_WIDTH


def compared(
    title: str, rows: Sequence[tuple[str, float, float]], shown: Callable[[float], str] = lambda value: f"{value:g}"
) -> Chart:
    """A chart of ``rows`` (label, this period's value, the previous one's), every bar on one scale."""
    largest = max((max(current, previous) for _, current, previous in rows), default=0) or 1
    room = WIDTH - LABEL_WIDTH - VALUE_WIDTH

    def bar(value: float, y: int) -> Bar:
        return Bar(y, round(room * max(value, 0) / largest, 1), shown(value))

    drawn = [
        Row(label, top + BAR_HEIGHT + 4, bar(current, top), bar(previous, top + BAR_HEIGHT + 2))
        for index, (label, current, previous) in enumerate(rows)
        for top in [index * ROW_HEIGHT]
    ]
    return Chart(title, drawn, max(len(rows), 1) * ROW_HEIGHT)
