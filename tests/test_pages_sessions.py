"""Sessions live on the server: logout and "log out everywhere" end them at once, in every process."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import tornado.httpclient
import tornado.ioloop
import tornado.testing

from db import Database
from handlers.app import Salonbook, WebSettings, http_server
from tests.page_fixtures import PageSession, add_receptionist


@pytest.fixture
def web_settings(request: pytest.FixtureRequest) -> WebSettings:
    """As conftest's, with the product's defaults unless a test gives its own."""
    return getattr(request, "param", WebSettings())


class OwnServer:
    """A client for a server of its own, fetching paths as pytest-tornasync's client does."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.http = tornado.httpclient.AsyncHTTPClient(force_instance=True)

    def get_url(self, path: str) -> str:
        return self.base + path

    def fetch(self, path: str, **kwargs: Any) -> Any:
        return self.http.fetch(self.get_url(path), **kwargs)


@pytest.fixture
def second_process(io_loop: tornado.ioloop.IOLoop, database_url: str) -> Iterator[Callable[[], PageSession]]:
    """Another Salonbook on the same database, with its own pool and server: ``second_process()`` -> a session."""
    db = io_loop.run_sync(lambda: Database.connect(database_url, maxsize=4))
    server = http_server(Salonbook(db=db, cookie_secret="test-cookie-secret"))
    sock, port = tornado.testing.bind_unused_port()
    server.add_sockets([sock])
    client = OwnServer(port)
    yield lambda: PageSession(client)
    client.http.close()
    server.stop()
    io_loop.run_sync(server.close_all_connections)
    io_loop.run_sync(db.close)


async def _live_sessions(db: Database, email: str) -> int:
    row = await db.fetch_row(
        "SELECT count(*) AS n FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = %s", (email,)
    )
    return int(row["n"])


def _is_sent_to_login(response: Any) -> bool:
    return response.code == 302 and response.headers["Location"].startswith("/login?")


async def test_logout_ends_the_session_on_the_server(logged_in, db: Database) -> None:
    session, salon = await logged_in()
    stolen = dict(session.cookies)  # what a copied cookie would replay
    assert await _live_sessions(db, salon.owner.email) == 1
    assert (await session.post("/logout", {})).code == 303
    assert "session" not in session.cookies, "the browser drops it"
    assert await _live_sessions(db, salon.owner.email) == 0

    session.cookies = stolen
    assert _is_sent_to_login(await session.get("/")), "the old cookie opens nothing any more"


async def test_each_login_is_a_new_session_and_ends_the_one_before(pages, make_salon, db: Database) -> None:
    salon = await make_salon()
    session = pages()
    await session.login(salon.owner.email)
    before = session.cookies["session"]
    await session.login(salon.owner.email)
    assert session.cookies["session"] != before
    assert await _live_sessions(db, salon.owner.email) == 1, "the browser's earlier session ended"

    planted = pages()
    planted.cookies = dict(session.cookies)  # fixation: someone else's cookie in this browser
    victim = await make_salon()
    await planted.login(victim.owner.email)
    assert planted.cookies["session"] != session.cookies["session"]
    assert _is_sent_to_login(await session.get("/")), "a cookie from before a login never becomes that login"


async def test_a_session_ends_when_it_expires(logged_in, db: Database) -> None:
    session, salon = await logged_in()
    await db.execute(
        "UPDATE sessions SET expires_at = now() - interval '1 second' WHERE user_id = %s", (salon.owner.id,)
    )
    assert _is_sent_to_login(await session.get("/"))


async def test_last_seen_is_written_at_most_once_a_minute(logged_in, db: Database) -> None:
    session, salon = await logged_in()

    async def seen_ago() -> float:
        row = await db.fetch_row(
            "SELECT extract(epoch FROM now() - last_seen_at) AS ago FROM sessions WHERE user_id = %s",
            (salon.owner.id,),
        )
        return float(row["ago"])

    await db.execute("UPDATE sessions SET last_seen_at = now() - interval '30 seconds'")
    await session.get("/")
    assert await seen_ago() >= 30, "seen 30 s ago: not written again"
    await db.execute("UPDATE sessions SET last_seen_at = now() - interval '2 minutes'")
    await session.get("/")
    assert await seen_ago() < 60, "seen two minutes ago: written now"


