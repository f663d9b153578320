"""What every front-desk page shares: the login (a server-side session), the menu, rendering, HTML errors and
lists."""

from __future__ import annotations

import asyncio
import datetime as dt
import gettext
import math
import re
import urllib.parse
import uuid
from http import HTTPStatus
from typing import Any, Protocol, TypeVar
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import tornado.web

from booking import access, appointments, inbox, jobs, reasons, sessions
from booking.errors import BookingError, Forbidden
from booking.locales import (
    Retold,
    accepted_locale,
    clock_time,
    day_name,
    example_phone,
    language,
    language_name,
    money,
    page_locale,
    phone_number,
    time_of_day,
    translations,
    wall_clock,
)
from booking.models import Role, Salon, User
from booking.notice_types import N_
from handlers.base import outside_name
from handlers.html import HtmlPage

SESSION_COOKIE = "session"  # a signed random token; the session itself lives in the database

# static/live.js asks for one part of a page with this header: the page's own address (filters, search and
# paging included) answers with that part's template alone, rendered from the same values as the page.
PART_HEADER = "X-Salonbook-Part"

ERROR_TEXT = {
    400: N_("Something in the request is not right."),
    403: N_("This form has expired or did not come from Salonbook. Go back, reload the page and try again."),
    404: N_("There is nothing here. The link may be wrong, or it belongs to another salon."),
    405: N_("That action is not possible on this page."),
    409: N_("That clashes with something that changed in the meantime."),
    413: N_("That was too much to send at once."),
    429: N_("Too many attempts. Wait a few minutes and try again."),
    503: N_("The database cannot be reached just now. Try again in a minute."),
}
ERROR_TITLE = {
    400: N_("Bad request"),
    403: N_("Forbidden"),
    404: N_("Not found"),
    405: N_("Not allowed"),
    409: N_("Conflict"),
    413: N_("Too much at once"),
    429: N_("Too many attempts"),
    500: N_("Something went wrong"),
    503: N_("Not available"),
}
ERROR_ELSE = N_("Something went wrong on our side. Try again in a minute.")

# Control characters (C0 and DEL), space and backslash: never in a path we send a browser to.
_UNSAFE_IN_NEXT = re.compile(r"[\x00-\x20\x7f\\]")


class Identified(Protocol):
    @property
    def id(self) -> uuid.UUID: ...


T = TypeVar("T", bound=Identified)


def local_time(
    instant: dt.datetime | None, zone: ZoneInfo, locale: str, now: dt.datetime, *, seconds: bool = False
) -> str:
    """A time on a page: the salon's wall clock its way, the year only when it is not ``now``'s."""
    if instant is None:
        return "—"
    other_year = instant.astimezone(zone).year != now.astimezone(zone).year
    return wall_clock(instant, zone, locale, seconds=seconds, year=other_year)


def in_words(seconds: int, words: gettext.NullTranslations) -> str:
    """A wait as a person says it, in their language: "45 seconds", "1 minute", "15 minutes"."""
    if seconds < 60:
        return words.ngettext("%(num)d second", "%(num)d seconds", seconds) % {"num": seconds}
    minutes = math.ceil(seconds / 60)
    return words.ngettext("%(num)d minute", "%(num)d minutes", minutes) % {"num": minutes}


