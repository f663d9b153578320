"""What every JSON endpoint shares: bearer-token auth, camelCase JSON in and out, JSON errors.

Handlers ask for fields by the domain's names (``first_name``); the JSON
names (``firstName``) are made here and in ``handlers.base.outside_name``
only, on the way in, on the way out, and in errors.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, overload
from urllib.parse import urlencode

from booking import access, fields
from booking.api_tokens import Bearer
from booking.errors import FieldPath, Invalid
from booking.models import Role, Salon
from booking.paging import Page
from handlers.base import BaseHandler, Refused, camel

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

MAX_LIMIT, DEFAULT_LIMIT = 500, 100  # items on one page of a list


_AS_IT_IS = {str, int, float, bool, type(None)}  # JSON already: a dataclass's fields skip the call for them


@functools.cache
def _json_names(kind: type[DataclassInstance]) -> tuple[tuple[str, str], ...]:
    """A dataclass's fields, each with the name JSON gives it."""
    return tuple((f.name, camel(f.name)) for f in dataclasses.fields(kind))


def to_json(value: Any, zone: dt.tzinfo) -> Any:
    """Plain JSON for dataclasses, lists, times and ids; instants in the salon's offset.

    Exports pass every row through here, so the commonest values are looked at first and a dataclass's
    JSON names are worked out once per class.
    """
    if value is None or isinstance(value, str | int | float):  # bool is an int
        return value
    if isinstance(value, dt.datetime):
        return value.astimezone(zone).isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = ((name, getattr(value, field)) for field, name in _json_names(type(value)))
        return {name: v if type(v) in _AS_IT_IS else to_json(v, zone) for name, v in fields}
    if isinstance(value, list | tuple):
        return [to_json(item, zone) for item in value]
    if isinstance(value, dict):
        return {camel(str(k)): v if type(v) in _AS_IT_IS else to_json(v, zone) for k, v in value.items()}
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, dt.date | uuid.UUID):
        return str(value)
    return value


class Body:
    """A JSON object from the request, read field by field; a bad field is a 400 naming it."""

    def __init__(self, data: dict[str, Any], path: FieldPath = ()) -> None:
        self.data = data
        self.path = path

    def _get(self, name: str, kind: type, must: str, required: bool) -> Any:
        """The field ``name`` if it is a ``kind``; ``must``: the whole sentence that says what it must be."""
        value = self.data.get(camel(name))
        if value is None:
            if required:
                raise Invalid("{field} is required", (*self.path, name))
            return None
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise Invalid(must, (*self.path, name))
        return value

    @overload
    def text(self, name: str, required: Literal[True]) -> str: ...
    @overload
    def text(self, name: str, required: bool = False) -> str | None: ...
    def text(self, name: str, required: bool = False) -> str | None:
        value: str | None = self._get(name, str, "{field} must be a string", required)
        return value

    @overload
    def integer(self, name: str, required: Literal[True]) -> int: ...
    @overload
    def integer(self, name: str, required: bool = False) -> int | None: ...
    def integer(self, name: str, required: bool = False) -> int | None:
        value: int | None = self._get(name, int, "{field} must be an integer", required)
        return value

    def boolean(self, name: str) -> bool | None:
        value: bool | None = self._get(name, bool, "{field} must be true or false", False)
        return value

    @overload
    def id(self, name: str, required: Literal[True]) -> uuid.UUID: ...
    @overload
    def id(self, name: str, required: bool = False) -> uuid.UUID | None: ...
    def id(self, name: str, required: bool = False) -> uuid.UUID | None:
        value = self.text(name, required)
        return None if value is None else fields.identifier(value, name)

    @overload
    def instant(self, name: str, required: Literal[True]) -> dt.datetime: ...
    @overload
    def instant(self, name: str, required: bool = False) -> dt.datetime | None: ...
    def instant(self, name: str, required: bool = False) -> dt.datetime | None:
        value = self.text(name, required)
        return None if value is None else fields.instant(value, name)

    def clock(self, name: str) -> dt.time:
        return fields.clock(self.text(name, required=True), (*self.path, name))

    def texts(self, name: str) -> list[str] | None:
        """A list of strings, or None when not given."""
        items: list[Any] | None = self._get(name, list, "{field} must be a list of strings", False)
        if items is not None and not all(isinstance(item, str) for item in items):
            raise Invalid("{field} must be a list of strings", (*self.path, name))
        return items

    def given(self, name: str) -> bool:
        """Whether the field is in the body at all (a PATCH leaves the others as they are)."""
        return camel(name) in self.data

    def object(self, name: str) -> Body | None:
        value = self._get(name, dict, "{field} must be an object", False)
        return None if value is None else Body(value, (*self.path, name))

    def objects(self, name: str) -> list[Body]:
        items = self._get(name, list, "{field} must be a list", False) or []
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                raise Invalid("{field} must be an object", (name, index))
        return [Body(item, (name, index)) for index, item in enumerate(items)]


