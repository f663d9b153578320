"""The handler every page and API endpoint builds on: database access, errors, limits."""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import math
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import psycopg2
import tornado.web

from booking import online
from booking.errors import (
    BookingError,
    Conflict,
    FieldPath,
    Forbidden,
    Invalid,
    NotFound,
    PaymentProblem,
    SlotTaken,
    TooMany,
)
from booking.models import Salon
from db import Database, DatabaseUnavailable
from handlers.limits import RateLimiter, address_key

if TYPE_CHECKING:
    from handlers.app import Salonbook

log = logging.getLogger(__name__)

# A value the checks let through but PostgreSQL or date arithmetic refused: still the caller's input,
# so a 400, never a 500 (and logged, since a check is missing somewhere).
UNCHECKED_INPUT = (psycopg2.DataError, OverflowError)

# Every domain outcome maps to one status code, here and nowhere else.
STATUS_FOR_ERROR: dict[type[Exception], int] = {
    Invalid: 400,
    Forbidden: 403,
    NotFound: 404,
    SlotTaken: 409,
    Conflict: 409,
    TooMany: 429,
    PaymentProblem: 502,
    DatabaseUnavailable: 503,
    psycopg2.DataError: 400,
    OverflowError: 400,
}


class Refused(tornado.web.HTTPError):
    """An HTTP refusal whose answer needs headers (Retry-After, WWW-Authenticate): send_error clears the
    response's headers before writing the error, so the error carries them."""

    def __init__(self, status: int, message: str, headers: dict[str, str]) -> None:
        super().__init__(status, message.replace("%", "%%"))
        self.headers = headers


class BodyTooLarge(tornado.web.HTTPError):
    def __init__(self, limit: int) -> None:
        super().__init__(413, reason="Payload Too Large", log_message=f"body over {limit} bytes")
        self.limit = limit


