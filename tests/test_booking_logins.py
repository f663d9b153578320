"""The login throttle on its own clock: counted before the check, growing waits, per email and address."""

from __future__ import annotations

from booking.logins import Limits, LoginThrottle

OWNER, ATTACKER, HOME = "owner@example.com", "203.0.113.66", "198.51.100.7"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_attempt_counts_before_its_outcome_is_known() -> None:
    throttle = LoginThrottle()
    assert [throttle.admit(OWNER, ATTACKER) for _ in range(5)] == [0] * 5, "five may check, none has finished"
    assert throttle.admit(OWNER, ATTACKER) == 60
    assert throttle.failures(OWNER, ATTACKER) == (5, 5), "the refused sixth is not counted"


def test_the_wait_doubles_with_each_further_failure_up_to_its_cap() -> None:
    clock = Clock()
    throttle = LoginThrottle(Limits(first_wait=60, longest_wait=300), clock)
    for _ in range(5):
        throttle.admit(OWNER, ATTACKER)
    waits = []
    for _ in range(5):
        wait = throttle.admit(OWNER, ATTACKER)
        waits.append(wait)
        clock.now += wait - 1
        assert throttle.admit(OWNER, ATTACKER) == 1, "one second early is still too early"
        clock.now += 1
        assert throttle.admit(OWNER, ATTACKER) == 0, "then one more try is counted"
    assert waits == [60, 120, 240, 300, 300]


def test_another_address_and_a_right_password_are_not_held_back() -> None:
    throttle = LoginThrottle()
    for _ in range(5):
        throttle.admit(OWNER, ATTACKER)
    assert throttle.admit(OWNER, ATTACKER) > 0
    assert throttle.admit(OWNER, HOME) == 0, "the owner's own address is free"
    throttle.succeeded(OWNER, HOME)
    assert throttle.failures(OWNER, HOME) == (0, 0)

    for _ in range(4):
        throttle.admit("someone@example.com", HOME)
    throttle.admit(OWNER, HOME)
    throttle.succeeded(OWNER, HOME)
    assert throttle.failures("someone@example.com", HOME) == (4, 4), "one's own login excuses no other guesses"


def test_one_address_is_capped_over_all_emails() -> None:
    throttle = LoginThrottle(Limits(per_email=5, per_address=20))
    for n in range(20):
        assert throttle.admit(f"guess-{n}@example.com", ATTACKER) == 0
    assert throttle.admit("guess-new@example.com", ATTACKER) == 60
    assert throttle.admit("guess-new@example.com", HOME) == 0


def test_emails_are_one_account_whatever_their_case_or_spaces() -> None:
    throttle = LoginThrottle()
    for email in ("Owner@Example.com", " owner@example.com", "OWNER@EXAMPLE.COM ", "owner@example.com", OWNER):
        throttle.admit(email, ATTACKER)
    assert throttle.admit(OWNER.upper(), ATTACKER) > 0


def test_a_quiet_hour_wipes_the_slate() -> None:
    clock = Clock()
    throttle = LoginThrottle(Limits(forget_after=3600), clock)
    for _ in range(5):
        throttle.admit(OWNER, ATTACKER)
    clock.now += 3600
    assert throttle.failures(OWNER, ATTACKER) == (0, 0)
    assert [throttle.admit(OWNER, ATTACKER) for _ in range(6)] == [0] * 5 + [60]


def test_memory_stays_bounded_dropping_the_least_recently_touched() -> None:
    throttle = LoginThrottle(Limits(most_tallies=10))
    for _ in range(5):
        throttle.admit(OWNER, ATTACKER)
    for n in range(4):  # 2 tallies each; the owner's pair and the attacker's address are touched last among these
        throttle.admit(f"x{n}@example.com", f"192.0.2.{n}")
    assert throttle.admit(OWNER, ATTACKER) > 0
    for n in range(4, 7):
        throttle.admit(f"x{n}@example.com", f"192.0.2.{n}")
    assert len(throttle._tallies) == 10
    assert throttle.failures(OWNER, ATTACKER) == (0, 0), "the oldest went first"
