"""The Tornado application: routes, settings and the shared pieces handlers reach."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import jinja2
import tornado.httputil
import tornado.web

from booking import access, code_sends, installation, paths
from booking.api_tokens import TokenCache
from booking.links import Links
from booking.logins import LoginThrottle
from booking.rendering import desk_templates
from db import Database, buckets
from handlers import api_appointments as appointments
from handlers import api_directory as directory
from handlers import api_jobs as jobs
from handlers import api_public as public
from handlers import api_team as team
from handlers import api_waitlist, feeds, sms
from handlers.api import ApiHandler
from handlers.api_reports import ReportsApi
from handlers.api_salon import SalonApi, SalonExportApi, SalonMessageApi, SalonMessagePreviewApi, StripeAccountApi
from handlers.base import StaticFiles
from handlers.body_limit import BodyLimit
from handlers.health import HealthHandler, Metrics, MetricsHandler
from handlers.limits import RateLimiter
from handlers.openapi import OpenApiHandler
from handlers.pages import ROUTES as PAGE_ROUTES
from handlers.public import ROUTES as CLIENT_ROUTES
from handlers.stopping import WebServer
from handlers.stripe_webhook import StripeWebhook

ROOT = Path(__file__).resolve().parent.parent
URL_SAFE = "[A-Za-z0-9_-]+"  # a feed's token (secrets.token_urlsafe): anything else is no feed
ID = r"([^/]+)"  # validated by the handler, so a bad id is a 400 that names the field, not a bare 404


class RunningWorker(Protocol):
    def wake(self) -> None: ...
    def status(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class WebSettings:
    """What the web part reads from the options (config.py fills it by these names)."""

    max_body_size: int = 64 * 1024  # largest JSON or form body in bytes; a larger one is refused unread
    body_timeout: float = 30.0  # seconds a request's body may take to arrive
    idle_connection_timeout: float = 60.0  # seconds for a request's headers, and between requests on a connection
    cookie_secure: bool = False  # Secure on every cookie (behind a TLS proxy); always so over https
    xheaders: bool = False  # the client's address and scheme from X-Forwarded-For/-Proto (behind a proxy)
    api_rate: float = 20.0  # API requests per second per token, in bursts of up to five times that
    public_rate: float = 5.0  # online booking's API and pages: requests a second per client address, bursts 5x
    public_url: str = "http://127.0.0.1:8888"  # where links in emails and texts point, and webhooks are signed for
    hold_minutes: int = 10  # how long an online booking holds its time while the client types their code
    code_limit: int = 3  # codes to one email address or number per hour, whoever asks
    codes_per_salon_day: int = 500  # codes one salon may send in 24 hours
    sms_provider_url: str = ""  # none: texts are kept in the outbox, where the front desk may play a client's reply
    sms_auth_token: str = ""  # the SMS provider's: it signs the webhooks (none: every webhook is refused)
    stripe_api_base: str = "https://api.stripe.com"  # where every Stripe call goes (the tests: localstripe)
    stripe_js_url: str = "https://js.stripe.com/v3/"  # Stripe.js for the card field; the payment page allows its origin


class Backups(Protocol):
    """The nightly backups (db/nightly.py), present when the database is the embedded one."""

    folder: Path
    hour: int
    failures: int

    def status(self) -> dict[str, Any]: ...


class UnknownApi(ApiHandler):
    """Any other /api path: a JSON 404 (after the token check, like every API answer)."""

    roles = access.EVERYONE

    async def get(self, *_: str) -> None:
        raise tornado.web.HTTPError(404, "no such endpoint")

    post = patch = put = delete = get


API_ROUTES = [
    (r"/api/v1/salon", SalonApi),
    (r"/api/v1/salon/export", SalonExportApi),
    (r"/api/v1/salon/messages/([^/]+)/([^/]+)", SalonMessageApi),
    (r"/api/v1/salon/messages/([^/]+)/([^/]+)/preview", SalonMessagePreviewApi),
    (r"/api/v1/salon/stripe", StripeAccountApi),
    (r"/api/v1/staff", directory.StaffListApi),
    (rf"/api/v1/staff/{ID}", directory.StaffApi),
    (rf"/api/v1/staff/{ID}/time-off", directory.TimeOffListApi),
    (rf"/api/v1/staff/{ID}/time-off/{ID}", directory.TimeOffApi),
    (rf"/api/v1/staff/{ID}/calendar-feed", feeds.CalendarFeedApi),
    (r"/api/v1/services", directory.ServiceListApi),
    (rf"/api/v1/services/{ID}", directory.ServiceApi),
    (r"/api/v1/clients", directory.ClientListApi),
    (rf"/api/v1/clients/{ID}", directory.ClientApi),
    (rf"/api/v1/clients/{ID}/export", directory.ClientExportApi),
    (rf"/api/v1/clients/{ID}/erase", directory.EraseClientApi),
    (rf"/api/v1/clients/{ID}/appointments", directory.ClientAppointmentsApi),
    (rf"/api/v1/clients/{ID}/notes", directory.ClientNotesApi),
    (r"/api/v1/appointments", appointments.AppointmentListApi),
    (rf"/api/v1/appointments/{ID}", appointments.AppointmentApi),
    (rf"/api/v1/appointments/{ID}/cancel", appointments.CancelAppointmentApi),
    (rf"/api/v1/appointments/{ID}/outcome", appointments.AppointmentOutcomeApi),
    (rf"/api/v1/appointments/{ID}/payments", appointments.AppointmentPaymentsApi),
    (rf"/api/v1/appointments/{ID}/refund", appointments.AppointmentRefundApi),
    (r"/api/v1/reports", ReportsApi),
    (r"/api/v1/waitlist", api_waitlist.WaitlistApi),
    (r"/api/v1/jobs", jobs.JobListApi),
    (r"/api/v1/jobs/stats", jobs.JobStatsApi),
    (rf"/api/v1/jobs/{ID}", jobs.JobApi),
    (rf"/api/v1/jobs/{ID}/retry", jobs.RetryJobApi),
    (rf"/api/v1/jobs/{ID}/cancel", jobs.CancelJobApi),
    (r"/api/v1/team", team.TeamApi),
    (r"/api/v1/team/invitations", team.InvitationsApi),
    (r"/api/v1/openapi\.json", OpenApiHandler),
    (rf"/api/public/{ID}/services", public.PublicServicesApi),
    (rf"/api/public/{ID}/slots", public.PublicSlotsApi),
    (rf"/api/public/{ID}/bookings", public.PublicBookingsApi),
    (rf"/api/public/{ID}/bookings/{ID}/verify", public.PublicVerifyApi),
    (rf"/api/public/{ID}/waitlist", api_waitlist.PublicWaitlistApi),
    (rf"/api/public/{ID}/waitlist/{ID}/verify", api_waitlist.PublicWaitlistVerifyApi),
    (r"/api/public/(.*)", public.UnknownPublicApi),
    (r"/api/(.*)", UnknownApi),
    (r"/healthz", HealthHandler),
    (r"/metrics", MetricsHandler),
]
# The SMS provider's calls, signed with its auth token (handlers/sms.py).
PROVIDER_ROUTES = [
    (paths.SMS_INBOUND.route(), sms.InboundSms),
    (paths.SMS_STATUS.route(), sms.SmsStatus),
    (paths.STRIPE_WEBHOOK.route(), StripeWebhook),  # signed with the salon's own webhook secret
]
# What a stylist's calendar program subscribes to: iCalendar, not JSON, its token the key.
FEED_ROUTES = [(paths.CALENDAR_FEED.route(token=URL_SAFE), feeds.CalendarFeed)]


class Salonbook(tornado.web.Application):
    def __init__(
        self,
        *,
        db: Database,
        cookie_secret: str,
        settings: WebSettings = WebSettings(),
        worker: RunningWorker | None = None,
        backups: Backups | None = None,
        outbox_enabled: bool = False,
        debug: bool = False,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.db = db
        self.clock = clock  # "now" for every rule a request asks: read once per request (BaseHandler.now)
        self.web_settings = settings
        self.worker = worker
        self.backups = backups
        self.outbox_enabled = outbox_enabled
        self.metrics = Metrics(backups)
        self.tokens = TokenCache()
        self.api_limits = RateLimiter(db, buckets.Kind.API, rate=settings.api_rate, burst=5 * settings.api_rate)
        public_rate = settings.public_rate
        self.public_limits = RateLimiter(db, buckets.Kind.PUBLIC, rate=public_rate, burst=5 * public_rate)
        self.code_limits = code_sends.Limits(settings.code_limit, settings.codes_per_salon_day)
        self.login_throttle = LoginThrottle(db)
        self.export_turn = asyncio.Semaphore(1)  # exports take turns a page at a time (handlers/downloads.py)
        self._links: Links | None = None
        super().__init__(
            [*API_ROUTES, *CLIENT_ROUTES, *PROVIDER_ROUTES, *FEED_ROUTES, *PAGE_ROUTES],
            cookie_secret=cookie_secret,
            xsrf_cookies=True,
            login_url=paths.LOGIN(),
            static_path=str(ROOT / "static"),
            static_handler_class=StaticFiles,
            debug=debug,
        )

    def templates(self, language: str) -> jinja2.Environment:
        """The front desk's templates in ``language`` (booking.rendering): read again when changed with --debug."""
        return desk_templates(language, reload=bool(self.settings.get("debug")))

    async def links(self) -> Links:
        """The links clients follow (booking.links): their secret is read from the database once."""
        if self._links is None:
            self._links = Links(self.web_settings.public_url, await installation.link_secret(self.db))
        return self._links

    def start_request(
        self, server_conn: object, request_conn: tornado.httputil.HTTPConnection
    ) -> tornado.httputil.HTTPMessageDelegate:
        """Each request meets the body limit before anything of the application."""
        routed = super().start_request(server_conn, request_conn)
        return BodyLimit(routed, request_conn, self.web_settings.max_body_size)

    def log_request(self, handler: tornado.web.RequestHandler) -> None:
        super().log_request(handler)
        self.metrics.requests.labels(type(handler).__name__, handler.request.method, handler.get_status()).observe(
            handler.request.request_time()
        )


def http_server(app: Salonbook) -> WebServer:
    """The HTTP server for ``app``, as its settings say: server.py listens with it, the tests too.

    Its limits drop what would hold memory or a connection for nothing: a
    body over ``max_body_size`` (declared ones get their 413 first, from
    ``BodyLimit``), a body slower than ``body_timeout``, headers or a kept-alive
    connection idle for ``idle_connection_timeout``. It stops without cutting
    a request short (``WebServer.shut_down``).
    """
    settings = app.web_settings
    return WebServer(
        app,
        xheaders=settings.xheaders,
        max_body_size=settings.max_body_size,
        body_timeout=settings.body_timeout,
        idle_connection_timeout=settings.idle_connection_timeout,
    )
