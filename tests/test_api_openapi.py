"""The OpenAPI document names every JSON endpoint the application routes, and nothing it does not route."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import jsonschema_rs
import pytest

from booking import fields
from booking.errors import Invalid
from handlers.app import API_ROUTES
from handlers.openapi import document

NOT_DOCUMENTED = {"/api/v1/openapi.json", "/api/public/(.*)", "/api/(.*)", "/healthz", "/metrics"}


def test_every_json_route_is_in_the_document() -> None:
    routed = {pattern.replace("\\", "") for pattern, *_ in API_ROUTES} - NOT_DOCUMENTED
    described = {re.sub(r"\{\w+\}", "([^/]+)", path) for path in document()["paths"]}
    assert described == routed
    public = [path for path in document()["paths"] if path.startswith("/api/public/")]
    assert len(public) == 6 and all(
        operation["security"] == [] for path in public for operation in document()["paths"][path].values()
    ), "the online booking API needs no token"


# --- one truth: what the document allows is what the server reads ---------------------------------------------


def _allows(schema: dict, value: object) -> bool:
    return jsonschema_rs.validator_for(schema, validate_formats=True).is_valid(value)


def _reads(reader: Callable[[str], object], value: str) -> bool:
    try:
        reader(value)
    except Invalid:
        return False
    return True


@pytest.mark.parametrize(
    ("schema", "reader", "values"),
    [
        (fields.DATE, lambda v: fields.date(v, "date"),
         ["2030-05-01", "1900-01-01", "2199-12-31", "1899-12-31", "2200-01-01", "0001-01-01", "9999-12-31",
          "", "20300501", "2030-W18-3", "2030-05-01T10:00:00"]),
        (fields.INSTANT, lambda v: fields.instant(v, "start_time"),
         ["2030-05-01T10:00:00+01:00", "2199-12-31T23:00:00-05:00", "1899-12-31T23:00:00Z",
          "2200-01-01T00:00:00+00:00", "", "2030-05-01T10:00:00", "2030-05-01T10:00+01:00",
          "2030-05-01 10:00:00.5Z", "2030-05-01T10+01:00", "20300501T100000+0100", "2030-05-01T10:00:00+01"]),
        (fields.REQUIRED_TEXT, lambda v: fields.text(v, "first_name"), ["Ann", "", " ", "\t", "a" * 200, "a" * 201]),
        (fields.CLOCK, lambda v: fields.clock(v, "start"), ["09:30", "9:30", "23:59", "24:00", "09:60", "٠٩:٣٠", ""]),
        (fields.PHONE, lambda v: fields.phone(v, "phone", "GB"),
         ["+44 1225 123456", "01225 123456", "(01225) 123-456", "call us", "phone me", "++44", "+", "x1225123456"]),
        (fields.ID, lambda v: fields.identifier(v, "staff_id"), [str(uuid.UUID(int=7)), "", "7", "not-an-id"]),
    ],
)  # fmt: skip
def test_a_field_is_allowed_by_the_document_exactly_when_the_server_reads_it(schema, reader, values) -> None:
    """Each of these values is read by the server exactly when the document allows it. What a schema cannot say
    stays in the field's description and is a 400: a day that does not exist (2030-02-30) in a date-time, a number
    no country has."""
    for value in values:
        assert _allows(schema, value) == _reads(reader, value), f"{value!r}: document and server disagree"


def test_requests_are_described_with_the_readers_schemas() -> None:
    schemas = document()["components"]["schemas"]
    assert schemas["BookingInput"]["properties"]["startTime"]["pattern"] == fields.INSTANT["pattern"]
    for name in ("StaffInput", "ClientInput", "HoldInput"):
        assert not _allows(schemas[name]["properties"]["firstName"], " "), f"{name}: a blank name"
    assert not _allows(schemas["ClientInput"]["properties"]["phone"], "call us")
    assert _allows(schemas["ClientInput"]["properties"]["phone"], ""), "blank: no phone, as the server reads it"
    assert "in the past is refused" in schemas["BookingInput"]["properties"]["startTime"]["description"]
    query = {p["name"]: p["schema"] for p in document()["paths"]["/api/public/{slug}/slots"]["get"]["parameters"]}
    assert not _allows(query["date"], "2200-01-01") and not _allows(query["staffId"], "")
