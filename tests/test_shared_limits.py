"""Several processes on one database share every limit: three web processes allow what one allows."""

from __future__ import annotations

import contextlib
import http.cookies
import time
import urllib.parse

from tornado.httpclient import AsyncHTTPClient, HTTPResponse

from booking.salons import NewSalon
from db import Database, buckets
from handlers.limits import RateLimiter
from tests.processes import Served, serving


async def ask(port: int, path: str, *, method: str = "GET", **kwargs: object) -> HTTPResponse:
    return await AsyncHTTPClient().fetch(
        f"http://127.0.0.1:{port}{path}", method=method, raise_error=False, follow_redirects=False, **kwargs
    )


async def wrong_password(server: Served, email: str) -> HTTPResponse:
    """One login with a wrong password, form token and all, as a browser sends it."""
    form = await ask(server.port, "/login")
    cookie = http.cookies.SimpleCookie(form.headers["Set-Cookie"])["_xsrf"].value
    body = urllib.parse.urlencode({"_xsrf": cookie, "email": email, "password": "guess"})
    return await ask(server.port, "/login", method="POST", body=body, headers={"Cookie": f"_xsrf={cookie}"})


async def test_three_processes_together_allow_what_one_allows(database_url: str, make_salon) -> None:
    salon: NewSalon = await make_salon()
    options = (f"--database_url={database_url}", "--worker=false", "--api_rate=1", "--public_rate=1")
    with contextlib.ExitStack() as stack:
        servers = [stack.enter_context(serving(*options, "--logging=warning")) for _ in range(3)]

        # API: a bucket of 5 (five times the rate of 1 a second), whichever process is asked.
        began = time.monotonic()
        token = {"Authorization": f"Bearer {salon.api_token}"}
        answers = [await ask(servers[n % 3].port, "/api/v1/services", headers=token) for n in range(15)]
        allowed = 5 + int(time.monotonic() - began) + 1  # the burst, and what refilled meanwhile
        codes = [answer.code for answer in answers]
        assert 5 <= codes.count(200) <= allowed, f"three processes allowed {codes.count(200)}: {codes}"
        refused = [answer for answer in answers if answer.code == 429]
        assert refused and all(int(answer.headers["Retry-After"]) >= 1 for answer in refused)

        # Online booking's limit per client address, the same.
        began = time.monotonic()
        answers = [await ask(servers[n % 3].port, f"/api/public/{salon.salon.slug}/services") for n in range(15)]
        allowed = 5 + int(time.monotonic() - began) + 1
        codes = [answer.code for answer in answers]
        assert 5 <= len([code for code in codes if code != 429]) <= allowed, f"three processes allowed: {codes}"

        # Failed logins: five for an email at an address, in all processes together.
        codes = [(await wrong_password(servers[n % 3], salon.owner.email)).code for n in range(9)]
        assert codes == [400] * 5 + [429] * 4, f"one process's five failures, then waits: {codes}"


async def test_a_bucket_refills_at_its_rate_and_says_how_long_to_wait(db: Database) -> None:
    clock = [1_000_000.0]
    limits = RateLimiter(db, buckets.Kind.API, rate=2.0, burst=3.0, clock=lambda: clock[0])
    assert [await limits.wait(b"k") for _ in range(3)] == [0.0] * 3, "the burst"
    assert await limits.wait(b"k") == 0.5, "then one every half second"
    clock[0] += 0.5
    assert await limits.wait(b"k") == 0.0
    assert await limits.wait(b"other") == 0.0, "each key its own bucket"
    other_kind = RateLimiter(db, buckets.Kind.PUBLIC, rate=2.0, burst=3.0, clock=lambda: clock[0])
    assert await other_kind.wait(b"k") == 0.0, "and each kind"
    clock[0] += 10
    assert [await limits.wait(b"k") for _ in range(4)] == [0.0] * 3 + [0.5], "a full bucket holds no more than 3"


async def test_full_buckets_leave_the_table(db: Database) -> None:
    spent = RateLimiter(db, buckets.Kind.API, rate=1.0, burst=1.0, clock=lambda: 1000.0)  # full again in 1970
    await spent.wait(b"old")
    await RateLimiter(db, buckets.Kind.API, rate=0.001, burst=1.0).wait(b"new")  # full again in 1,000 s
    assert await buckets.expire(db) == 1
    assert [row["key"].tobytes() for row in await db.fetch_all("SELECT key FROM rate_buckets")] == [b"new"]
