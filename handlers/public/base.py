"""What a client's pages share: no login, the salon's language and look, errors in words a client reads."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

from booking.errors import TooLate, TooMany
from booking.locales import day_name, language, money, phone_number, time_of_day, translations, wall_clock
from booking.models import Salon
from booking.notice_types import N_
from booking.rendering import templates
from handlers.base import outside_name
from handlers.html import HtmlPage

# What a client is told, by status: a heading and what to do next.
SORRY = N_("Sorry")
ERROR_WORDS = {
    400: (SORRY, N_("Something in that request is not right. Go back and try again.")),
    403: (SORRY, N_("This form has expired. Go back, reload the page and try again.")),
    404: (N_("Nothing here"), N_("Check that the link is complete, or ask the salon for a new one.")),
    409: (N_("Not possible any more"), N_("That changed in the meantime. Go back and choose again.")),
    413: (SORRY, N_("That was too much to send at once.")),
    429: (N_("Too many tries"), N_("Wait a few minutes and try again.")),
    503: (SORRY, N_("We cannot reach the booking system just now. Try again in a minute.")),
}
TOO_LATE = (N_("Too late to change online"), N_("It is too late to change this appointment online. Please call us."))
ELSE = (SORRY, N_("Something went wrong on our side. Try again in a minute."))


@dataclass(frozen=True)
class DayStrip:
    """A week of days to pick from, with the weeks before and after when a client may choose them."""

    day: dt.date  # the one chosen
    days: list[dt.date]
    earlier: dt.date | None
    later: dt.date | None
    empty: frozenset[dt.date] = frozenset()  # days of the strip with no free time: marked as such

    @classmethod
    def around(cls, day: dt.date, first: dt.date, last: dt.date) -> DayStrip:
        """The week of ``day`` (from its Monday, or from ``first``), within ``first`` .. ``last``."""
        week = dt.timedelta(days=7)
        start = max(first, day - dt.timedelta(days=day.weekday()))
        days = [start + dt.timedelta(days=n) for n in range(7) if start + dt.timedelta(days=n) <= last]
        earlier = max(first, start - week) if start > first else None
        return cls(day, days, earlier, start + week if start + week <= last else None)

    def with_free(self, free: set[dt.date], *, choose: bool) -> DayStrip:
        """The strip with its days that have no free time marked; ``choose`` (the client asked for no day):
        on the first that has one, if the chosen day has none."""
        day = min(free) if choose and free and self.day not in free else self.day
        return dataclasses.replace(self, day=day, empty=frozenset(set(self.days) - free))


class ClientPage(HtmlPage):
    """A page for a salon's clients; ``salon`` is set once the handler knows whose page it is."""

    salon: Salon | None = None

    @property
    def language(self) -> str:
        return language(self.salon.locale) if self.salon else "en"

    def gettext(self, message: str) -> str:
        return translations(self.language).gettext(message)

    def render_page(self, template: str, status: int = 200, **context: Any) -> None:
        self.set_status(status)
        salon = self.salon
        locale = salon.locale if salon else "en-GB"
        values = {
            "salon": salon,
            "language": self.language,
            "xsrf_form_html": self.xsrf_field,
            "static_url": self.static_url,
            "when": lambda instant: wall_clock(instant, salon.zone, locale, long=True) if salon else "",
            "clock": lambda instant: time_of_day(instant, salon.zone, locale) if salon else "",
            "day_name": lambda day: day_name(day, locale),
            "money": lambda cents: money(cents, salon.currency, locale) if salon else "",
            "phone": lambda number: phone_number(number, salon.country) if salon else number,
        }
        self.finish(templates(self.language).get_template(template).render(values | context))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """A page in the salon's language that says what to do next; never a trace."""
        self.refusal_headers(kwargs)
        status, _, _, _ = self.error_details(status_code, kwargs)
        exception = kwargs["exc_info"][1] if "exc_info" in kwargs else None
        title, words = TOO_LATE if isinstance(exception, TooLate) else ERROR_WORDS.get(status, ELSE)
        # the salon's cut-off, or the limit reached: what the client can go by, in the salon's language
        why = exception.describe(outside_name, self.gettext) if isinstance(exception, (TooLate, TooMany)) else ""
        why = why[:1].upper() + why[1:]
        self.render_page("public/error.html", status, title=self.gettext(title), words=self.gettext(words), why=why)
