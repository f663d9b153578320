"""How the settings turn into channels: a real server and provider, or the built-in outbox."""

from __future__ import annotations

from booking import links, paths
from db import Database
from outbox.catcher import CatcherAddress
from worker.channels import Channel, Channels
from worker.mail import EmailChannel
from worker.money import StripeChannel
from worker.settings import MailSettings, SmsSettings, WorkerSettings
from worker.sms import OutboxSms, TwilioSms


def build_channels(
    mail: MailSettings, sms: SmsSettings, worker: WorkerSettings, db: Database, catcher: CatcherAddress | None
) -> Channels:
    """Email to ``smtp_host``, else to this process's mail catcher (with its login, and the salon named in a
    header so the catcher can file it); SMS to the provider, else the outbox; payments to Stripe."""
    email: EmailChannel
    if mail.smtp_host:
        email = EmailChannel(
            host=mail.smtp_host,
            port=mail.smtp_port,
            sender=mail.mail_from,
            connections=worker.concurrency,
            timeout=worker.send_timeout,
            username=mail.smtp_username,
            password=mail.smtp_password,
            tls=mail.smtp_tls,
        )
    elif catcher is not None:
        email = EmailChannel(
            host=catcher.host,
            port=catcher.port,
            sender=mail.mail_from,
            connections=worker.concurrency,
            timeout=worker.send_timeout,
            username=catcher.username,
            password=catcher.password,
            to_outbox=True,
        )
    else:
        raise ValueError("no --smtp_host and no mail catcher: email has nowhere to go")
    text: Channel
    if sms.sms_provider_url:
        text = TwilioSms(
            db,
            base_url=sms.sms_provider_url,
            account_sid=sms.sms_account_sid,
            auth_token=sms.sms_auth_token,
            sender=sms.sms_from,
            messaging_service=sms.sms_messaging_service_sid,
            region=sms.sms_default_region,
            timeout=worker.send_timeout,
            connections=worker.concurrency,
            status_callback=links.absolute(worker.public_url, paths.SMS_STATUS()),
        )
    else:
        text = OutboxSms(db, sender=sms.sms_from, region=sms.sms_default_region)
    return Channels(
        email=email, sms=text, stripe=StripeChannel(db, worker.stripe_api_base, connections=worker.concurrency)
    )
