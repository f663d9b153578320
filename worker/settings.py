"""The worker's tunables, read once from the options so the runner never touches globals."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True)
class WorkerSettings:
    """Every figure of the worker's behaviour, in seconds unless named otherwise."""

    poll_interval: float = 5.0
    batch_size: int = 10
    concurrency: int = 4
    max_attempts: int = 3
    retry_base_delay: float = 30.0
    send_timeout: float = 30.0
    heartbeat_interval: float = 10.0
    dead_after: float = 30.0
    stale_after: float = 300.0
    keep_completed_days: float = 7.0
    shutdown_timeout: float = 10.0

    @classmethod
    def from_options(cls, options: Any) -> WorkerSettings:
        """Takes the same-named fields from a tornado options object (config.py)."""
        return cls(**{f.name: getattr(options, f.name) for f in fields(cls)})
