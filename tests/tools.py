"""Tools the tests need beside Python (chromium, Java, nginx, pgbouncer, axe-core): a test without one skips and says
how to install it, except under CI (``CI`` set, as `.ci/run` does), where a missing tool fails the run."""

from __future__ import annotations

import os

import pytest


def missing(message: str) -> None:
    """Skips the test, saying ``message`` (what is missing and how to install it); under CI, fails it."""
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI is set: every tool must be here)")
    pytest.skip(message)
