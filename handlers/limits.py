"""How often one caller may call: a token bucket per key (an API token, a client address), in this process's memory."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable

IPV6_PREFIX = 64  # what one home, office or phone is given: its other addresses cost its owner nothing


class RateLimiter:
    """``rate`` requests a second on average per key, and up to ``burst`` at once.

    Each process keeps its own buckets: behind several processes a key gets the rate of each.
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


def address_key(address: str) -> bytes:
    """The key a client address counts under: an IPv4 address (also written as IPv6) is its own, an IPv6
    address counts with the rest of its /64, which one subscriber can walk through freely."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address.encode()  # not an IP address (a Unix socket's peer): counted as it is
    if isinstance(ip, ipaddress.IPv6Address):
        return ip.ipv4_mapped.packed if ip.ipv4_mapped else ip.packed[: IPV6_PREFIX // 8]
    return ip.packed