@pytest.mark.parametrize("web_settings", [WebSettings(xheaders=True)], indirect=True)
async def test_the_owner_sees_every_session_with_its_address_and_browser(app, pages, logged_in, db: Database) -> None:
    owner, salon = await logged_in()
    desk = pages({"X-Forwarded-For": "198.51.100.23", "User-Agent": "Mozilla/5.0 (iPad) <b>Safari</b>"})
    await desk.login(await add_receptionist(db, salon.salon.id))
    await logged_in()  # another salon's owner

    page = (await owner.get("/settings")).body.decode()
    assert '<h2 id="sessions-title">Sessions</h2>' in page
    assert page.count("· this browser") == 1
    assert "198.51.100.23" in page, "the address the proxy reported (--xheaders)"
    assert "Mozilla/5.0 (iPad) &lt;b&gt;Safari&lt;/b&gt;" in page, "the browser, escaped"
    assert salon.owner.email in page and "(receptionist)" in page
    assert page.count("<tr>") == 1 + 2, "a head row and the salon's two sessions, no one else's"


async def test_log_out_everywhere_ends_every_session_of_the_salon_in_every_process(
    logged_in, pages, db: Database, second_process
) -> None:
    owner, salon = await logged_in()
    owner_elsewhere, desk_elsewhere, stranger_elsewhere = second_process(), second_process(), second_process()
    await owner_elsewhere.login(salon.owner.email)
    await desk_elsewhere.login(await add_receptionist(db, salon.salon.id))
    stranger = (await logged_in())[1]
    await stranger_elsewhere.login(stranger.owner.email)
    for session in (owner, owner_elsewhere, desk_elsewhere, stranger_elsewhere):
        assert (await session.get("/")).code == 200

    ended = await owner.post("/settings/sessions/end", {})
    assert (ended.code, ended.headers["Location"]) == (303, "/login")
    assert "session" not in owner.cookies
    for session in (owner, owner_elsewhere, desk_elsewhere):
        assert _is_sent_to_login(await session.get("/")), "ended at once, in the other process too"
    assert (await stranger_elsewhere.get("/")).code == 200, "another salon's sessions are not touched"


async def test_log_out_everywhere_revokes_every_api_token_of_the_salon(logged_in, api, make_salon) -> None:
    owner, salon = await logged_in()
    made = (await owner.post("/tokens", {"name": "till"})).body.decode()
    script_token = re.search(r"<code[^>]*>([\w-]{40,})</code>", made)[1]
    other = await make_salon()
    for token in (salon.api_token, script_token, other.api_token):
        assert (await api("GET", "/salon", token))[0] == 200
    assert b"Every API token is revoked too" in (await owner.get("/settings")).body, "the page says so first"

    await owner.post("/settings/sessions/end", {})
    assert [(await api("GET", "/salon", token))[0] for token in (salon.api_token, script_token)] == [401, 401]
    assert (await api("GET", "/salon", other.api_token))[0] == 200, "another salon's tokens are not touched"


async def test_only_the_owner_can_log_everyone_out(logged_in, pages, db: Database) -> None:
    owner, salon = await logged_in()
    desk = pages()
    await desk.login(await add_receptionist(db, salon.salon.id))
    assert (await desk.post("/settings/sessions/end", {})).code == 403
    assert (await desk.get("/settings")).code == 403
    assert (await owner.get("/")).code == 200 and (await desk.get("/")).code == 200


@pytest.mark.parametrize(
    ("web_settings", "headers", "secure"),
    [
        (WebSettings(), {}, False),
        (WebSettings(cookie_secure=True), {}, True),
        (WebSettings(xheaders=True), {"X-Forwarded-Proto": "https"}, True),
        (WebSettings(), {"X-Forwarded-Proto": "https"}, False),  # not believed without --xheaders
    ],
    indirect=["web_settings"],
)
async def test_cookies_are_secure_with_cookie_secure_or_over_https(
    app, pages, make_salon, headers: dict[str, str], secure: bool
) -> None:
    salon = await make_salon()
    session = pages(headers)
    form = await session.get("/login")
    login = await session.post("/login", {"email": salon.owner.email, "password": "correct horse battery"})
    logout = await session.post("/logout", {})
    cookies = [*form.headers.get_list("Set-Cookie"), *login.headers.get_list("Set-Cookie")]
    cookies += logout.headers.get_list("Set-Cookie")
    assert {cookie.split("=")[0] for cookie in cookies} == {"_xsrf", "session"}
    for cookie in cookies:
        assert ("; Secure" in cookie) is secure, cookie
    session_cookie = next(cookie for cookie in login.headers.get_list("Set-Cookie") if cookie.startswith("session="))
    assert "HttpOnly" in session_cookie and "SameSite=lax" in session_cookie


