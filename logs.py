"""What the log may say: ids, never an email address, a phone number or the token of a client's link.

The code logs ids, and a request's path without its query or a link's token (handlers/base.py). This is
the net under it: every line the process's log handlers write is passed through ``private`` first, the
text of an exception and its traceback included, since a database error may quote the row it refused.
"""

from __future__ import annotations

import logging
import re

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"\+\d{7,15}\b")
# The paths of links that carry a token: /m/ (manage), /u/ (unsubscribe), /w/ (a waitlist offer), /invite/,
# /cal/ (a calendar feed).
_LINK = re.compile(r"/(m|u|w|invite|cal)/[A-Za-z0-9_-]{16,}")


def private(text: str) -> str:
    """``text`` with every email address, international phone number and link token blotted out."""
    text = _LINK.sub(r"/\1/…", text)
    return _PHONE.sub("+…", _EMAIL.sub("…@…", text))


class PrivateFormatter(logging.Formatter):
    """Formats as ``inner`` does, then keeps what ``private`` blots out from the line."""

    def __init__(self, inner: logging.Formatter | None) -> None:
        super().__init__()
        self.inner = inner or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        return private(self.inner.format(record))


def keep_private(logger: logging.Logger | None = None) -> None:
    """Every handler of ``logger`` (the root logger) writes private lines only; call once logging is set up."""
    for handler in (logger or logging.getLogger()).handlers:
        if not isinstance(handler.formatter, PrivateFormatter):
            handler.setFormatter(PrivateFormatter(handler.formatter))
