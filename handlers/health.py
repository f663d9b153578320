"""Health and metrics, for whoever watches the process."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder

from booking import deliveries, jobs, online
from booking.errors import BookingError
from db import Database, DatabaseUnavailable
from handlers.base import BaseHandler

if TYPE_CHECKING:
    from handlers.app import Backups


class HealthHandler(BaseHandler):
    async def get(self) -> None:
        worker = self.application.worker
        status: dict[str, Any] = {"worker": worker.status() if worker is not None else {"running": False}}
        if self.application.backups is not None:
            status["backup"] = self.application.backups.status()
        try:
            await self.db.fetch_one("SELECT 1 AS ok")
            status["database"] = "ok"
        except DatabaseUnavailable as exc:
            status["database"] = f"unavailable: {exc}"
            self.set_status(503)
        self.send_json(status, self.get_status())


class Metrics:
    """This process's Prometheus registry: request timings, and job counts read at scrape time."""

    def __init__(self, backups: Backups | None = None) -> None:
        self.registry = CollectorRegistry()
        if backups is not None:
            self.registry.register(BackupMetrics(backups))
        self.requests = Histogram(
            "salonbook_http_request_duration_seconds",
            "Time to answer an HTTP request",
            ["handler", "method", "status"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
        )
        self.logins = Counter(
            "salonbook_login_attempts",
            "Password checks asked for by logins and password changes: refused (too many failures), failed, succeeded",
            ["outcome"],
            registry=self.registry,
        )
        self.jobs = Gauge(
            "salonbook_notification_jobs", "Notification jobs by status", ["status"], registry=self.registry
        )
        self.texts = Gauge(
            "salonbook_sms_deliveries",
            "Texts by the furthest status their SMS provider reported; delivered, undelivered and failed are final "
            "(reports are kept as long as completed jobs)",
            ["status"],
            registry=self.registry,
        )
        self.online_refusals = Counter(
            "salonbook_online_refusals",
            "Online bookings refused to strangers, by the rule: address_hour and address_holds (one client address's "
            "holds), code_limit (codes to one email or number an hour), salon_codes (a salon's codes a day), "
            "sms_country and sms_number (a number the salon does not text)",
            ["reason"],
            registry=self.registry,
        )
        for reason in online.REFUSALS:
            self.online_refusals.labels(reason)
        self.holds_displaced = Counter(
            "salonbook_online_holds_displaced",
            "Holds waiting for their code that gave way to a newer one, by what was full: salon or stylist_day",
            ["cap"],
            registry=self.registry,
        )
        for cap in online.CAPS:
            self.holds_displaced.labels(cap)
        self.sent_after_claim_lost = Gauge(
            "salonbook_notification_sent_after_claim_lost",
            "Messages on record that went out while their job was cancelled, retried or taken over",
            registry=self.registry,
        )

    def online_hold(self, outcome: online.Hold | BookingError) -> None:
        """Counts a stranger's hold: the rule that refused it, or the holds that gave way to it."""
        if isinstance(outcome, BookingError):
            if outcome.refusal:
                self.online_refusals.labels(outcome.refusal).inc()
            return
        for cap in outcome.displaced:
            self.holds_displaced.labels(cap).inc()

    async def refresh(self, db: Database) -> None:
        for status, count in (await jobs.totals(db)).items():
            self.jobs.labels(status).set(count)
        self.sent_after_claim_lost.set(await jobs.sent_after_claim_lost(db))
        for status, count in (await deliveries.counts(db)).items():
            self.texts.labels(status).set(count)


class BackupMetrics:
    """The nightly backups as Prometheus sees them, read at scrape time."""

    def __init__(self, backups: Backups) -> None:
        self.backups = backups

    def collect(self) -> Iterator[Metric]:
        status = self.backups.status()
        last = dt.datetime.fromisoformat(status["lastAt"]).timestamp() if status["lastAt"] else 0
        yield GaugeMetricFamily(
            "salonbook_backup_last_success_timestamp_seconds", "When the newest backup was made (0: none)", value=last
        )
        yield GaugeMetricFamily(
            "salonbook_backup_last_failed", "1 when the latest nightly backup failed", value=int(bool(status["error"]))
        )
        yield CounterMetricFamily(
            "salonbook_backup_failures", "Nightly backups that failed since the start", value=self.backups.failures
        )


class MetricsHandler(BaseHandler):
    async def get(self) -> None:
        metrics = self.application.metrics
        await metrics.refresh(self.db)
        # The format the scraper asks for (OpenMetrics, else the 0.0.4 text format), named as it is written:
        # CONTENT_TYPE_LATEST says version=1.0.0, a format generate_latest does not write.
        encode, content_type = choose_encoder(self.request.headers.get("Accept", ""))
        self.set_header("Content-Type", content_type)
        self.set_header("Vary", "Accept")
        self.finish(encode(metrics.registry))
