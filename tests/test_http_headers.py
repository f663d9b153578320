"""What every answer's headers say, and do not: no software name and version, no sniffing, and JSON (an
account's data) never kept by a cache."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("path", "json"),
    [
        ("/api/v1/salon", True),  # 401 without a token: an error is JSON too
        ("/api/public/no-such-salon/services", True),
        ("/healthz", True),
        ("/login", False),
        ("/no/such/page", False),
        ("/static/style.css", False),
    ],
)
async def test_no_answer_names_the_server_or_lets_a_browser_guess_its_type(
    http_server_client, path: str, json: bool
) -> None:
    answer = await http_server_client.fetch(path, raise_error=False, follow_redirects=False)
    assert "Server" not in answer.headers, answer.headers.get("Server")
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    if json:
        assert answer.headers["Content-Type"].startswith("application/json")
        assert answer.headers["Cache-Control"] == "no-store"


async def test_a_download_of_a_salons_data_is_kept_by_no_cache(http_server_client, make_salon) -> None:
    made = await make_salon()
    for path in ("/api/v1/salon/export", f"/api/v1/clients/{'0' * 8}-0000-4000-8000-{'0' * 12}/export"):
        answer = await http_server_client.fetch(
            path, headers={"Authorization": f"Bearer {made.api_token}"}, raise_error=False
        )
        assert answer.headers["Cache-Control"] == "no-store", (path, answer.code)
        assert "Server" not in answer.headers
