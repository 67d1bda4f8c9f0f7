"""Checks every request gets before any servicer sees it, whatever the service: values that no
database or clock can hold are refused as INVALID_ARGUMENT naming the field, instead of failing
deep inside as an internal error.

- text with a NUL character (PostgreSQL text cannot store it), in fields and map keys;
- timestamps outside 0001-01-01 … 9999-12-31 (Python's datetime cannot hold them);
- numbers that are not finite (NaN, ±Infinity), in plain fields and in Struct values.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from google.protobuf import descriptor
from google.protobuf.message import Message

from servicekit.errors import FieldViolation, invalid_argument

MIN_SECONDS = -62_135_596_800  # 0001-01-01T00:00:00Z
MAX_SECONDS = 253_402_300_799  # 9999-12-31T23:59:59Z
_F = descriptor.FieldDescriptor
_FLOATS = (_F.TYPE_DOUBLE, _F.TYPE_FLOAT)


def check_request(request: Message) -> None:
    """Raises INVALID_ARGUMENT listing every unstorable value of the request."""
    violations = list(_violations(request, ""))
    if violations:
        raise invalid_argument("REQUEST_VALUE_INVALID", violations)


def _violations(message: Message, prefix: str) -> Iterator[FieldViolation]:
    full_name = message.DESCRIPTOR.full_name
    if full_name in _JSON_VALUES:  # named as in their JSON form, not their fields
        yield from _JSON_VALUES[full_name](message, prefix)
        return
    if full_name == "google.protobuf.Timestamp":
        seconds = getattr(message, "seconds", 0)
        if not MIN_SECONDS <= seconds <= MAX_SECONDS:
            yield FieldViolation(prefix, "must be between 0001-01-01 and 9999-12-31")
        return
    for field, value in message.ListFields():
        yield from _field_violations(
            field, value, f"{prefix}.{field.name}" if prefix else field.name
        )


def _field_violations(field: Any, value: Any, path: str) -> Iterator[FieldViolation]:
    if _is_map(field):
        value_field = field.message_type.fields_by_name["value"]
        for key, item in value.items():
            if isinstance(key, str) and "\x00" in key:
                yield FieldViolation(path, "keys must not contain NUL characters")
            yield from _single(value_field, item, f"{path}.{key}")
        return
    items = value if field.is_repeated else [value]
    for index, item in enumerate(items):
        yield from _single(field, item, f"{path}[{index}]" if field.is_repeated else path)


def _single(field: Any, value: Any, path: str) -> Iterator[FieldViolation]:
    if field.type == _F.TYPE_STRING and "\x00" in value:
        yield FieldViolation(path, "must not contain NUL characters")
    elif field.type in _FLOATS and not math.isfinite(value):
        yield FieldViolation(path, "must be a finite number")
    elif field.type == _F.TYPE_MESSAGE:
        yield from _violations(value, path)


def _is_map(field: Any) -> bool:
    options = field.message_type.GetOptions() if field.message_type else None
    return bool(field.is_repeated and options is not None and options.map_entry)


def _struct(message: Any, prefix: str) -> Iterator[FieldViolation]:
    for key, value in message.fields.items():
        if "\x00" in key:
            yield FieldViolation(prefix, "keys must not contain NUL characters")
        yield from _value(value, f"{prefix}.{key}")


def _value(message: Any, prefix: str) -> Iterator[FieldViolation]:
    kind = message.WhichOneof("kind")
    if kind == "number_value" and not math.isfinite(message.number_value):
        yield FieldViolation(prefix, "must be a finite number")
    elif kind == "string_value" and "\x00" in message.string_value:
        yield FieldViolation(prefix, "must not contain NUL characters")
    elif kind == "struct_value":
        yield from _struct(message.struct_value, prefix)
    elif kind == "list_value":
        yield from _list(message.list_value, prefix)


def _list(message: Any, prefix: str) -> Iterator[FieldViolation]:
    for index, item in enumerate(message.values):
        yield from _value(item, f"{prefix}[{index}]")


_JSON_VALUES = {
    "google.protobuf.Struct": _struct,
    "google.protobuf.Value": _value,
    "google.protobuf.ListValue": _list,
}
