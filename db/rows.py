"""Rows become typed objects in one reader per table: ``read_client = reader(Client)``, then ``read_client(row)``.

A reader takes a row whose columns are fields of the dataclass (those it lacks keep their defaults) and
makes each value what its field says: a state named by a ``StrEnum`` becomes that enum (an unknown value is
an error, not a string passed along), and an array becomes a tuple. A column the dataclass has no field for
is an error too, so a statement and its reader cannot drift apart unnoticed.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar

from db.database import Row

T = TypeVar("T")
Convert = Callable[[Any], Any]


def _enum(kind: type[enum.Enum]) -> Convert:
    return lambda value: None if value is None else kind(value)


def _tuple(each: Convert | None) -> Convert:
    if each is None:
        return lambda value: None if value is None else tuple(value)
    return lambda value: None if value is None else tuple(each(item) for item in value)


def _converter(hint: Any) -> Convert | None:
    """How a column's value becomes its field's type: an enum by its value, a tuple from a list; None: as it is."""
    options = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,)
    for option in options:
        if isinstance(option, type) and issubclass(option, enum.Enum):
            return _enum(option)
        if typing.get_origin(option) is tuple:
            items = typing.get_args(option)
            return _tuple(_converter(items[0]) if items else None)
    return None


def reader(cls: type[T]) -> Callable[[Row], T]:
    """The typed reader of rows into ``cls``, a dataclass; its conversions are worked out once, here."""
    hints = typing.get_type_hints(cls)
    names = {field.name for field in dataclasses.fields(cls)}  # type: ignore[arg-type]
    converts = {name: convert for name in names if (convert := _converter(hints[name])) is not None}

    def read(row: Row) -> T:
        unknown = row.keys() - names
        if unknown:
            raise TypeError(f"{cls.__name__} has no field for the column(s) {sorted(unknown)}")
        values = {name: converts[name](value) if name in converts else value for name, value in row.items()}
        return cls(**values)

    read.__name__ = f"read_{cls.__name__}"
    return read
