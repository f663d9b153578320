"""Password hashes: scrypt at OWASP's cost, computed off the IOLoop on a small pool of their own.

A hash is stored as ``scrypt$n$r$p$salt$digest`` (base64), so one made at an
older cost still checks and ``outdated`` tells the login to replace it. At
OWASP's N=2**17, r=8 one hash takes 128 MiB and about a third of a second:
the pool's few threads bound the memory and CPU that logins can take at once,
however many arrive.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass


@dataclass(frozen=True)
class Cost:
    """scrypt's parameters: CPU/memory cost ``n``, block size ``r``, parallelism ``p``."""

    n: int
    r: int
    p: int

    @property
    def memory(self) -> int:
        """The ``maxmem`` scrypt needs for these: OpenSSL counts 128·r·(n + p + 2) bytes; 1 MiB to spare."""
        return 128 * self.r * (self.n + self.p + 2) + 2**20

    def weaker_than(self, other: Cost) -> bool:
        return self.n < other.n or self.r < other.r or self.p < other.p


OWASP = Cost(n=2**17, r=8, p=1)  # OWASP Password Storage Cheat Sheet (2023 on): N=2^17, r=8, p=1
_LARGEST = Cost(n=2**20, r=32, p=16)  # a stored hash asking for more is damaged, not ours: refused unread

_cost = OWASP
_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="scrypt")


def set_cost(cost: Cost) -> None:
    """The cost of new hashes. The product keeps OWASP's; the test suite lowers it once, to stay fast."""
    global _cost
    _cost = cost


def current_cost() -> Cost:
    return _cost


def _scrypt(password: str, salt: bytes, cost: Cost) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=cost.n, r=cost.r, p=cost.p, maxmem=cost.memory)


def _encode(cost: Cost, salt: bytes, digest: bytes) -> str:
    b64 = base64.b64encode
    return f"scrypt${cost.n}${cost.r}${cost.p}${b64(salt).decode()}${b64(digest).decode()}"


def _decode(stored: str) -> tuple[Cost, bytes, bytes] | None:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        cost = Cost(int(n), int(r), int(p))
        parsed = cost, base64.b64decode(salt, validate=True), base64.b64decode(digest, validate=True)
    except ValueError:
        return None
    if kind != "scrypt" or min(cost.n, cost.r, cost.p) < 1 or _LARGEST.weaker_than(cost):
        return None
    return parsed


def hash_password_sync(password: str, cost: Cost | None = None) -> str:
    """A new hash at ``cost`` (the current one by default); blocks for as long as scrypt takes."""
    cost = cost or _cost
    salt = secrets.token_bytes(16)
    return _encode(cost, salt, _scrypt(password, salt, cost))


def check_password_sync(password: str, stored: str) -> bool:
    decoded = _decode(stored)
    if decoded is None:
        return False
    cost, salt, digest = decoded
    return hmac.compare_digest(_scrypt(password, salt, cost), digest)


async def hash_password(password: str) -> str:
    return await asyncio.get_running_loop().run_in_executor(_pool, hash_password_sync, password)


async def check_password(password: str, stored: str) -> bool:
    return await asyncio.get_running_loop().run_in_executor(_pool, check_password_sync, password, stored)


def outdated(stored: str) -> bool:
    """Whether a hash that just matched was made at a lower cost than today's, and should be made again."""
    decoded = _decode(stored)
    return decoded is not None and decoded[0].weaker_than(_cost)


def no_match() -> str:
    """A hash at today's cost that no password matches: checked for unknown emails, so they take as long."""
    return _encode(_cost, secrets.token_bytes(16), secrets.token_bytes(64))
