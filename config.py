"""Every option of the product, read from the command line or the environment.

Options follow tornado.options conventions; each one may also be set by an
upper-case environment variable of the same name (``DATABASE_URL``), which the
command line overrides.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeVar

from tornado.options import Error, options

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

__all__ = ["Error", "load", "options", "parse"]

Settings = TypeVar("Settings", bound="DataclassInstance")

_define = options.define

_define("port", default=8888, help="HTTP port", group="server")
_define("address", default="127.0.0.1", help="address to listen on", group="server")
_define("data_dir", default="data", help="where the embedded PostgreSQL keeps its files", group="server")
_define("database_url", default="", help="PostgreSQL URL; empty starts an embedded PostgreSQL", group="server")
_define("direct_database_url", default="", help="PostgreSQL URL that bypasses a connection pooler (PgBouncer), for "
        "LISTEN, upgrades and backups; empty with --database_url: none of those go around it (the worker polls, "
        "API tokens are read on every request)", group="server")  # fmt: skip
_define("cookie_secret", default="", help="signs login cookies; empty: one kept in the database", group="server")
_define("max_body_size", default=64 * 1024, help="largest JSON or form body in bytes", group="server")
_define("body_timeout", default=30.0, help="seconds a request's body may take to arrive", group="server")
_define("idle_connection_timeout", default=60.0, help="seconds for a request's headers, and between requests "
        "on a kept-alive connection", group="server")  # fmt: skip
_define("pool_size", default=10, help="database connections for web requests", group="server")
_define("cookie_secure", default=False, help="mark the login and form cookies Secure (set it behind an https "
        "proxy; they always are over https)", group="server")  # fmt: skip
_define("xheaders", default=False, help="take the client's address and scheme from X-Forwarded-For/-Proto "
        "(only behind a proxy that sets them)", group="server")  # fmt: skip
_define(
    "public_url",
    default="",
    help="the address clients and providers reach this server at, for links (default http://{address}:{port})",
    group="server",
)
_define(
    "hold_minutes",
    default=10,
    help="minutes an online booking holds its time while the client types the code they were sent",
    group="server",
)
_define("api_rate", default=20.0, help="API requests per second per token (bursts of five times that)", group="server")
_define(
    "public_rate",
    default=5.0,
    help="requests per second per client address to the online booking API and pages (bursts of five times that)",
    group="server",
)
_define("code_limit", default=3, help="codes (online bookings) to one email address or number per hour, whoever "
        "asks", group="server")  # fmt: skip
_define("codes_per_salon_day", default=500, help="codes one salon may send in 24 hours", group="server")

_define("smtp_host", default="", help="SMTP server; empty starts the built-in mail catcher", group="mail")
_define("smtp_port", default=0, help="SMTP port (0: 25, or 465 with --smtp_tls=tls)", group="mail")
_define("smtp_username", default="", help="SMTP login", group="mail")
_define("smtp_password", default="", help="SMTP password", group="mail")
_define("smtp_tls", default="none", help="none, starttls or tls", group="mail")
_define("mail_from", default="Salonbook <bookings@salonbook.localhost>", help="sender address", group="mail")
_define("outbox_port", default=0, help="port of the built-in mail catcher (0: any free port)", group="mail")

_define("sms_provider_url", default="", help="Twilio-compatible API base URL; empty: SMS go to the outbox", group="sms")
_define("sms_account_sid", default="", help="SMS provider account SID", group="sms")
_define("sms_auth_token", default="", help="SMS provider auth token", group="sms")
_define("sms_from", default="", help="sender number", group="sms")
_define(
    "sms_messaging_service_sid",
    default="",
    help="Twilio Messaging Service SID (MG...): texts are sent through it, instead of from --sms_from",
    group="sms",
)
_define("sms_default_region", default="GB", help="region for phone numbers written without +country", group="sms")

_define(
    "stripe_api_base",
    default="https://api.stripe.com",
    help="where every Stripe call goes (the tests: localstripe)",
    group="payments",
)
_define(
    "stripe_js_url",
    default="https://js.stripe.com/v3/",
    help="Stripe.js, the booking page's card field; its "
    "origin is the only other one the payment page's Content-Security-Policy allows",
    group="payments",
)

_define("web", default=True, help="serve the pages and the API in this process", group="server")
_define("worker", default=True, help="run the notification worker in this process", group="worker")
_define("poll_interval", default=5.0, help="seconds between polls when no NOTIFY arrives", group="worker")
_define("batch_size", default=10, help="jobs claimed per batch", group="worker")
_define("concurrency", default=4, help="SMTP connections at once; as many SMS and Stripe requests", group="worker")
_define("max_attempts", default=3, help="attempts before a job fails", group="worker")
_define("retry_base_delay", default=30.0, help="seconds before the first retry; later ones grow", group="worker")
_define("send_timeout", default=30.0, help="seconds one email or SMS may take", group="worker")
_define("heartbeat_interval", default=10.0, help="seconds between worker heartbeats", group="worker")
_define("dead_after", default=30.0, help="seconds without heartbeat before a worker's jobs are rescued", group="worker")
_define("stale_after", default=300.0, help="seconds a job may stay processing", group="worker")
_define(
    "holds_interval",
    default=15.0,
    help="seconds between the worker's releases of lapsed holds and looks for stranded payments",
    group="worker",
)
_define("keep_completed_days", default=7.0, help="days completed jobs are kept", group="worker")
_define("shutdown_timeout", default=10.0, help="seconds in-flight sends may take at shutdown", group="worker")

_define("backup_hour", default=3, help="local hour of the embedded database's backup", group="nightly backups")
_define("keep_backups", default=14, help="nightly backups kept in {data_dir}/backups", group="nightly backups")

# Arguments of the commands (`server.py create-salon`, `backup`, `restore`); never read from the environment.
_COMMAND_GROUPS = ("create-salon", "backup", "restore")
_define("name", default="", help="salon name", group="create-salon")
_define("timezone", default="Europe/London", help="salon timezone (IANA name)", group="create-salon")
_define("owner_email", default="", help="the owner's login email", group="create-salon")
_define("owner_password", default="", help="the owner's password", group="create-salon")
_define("country", default="GB", help="the salon's country (ISO 3166-1 alpha-2)", group="create-salon")
_define("locale", default="", help="language tag, e.g. en-US (default: the country's usual)", group="create-salon")
_define("backup_to", default="", help="backup file (default {data_dir}/backups/salonbook-<time>.dump)", group="backup")
_define("force", default=False, help="replace what the database holds (a copy is kept first)", group="restore")


def _environment_arguments() -> list[str]:
    """The options set in the environment, written as command-line flags."""
    arguments = []
    command_options = {name for group in _COMMAND_GROUPS for name in options.group_dict(group)}
    for name in options:
        if name in command_options:
            continue
        env_name = name.upper().replace("-", "_")
        if env_name in os.environ:
            arguments.append(f"--{name}={os.environ[env_name]}")
    return arguments


def parse(argv: Sequence[str]) -> list[str]:
    """Reads the environment, then the command line; returns the positional arguments.

    Options may stand before, between or after a command and its arguments
    (``server.py restore FILE --force``): parsing resumes after each one.
    """
    options.parse_command_line(["environment", *_environment_arguments()], final=False)
    positional = []
    rest = options.parse_command_line(list(argv))
    while rest:
        positional.append(rest[0])
        rest = options.parse_command_line(rest)  # takes rest[0] for the program's name: skipped
    if not options.public_url:
        options.public_url = f"http://{options.address}:{options.port}"
    if not 0 <= options.backup_hour <= 23:
        raise Error("--backup_hour must be an hour from 0 to 23")
    if options.keep_backups < 1:
        raise Error("--keep_backups must be at least 1")
    if options.direct_database_url and not options.database_url:
        raise Error("--direct_database_url goes with --database_url (the embedded PostgreSQL is its own direct one)")
    if options.code_limit < 1 or options.codes_per_salon_day < 1:
        raise Error("--code_limit and --codes_per_salon_day must be at least 1")
    return positional


def load(settings: type[Settings]) -> Settings:
    """A part's settings object: each of its fields is the option of the same name.

    This and server.py are the only readers of ``options``; every other part
    is handed its own typed settings.
    """
    return settings(**{field.name: getattr(options, field.name) for field in dataclasses.fields(settings)})
