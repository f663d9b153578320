"""What the browser tests share (a plugin of conftest): Debian's chromium, and a real `python server.py` on
the test module's database (fixture ``server``)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.processes import free_port
from tests.tools import missing

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = ROOT / "docs" / "screenshots"
ZONE = "Europe/London"
WAIT_MS = 30_000


def need_chromium() -> None:
    if Path(CHROMIUM).exists():
        return
    missing(f"chromium not found at {CHROMIUM}: install it with `apt-get install chromium` (or set CHROMIUM=path)")


def _wait_until_up(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"server.py exited early:\n{process.stdout.read() if process.stdout else ''}"
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2):  # noqa: S310 - our own loopback server
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("server.py did not answer /healthz in time")


@pytest.fixture(scope="module")
def server_options() -> tuple[str, ...]:
    """More options for the module's ``server.py`` (a module overrides this fixture: e.g. where Stripe is)."""
    return ()


@pytest.fixture(scope="module")
def server(
    database_url: str, tmp_path_factory: pytest.TempPathFactory, server_options: tuple[str, ...]
) -> Iterator[str]:
    """`python server.py` on a free port, on this module's (empty) database, with the built-in mail catcher."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SMTP_HOST", "PORT", "COOKIE_SECRET")}
    log_path = tmp_path_factory.mktemp("server") / "server.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "server.py"),
                f"--port={port}",
                f"--database_url={database_url}",
                "--poll_interval=1",
                *server_options,
            ],
            cwd=tmp_path_factory.mktemp("cwd"),
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(url, process)
            yield url
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
    output = log_path.read_text()
    assert "Traceback" not in output, output


@pytest.fixture(scope="module")
def browser(request: pytest.FixtureRequest, salon: Any) -> Iterator[Any]:
    """One chromium for the module (each test gets a fresh context), against ``server`` with the module's own
    ``salon`` fixture seeded first."""
    need_chromium()
    request.getfixturevalue("server")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def new_tab(browser: Any, server: str) -> Iterator[Any]:
    """``new_tab(width, height, log_in_as=(email, password), has_touch=False)``: a tab with cookies of its own on
    ``server``, logged in if asked, with a touch screen if asked; closed after the test."""
    contexts = []

    def make(
        width: int = 768, height: int = 1024, *, log_in_as: tuple[str, str] | None = None, has_touch: bool = False
    ) -> Any:
        viewport = {"width": width, "height": height}
        context = browser.new_context(
            base_url=server, viewport=viewport, locale="en-GB", timezone_id=ZONE, has_touch=has_touch
        )
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        page = context.new_page()
        if log_in_as:
            log_in(page, *log_in_as)
        return page

    yield make
    for context in contexts:
        context.close()


def log_in(page: Any, email: str, password: str) -> None:
    """Logs a tab in through the login page, as a person would."""
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("/")
