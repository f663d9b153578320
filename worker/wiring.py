"""How the options turn into channels: a real server and provider, or the built-in outbox."""

from __future__ import annotations

from typing import Any

from db import Database
from worker.channels import Channel, Channels
from worker.mail import EmailChannel
from worker.sms import OutboxSms, TwilioSms


def build_channels(options: Any, db: Database, outbox_smtp_port: int | None) -> Channels:
    """Email to --smtp_host, else to the mail catcher on ``outbox_smtp_port``; SMS to the provider, else the outbox."""
    if options.smtp_host:
        email = EmailChannel.from_options(options)
    elif outbox_smtp_port:
        email = EmailChannel(
            host="127.0.0.1",
            port=outbox_smtp_port,
            sender=options.mail_from,
            connections=options.concurrency,
            timeout=options.send_timeout,
        )
    else:
        raise ValueError("no --smtp_host and no mail catcher port: email has nowhere to go")
    if options.sms_provider_url:
        sms: Channel = TwilioSms.from_options(options)
    else:
        sms = OutboxSms(db, sender=options.sms_from, region=options.sms_default_region)
    return Channels(email=email, sms=sms)
