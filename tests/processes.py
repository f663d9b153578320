"""A real ``python server.py`` for the tests that need the whole process: started, asked, stopped."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import ROOT

SERVER = str(ROOT / "server.py")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env() -> dict[str, str]:
    """The environment without any Salonbook option, as on a newcomer's machine."""
    return {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEST_DATABASE_URL", "PORT")}


def wait_for_health(port: int, process: subprocess.Popen, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"server exited early with {process.returncode}"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                return json.loads(response.read())
        except OSError:
            time.sleep(0.2)
    raise AssertionError("the server did not answer /healthz in time")


@dataclass
class Served:
    port: int
    health: dict
    output: str = ""
    returncode: int | None = None


@contextlib.contextmanager
def serving(*options: str, cwd: Path = ROOT) -> Iterator[Served]:
    """Runs `python server.py` until /healthz answers, yields, then stops it with SIGTERM.

    Its output goes to a file, not a pipe: a busy server would fill a pipe nobody reads and stall.
    """
    port = free_port()
    with tempfile.TemporaryFile("w+") as output:
        process = subprocess.Popen(
            [sys.executable, SERVER, f"--port={port}", *options],
            cwd=cwd,
            env=clean_env(),
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            served = Served(port, wait_for_health(port, process))
            yield served
            process.send_signal(signal.SIGTERM)
            served.returncode = process.wait(timeout=60)
            output.seek(0)
            served.output = output.read()
        finally:
            if process.poll() is None:
                process.kill()