@functools.lru_cache(maxsize=4096)  # field names, from a small set
def camel(name: str) -> str:
    """A domain name as the JSON API and the forms write it: ``first_name`` -> ``firstName``."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def outside_name(path: FieldPath) -> str:
    """A field path as outsiders name it: ``("working_hours", 2, "start")`` -> ``workingHours[2].start``."""
    name = ""
    for part in path:
        name += f"[{part}]" if isinstance(part, int) else f"{'.' if name else ''}{camel(part)}"
    return name


def status_for(exception: BaseException | None, default: int) -> int:
    for error_type, status in STATUS_FOR_ERROR.items():
        if isinstance(exception, error_type):
            return status
    return default


def allowed_methods(handler: type[tornado.web.RequestHandler]) -> tuple[str, ...]:
    """The methods a handler answers: those it implements (Tornado answers the others 405)."""
    base = tornado.web.RequestHandler
    return tuple(m for m in handler.SUPPORTED_METHODS if getattr(handler, m.lower()) is not getattr(base, m.lower()))


def allow_header(handler: tornado.web.RequestHandler) -> None:
    """A 405 names the methods that would have worked (RFC 9110, 15.5.6); called while the error is written."""
    if handler.get_status() == 405:
        handler.set_header("Allow", ", ".join(allowed_methods(type(handler))))


def set_safe_headers(handler: tornado.web.RequestHandler) -> None:
    """On every answer: no Server header naming the software and its version; no content-type sniffing."""
    handler.clear_header("Server")
    handler.set_header("X-Content-Type-Options", "nosniff")


class StaticFiles(tornado.web.StaticFileHandler):
    def set_default_headers(self) -> None:
        set_safe_headers(self)

    def check_xsrf_cookie(self) -> None:
        raise tornado.web.HTTPError(405)  # asked of every method but GET, HEAD and OPTIONS: none a file answers

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        allow_header(self)
        super().write_error(status_code, **kwargs)


class BaseHandler(tornado.web.RequestHandler):
    application: Salonbook
    token_in_path = False  # a client's link: its token never reaches the log
    _now: dt.datetime | None = None

    @property
    def db(self) -> Database:
        return self.application.db

    async def prepare(self) -> None:
        # A declared length over the cap got its 413 before the body was read (handlers/body_limit.py), and
        # http_server's cap cuts a chunked one; this is for an application served by another server.
        limit = self.application.web_settings.max_body_size
        if len(self.request.body) > limit:
            raise BodyTooLarge(limit)

    def check_xsrf_cookie(self) -> None:
        """A method the path does not answer is a 405 before the form token's 403 (Tornado checks the token
        first): the answer that says what would work."""
        if self.request.method not in allowed_methods(type(self)):
            raise tornado.web.HTTPError(405)
        super().check_xsrf_cookie()

    async def within_rate(self, limits: RateLimiter, key: bytes, whose: str) -> None:
        """Counts this request against ``key``'s allowance, in every process's; beyond it, a 429 saying when to
        come back."""
        wait = math.ceil(await limits.wait(key))
        if wait:
            raise Refused(429, f"too many requests {whose}; try again in {wait} s", {"Retry-After": str(wait)})

    async def within_public_rate(self) -> None:
        """Online booking's API and pages count every request against the client address's allowance, before
        any other work: a stranger's script cannot keep the process and the database busy."""
        address = address_key(self.request.remote_ip or "")
        await self.within_rate(self.application.public_limits, address, "from this address")

    async def hold_online(self, salon: Salon, request: online.Request) -> online.Hold:
        """Holds a time for a stranger (the booking API's and page's one way); the holds that gave way are
        counted for /metrics."""
        hold = await self._for_a_stranger(online.hold, salon, request)
        self.application.metrics.online_hold(hold)
        return hold

    async def join_waitlist_online(self, salon: Salon, request: online.WaitlistRequest) -> online.Hold:
        """A stranger joins the waitlist (the API's and the page's one way); the Hold's id is the entry's, which
        the code verifies."""
        return await self._for_a_stranger(online.join_waitlist, salon, request)

    async def _for_a_stranger(
        self, act: Callable[..., Awaitable[online.Hold]], salon: Salon, request: object
    ) -> online.Hold:
        """``act`` (a hold, a waitlist join) from the request's client address under the installation's limits,
        every one a hold meets; a refusal is counted for /metrics, and the worker woken for the code."""
        app = self.application
        try:
            made = await act(
                self.db,
                salon,
                request,
                client_address=self.request.remote_ip or "",
                minutes=app.web_settings.hold_minutes,
                limits=app.code_limits,
                now=self.now(),
            )
        except BookingError as error:
            app.metrics.online_hold(error)
            raise
        self.wake_worker()
        return made

    def now(self) -> dt.datetime:
        """The instant this request is answered at, as the rules take it: read from the application's clock once."""
        if self._now is None:
            self._now = self.application.clock()
        return self._now

    def wake_worker(self) -> None:
        """After a commit that queued jobs: the in-process worker looks at once."""
        if self.application.worker is not None:
            self.application.worker.wake()

    def set_default_headers(self) -> None:
        set_safe_headers(self)

    def send_json(self, value: Any, status: int = 200) -> None:
        """Every JSON answer: an account's data, never to be kept by a cache on the way or in the browser."""
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(value))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """A JSON error object; pages override this with an HTML page."""
        self.refusal_headers(kwargs)
        status, code, message, field = self.error_details(status_code, kwargs)
        error: dict[str, Any] = {"code": code, "message": message} | ({"field": field} if field else {})
        exception = kwargs["exc_info"][1] if "exc_info" in kwargs else None
        if isinstance(exception, Invalid) and exception.also:  # every field found wrong, as a form shows them
            error["fields"] = [
                {"field": outside_name(each.field), "message": each.describe(outside_name)}
                for each in exception.every
                if each.field
            ]
        self.send_json({"error": error}, status)

    def refusal_headers(self, kwargs: dict[str, Any]) -> None:
        """Puts back the headers a ``Refused`` answer needs, a ``TooMany``'s Retry-After and a 405's Allow."""
        allow_header(self)
        exception = kwargs["exc_info"][1] if "exc_info" in kwargs else None
        for name, value in exception.headers.items() if isinstance(exception, Refused) else ():
            self.set_header(name, value)
        if isinstance(exception, TooMany):
            self.set_header("Retry-After", str(exception.retry_after))

    def error_details(self, status_code: int, kwargs: dict[str, Any]) -> tuple[int, str, str, str | None]:
        """(status, code, message, field) for the error being sent; never a trace."""
        exception = kwargs["exc_info"][1] if "exc_info" in kwargs else None
        status = status_for(exception, status_code)
        if isinstance(exception, BookingError):
            field = outside_name(exception.field) if exception.field else None
            return status, exception.code, exception.describe(outside_name), field
        if isinstance(exception, DatabaseUnavailable):
            return status, "unavailable", "the database is unreachable; try again shortly", None
        if isinstance(exception, BodyTooLarge):
            return status, "too_large", f"the body is larger than {exception.limit} bytes", None
        if isinstance(exception, UNCHECKED_INPUT):
            return status, "invalid", "a value in the request is out of range or cannot be stored", None
        if isinstance(exception, tornado.web.HTTPError) and exception.log_message and status < 500:
            return status, _code_for(status), exception.log_message % exception.args, None
        return status, _code_for(status), HTTPStatus(status).phrase, None

    def log_exception(self, typ: Any, value: BaseException | None, tb: Any) -> None:
        if isinstance(value, BookingError):
            return  # an answer, not a fault
        if isinstance(value, DatabaseUnavailable):
            log.warning("%s: database unavailable: %s", self._request_summary(), value)
            return
        if isinstance(value, UNCHECKED_INPUT):
            log.warning("%s: input no check caught: %r", self._request_summary(), value)
            return
        if isinstance(value, tornado.web.HTTPError):
            super().log_exception(typ, value, tb)
            return
        log.error("uncaught exception in %s", self._request_summary(), exc_info=value)

    def _request_summary(self) -> str:
        """The request as the log writes it: its path without the query (a search may be an email address),
        and without the token of a client's link (nor a calendar feed's, before its ".ics")."""
        path = self.request.path
        if self.token_in_path:
            path = "/".join(_hide_token(part, self.path_args) for part in path.split("/"))
        return f"{self.request.method} {path} ({self.request.remote_ip})"


def _hide_token(part: str, tokens: list[str]) -> str:
    """A path's part with the token it starts with, if any, blotted out: "TOKEN.ics" -> "….ics"."""
    for token in tokens:
        if token and part.startswith(token):
            return "…" + part[len(token) :]
    return part


def _code_for(status: int) -> str:
    return {
        400: "bad_request",
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        409: "conflict",
        413: "too_large",
        429: "rate_limited",
        503: "unavailable",
    }.get(status, "error")