async def _can_log_in(pages, email: str, password: str) -> bool:
    return (await pages().post("/login", {"email": email, "password": password})).code == 303


def _change(current: str, new: str, again: str | None = None) -> dict[str, str]:
    return {"currentPassword": current, "newPassword": new, "newPasswordAgain": new if again is None else again}


async def test_a_password_change_ends_the_users_other_sessions_and_revokes_their_tokens(
    logged_in, pages, api, db: Database, second_process
) -> None:
    here, salon = await logged_in()
    email = salon.owner.email
    laptop, phone = pages(), second_process()
    await laptop.login(email)
    await phone.login(email)
    desk = pages()
    await desk.login(await add_receptionist(db, salon.salon.id))
    before = dict(here.cookies)

    changed = await here.post("/account", _change("correct horse battery", "a new long secret"))
    assert changed.code == 200, changed.body[:500]
    assert b"Your password is changed." in changed.body and b"2 other sessions of yours ended" in changed.body
    assert b"a new long secret" not in changed.body and b"correct horse battery" not in changed.body
    assert (await here.get("/")).code == 200, "the session it was changed in goes on"
    assert here.cookies["session"] != before["session"], "with a new token"
    replayed = PageSession(here.client)
    replayed.cookies = before  # this browser's token from before the change
    for session in (laptop, phone, replayed):
        assert _is_sent_to_login(await session.get("/")), "other sessions ended, in the other process too"
    assert (await desk.get("/")).code == 200, "another user's session is not touched"
    assert b"1 API token you made was revoked" in changed.body, "the owner's token, made with the salon"
    assert (await api("GET", "/salon", salon.api_token))[0] == 401
    assert not await _can_log_in(pages, email, "correct horse battery")
    assert await _can_log_in(pages, email, "a new long secret")


@pytest.mark.parametrize(
    ("typed", "field", "message"),
    [
        (_change("wrong horse battery", "a new long secret"), "currentPassword", "currentPassword is not right"),
        (_change("correct horse battery", "short"), "newPassword", "newPassword needs at least 8 characters"),
        (
            _change("correct horse battery", "a new long secret", "a new long secreT"),
            "newPasswordAgain",
            "the two new passwords differ",
        ),
    ],
)
async def test_the_password_form_says_what_is_wrong_beside_the_field(
    logged_in, pages, typed: dict[str, str], field: str, message: str
) -> None:
    session, salon = await logged_in()
    refused = await session.post("/account", typed)
    assert refused.code == 400
    page = refused.body.decode()
    assert f'<span class="field-error" id="{field}-error">{message}</span>' in page, page
    assert page.count("field-error") == 1
    for password in set(typed.values()):
        assert password not in page, "a password is never written back"
    assert (await session.get("/")).code == 200
    assert await _can_log_in(pages, salon.owner.email, "correct horse battery"), "nothing changed"


async def test_a_receptionist_changes_their_own_password_from_the_menu(logged_in, pages, db: Database) -> None:
    _, salon = await logged_in()
    desk = pages()
    email = await add_receptionist(db, salon.salon.id)
    await desk.login(email)
    day = (await desk.get("/")).body.decode()
    assert 'href="/account"' in day, "the menu links the account page"
    account = await desk.get("/account")
    assert account.code == 200 and b'aria-current="page"' in account.body
    assert b"Settings" not in account.body, "an owner's link only"
    changed = await desk.post("/account", _change("correct horse battery", "the desk's own secret"))
    assert changed.code == 200 and b"You were logged in nowhere else." in changed.body
    assert await _can_log_in(pages, email, "the desk's own secret")


async def test_guessing_the_current_password_is_throttled_like_a_login(logged_in) -> None:
    session, _ = await logged_in()
    for _ in range(5):
        assert (await session.post("/account", _change("a guess at it", "a new long secret"))).code == 400
    refused = await session.post("/account", _change("correct horse battery", "a new long secret"))
    assert refused.code == 429 and int(refused.headers["Retry-After"]) == 60
    assert b"Too many failed attempts. Try again in 1 minute." in refused.body
