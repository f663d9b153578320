"""Secrets kept at rest sealed (a salon's Stripe keys): encrypted and authenticated with AES-256-GCM under a key
derived from the installation's secret (HKDF-SHA256), so the salons table, an export or a stolen copy of one table
reads nothing. Sealed: version (1 byte) | nonce (12) | ciphertext and tag; the version byte is the associated
data, so a value cannot be passed off as another version's.
"""

from __future__ import annotations

import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = b"\x02"
NONCE_BYTES = 12


class Unreadable(Exception):
    """A sealed value that was changed, or sealed under another installation's secret."""


def _cipher(secret: str) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"salonbook seal").derive(secret.encode())
    return AESGCM(key)


def seal(secret: str, plain: str) -> bytes:
    """``plain`` encrypted and authenticated under a key derived from the installation's ``secret``."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    return VERSION + nonce + _cipher(secret).encrypt(nonce, plain.encode(), VERSION)


def unseal(secret: str, sealed: bytes) -> str:
    """The value ``seal`` sealed; Unreadable if anything of it changed or another secret sealed it."""
    if len(sealed) < 1 + NONCE_BYTES or sealed[:1] != VERSION:
        raise Unreadable("not a sealed value")
    nonce, data = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
    try:
        return _cipher(secret).decrypt(nonce, data, VERSION).decode()
    except InvalidTag:
        raise Unreadable("the sealed value was changed, or sealed under another secret") from None
