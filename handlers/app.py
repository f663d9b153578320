"""The Tornado application: routes, settings and the shared pieces handlers reach."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import jinja2
import tornado.web

from booking.accounts import TokenCache
from booking.notice_types import TYPES as NOTICE_TYPES
from db import Database
from handlers import api_appointments as appointments
from handlers import api_directory as directory
from handlers import api_jobs as jobs
from handlers.api import ApiHandler
from handlers.health import HealthHandler, Metrics, MetricsHandler
from handlers.limits import RateLimiter
from handlers.openapi import OpenApiHandler
from handlers.pages import ROUTES as PAGE_ROUTES
from handlers.pages.auth import LoginThrottle

ROOT = Path(__file__).resolve().parent.parent
ID = r"([^/]+)"  # validated by the handler, so a bad id is a 400 that names the field, not a bare 404


class RunningWorker(Protocol):
    def wake(self) -> None: ...
    def status(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class WebSettings:
    """What the web part reads from the options (config.py fills it by these names)."""

    max_body_size: int = 64 * 1024  # largest JSON or form body in bytes
    sms_default_region: str = "GB"  # reads phone numbers typed without +country
    api_rate: float = 20.0  # API requests per second per token, in bursts of up to five times that


class Backups(Protocol):
    """The nightly backups (db/nightly.py), present when the database is the embedded one."""

    folder: Path
    hour: int
    failures: int

    def status(self) -> dict[str, Any]: ...


class UnknownApi(ApiHandler):
    """Any other /api path: a JSON 404 (after the token check, like every API answer)."""

    async def get(self, *_: str) -> None:
        raise tornado.web.HTTPError(404, "no such endpoint")

    post = patch = put = delete = get


API_ROUTES = [
    (r"/api/v1/staff", directory.StaffListApi),
    (rf"/api/v1/staff/{ID}", directory.StaffApi),
    (r"/api/v1/services", directory.ServiceListApi),
    (rf"/api/v1/services/{ID}", directory.ServiceApi),
    (r"/api/v1/clients", directory.ClientListApi),
    (rf"/api/v1/clients/{ID}", directory.ClientApi),
    (rf"/api/v1/clients/{ID}/export", directory.ClientExportApi),
    (rf"/api/v1/clients/{ID}/erase", directory.EraseClientApi),
    (r"/api/v1/appointments", appointments.AppointmentListApi),
    (rf"/api/v1/appointments/{ID}", appointments.AppointmentApi),
    (rf"/api/v1/appointments/{ID}/cancel", appointments.CancelAppointmentApi),
    (r"/api/v1/jobs", jobs.JobListApi),
    (r"/api/v1/jobs/stats", jobs.JobStatsApi),
    (rf"/api/v1/jobs/{ID}", jobs.JobApi),
    (rf"/api/v1/jobs/{ID}/retry", jobs.RetryJobApi),
    (rf"/api/v1/jobs/{ID}/cancel", jobs.CancelJobApi),
    (r"/api/v1/openapi\.json", OpenApiHandler),
    (r"/api/(.*)", UnknownApi),
    (r"/healthz", HealthHandler),
    (r"/metrics", MetricsHandler),
]


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
    ) -> None:
        self.db = db
        self.web_settings = settings
        self.worker = worker
        self.backups = backups
        self.outbox_enabled = outbox_enabled
        self.metrics = Metrics(backups)
        self.tokens = TokenCache()
        self.api_limits = RateLimiter(rate=settings.api_rate, burst=5 * settings.api_rate)
        self.login_throttle = LoginThrottle()
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(ROOT / "templates"),
            autoescape=True,
            auto_reload=debug,
            undefined=jinja2.StrictUndefined,
        )
        self.templates.globals["notice_types"] = NOTICE_TYPES
        super().__init__(
            [*API_ROUTES, *PAGE_ROUTES],
            cookie_secret=cookie_secret,
            xsrf_cookies=True,
            login_url="/login",
            static_path=str(ROOT / "static"),
            debug=debug,
        )

    def log_request(self, handler: tornado.web.RequestHandler) -> None:
        super().log_request(handler)
        self.metrics.requests.labels(type(handler).__name__, handler.request.method, handler.get_status()).observe(
            handler.request.request_time()
        )
