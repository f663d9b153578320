"""Secrets kept at rest sealed (a salon's Stripe keys): encrypted and authenticated under a key derived from
the installation's secret, so the salons table, an export or a stolen copy of one table reads nothing.

``cryptography`` (AES-GCM, Fernet) is not installed here, so this is encrypt-then-MAC from the standard library:
the keystream is HMAC-SHA256 of a random 16-byte nonce and a block counter (a PRF in counter mode), the tag an
HMAC-SHA256 of the version, nonce and ciphertext under a second derived key, checked in constant time. Sealed:
version (1 byte) | nonce (16) | ciphertext | tag (32). Swap in AES-GCM under a new version byte once
``cryptography`` is a dependency; old values still open under version 1.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

VERSION = b"\x01"
NONCE_BYTES = 16
TAG_BYTES = 32


class Unreadable(Exception):
    """A sealed value that was changed, or sealed under another installation's secret."""


def _keys(secret: str) -> tuple[bytes, bytes]:
    root = secret.encode()
    return (
        hmac.new(root, b"salonbook seal: encrypt", hashlib.sha256).digest(),
        hmac.new(root, b"salonbook seal: authenticate", hashlib.sha256).digest(),
    )


def _keystream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = (hmac.new(key, nonce + n.to_bytes(8, "big"), hashlib.sha256).digest() for n in range(length // 32 + 1))
    return b"".join(blocks)[:length]


def seal(secret: str, plain: str) -> bytes:
    """``plain`` encrypted and authenticated under a key derived from the installation's ``secret``."""
    encrypt, authenticate = _keys(secret)
    nonce = secrets.token_bytes(NONCE_BYTES)
    data = plain.encode()
    body = VERSION + nonce + bytes(a ^ b for a, b in zip(data, _keystream(encrypt, nonce, len(data)), strict=True))
    return body + hmac.new(authenticate, body, hashlib.sha256).digest()


def unseal(secret: str, sealed: bytes) -> str:
    """The value ``seal`` sealed; Unreadable if anything of it changed or another secret sealed it."""
    encrypt, authenticate = _keys(secret)
    body, tag = sealed[:-TAG_BYTES], sealed[-TAG_BYTES:]
    if len(body) < 1 + NONCE_BYTES or body[:1] != VERSION:
        raise Unreadable("not a sealed value")
    if not hmac.compare_digest(tag, hmac.new(authenticate, body, hashlib.sha256).digest()):
        raise Unreadable("the sealed value was changed, or sealed under another secret")
    nonce, data = body[1 : 1 + NONCE_BYTES], body[1 + NONCE_BYTES :]
    return bytes(a ^ b for a, b in zip(data, _keystream(encrypt, nonce, len(data)), strict=True)).decode()
