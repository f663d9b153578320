"""The worker's pure decisions, without a database: what an attempt's results mean, and what is no longer true."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from tests.worker_fixtures import claimed_job, delivery_for
from worker.delivery import stale_reason
from worker.outcome import ChannelResult, cancelled, decide

NOW = dt.datetime(2030, 5, 6, 9, 0, tzinfo=dt.UTC)


def sent(channel: str) -> ChannelResult:
    return ChannelResult(channel, "sent", "accepted")


def test_every_channel_done_completes_the_job() -> None:
    outcome = decide(claimed_job(), [sent("email"), ChannelResult("sms", "skipped", "no phone")], 30)
    assert (outcome.status, outcome.channels_done, outcome.error) == ("completed", ("email", "sms"), None)


def test_a_transient_failure_retries_later_and_keeps_what_was_sent() -> None:
    outcome = decide(claimed_job(attempts=2), [sent("email"), ChannelResult("sms", "transient", "HTTP 503")], 30)
    assert outcome.status == "pending"
    assert outcome.channels_done == ("email",), "a retry sends only the SMS"
    assert outcome.error == "sms: HTTP 503"
    assert 0.8 * 60 <= outcome.retry_in <= 1.2 * 60, "30 s doubled once, jittered by a fifth"


def test_a_permanent_failure_fails_at_once() -> None:
    outcome = decide(
        claimed_job(attempts=1), [ChannelResult("email", "permanent", "550 no such user"), sent("sms")], 30
    )
    assert (outcome.status, outcome.channels_done) == ("failed", ("sms",))
    assert outcome.error == "email: 550 no such user"


def test_the_last_attempt_gives_up_and_says_so() -> None:
    outcome = decide(claimed_job(attempts=3), [ChannelResult("email", "transient", "timeout"), sent("sms")], 30)
    assert outcome.status == "failed"
    assert outcome.error == "email: timeout (gave up after 3 attempts)"


def test_channels_done_on_an_earlier_attempt_stay_done() -> None:
    outcome = decide(claimed_job(channels_done=("sms",)), [sent("email")], 30)
    assert (outcome.status, outcome.channels_done) == ("completed", ("email", "sms"))


def test_a_cancelled_job_records_the_reason_on_each_channel_not_yet_done() -> None:
    outcome = cancelled(claimed_job(channels_done=("email",)), "appointment was cancelled")
    assert outcome.status == "cancelled"
    assert [(r.channel, r.outcome, r.detail) for r in outcome.results] == [
        ("sms", "skipped", "appointment was cancelled")
    ]


@pytest.mark.parametrize(
    ("kind", "changes", "reason"),
    [
        ("booking_confirmation", {}, None),
        ("booking_confirmation", {"appointment_status": None}, "appointment no longer exists"),
        ("reminder_24h", {"appointment_status": "cancelled"}, "appointment was cancelled"),
        ("reminder_2h", {"appointment_status": "no_show"}, "appointment is marked no show"),
        (
            "reminder_2h",
            {"start_time": NOW - dt.timedelta(minutes=1)},
            "appointment moved to Monday, 6 May, 09:59 BST",
        ),
        ("cancellation", {"appointment_status": "cancelled"}, None),
    ],
)
def test_what_is_no_longer_true_is_not_sent(kind: str, changes: dict[str, object], reason: str | None) -> None:
    assert stale_reason(delivery_for(claimed_job(kind, now=NOW), **changes), NOW) == reason


def test_a_reminder_is_not_sent_once_its_appointment_started() -> None:
    job = claimed_job("reminder_2h", now=NOW, payload={"startTime": (NOW - dt.timedelta(minutes=5)).isoformat()})
    late = delivery_for(job, start_time=NOW - dt.timedelta(minutes=5))
    assert stale_reason(late, NOW) == "appointment already started; reminder not sent"
    confirmation = dataclasses.replace(late, job=dataclasses.replace(job, type="booking_confirmation"))
    assert stale_reason(confirmation, NOW) is None, "only reminders stop at the start"
