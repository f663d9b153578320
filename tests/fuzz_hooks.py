"""Schemathesis hooks for tests/test_fuzz.py (loaded through SCHEMATHESIS_HOOKS): most requests to the public
booking API go to the test salon's own address, so they reach its code instead of a 404 for a made-up salon;
one in four keeps the slug schemathesis made up, so the path parameter itself is fuzzed too."""

from __future__ import annotations

import os
import zlib
from typing import Any

import schemathesis


@schemathesis.hook
def map_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> dict[str, Any] | None:
    if path_parameters and "slug" in path_parameters:
        made_up = str(path_parameters["slug"]).encode("utf-8", "surrogatepass")
        if zlib.crc32(made_up) % 4:
            path_parameters["slug"] = os.environ["SALONBOOK_FUZZ_SLUG"]
    return path_parameters
