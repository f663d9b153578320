"""Who may try a password now: each attempt is counted before its password is checked.

Two tallies per attempt: one for the email *from this client address*, and
one for the address over every email. After ``per_email`` (or
``per_address``) failures the next try waits ``first_wait`` seconds, twice as
long after each further failure, up to ``longest_wait``; an hour without a
failure wipes a tally. So guesses at one account from one address slow to a
few an hour, one address cannot spread its guesses over many accounts, and an
attacker elsewhere never locks the owner out of her own address.

The tallies live in PostgreSQL (``login_tallies``, unlogged), so every process
of the installation counts in the same ones: ``admit`` locks both rows, reads
and counts in one transaction, so parallel attempts, in one process or
several, cannot slip past the limit. A row is keyed by a SHA-256 of the
email and address; ``forget_old`` deletes the tallies an hour has wiped.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from db import Database, Row


@dataclass(frozen=True)
class Limits:
    per_email: int = 5  # failures of one email from one address before the waits begin
    per_address: int = 20  # failures from one address, whatever the emails
    first_wait: float = 60.0  # seconds; doubles with each further failure
    longest_wait: float = 900.0
    forget_after: float = 3600.0  # seconds without a failure that wipe a tally


def _key(*parts: str) -> bytes:
    return hashlib.sha256("\0".join(parts).encode()).digest()


# Locks both tallies (made at 0 if new; a wiped one starts at 0 again) and reads them. The email's row comes
# first in every attempt and an address's second, so two attempts never wait for each other in a circle.
_LOCK = """INSERT INTO login_tallies AS t (key, failures, last_at)
           VALUES (%(email)s, 0, to_timestamp(%(now)s)), (%(address)s, 0, to_timestamp(%(now)s))
           ON CONFLICT (key) DO UPDATE
              SET failures = CASE WHEN t.last_at <= to_timestamp(%(now)s - %(forget)s) THEN 0 ELSE t.failures END
           RETURNING key, failures, extract(epoch FROM last_at)::float8 AS last"""


class LoginThrottle:
    """The throttle of one installation: ``clock`` is seconds since 1970, the same on every host."""

    def __init__(self, db: Database, limits: Limits = Limits(), clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.limits = limits
        self.clock = clock

    def _keys(self, email: str, address: str) -> tuple[bytes, bytes]:
        return _key("email", email.strip().lower()[:320], address), _key("address", address)

    async def admit(self, email: str, address: str) -> int:
        """0 when this attempt may check a password, and it is counted, as a failure until ``succeeded``.

        Otherwise the whole seconds to wait before the next try; nothing is counted.
        """
        now = self.clock()
        email_key, address_key = self._keys(email, address)
        limits = {email_key: self.limits.per_email, address_key: self.limits.per_address}
        params = {"email": email_key, "address": address_key, "now": now, "forget": self.limits.forget_after}
        async with self.db.transaction() as cur:
            await cur.execute(_LOCK, params)
            tallies: list[Row] = await cur.fetchall()
            # An attempt counted while this one waited for the lock (or on a host whose clock is ahead) is "now"
            # at the latest: a wait is never longer than the limits say.
            now = max(now, *(row["last"] for row in tallies))
            params["now"] = now
            wait = max(self._wait(row, limits[bytes(row["key"])], now) for row in tallies)
            if wait > 0:
                return math.ceil(wait)
            await cur.execute(
                """UPDATE login_tallies SET failures = failures + 1, last_at = to_timestamp(%(now)s)
                    WHERE key IN (%(email)s, %(address)s)""",
                params,
            )
        return 0

    async def succeeded(self, email: str, address: str) -> None:
        """The attempt ``admit`` counted was right: the email's tally at this address starts again.

        The address keeps its earlier failures: logging in to one account of
        one's own must not excuse guesses at others.
        """
        email_key, address_key = self._keys(email, address)
        await self.db.execute(
            """WITH wiped AS (DELETE FROM login_tallies WHERE key = %(email)s)
               UPDATE login_tallies SET failures = failures - 1 WHERE key = %(address)s AND failures > 0""",
            {"email": email_key, "address": address_key},
        )

    async def failures(self, email: str, address: str) -> tuple[int, int]:
        """(failures of the email from the address, failures from the address) still held against them."""
        email_key, address_key = self._keys(email, address)
        rows = await self.db.fetch_all(
            """SELECT key, failures FROM login_tallies
                WHERE key IN (%(email)s, %(address)s) AND last_at > to_timestamp(%(now)s - %(forget)s)""",
            {"email": email_key, "address": address_key, "now": self.clock(), "forget": self.limits.forget_after},
        )
        held = {bytes(row["key"]): row["failures"] for row in rows}
        return held.get(email_key, 0), held.get(address_key, 0)

    def _wait(self, tally: Row, limit: int, now: float) -> float:
        failures: int = tally["failures"]
        if failures < limit:
            return 0.0
        doubling = min(failures - limit, 32)
        return float(tally["last"] + min(self.limits.first_wait * 2.0**doubling, self.limits.longest_wait) - now)


async def forget_old(db: Database, limits: Limits = Limits()) -> int:
    """Deletes the tallies an hour without a failure has wiped (a periodic chore); returns how many."""
    return await db.execute(
        "DELETE FROM login_tallies WHERE last_at < now() - make_interval(secs => %s)", (limits.forget_after,)
    )
