"""The worker's settings, one typed object per part, built from the options by config.py."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WorkerSettings:
    """Every figure of the worker's behaviour, in seconds unless named otherwise."""

    poll_interval: float = 5.0
    batch_size: int = 10
    concurrency: int = 4
    retry_base_delay: float = 30.0
    send_timeout: float = 30.0
    heartbeat_interval: float = 10.0
    dead_after: float = 30.0
    stale_after: float = 300.0
    keep_completed_days: float = 7.0
    holds_interval: float = 15.0  # between releases of lapsed holds, and looks for stranded payments
    shutdown_timeout: float = 10.0
    public_url: str = "http://127.0.0.1:8888"  # where links in emails and texts point
    stripe_api_base: str = "https://api.stripe.com"  # where Stripe is: payment jobs, lapsed holds' deposits canceled


@dataclass(frozen=True)
class MailSettings:
    """Where email goes; no ``smtp_host`` means the built-in mail catcher."""

    smtp_host: str = ""
    smtp_port: int = 0
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_tls: str = "none"
    mail_from: str = "Salonbook <bookings@salonbook.localhost>"


@dataclass(frozen=True)
class SmsSettings:
    """Where SMS go; no ``sms_provider_url`` means the outbox."""

    sms_provider_url: str = ""
    sms_account_sid: str = ""
    sms_auth_token: str = ""
    sms_from: str = ""
    sms_messaging_service_sid: str = ""  # the provider's messaging service: it sends, instead of sms_from
    sms_default_region: str = "GB"
