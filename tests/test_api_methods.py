"""A method a path does not answer is a 405 naming the ones it does (RFC 9110: the Allow header)."""

from __future__ import annotations

import uuid

import pytest

from handlers.app import WebSettings
from handlers.openapi import document

METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE")


# One token asks every path with every method it does not answer: more than the API's burst allows by default.
@pytest.mark.parametrize("web_settings", [WebSettings(api_rate=1000.0)], indirect=True)
async def test_every_405_of_the_api_names_the_methods_its_path_answers(http_server_client, make_salon, db) -> None:
    new = await make_salon()
    await db.execute("UPDATE salons SET online_booking = true WHERE id = %s", (new.salon.id,))
    refused = 0
    for path, item in document()["paths"].items():
        documented = sorted(method.upper() for method in item)
        url = path.replace("{slug}", new.salon.slug)
        for name in ("staffId", "serviceId", "clientId", "appointmentId", "jobId", "holdId"):
            url = url.replace(f"{{{name}}}", str(uuid.uuid4()))
        for method in set(METHODS) - set(documented):
            answer = await http_server_client.fetch(
                url,
                method=method,
                headers={"Authorization": f"Bearer {new.api_token}"},
                body=b"{}" if method in ("POST", "PATCH", "PUT") else None,
                raise_error=False,
                allow_nonstandard_methods=True,
            )
            assert answer.code == 405, f"{method} {path}: {answer.code}"
            assert sorted(answer.headers["Allow"].split(", ")) == documented, f"{method} {path}"
            refused += 1
    assert refused > 20


async def test_pages_and_files_name_their_methods_too(http_server_client) -> None:
    for method, path, allowed in (
        ("GET", "/logout", "POST"),
        ("POST", "/metrics", "GET"),
        ("DELETE", "/login", "GET, POST"),
        ("POST", "/static/style.css", "GET, HEAD"),
        ("POST", "/healthz", "GET"),
    ):
        answer = await http_server_client.fetch(
            path, method=method, body=b"" if method == "POST" else None, raise_error=False, follow_redirects=False
        )
        assert (answer.code, answer.headers.get("Allow")) == (405, allowed), f"{method} {path}"


async def test_a_query_parameter_without_a_name_is_a_400(api, make_salon) -> None:
    salon = await make_salon()
    status, refused = await api("GET", "/jobs?=0", salon.api_token)
    assert status == 400 and refused["error"]["message"] == "a query parameter has no name", refused
