"""How the settings turn into channels: a real server and provider, or the built-in outbox."""

from __future__ import annotations

from db import Database
from worker.channels import Channel, Channels
from worker.mail import EmailChannel
from worker.settings import MailSettings, SmsSettings, WorkerSettings
from worker.sms import OutboxSms, TwilioSms


def build_channels(
    mail: MailSettings, sms: SmsSettings, worker: WorkerSettings, db: Database, outbox_smtp_port: int | None
) -> Channels:
    """Email to ``smtp_host``, else to the mail catcher on ``outbox_smtp_port``; SMS to the provider, else outbox."""
    if mail.smtp_host:
        host, port = mail.smtp_host, mail.smtp_port
    elif outbox_smtp_port:
        host, port = "127.0.0.1", outbox_smtp_port
    else:
        raise ValueError("no --smtp_host and no mail catcher port: email has nowhere to go")
    email = EmailChannel(
        host=host,
        port=port,
        sender=mail.mail_from,
        connections=worker.concurrency,
        timeout=worker.send_timeout,
        username=mail.smtp_username if mail.smtp_host else "",
        password=mail.smtp_password if mail.smtp_host else "",
        tls=mail.smtp_tls if mail.smtp_host else "none",
    )
    text: Channel
    if sms.sms_provider_url:
        text = TwilioSms(
            base_url=sms.sms_provider_url,
            account_sid=sms.sms_account_sid,
            auth_token=sms.sms_auth_token,
            sender=sms.sms_from,
            region=sms.sms_default_region,
            timeout=worker.send_timeout,
        )
    else:
        text = OutboxSms(db, sender=sms.sms_from, region=sms.sms_default_region)
    return Channels(email=email, sms=text)
