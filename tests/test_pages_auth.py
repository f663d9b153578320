"""Login, logout, the login wall in front of every page, and the brake on password guessing."""

from __future__ import annotations

import asyncio
import urllib.parse

import pytest
import tornado.httpclient

from handlers.app import Salonbook, WebSettings
from handlers.pages.base import safe_next


@pytest.fixture
def xheaders(request: pytest.FixtureRequest) -> bool:
    return getattr(request, "param", False)


@pytest.fixture
def web_settings(xheaders: bool) -> WebSettings:
    """With ``xheaders`` as server.py's --xheaders makes it."""
    return WebSettings(xheaders=xheaders)


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
    "/account",
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
    session.cookies["session"] = session.cookies["session"][:-3] + "abc"
    assert (await session.get("/")).code == 302


def _logins(app: Salonbook, outcome: str) -> float:
    return app.metrics.registry.get_sample_value("salonbook_login_attempts_total", {"outcome": outcome}) or 0.0


async def test_forty_parallel_wrong_passwords_check_five_and_refuse_the_rest(app, pages, make_salon) -> None:
    salon = await make_salon()
    session = pages()
    await session.get("/login")
    cookie, xsrf = f"_xsrf={session.cookies['_xsrf']}", session.cookies["_xsrf"]
    body = urllib.parse.urlencode({"email": salon.owner.email, "password": "guess guess", "_xsrf": xsrf})
    client = tornado.httpclient.AsyncHTTPClient(force_instance=True, max_clients=40)  # all 40 at once
    try:
        answers = await asyncio.gather(
            *(
                client.fetch(
                    session.client.get_url("/login"),
                    method="POST",
                    body=body,
                    headers={"Cookie": cookie},
                    follow_redirects=False,
                    raise_error=False,
                )
                for _ in range(40)
            )
        )
    finally:
        client.close()
    codes = sorted(answer.code for answer in answers)
    assert codes == [400] * 5 + [429] * 35, "five passwords checked, the other 35 refused before any check"
    assert (_logins(app, "failed"), _logins(app, "succeeded"), _logins(app, "refused")) == (5, 0, 35)
    for refused in (answer for answer in answers if answer.code == 429):
        assert 0 < int(refused.headers["Retry-After"]) <= 60
        assert b"Too many failed attempts. Try again in 1 minute." in refused.body
        assert f'value="{salon.owner.email}"'.encode() in refused.body, "the form keeps the email"

    right = await session.post("/login", {"email": salon.owner.email, "password": "correct horse battery"})
    assert right.code == 429, "from this address, even the right password waits"


@pytest.mark.parametrize("xheaders", [True], indirect=True)
async def test_an_attacker_elsewhere_cannot_lock_the_owner_out(app, pages, make_salon) -> None:
    salon, other = await make_salon(), await make_salon()
    attacker = pages({"X-Forwarded-For": "203.0.113.66"})
    for _ in range(5):
        assert (await attacker.post("/login", {"email": salon.owner.email, "password": "guess"})).code == 400
    refused = await attacker.post("/login", {"email": salon.owner.email, "password": "correct horse battery"})
    assert refused.code == 429 and int(refused.headers["Retry-After"]) == 60
    assert await app.login_throttle.failures(salon.owner.email, "203.0.113.66") == (5, 5), "counted by the proxy's word"

    owner = pages({"X-Forwarded-For": "198.51.100.7, 203.0.113.66"})  # spoofed first hop: the proxy added the last
    assert (await owner.post("/login", {"email": salon.owner.email, "password": "guess"})).code == 429
    owner = pages({"X-Forwarded-For": "198.51.100.7"})
    await owner.login(salon.owner.email)
    assert (await owner.get("/")).code == 200, "the owner, at her own address, is in"

    # One address cannot spread its guesses over many accounts either: 20 failures, whatever the emails.
    for n in range(15):
        assert (await attacker.post("/login", {"email": f"guess-{n}@example.com", "password": "x"})).code == 400
    spread = await attacker.post("/login", {"email": other.owner.email, "password": "correct horse battery"})
    assert spread.code == 429


async def test_without_xheaders_a_forwarded_address_is_not_believed(app, pages, make_salon) -> None:
    salon = await make_salon()
    for n in range(5):
        liar = pages({"X-Forwarded-For": f"192.0.2.{n}"})
        assert (await liar.post("/login", {"email": salon.owner.email, "password": "guess"})).code == 400
    liar = pages({"X-Forwarded-For": "192.0.2.99"})
    assert (await liar.post("/login", {"email": salon.owner.email, "password": "guess"})).code == 429
    assert await app.login_throttle.failures(salon.owner.email, "127.0.0.1") == (5, 5)


async def test_a_right_password_wipes_that_emails_failures_at_that_address(app, pages, make_salon) -> None:
    salon = await make_salon()
    session = pages()
    for _ in range(4):
        assert (await session.post("/login", {"email": salon.owner.email, "password": "guess"})).code == 400
    await session.login(salon.owner.email)
    assert await app.login_throttle.failures(salon.owner.email, "127.0.0.1") == (0, 4), "the address keeps its four"
