"""One home for each path: booking/paths.py. Routes are made from it and links are built from it, so no other
module writes a page's path."""

from __future__ import annotations

import ast
import re

import pytest

from booking import paths
from handlers.app import API_ROUTES, PROVIDER_ROUTES
from handlers.pages import ROUTES as PAGE_ROUTES
from handlers.public import ROUTES as CLIENT_ROUTES
from tests.test_layers import product_files

pytestmark = pytest.mark.unit

ALL = {name: value for name, value in vars(paths).items() if isinstance(value, paths.Path)}
# A page's path, as a literal would start: what only booking/paths.py may write.
PAGE_PATH = re.compile(r"/(m|u|invite|book|appointments|jobs|inbox|outbox|clients|staff|services|team|tokens|"
                       r"settings|setup|login|logout|account|sms)(/|\?|$)")  # fmt: skip


@pytest.mark.parametrize("name", sorted(ALL))
def test_a_paths_route_matches_the_paths_it_builds_and_gives_back_their_parts(name: str) -> None:
    path = ALL[name]
    parts = {
        part: f"part-{n}"
        for n, (_, part, _, _) in enumerate(__import__("string").Formatter().parse(path.template))
        if part
    }
    built = path(**parts)
    match = re.fullmatch(path.route(), built)
    assert match and list(match.groups()) == list(parts.values()), (path.template, built)


def test_every_page_route_is_made_from_its_path() -> None:
    routes = {pattern for pattern, *_ in [*PAGE_ROUTES, *CLIENT_ROUTES, *PROVIDER_ROUTES] if isinstance(pattern, str)}
    made = {path.route() for path in ALL.values()} | {path.route(token="[A-Za-z0-9_-]+") for path in ALL.values()}
    by_hand = {
        route
        for route in routes - made
        if not route.startswith(tuple(p() for p in (paths.CLIENTS, paths.STAFF, paths.SERVICES)))
    }
    assert by_hand == {r"/(.*)"}, f"routes written by hand: {sorted(by_hand)}"
    assert all(pattern.startswith(("/api/", "/healthz", "/metrics")) for pattern, _ in API_ROUTES)


def _strings(tree: ast.AST) -> list[tuple[int, str]]:
    """Every string the code writes, an f-string by its beginning."""
    parts = {id(value) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for value in node.values}
    found = [(node.lineno, node.value) for node in ast.walk(tree)
             if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in parts]  # fmt: skip
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
            found.append((node.lineno, str(node.values[0].value)))
    return found


def test_no_module_but_paths_writes_a_pages_path() -> None:
    """The API's paths live in its route table and its OpenAPI document (tests/test_api_openapi.py ties them)."""
    written = []
    for files in product_files().values():
        for file in files:
            if file.relative_to(file.parents[1]).as_posix() in ("booking/paths.py", "handlers/openapi.py"):
                continue
            for line, text in _strings(ast.parse(file.read_text())):
                if PAGE_PATH.match(text):
                    written.append(f"{file.name}:{line}: {text!r}")
    assert not written, "paths written outside booking/paths.py:\n" + "\n".join(written)
