"""How often one caller may call: a token bucket per key (an API token, a client address), kept in PostgreSQL
(db/buckets.py) so that every process of the installation counts in the same bucket."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable

from db import Database, buckets

IPV6_PREFIX = 64  # what one home, office or phone is given: its other addresses cost its owner nothing


class RateLimiter:
    """``rate`` requests a second on average per key, and up to ``burst`` at once, across all processes.

    ``clock`` is seconds since 1970, the same on every host of the installation (tests stop it).
    """

    def __init__(
        self, db: Database, kind: buckets.Kind, rate: float, burst: float, clock: Callable[[], float] = time.time
    ) -> None:
        self.db, self.kind = db, kind
        self.rate, self.burst, self.clock = rate, max(burst, 1.0), clock

    async def wait(self, key: bytes) -> float:
        """0 when the request may go ahead (and it is counted), else the seconds until it may."""
        return await buckets.take(self.db, self.kind, key, rate=self.rate, burst=self.burst, now=self.clock())


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
