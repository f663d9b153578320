"""What an attempt's channel results mean for the job: done, retry later, or give up."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass

from jobqueue.claims import ClaimedJob

_DONE = frozenset({"sent", "skipped"})


@dataclass(frozen=True)
class ChannelResult:
    """What one channel did in one attempt: a row of notification_attempts."""

    channel: str
    outcome: str  # sent, transient, permanent, skipped
    detail: str
    provider_id: str | None = None  # the far end's name for what was sent (an SMS's id)
    withdrawn: bool = False  # skipped because the job was taken from the worker just before it went


@dataclass(frozen=True)
class Outcome:
    """The state a claimed job leaves in."""

    status: str  # completed, pending, failed, cancelled
    channels_done: tuple[str, ...]
    error: str | None
    results: tuple[ChannelResult, ...]
    retry_in: float = 0.0
    held_until: dt.datetime | None = None  # nothing was tried: the attempt is given back, it waits till then


def decide(job: ClaimedJob, results: Sequence[ChannelResult], retry_base_delay: float) -> Outcome:
    """Completed when every channel is done; failed on a permanent error or the last attempt;
    otherwise pending again after retry_base_delay * 2^(attempt-1), jittered so a burst of
    failures does not come back as one burst."""
    succeeded = {r.channel for r in results if r.outcome in _DONE}
    done = tuple(ch for ch in job.channels if ch in job.channels_done or ch in succeeded)
    failures = [r for r in results if r.outcome not in _DONE]
    error = "; ".join(f"{r.channel}: {r.detail}" for r in failures) or None
    if len(done) == len(job.channels):
        return Outcome("completed", done, None, tuple(results))
    if any(r.outcome == "permanent" for r in failures):
        return Outcome("failed", done, error, tuple(results))
    if job.attempts >= job.max_attempts:
        return Outcome("failed", done, f"{error} (gave up after {job.attempts} attempts)", tuple(results))
    delay = retry_base_delay * 2 ** (job.attempts - 1) * random.uniform(0.8, 1.2)
    return Outcome("pending", done, error, tuple(results), retry_in=delay)


def cancelled(job: ClaimedJob, reason: str) -> Outcome:
    """Nothing is sent; each channel not yet done is recorded as skipped, with the reason."""
    skipped = tuple(ChannelResult(ch, "skipped", reason) for ch in job.channels if ch not in job.channels_done)
    return Outcome("cancelled", job.channels_done, reason, skipped)


def withdrawn(job: ClaimedJob, results: Sequence[ChannelResult]) -> Outcome:
    """The job was taken from the worker during this attempt (cancelled, moved, retried, rescued): the channels
    that went out count as done, so a later retry does not repeat them; the job's state is not this worker's to
    write any more (claims.finish keeps the newer one)."""
    sent = {r.channel for r in results if r.outcome == "sent"}
    done = tuple(ch for ch in job.channels if ch in job.channels_done or ch in sent)
    return Outcome("cancelled", done, None, tuple(results))


def held(job: ClaimedJob, until: dt.datetime, reason: str) -> Outcome:
    """Nothing is sent now and nothing was tried: the job waits until ``until`` (a reminder in quiet hours)."""
    return Outcome("pending", job.channels_done, reason, (), held_until=until)
