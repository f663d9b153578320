"""Whether a text reached the phone: the provider's status reports, all SQL for sms_deliveries.

The provider calls back as a text moves on (queued, sent, delivered, or undelivered and failed with an
error code). Reports come late, twice, out of order, even before the worker recorded the send: each is
kept by the text's id, and only one that got further replaces what is known, so a status never goes back.
"""

from __future__ import annotations

from dataclasses import dataclass

from booking import opt_outs, reasons
from db import Database, tallies
from providers import twilio


@dataclass(frozen=True)
class Report:
    """One status callback: a text's id, its status and the error code that came with it, if any."""

    message_sid: str
    status: str
    error_code: int | None = None

    @property
    def known(self) -> bool:
        """A status of the provider's we know how far it got; any other is ignored."""
        return self.status in twilio.RANKS


async def reported(db: Database, report: Report, to: str | None) -> bool:
    """A status callback for a text to ``to``: kept (``record``), and a report that the number unsubscribed
    with the carrier (21610) opts it out here too, as its STOP would have. False when it changed nothing."""
    if report.error_code == twilio.UNSUBSCRIBED and to:
        async with db.transaction() as cur:
            await opt_outs.opt_out(cur, to, reasons.PROVIDER_UNSUBSCRIBED)
    return report.known and await record(db, report, to)


async def record(db: Database, report: Report, to: str | None = None) -> bool:
    """Keeps a report of a text we sent, unless what is known got as far or further; True when it changed
    what is known.

    A text is ours when an attempt names its id, or may be when a job texting ``to`` is being sent: the provider
    can report before the worker has recorded the send. Any other report (a text another program sent from the
    same account, or a messaging service's) is not kept, so it is never counted as one of ours.
    """
    row = await db.fetch_one(
        """INSERT INTO sms_deliveries (message_sid, status, rank, error_code)
           SELECT %(sid)s, %(status)s, %(rank)s, %(code)s
            WHERE EXISTS (SELECT FROM notification_attempts WHERE provider_id = %(sid)s)
               OR EXISTS (SELECT FROM notification_jobs j LEFT JOIN clients c ON c.id = j.client_id
                           WHERE j.status = 'processing' AND 'sms' = ANY (j.channels)
                             AND coalesce(j.payload->>'phone', c.phone) = %(to)s)
           ON CONFLICT (message_sid) DO UPDATE
              SET status = excluded.status, rank = excluded.rank, error_code = excluded.error_code,
                  reported_at = now()
            WHERE sms_deliveries.rank < excluded.rank
        RETURNING message_sid""",
        {
            "sid": report.message_sid,
            "status": report.status,
            "rank": twilio.RANKS[report.status],
            "code": report.error_code,
            "to": to,
        },
    )
    return row is not None


async def counts(db: Database) -> dict[str, int]:
    """Texts by the furthest status their provider reported, every known status present (for /metrics)."""
    return dict.fromkeys(twilio.RANKS, 0) | await tallies.counts(db, "sms_deliveries")


async def forget_old(db: Database, older_than_days: float) -> int:
    """Deletes reports whose attempt is gone (its job was cleaned up) or never came, after ``older_than_days``."""
    return await db.execute(
        """DELETE FROM sms_deliveries d
            WHERE d.reported_at < now() - %s * interval '1 day'
              AND NOT EXISTS (SELECT FROM notification_attempts a WHERE a.provider_id = d.message_sid)""",
        (older_than_days,),
    )
