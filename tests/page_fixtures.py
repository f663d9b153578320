"""Page fixtures: a cookie-keeping client that logs in like a browser."""

from __future__ import annotations

import http.cookies
import urllib.parse
import uuid
from typing import Any

import pytest

from booking import passwords
from booking.salons import NewSalon
from db import Database


class PageSession:
    """Talks to the pages as a browser would: keeps cookies, sends the XSRF token, follows no redirect."""

    def __init__(self, client: Any, headers: dict[str, str] | None = None) -> None:
        self.client = client
        self.headers = headers or {}  # sent with every request, e.g. X-Forwarded-For
        self.cookies: dict[str, str] = {}

    async def fetch(
        self, path: str, method: str = "GET", body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Any:
        headers = self.headers | (headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        response = await self.client.fetch(
            path, method=method, body=body, headers=headers, follow_redirects=False, raise_error=False
        )
        for header in response.headers.get_list("Set-Cookie"):
            for name, morsel in http.cookies.SimpleCookie(header).items():
                if not morsel.value or "1970" in morsel["expires"]:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response

    async def get(self, path: str) -> Any:
        return await self.fetch(path)

    async def part(self, path: str, name: str) -> Any:
        """One part of the page at ``path``, as static/live.js asks for it."""
        return await self.fetch(path, headers={"X-Salonbook-Part": name})

    async def post(self, path: str, data: dict[str, Any] | list[tuple[str, str]], *, xsrf: bool = True) -> Any:
        """Posts a form; with ``xsrf`` the token a rendered page would carry is added."""
        if xsrf and "_xsrf" not in self.cookies:
            await self.get("/login")  # any page with a form sets the cookie
        pairs = list(data.items()) if isinstance(data, dict) else list(data)
        if xsrf:
            pairs.append(("_xsrf", self.cookies["_xsrf"]))
        return await self.fetch(path, "POST", urllib.parse.urlencode(pairs).encode())

    async def login(self, email: str, password: str = "correct horse battery") -> Any:  # noqa: S107
        response = await self.post("/login", {"email": email, "password": password})
        assert response.code == 303, f"login as {email} answered {response.code}: {response.body[:300]!r}"
        return response


async def add_receptionist(db: Database, salon_id: uuid.UUID) -> str:
    """A receptionist of the salon (password "correct horse battery"); returns their login email."""
    email = f"desk-{salon_id.hex[:8]}@example.com"
    await db.execute(
        "INSERT INTO users (salon_id, email, password_hash, role) VALUES (%s, %s, %s, 'receptionist')",
        (salon_id, email, await passwords.hash_password("correct horse battery")),
    )
    return email


async def add_stylist(db: Database, salon_id: uuid.UUID, staff_id: uuid.UUID) -> str:
    """A stylist of the salon, logging in as staff member ``staff_id`` (password "correct horse battery");
    returns their login email."""
    email = f"stylist-{staff_id.hex[:8]}@example.com"
    await db.execute(
        "INSERT INTO users (salon_id, email, password_hash, role, staff_id) VALUES (%s, %s, %s, 'stylist', %s)",
        (salon_id, email, await passwords.hash_password("correct horse battery"), staff_id),
    )
    return email


@pytest.fixture
def pages(http_server_client):
    """``session = pages()`` -> a fresh, logged-out PageSession against ``app`` (``pages(headers)``: with those)."""
    return lambda headers=None: PageSession(http_server_client, headers)


@pytest.fixture
def logged_in(pages, make_salon):
    """``session, salon = await logged_in(**salon_fields)``: a new salon and its owner, logged in."""

    async def make(**fields: str) -> tuple[PageSession, NewSalon]:
        salon = await make_salon(**fields)
        session = pages()
        await session.login(salon.owner.email)
        return session, salon

    return make