def page_id(value: str) -> uuid.UUID:
    """An id from the URL; anything that is not one is a page that does not exist."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise tornado.web.HTTPError(404) from None


def safe_next(value: str | None, default: str = "/") -> str:
    """A local path to go back to; anything else falls back to ``default``.

    Browsers drop tabs and newlines inside a URL and read a backslash as a
    slash, so ``/\t/evil.example`` or ``/\\evil.example`` would leave the
    site: only a path that starts with a single ``/`` and holds no backslash,
    whitespace or control character, neither as written nor once
    percent-decoded, and that names no scheme or host, is taken.
    """
    if not value:
        return default
    for form in (value, urllib.parse.unquote(value)):
        if not form.startswith("/") or form.startswith("//") or _UNSAFE_IN_NEXT.search(form):
            return default
        if any(character.isspace() or not character.isprintable() for character in form):
            return default  # Unicode spaces, line separators, format characters
        parts = urllib.parse.urlsplit(form)
        if parts.scheme or parts.netloc:
            return default
    return value


class PageHandler(HtmlPage):
    """A front-desk page; knows who is logged in (if anyone) once ``prepare`` ran."""

    salon: Salon | None = None
    logged_in = False
    session_token: str | None = None  # the browser's session token, live or not
    session_id: uuid.UUID | None = None  # the live session this page came with
    unread_texts = 0  # clients' texts nobody has read: the number beside Inbox in the menu
    unseen_failures = 0  # notifications that failed and nobody has looked at: the number beside Notifications

    async def prepare(self) -> None:
        await super().prepare()
        token = self.get_signed_cookie(SESSION_COOKIE, max_age_days=sessions.LIFETIME_DAYS)
        self.session_token = token.decode(errors="replace") if token else None
        found = await sessions.signed_in(self.db, self.session_token) if self.session_token else None
        if found is not None:
            self.current_user, self.salon, self.session_id = found.user, found.salon, found.session_id
            if self.part is None and found.user.role != Role.STYLIST:  # a live part, a stylist's menu: no counts
                self.unread_texts, self.unseen_failures = await asyncio.gather(
                    inbox.unread_count(self.db, found.salon.id), jobs.unseen_failures(self.db, found.salon.id)
                )
        self.logged_in = found is not None

    async def log_in(self, user: User) -> None:
        """A new session for ``user`` in this browser; any session the browser had before ends."""
        token = await sessions.start(
            self.db,
            user.id,
            client_address=self.request.remote_ip or "",
            user_agent=self.request.headers.get("User-Agent", ""),
            replacing=self.session_token,
        )
        self.set_signed_cookie(
            SESSION_COOKIE, token, expires_days=sessions.LIFETIME_DAYS, httponly=True, samesite="lax"
        )

    async def log_out(self) -> None:
        """This browser's session ends on the server, not only in the browser."""
        if self.session_token:
            await sessions.end(self.db, self.session_token)
        self.forget_session()

    def forget_session(self) -> None:
        """The browser drops its cookie (its session already ended on the server)."""
        self.clear_cookie(SESSION_COOKIE, httponly=True, samesite="lax")

    # --- password checks (login, password change) ---------------------------------

    async def admit_password_check(self, email: str) -> int:
        """0 when a password for ``email`` may be checked now: the attempt is counted first (booking/logins.py).

        Otherwise the whole seconds to wait, already in the Retry-After header.
        """
        wait = await self.application.login_throttle.admit(email, self.request.remote_ip or "")
        if wait:
            self.application.metrics.logins.labels("refused").inc()
            self.set_header("Retry-After", str(wait))
        return wait

    async def password_checked(self, email: str, *, right: bool) -> None:
        """The outcome of an admitted check: a right password is not held against its email at this address."""
        self.application.metrics.logins.labels("succeeded" if right else "failed").inc()
        if right:
            await self.application.login_throttle.succeeded(email, self.request.remote_ip or "")

    # --- language ------------------------------------------------------------------

    @property
    def page_locale(self) -> str:
        """How this page writes: the user's own locale, else their salon's; before login the browser's
        Accept-Language among the languages spoken (booking.locales)."""
        if self.salon is not None and isinstance(self.current_user, User):
            return page_locale(self.current_user.locale, self.salon.locale)
        return accepted_locale(self.request.headers.get("Accept-Language", ""))

    @property
    def words(self) -> gettext.NullTranslations:
        """The catalogue of this page's language: for what a handler says (flash messages, form errors)."""
        return translations(language(self.page_locale))

    def gettext(self, message: str, **values: object) -> str:
        """``message`` in this page's language, its ``%(name)s`` filled from ``values``; "" stays "" (gettext's
        answer to it is the catalogue's header)."""
        translated = self.words.gettext(message) if message else message
        return translated % values if values else translated

    # --- rendering ---------------------------------------------------------------

    parts: tuple[str, ...] = ()  # the parts of this page static/live.js may ask for: templates/_{part}.html

    @property
    def part(self) -> str | None:
        """The part of the page asked for (one of ``parts``), or None for the whole page."""
        asked = self.request.headers.get(PART_HEADER)
        return asked if asked in self.parts else None

    def render_page(self, template: str, status: int = 200, **context: Any) -> None:
        """The page, or only the part static/live.js asked for: the same values either way."""
        self.set_status(status)
        self.set_header("Vary", PART_HEADER)
        if self.part is not None and status < 400:
            template = f"_{self.part}.html"
        locale = self.page_locale
        zone = self.salon.zone if self.salon else ZoneInfo("UTC")
        retell = Retold(self.salon.locale, locale) if self.salon else None
        values = {
            "current_user": self.current_user,
            "salon": self.salon,
            "path": self.request.path,
            "uri": self.request.uri,
            "xsrf_form_html": self.xsrf_field,
            "static_url": self.static_url,
            "outbox_enabled": self.application.outbox_enabled,
            "unread_texts": self.unread_texts,
            "unseen_failures": self.unseen_failures,
            "when": lambda instant, seconds=False: local_time(instant, zone, locale, self.now(), seconds=seconds),
            "clock": lambda instant: time_of_day(instant, zone, locale),
            "day_name": lambda day, year=False: day_name(day, locale, year=year),
            "money": lambda cents: money(cents, self.salon.currency, locale) if self.salon else "",
            "phone": lambda number: phone_number(number, self.salon.country) if self.salon else number,
            "clock_time": lambda time: clock_time(time, locale),
            "example_phone": example_phone(self.salon.country) if self.salon else "+44 7400 123456",
            "refresh": False,
            "language": language(locale),
            "language_name": lambda code: language_name(code, locale),  # 'de' as the reader says it: 'alemán'
            "words": self.words,  # for what the domain words itself in the reader's language (Job.label_in)
            # a job's stored English, in their words; a time in it (written the salon's way) their way too
            "reason": lambda stored: reasons.read(stored, self.words, retell),
        }
        html = self.application.templates(language(locale)).get_template(template).render(values | context)
        self.finish(html)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """A plain page that says what went wrong in words; never a trace."""
        self.refusal_headers(kwargs)
        status, _, message, _ = self.error_details(status_code, kwargs)
        exception = kwargs["exc_info"][1] if "exc_info" in kwargs else None
        if isinstance(exception, BookingError):
            message = exception.describe(outside_name, self.words.gettext)
        else:
            message = self.gettext(message)  # a page's own reason, as marked: "log in first"
        phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
        if message == phrase or "xsrf" in message.lower():
            message = ""  # Tornado's words for a missing form token mean nothing to a receptionist
        title = self.gettext(ERROR_TITLE.get(status, ERROR_TITLE[500]))
        explanation = self.gettext(ERROR_TEXT.get(status, ERROR_ELSE))
        self.clear_header("Location")
        self.render_page("error.html", status, title=title, message=message, explanation=explanation)

    # --- lists -----------------------------------------------------------------------

    def page_after(self) -> uuid.UUID | None:
        """Where a list page starts: after the item named by ``?after=``, or at the top."""
        after = self.get_query_argument("after", "")
        return page_id(after) if after else None

    def one_page(self, items: list[T], per_page: int) -> tuple[list[T], str]:
        """The first ``per_page`` of ``items`` (fetched one more), and the next page's address, or ""."""
        if len(items) <= per_page:
            return items, ""
        asked = {name: self.get_query_argument(name) for name in self.request.query_arguments}
        following = urlencode(asked | {"after": str(items[per_page - 1].id)})
        return items[:per_page], f"{self.request.path}?{following}"


