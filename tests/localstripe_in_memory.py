"""localstripe, its state kept in memory only: as released it writes every change to /tmp/localstripe.pickle and
reads that file back at start, so test runs side by side (or one killed while writing) share or break each
other's state. Run as ``python -m tests.localstripe_in_memory --port N``."""

import localstripe.resources
from localstripe import server

localstripe.resources.Store.try_load_from_disk = lambda self: None  # type: ignore[method-assign]
localstripe.resources.Store.dump_to_disk = lambda self: None  # type: ignore[method-assign]

if __name__ == "__main__":
    server.start()
