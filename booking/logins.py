"""Who may try a password now: each attempt is counted before its password is checked.

Two tallies per attempt: one for the email *from this client address*, and
one for the address over every email. After ``per_email`` (or
``per_address``) failures the next try waits ``first_wait`` seconds, twice as
long after each further failure, up to ``longest_wait``; an hour without a
failure wipes a tally. So guesses at one account from one address slow to a
few an hour, one address cannot spread its guesses over many accounts, and an
attacker elsewhere never locks the owner out of her own address.

The tallies live in this process's memory: ``admit`` reads and counts without
yielding to the IOLoop, so parallel attempts cannot slip past the limit. With
several processes each keeps its own tallies (docs/architecture.md says why
that is enough).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

Key = tuple[str, ...]


@dataclass(frozen=True)
class Limits:
    per_email: int = 5  # failures of one email from one address before the waits begin
    per_address: int = 20  # failures from one address, whatever the emails
    first_wait: float = 60.0  # seconds; doubles with each further failure
    longest_wait: float = 900.0
    forget_after: float = 3600.0  # seconds without a failure that wipe a tally
    most_tallies: int = 100_000  # the least recently touched go first beyond this


@dataclass
class _Tally:
    failures: int = 0  # attempts counted and not known to have succeeded
    last: float = 0.0  # when the latest was counted


class LoginThrottle:
    def __init__(self, limits: Limits = Limits(), clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.clock = clock
        self._tallies: dict[Key, _Tally] = {}  # in order of last touch, oldest first

    def _keys(self, email: str, address: str) -> tuple[tuple[Key, int], tuple[Key, int]]:
        email_key = ("email", email.strip().lower()[:320], address)
        return (email_key, self.limits.per_email), (("address", address), self.limits.per_address)

    def admit(self, email: str, address: str) -> int:
        """0 when this attempt may check a password, and it is counted, as a failure until ``succeeded``.

        Otherwise the whole seconds to wait before the next try; nothing is counted.
        """
        now = self.clock()
        keys = self._keys(email, address)
        wait = max(self._wait(key, limit, now) for key, limit in keys)
        if wait > 0:
            return math.ceil(wait)
        for key, _ in keys:
            tally = self._touch(key, now)
            tally.failures += 1
            tally.last = now
        return 0

    def succeeded(self, email: str, address: str) -> None:
        """The attempt ``admit`` counted was right: the email's tally at this address starts again.

        The address keeps its earlier failures: logging in to one account of
        one's own must not excuse guesses at others.
        """
        (email_key, _), (address_key, _) = self._keys(email, address)
        self._tallies.pop(email_key, None)
        tally = self._tallies.get(address_key)
        if tally is not None and tally.failures > 0:
            tally.failures -= 1

    def failures(self, email: str, address: str) -> tuple[int, int]:
        """(failures of the email from the address, failures from the address) still held against them."""
        now = self.clock()
        (email_key, _), (address_key, _) = self._keys(email, address)
        return self._held(email_key, now), self._held(address_key, now)

    def _held(self, key: Key, now: float) -> int:
        tally = self._tallies.get(key)
        return 0 if tally is None or now - tally.last >= self.limits.forget_after else tally.failures

    def _wait(self, key: Key, limit: int, now: float) -> float:
        failures = self._held(key, now)
        if failures < limit:
            return 0.0
        doubling = min(failures - limit, 32)
        return self._tallies[key].last + min(self.limits.first_wait * 2.0**doubling, self.limits.longest_wait) - now

    def _touch(self, key: Key, now: float) -> _Tally:
        """The key's tally, moved to the newest end; the oldest are dropped beyond ``most_tallies``."""
        held = self._held(key, now)
        tally = self._tallies.pop(key, None)
        if tally is None or not held:
            tally = _Tally()
        self._tallies[key] = tally
        while len(self._tallies) > self.limits.most_tallies:
            del self._tallies[next(iter(self._tallies))]
        return tally