class JsonHandler(BaseHandler):
    """A JSON endpoint of one salon: JSON bodies and query parameters in, JSON out in the salon's offset."""

    salon: Salon

    def check_xsrf_cookie(self) -> None:
        """No XSRF check: a bearer token is not sent by a browser on its own, and the public booking API
        asks for nothing a stranger could not type into the salon's booking page."""

    async def prepare(self) -> None:
        await super().prepare()
        if "" in self.request.query_arguments:  # "?=0": a parameter with no name is no request the document allows
            raise Invalid("a query parameter has no name")

    def body(self) -> Body:
        try:
            data = json.loads(self.request.body or b"null")
        except (ValueError, UnicodeDecodeError):
            raise Invalid("the body is not valid JSON") from None
        except RecursionError:
            raise Invalid("the body's JSON is nested too deeply") from None
        if not isinstance(data, dict):
            raise Invalid("the body must be a JSON object")
        return Body(data)

    def query(self, name: str) -> str | None:
        """A query parameter by its domain name, None when it is not there. Given blank it is blank, which an id,
        a day, a number or a filter is not (a 400 naming it, as the document says): only leaving it out means
        "any"; a search may be blank."""
        value = self.get_query_argument(camel(name), None)
        return None if value is None else value.strip()

    def query_id(self, name: str) -> uuid.UUID | None:
        value = self.query(name)
        return None if value is None else fields.identifier(value, name)

    def query_date(self, name: str) -> dt.date | None:
        value = self.query(name)
        return None if value is None else fields.date(value, name)

    def path_id(self, value: str, name: str) -> uuid.UUID:
        """An id from the URL; a malformed one is a 400 naming it, like any other bad field."""
        return fields.identifier(value, name)

    def write_json(self, value: Any, status: int = 200) -> None:
        self.send_json(to_json(value, self.salon.zone), status)


class ApiHandler(JsonHandler):
    """A JSON endpoint of one salon, chosen by the bearer token, for the roles it admits (booking.access)."""

    roles: frozenset[Role] = access.DESK
    bearer: Bearer

    async def prepare(self) -> None:
        await super().prepare()
        scheme, _, token = self.request.headers.get("Authorization", "").partition(" ")
        tokens = self.application.tokens
        bearer = await tokens.bearer(self.db, token.strip()) if scheme.lower() == "bearer" else None
        if bearer is None:
            raise Refused(
                401,
                "a valid API token is required: Authorization: Bearer <token>",
                {"WWW-Authenticate": 'Bearer realm="salonbook"'},
            )
        self.salon, self.bearer = bearer.salon, bearer
        key = hashlib.sha256(token.strip().encode()).digest()
        await self.within_rate(self.application.api_limits, key, "for this API token")
        access.admit(bearer, self.roles)

    def page(self) -> tuple[int, uuid.UUID | None]:
        """The page a list request asks for: ``limit`` items (1 to 500, 100 if not said) after the item ``after``."""
        asked = self.query("limit")
        limit = fields.whole_number(str(DEFAULT_LIMIT) if asked is None else asked, "limit", 1, MAX_LIMIT)
        return limit, self.query_id("after")

    def write_page(self, items: Sequence[Any], limit: int) -> None:
        """Answers with up to ``limit`` items; one more in ``items`` means a next page, linked (RFC 8288)."""
        self.write_paged(Page(items[:limit], items[limit - 1].id if len(items) > limit else None))

    def write_paged(self, page: Page[Any, Any]) -> None:
        """Answers with a page's items, and the next page's link (RFC 8288) when there is one."""
        if page.next is not None:
            asked = {name: self.get_query_argument(name) for name in self.request.query_arguments}
            following = urlencode(asked | {"after": str(page.next)})
            self.set_header("Link", f'<{self.request.path}?{following}>; rel="next"')
        self.write_json(list(page.rows))
