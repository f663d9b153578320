"""Login, logout, the login wall in front of every page, and the brake on password guessing."""

from __future__ import annotations

import urllib.parse

import pytest

from handlers.pages.auth import LoginThrottle
from handlers.pages.base import safe_next

PAGES_BEHIND_LOGIN = (
    "/",
    "/?date=2030-01-01",
    "/appointments/new",
    "/appointments/00000000-0000-0000-0000-000000000000",
    "/clients",
    "/clients/new",
    "/staff",
    "/staff/new",
    "/services",
    "/services/new",
    "/jobs",
    "/jobs/00000000-0000-0000-0000-000000000000",
    "/tokens",
)


@pytest.mark.parametrize("path", PAGES_BEHIND_LOGIN)
async def test_a_page_sends_a_stranger_to_the_login_page(pages, make_salon, path: str) -> None:
    await make_salon()
    response = await pages().get(path)
    assert response.code == 302
    assert response.headers["Location"] == "/login?" + urllib.parse.urlencode({"next": path})


async def test_login_goes_back_where_it_was_asked_and_keeps_the_email_on_failure(pages, make_salon) -> None:
    salon = await make_salon()
    session = pages()
    form = await session.get("/login?next=/clients")
    assert form.code == 200
    assert b'name="next" value="/clients"' in form.body

    wrong = await session.post("/login", {"email": salon.owner.email, "password": "nope nope", "next": "/clients"})
    assert wrong.code == 400
    assert b"do not match" in wrong.body
    assert f'value="{salon.owner.email}"'.encode() in wrong.body

    right = await session.post(
        "/login", {"email": salon.owner.email.upper(), "password": "correct horse battery", "next": "/clients"}
    )
    assert (right.code, right.headers["Location"]) == (303, "/clients")
    cookie = right.headers["Set-Cookie"]
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert (await session.get("/clients")).code == 200


# Each of these has sent a browser somewhere else, or would, or broke the answer (CR/LF: a header split).
OFF_SITE = (
    "//evil.example/",
    "https://evil.example/",
    "/\\evil.example",
    "/\\/evil.example",
    "/%09/evil.example",
    "/%2F/evil.example",
    "/%5Cevil.example",
    "/\t/evil",
    "/\n/evil.example",
    "/ /evil.example",
    "/\u3000/evil.example",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    " /clients",
    "evil.example",
    "/clients\r\nSet-Cookie: user=x",
    "/clients%0d%0aSet-Cookie:%20user=x",
    "/clients%00",
    "",
)


@pytest.mark.parametrize("next_path", OFF_SITE)
def test_next_takes_only_a_local_path(next_path: str) -> None:
    assert safe_next(next_path) == "/"
    assert safe_next(next_path, "/jobs") == "/jobs"


@pytest.mark.parametrize("next_path", ["/clients", "/?date=2030-01-01", "/jobs?status=failed&type=reminder_2h#top"])
def test_next_keeps_a_local_path_as_it_is(next_path: str) -> None:
    assert safe_next(next_path) == next_path


@pytest.mark.parametrize("next_path", ["//evil.example/", "/%09/evil.example", "/\t/evil", "/x\r\nSet-Cookie: a=b"])
async def test_login_never_sends_the_user_off_site(pages, make_salon, next_path: str) -> None:
    salon = await make_salon()
    session = pages()
    form = await session.get("/login?" + urllib.parse.urlencode({"next": next_path}))
    assert form.code == 200 and b'name="next" value="/"' in form.body
    response = await session.post(
        "/login", {"email": salon.owner.email, "password": "correct horse battery", "next": next_path}
    )
    assert (response.code, response.headers["Location"]) == (303, "/")
    again = await session.get("/login?" + urllib.parse.urlencode({"next": next_path}))  # logged in: straight on
    assert (again.code, again.headers["Location"]) == (302, "/")


async def test_logout_is_a_post_with_the_form_token(logged_in) -> None:
    session, _ = await logged_in()
    forged = await session.post("/logout", {}, xsrf=False)
    assert forged.code == 403
    assert b"<html" in forged.body and b"expired" in forged.body, "an HTML page in plain words, not a trace"
    assert (await session.get("/")).code == 200, "a forged logout changes nothing"

    assert (await session.get("/logout")).code == 405
    out = await session.post("/logout", {})
    assert (out.code, out.headers["Location"]) == (303, "/login")
    assert (await session.get("/")).code == 302


async def test_a_tampered_cookie_is_no_login(pages, logged_in) -> None:
    session, _ = await logged_in()
    session.cookies["user"] = session.cookies["user"][:-3] + "abc"
    assert (await session.get("/")).code == 302


async def test_repeated_wrong_passwords_lock_out_that_email_and_address(pages, make_salon) -> None:
    salon, other = await make_salon(), await make_salon()
    session = pages()
    for _ in range(5):
        response = await session.post("/login", {"email": salon.owner.email, "password": "guess guess"})
        assert response.code == 400
    blocked = await session.post("/login", {"email": salon.owner.email, "password": "correct horse battery"})
    assert blocked.code == 429, "even the right password waits once the limit is reached"
    assert b"Too many" in blocked.body
    from_same_address = await session.post("/login", {"email": other.owner.email, "password": "correct horse battery"})
    assert from_same_address.code == 429, "the client address is limited too, not only the email"


def test_the_throttle_forgets_failures_after_its_window() -> None:
    now = [1000.0]
    throttle = LoginThrottle(limit=2, window=60, clock=lambda: now[0])
    throttle.failed("ip:1", "email:a")
    assert not throttle.blocked("ip:1")
    throttle.failed("ip:1", "email:b")
    assert throttle.blocked("ip:1") and not throttle.blocked("email:a")
    now[0] += 61
    assert not throttle.blocked("ip:1")
