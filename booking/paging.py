"""Long reads a page at a time, for exports: memory holds one page, and the reader may write each page out
before the next is read.

A reader answers one page: up to ``limit`` rows after a key, and the key the next page starts after (None
when there is no next page). The keys are ids, which never change, so a row that exists throughout an
export is in it exactly once, whatever else changes meanwhile; a row added, changed or removed meanwhile
may show as it was or as it is, or not at all.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

PAGE_SIZE = 100  # rows per read: a few milliseconds to read and to write out (see bench/bench_exports.py)

R = TypeVar("R")
K = TypeVar("K")
K_co = TypeVar("K_co", covariant=True)


class Identified(Protocol[K_co]):
    @property
    def id(self) -> K_co: ...


@dataclass(frozen=True)
class Page(Generic[R, K]):
    rows: Sequence[R]
    next: K | None  # the key the next page starts after; None: this page is the last


Row = TypeVar("Row", bound=Identified[Any])


def page_of(rows: Sequence[Row], limit: int) -> Page[Row, Any]:
    """The page a read of at most ``limit`` rows in id order made: a full one may have more after it."""
    return Page(rows, rows[-1].id if len(rows) == limit else None)


Reader = Callable[[Any, int], Awaitable[Page[R, Any]]]  # (after: a key or None, limit) -> the page


def at_once(read: Callable[[], Awaitable[Sequence[R]]]) -> Reader[R]:
    """A reader for a list the product keeps short (at most 200 staff, 1,000 services): one read, one page."""

    async def whole(after: Any, limit: int) -> Page[R, Any]:
        return Page(await read(), None)

    return whole


async def pages(read: Reader[R], size: int = PAGE_SIZE) -> AsyncIterator[Sequence[R]]:
    """Every row ``read`` finds, ``size`` at a time (a page may be shorter when rows went meanwhile)."""
    after = None
    while True:
        page = await read(after, size)
        if page.rows:
            yield page.rows
        if page.next is None:
            return
        after = page.next


@dataclass(frozen=True)
class Listing:
    """One list of an export: its name (a key of the JSON, a file of the zip) and its rows, a page at a time."""

    name: str
    pages: AsyncIterator[Sequence[Any]]
