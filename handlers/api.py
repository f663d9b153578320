"""What every JSON endpoint shares: bearer-token auth, camelCase JSON in and out, JSON errors."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from typing import Any

import tornado.web

from booking.errors import Invalid
from booking.models import Salon
from handlers.base import BaseHandler


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def to_json(value: Any, zone: dt.tzinfo) -> Any:
    """Plain JSON for dataclasses, lists, times and ids; instants in the salon's offset."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {camel(f.name): to_json(getattr(value, f.name), zone) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {camel(str(k)): to_json(v, zone) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(item, zone) for item in value]
    if isinstance(value, dt.datetime):
        return value.astimezone(zone).isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, dt.date | uuid.UUID):
        return str(value)
    return value


class Body:
    """A JSON object from the request, read field by field; a bad field is a 400 naming it."""

    def __init__(self, data: dict[str, Any], prefix: str = "") -> None:
        self.data = data
        self.prefix = prefix

    def _get(self, name: str, types: type | tuple[type, ...], kind: str, required: bool) -> Any:
        value = self.data.get(name)
        if value is None:
            if required:
                raise Invalid(f"{self.prefix}{name} is required", self.prefix + name)
            return None
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in _as_tuple(types)):
            raise Invalid(f"{self.prefix}{name} must be {kind}", self.prefix + name)
        return value

    def text(self, name: str, required: bool = False) -> str | None:
        return self._get(name, str, "a string", required)

    def integer(self, name: str, required: bool = False) -> int | None:
        return self._get(name, int, "an integer", required)

    def boolean(self, name: str, required: bool = False) -> bool | None:
        return self._get(name, bool, "true or false", required)

    def id(self, name: str, required: bool = False) -> uuid.UUID | None:
        value = self.text(name, required)
        return None if value is None else parse_uuid(value, self.prefix + name)

    def instant(self, name: str, required: bool = False) -> dt.datetime | None:
        value = self.text(name, required)
        return None if value is None else parse_instant(value, self.prefix + name)

    def objects(self, name: str) -> list[Body]:
        items = self._get(name, list, "a list", False) or []
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                raise Invalid(f"{name}[{index}] must be an object", f"{name}[{index}]")
        return [Body(item, f"{name}[{index}].") for index, item in enumerate(items)]


def _as_tuple(types: type | tuple[type, ...]) -> tuple[type, ...]:
    return types if isinstance(types, tuple) else (types,)


def parse_uuid(value: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise Invalid(f"{field} is not a valid id", field) from None


def parse_instant(value: str, field: str) -> dt.datetime:
    try:
        instant = dt.datetime.fromisoformat(value)
    except ValueError:
        raise Invalid(f"{field} must be an ISO 8601 time like 2030-05-01T10:00:00+01:00", field) from None
    if instant.tzinfo is None:
        raise Invalid(f"{field} needs a UTC offset, e.g. 2030-05-01T10:00:00+01:00", field)
    return instant


def parse_date(value: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise Invalid(f"{field} must be a date like 2030-05-01", field) from None


class ApiHandler(BaseHandler):
    """A JSON endpoint of one salon, chosen by the bearer token."""

    salon: Salon

    def check_xsrf_cookie(self) -> None:
        """Bearer tokens are not sent by browsers on their own, so no XSRF check."""

    async def prepare(self) -> None:
        super().prepare()
        scheme, _, token = self.request.headers.get("Authorization", "").partition(" ")
        salon = await self.application.tokens.salon_for(self.db, token.strip()) if scheme.lower() == "bearer" else None
        if salon is None:
            self.set_header("WWW-Authenticate", 'Bearer realm="salonbook"')
            raise tornado.web.HTTPError(401, "a valid API token is required: Authorization: Bearer <token>")
        self.salon = salon

    def body(self) -> Body:
        try:
            data = json.loads(self.request.body or b"null")
        except (ValueError, UnicodeDecodeError):
            raise Invalid("the body is not valid JSON") from None
        if not isinstance(data, dict):
            raise Invalid("the body must be a JSON object")
        return Body(data)

    def query(self, name: str) -> str | None:
        value = self.get_query_argument(name, None)
        return value.strip() or None if value is not None else None

    def write_json(self, value: Any, status: int = 200) -> None:
        self.send_json(to_json(value, self.salon.zone), status)
