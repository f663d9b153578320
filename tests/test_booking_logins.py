"""The login throttle on its own clock: counted before the check, growing waits, per email and address, kept in
the database so that every process counts in the same tallies."""

from __future__ import annotations

import asyncio

from booking.logins import Limits, LoginThrottle, forget_old
from db import Database

OWNER, ATTACKER, HOME = "owner@example.com", "203.0.113.66", "198.51.100.7"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_an_attempt_counts_before_its_outcome_is_known(db: Database) -> None:
    throttle = LoginThrottle(db)
    assert [await throttle.admit(OWNER, ATTACKER) for _ in range(5)] == [0] * 5, "five may check, none has finished"
    assert await throttle.admit(OWNER, ATTACKER) == 60
    assert await throttle.failures(OWNER, ATTACKER) == (5, 5), "the refused sixth is not counted"


async def test_parallel_attempts_through_several_pools_check_only_five_passwords(db: Database, database_url) -> None:
    """Three pools stand for three processes: 40 attempts at once, and five are let through to the check."""
    pools = [await Database.connect(database_url, maxsize=10) for _ in range(3)]
    try:
        throttles = [LoginThrottle(pool) for pool in pools]
        waits = await asyncio.gather(*(throttles[n % 3].admit(OWNER, ATTACKER) for n in range(40)))
    finally:
        for pool in pools:
            await pool.close()
    assert sorted(waits)[:6] == [0] * 5 + [60], "five checked, the rest told to wait"
    assert await LoginThrottle(db).failures(OWNER, ATTACKER) == (5, 5)


async def test_the_wait_doubles_with_each_further_failure_up_to_its_cap(db: Database) -> None:
    clock = Clock()
    throttle = LoginThrottle(db, Limits(first_wait=60, longest_wait=300), clock)
    for _ in range(5):
        await throttle.admit(OWNER, ATTACKER)
    waits = []
    for _ in range(5):
        wait = await throttle.admit(OWNER, ATTACKER)
        waits.append(wait)
        clock.now += wait - 1
        assert await throttle.admit(OWNER, ATTACKER) == 1, "one second early is still too early"
        clock.now += 1
        assert await throttle.admit(OWNER, ATTACKER) == 0, "then one more try is counted"
    assert waits == [60, 120, 240, 300, 300]


async def test_another_address_and_a_right_password_are_not_held_back(db: Database) -> None:
    throttle = LoginThrottle(db)
    for _ in range(5):
        await throttle.admit(OWNER, ATTACKER)
    assert await throttle.admit(OWNER, ATTACKER) > 0
    assert await throttle.admit(OWNER, HOME) == 0, "the owner's own address is free"
    await throttle.succeeded(OWNER, HOME)
    assert await throttle.failures(OWNER, HOME) == (0, 0)

    for _ in range(4):
        await throttle.admit("someone@example.com", HOME)
    await throttle.admit(OWNER, HOME)
    await throttle.succeeded(OWNER, HOME)
    assert await throttle.failures("someone@example.com", HOME) == (4, 4), "one's own login excuses no other guesses"


async def test_one_address_is_capped_over_all_emails(db: Database) -> None:
    throttle = LoginThrottle(db, Limits(per_email=5, per_address=20))
    for n in range(20):
        assert await throttle.admit(f"guess-{n}@example.com", ATTACKER) == 0
    assert await throttle.admit("guess-new@example.com", ATTACKER) == 60
    assert await throttle.admit("guess-new@example.com", HOME) == 0


async def test_emails_are_one_account_whatever_their_case_or_spaces(db: Database) -> None:
    throttle = LoginThrottle(db)
    for email in ("Owner@Example.com", " owner@example.com", "OWNER@EXAMPLE.COM ", "owner@example.com", OWNER):
        await throttle.admit(email, ATTACKER)
    assert await throttle.admit(OWNER.upper(), ATTACKER) > 0


async def test_a_quiet_hour_wipes_the_slate(db: Database) -> None:
    clock = Clock()
    throttle = LoginThrottle(db, Limits(forget_after=3600), clock)
    for _ in range(5):
        await throttle.admit(OWNER, ATTACKER)
    clock.now += 3600
    assert await throttle.failures(OWNER, ATTACKER) == (0, 0)
    assert [await throttle.admit(OWNER, ATTACKER) for _ in range(6)] == [0] * 5 + [60]


async def test_wiped_tallies_leave_the_table(db: Database) -> None:
    clock = Clock()
    clock.now = 1000.0  # long before the database's now: an hour and more ago
    await LoginThrottle(db, clock=clock).admit(OWNER, ATTACKER)
    await LoginThrottle(db).admit(OWNER, HOME)
    assert await forget_old(db) == 2, "the attacker's email and address tallies, from long ago"
    assert await LoginThrottle(db).failures(OWNER, HOME) == (1, 1), "today's stay"
