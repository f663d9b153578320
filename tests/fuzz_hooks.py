"""Schemathesis hooks for tests/test_fuzz.py (loaded through SCHEMATHESIS_HOOKS): the public booking API is
fuzzed at the test salon's own address, so requests reach its code instead of a 404 for a made-up salon."""

from __future__ import annotations

import os
from typing import Any

import schemathesis


@schemathesis.hook
def map_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> dict[str, Any] | None:
    if path_parameters and "slug" in path_parameters:
        path_parameters["slug"] = os.environ["SALONBOOK_FUZZ_SLUG"]
    return path_parameters
