"""The OpenAPI document names every JSON endpoint the application routes, and nothing it does not route."""

from __future__ import annotations

import re

from handlers.app import API_ROUTES
from handlers.openapi import document

NOT_DOCUMENTED = {"/api/v1/openapi.json", "/api/public/(.*)", "/api/(.*)", "/healthz", "/metrics"}


def test_every_json_route_is_in_the_document() -> None:
    routed = {pattern.replace("\\", "") for pattern, *_ in API_ROUTES} - NOT_DOCUMENTED
    described = {re.sub(r"\{\w+\}", "([^/]+)", path) for path in document()["paths"]}
    assert described == routed
    public = [path for path in document()["paths"] if path.startswith("/api/public/")]
    assert len(public) == 4 and all(
        operation["security"] == [] for path in public for operation in document()["paths"][path].values()
    ), "the online booking API needs no token"
