"""How often one API token may call: a token bucket per token, in this process's memory."""

from __future__ import annotations

import time
from collections.abc import Callable


class RateLimiter:
    """``rate`` requests a second on average per key, and up to ``burst`` at once.

    Each process keeps its own buckets: behind several processes a token gets the rate of each.
    """

    MAX_KEYS = 10_000

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self.clock = rate, max(burst, 1.0), clock
        self._buckets: dict[bytes, tuple[float, float]] = {}  # key -> (tokens left, when counted)

    def wait(self, key: bytes) -> float:
        """0 when the request may go ahead (and it is counted), else the seconds until it may."""
        now = self.clock()
        tokens, counted = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - counted) * self.rate)
        if tokens < 1:
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self.rate
        if len(self._buckets) >= self.MAX_KEYS and key not in self._buckets:
            self._buckets.clear()  # forgetting gives everyone a full bucket: generous, never stuck
        self._buckets[key] = (tokens - 1, now)
        return 0.0