class SalonPage(PageHandler):
    """A page for a logged-in user of a salon whose role it admits (booking.access); others are sent to the
    login page, and another role gets a 403 page."""

    salon: Salon
    current_user: User
    roles: frozenset[Role] = access.DESK

    def admitted(self) -> frozenset[Role]:
        """The roles this page admits: ``roles``, unless a page's own arguments decide."""
        return self.roles

    async def prepare(self) -> None:
        await super().prepare()
        if self.logged_in:
            try:
                access.admit(self.current_user, self.admitted())
            except Forbidden as refusal:
                self.refuse(refusal)
            return
        if self.request.method not in ("GET", "HEAD"):
            raise tornado.web.HTTPError(403, N_("log in first"))
        self.redirect(f"{self.get_login_url()}?{urlencode({'next': self.request.uri})}")

    def refuse(self, refusal: Forbidden) -> None:
        """The 403 page for a role that may not be here."""
        self.render_page(
            "error.html",
            403,
            title=self.gettext("Forbidden"),
            message=self.gettext(refusal.message),
            explanation=self.gettext("Ask the owner if you need something from it."),
        )

    @property
    def is_stylist(self) -> bool:
        return self.current_user.role == Role.STYLIST

    def own_staff(self, staff_id: uuid.UUID) -> None:
        """A stylist's page about another stylist's things: 404 (they need not learn it exists)."""
        try:
            access.own_staff(self.current_user, staff_id)
        except Forbidden:
            raise tornado.web.HTTPError(404) from None

    async def own_client(self, client_id: uuid.UUID) -> None:
        """A stylist's page about a client who has (or had) no appointment with them: 404."""
        staff_id = self.current_user.staff_id
        if staff_id is not None and not await appointments.has_client(self.db, self.salon.id, staff_id, client_id):
            raise tornado.web.HTTPError(404)


class OwnerPage(SalonPage):
    """A page for the salon's owner only; another logged-in user gets a 403 page."""

    roles = access.OWNER
