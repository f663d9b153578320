"""localstripe, its state kept in memory only: as released it writes every change to /tmp/localstripe.pickle and
reads that file back at start, so test runs side by side (or one killed while writing) share or break each
other's state. Run as ``python -m tests.localstripe_in_memory --port N``.

It also takes a PaymentIntent's ``setup_future_usage`` (the card that pays is saved on the PaymentIntent's
Customer), which Stripe takes and localstripe refuses as unexpected: the deposit that saves the card asks it."""

from typing import Any

import localstripe.resources
from localstripe import server

localstripe.resources.Store.try_load_from_disk = lambda self: None  # type: ignore[method-assign]
localstripe.resources.Store.dump_to_disk = lambda self: None  # type: ignore[method-assign]

_made_as_released = localstripe.resources.PaymentIntent.__init__


def _made(self: Any, setup_future_usage: str | None = None, **kwargs: Any) -> None:
    if setup_future_usage not in (None, "off_session", "on_session"):
        raise localstripe.resources.UserError(400, "Bad request")
    _made_as_released(self, **kwargs)
    self.setup_future_usage = setup_future_usage


localstripe.resources.PaymentIntent.__init__ = _made  # type: ignore[method-assign]

if __name__ == "__main__":
    server.start()
