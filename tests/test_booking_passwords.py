"""Password hashes: OWASP's scrypt cost in the product, old hashes still check and are made again at login."""

from __future__ import annotations

import subprocess
import sys

import pytest

from booking import passwords, users
from db import Database
from tests.conftest import ROOT, TEST_PASSWORD_COST

OLD_COST = passwords.Cost(n=2**9, r=8, p=1)  # weaker than the suite's, as 2**14 is weaker than OWASP's


def test_the_product_hashes_at_owasp_cost_within_its_memory_limit() -> None:
    assert passwords.Cost(n=2**17, r=8, p=1) == passwords.OWASP
    fresh = subprocess.run(
        [sys.executable, "-c", "from booking import passwords; print(passwords.current_cost() == passwords.OWASP)"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert fresh.stdout.strip() == "True", "a process that sets nothing hashes at OWASP's cost"
    hashed = passwords.hash_password_sync("correct horse battery", passwords.OWASP)  # 128 MiB: maxmem allows it
    assert hashed.startswith("scrypt$131072$8$1$")
    assert passwords.check_password_sync("correct horse battery", hashed)
    assert not passwords.check_password_sync("correct horse batterY", hashed)


def test_an_older_hash_still_checks_and_is_outdated() -> None:
    old = passwords.hash_password_sync("long enough", OLD_COST)
    assert passwords.check_password_sync("long enough", old)
    assert passwords.outdated(old)
    assert not passwords.outdated(passwords.hash_password_sync("long enough"))
    assert passwords.current_cost() == TEST_PASSWORD_COST


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "not a hash",
        "scrypt$1024$8$1$c2FsdA==",
        "scrypt$x$8$1$c2FsdA==$ZGlnZXN0",
        "scrypt$0$8$1$c2FsdA==$ZGlnZXN0",
        "scrypt$1099511627776$8$1$c2FsdA==$ZGlnZXN0",  # would ask for terabytes
        "scrypt$1024$8$1$not base64!$ZGlnZXN0",
        "bcrypt$1024$8$1$c2FsdA==$ZGlnZXN0",
    ],
)
def test_a_damaged_hash_matches_nothing_and_raises_nothing(stored: str) -> None:
    assert not passwords.check_password_sync("anything", stored)
    assert not passwords.outdated(stored)


def test_unknown_emails_check_a_hash_of_todays_cost_that_nothing_matches() -> None:
    decoy = passwords.no_match()
    assert decoy.startswith(f"scrypt${TEST_PASSWORD_COST.n}$")
    assert not passwords.check_password_sync("", decoy)


async def _stored_hash(db: Database, email: str) -> str:
    row = await db.fetch_row("SELECT password_hash FROM users WHERE email = %s", (email,))
    return str(row["password_hash"])


async def test_a_login_makes_an_older_hash_again_at_todays_cost(db: Database, make_salon) -> None:
    new = await make_salon()
    email = new.owner.email
    old = passwords.hash_password_sync("correct horse battery", OLD_COST)
    await db.execute("UPDATE users SET password_hash = %s WHERE id = %s", (old, new.owner.id))

    assert await users.authenticate(db, email, "wrong password") is None
    assert await _stored_hash(db, email) == old, "a wrong password changes nothing"

    assert await users.authenticate(db, email, "correct horse battery") is not None
    again = await _stored_hash(db, email)
    assert again.startswith(f"scrypt${TEST_PASSWORD_COST.n}$8$1$") and not passwords.outdated(again)
    assert await users.authenticate(db, email, "correct horse battery") is not None
    assert await _stored_hash(db, email) == again, "a hash at today's cost is kept"
