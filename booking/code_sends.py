"""Codes that prove an email address or a number (online bookings; the waitlist's too): how many may go.

All SQL for the code_sends table. Whoever asks (any client address, any salon of the installation), at
most ``Limits.per_recipient_hour`` codes go to one address or number in an hour, so nobody can make the
salons pester someone; and at most ``Limits.per_salon_day`` go for one salon in 24 hours, so a salon's
texting bill has a ceiling however many addresses ask. A refusal is a TooMany that says how long until
the oldest counted code leaves its window.

A recipient is kept as an HMAC of its normalised form under the installation's own key
(booking.installation), never in clear: the table says how often, not to whom.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import uuid
from dataclasses import dataclass

import aiopg

from booking import installation
from booking.errors import TooMany
from booking.notice_types import N_
from db import Database, Row

PER_RECIPIENT = dt.timedelta(hours=1)  # the window of Limits.per_recipient_hour
PER_SALON = dt.timedelta(days=1)  # the window of Limits.per_salon_day; a row older than this counts nowhere
# Why a code was refused, one sentence each for the catalogues; ``{most}`` a number, so no plural to choose.
RECIPIENT_HOUR_FULL = N_(
    "this email address or number has had the most codes that may go to it in an hour ({most}); try again later"
)
SALON_DAY_FULL = N_("the salon has sent as many codes as it may in a day; try again later, or call the salon")


@dataclass(frozen=True)
class Limits:
    """How many codes may go: ``--code_limit`` and ``--codes_per_salon_day``."""

    per_recipient_hour: int = 3
    per_salon_day: int = 500  # beyond what a real salon's clients ask for in a day


def normalised(address: str) -> str:
    """The form codes to one inbox or handset are counted under: an E.164 number as it is; an email address in
    lower case and without a "+tag" on its local part (ann+1@example.com reaches ann@example.com's inbox)."""
    if "@" not in address:
        return address
    local, _, domain = address.lower().rpartition("@")
    return f"{local.split('+', 1)[0] or local}@{domain}"


async def recipient(db: Database, address: str) -> bytes:
    """What stands for ``address`` (an email address or an E.164 number, as checked) in code_sends."""
    key = await installation.recipient_key(db)
    return hmac.new(key.encode(), normalised(address).encode(), hashlib.sha256).digest()


async def admit(cur: aiopg.Cursor, salon_id: uuid.UUID, to: bytes, limits: Limits, now: dt.datetime) -> None:
    """Counts one code to the recipient ``to`` (from ``recipient``) for the salon, in the transaction that
    queues it, or refuses it (TooMany, refusal ``code_limit`` or ``salon_codes``) and counts nothing.

    Counted under the salon's row lock, then an advisory lock on the recipient, so two requests at once
    cannot both take the last place, in one process or several; a caller locks anything else first.
    """
    await cur.execute("SELECT FROM salons WHERE id = %s FOR NO KEY UPDATE", (salon_id,))
    await cur.execute("SELECT pg_advisory_xact_lock(hashtext('codes:' || encode(%s, 'hex')))", (to,))
    await cur.execute(
        """SELECT r.n AS to_recipient, r.first AS first_to_recipient, s.n AS for_salon, s.first AS first_for_salon
             FROM (SELECT count(*) AS n, min(sent_at) AS first FROM code_sends
                    WHERE recipient_hash = %(to)s AND sent_at > %(hour_ago)s) r,
                  (SELECT count(*) AS n, min(sent_at) AS first FROM code_sends
                    WHERE salon_id = %(salon)s AND sent_at > %(day_ago)s) s""",
        {"to": to, "salon": salon_id, "hour_ago": now - PER_RECIPIENT, "day_ago": now - PER_SALON},
    )
    row: Row = await cur.fetchone()
    if row["to_recipient"] >= limits.per_recipient_hour:
        wait = row["first_to_recipient"] + PER_RECIPIENT - now
        raise TooMany.until(RECIPIENT_HOUR_FULL, wait, "code_limit", most=str(limits.per_recipient_hour))
    if row["for_salon"] >= limits.per_salon_day:
        wait = row["first_for_salon"] + PER_SALON - now
        raise TooMany.until(SALON_DAY_FULL, wait, "salon_codes")
    await cur.execute(
        "INSERT INTO code_sends (recipient_hash, salon_id, sent_at) VALUES (%s, %s, %s)", (to, salon_id, now)
    )


async def forget_old(db: Database) -> int:
    """The worker's daily chore: codes past every window go. Returns how many."""
    return await db.execute("DELETE FROM code_sends WHERE sent_at < now() - %s", (PER_SALON,))
