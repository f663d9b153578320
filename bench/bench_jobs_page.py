"""The jobs page's list of 200 notifications, rendered in English, German and Spanish: what a language costs.

    .venv/bin/python -m bench.bench_jobs_page [--rows=200] [--samples=50]

Renders the list part (templates/_jobs_live.html, what static/live.js fetches every 5 s) with the values the
page gives it, from rows made here (no database, no server: the rows' reading is the same in every language).
Every row has its own appointment time, next try and attempts, as a busy salon's list has. Prints a Markdown
table of the median and the ratio to English.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
import uuid
from zoneinfo import ZoneInfo

from booking import jobs, reasons
from booking.locales import clock_time, day_name, language, money, time_of_day, translations, wall_clock
from booking.rendering import desk_templates
from handlers.pages.base import local_time
from jobqueue import queue

ZONE = ZoneInfo("Europe/Berlin")
NOW = dt.datetime(2030, 6, 4, 8, 0, tzinfo=dt.UTC)


def rows(count: int) -> list[jobs.Job]:
    """Jobs of every type and status, each at a time of its own (no two rows format the same instant)."""
    types = list(jobs.TYPES)
    statuses = [queue.JobStatus.PENDING, queue.JobStatus.COMPLETED, queue.JobStatus.FAILED, queue.JobStatus.CANCELLED]
    made = []
    for n in range(count):
        at = NOW + dt.timedelta(minutes=7 * n)
        status = statuses[n % len(statuses)]
        made.append(
            jobs.Job(
                id=uuid.uuid4(), salon_id=uuid.uuid4(), client_id=uuid.uuid4(), appointment_id=uuid.uuid4(),
                type=types[n % len(types)], payload={}, channels=("email", "sms"), channels_done=("email",),
                status=status, attempts=n % 3, max_attempts=5,
                error=_why(status, at),
                run_at=at, locked_by=None, locked_at=None, created_at=at, updated_at=at,
                processed_at=None if status == queue.JobStatus.PENDING else at,
                client_name=f"Client {n}", appointment_start=at + dt.timedelta(days=1), appointment_status=None,
                minutes_before=2880 if types[n % len(types)] == "reminder" else None,
            )
        )  # fmt: skip
    return made


def _why(status: queue.JobStatus, at: dt.datetime) -> str | None:
    """A failure's provider words; a cancelled row's reason holds its own time, as a moved appointment's does."""
    if status == queue.JobStatus.CANCELLED:
        return reasons.said(reasons.MOVED, when=wall_clock(at + dt.timedelta(days=2), ZONE, "de-DE"))
    return None if status == queue.JobStatus.COMPLETED else "mailbox full"


def render(locale: str, found: list[jobs.Job]) -> str:
    """The list part as JobsPage renders it for a reader of ``locale``."""
    words = translations(language(locale))
    values = {
        "when": lambda instant, seconds=False: local_time(instant, ZONE, locale, NOW, seconds=seconds),
        "clock": lambda instant: time_of_day(instant, ZONE, locale),
        "day_name": lambda day, year=False: day_name(day, locale, year=year),
        "money": lambda cents: money(cents, "EUR", locale),
        "clock_time": lambda time: clock_time(time, locale),
        "words": words,
        "reason": lambda stored: reasons.read(stored, words),
        "language": language(locale),
        "uri": "/jobs",
        "xsrf_form_html": lambda: "",
        "form": {"status": "", "type": "", "date": ""},
        "counts": dict.fromkeys(jobs.STATUSES, 1),
        "jobs": found,
        "next_page": "",
        "status_choices": [(status, words.gettext(status)) for status in jobs.STATUSES],
    }
    return desk_templates(language(locale)).get_template("_jobs_live.html").render(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--cold", action="store_true", help="forget the reasons read before each render")
    options = parser.parse_args()
    found = rows(options.rows)
    times: dict[str, list[float]] = {locale: [] for locale in ("en-GB", "de-DE", "es-ES")}
    for locale in times:
        render(locale, found)  # templates compiled, catalogue read, CLDR loaded: what a running server has
    for _ in range(options.samples):  # the languages in turns: a busy machine slows each alike
        for locale, taken in times.items():
            if options.cold:  # every reason read anew: a page of reasons never seen before
                reasons.forget()
            start = time.perf_counter()
            render(locale, found)
            taken.append(time.perf_counter() - start)
    medians = {locale: statistics.median(taken) for locale, taken in times.items()}
    print(f"| {options.rows} rows | median | to English |\n|---|---|---|")
    for locale, median in medians.items():
        print(f"| {locale} | {median * 1000:.1f} ms | {median / medians['en-GB']:.2f} |")


if __name__ == "__main__":
    main()
