"""JSON/path/query → protobuf request, and protobuf response → JSON, by the proto3 JSON
mapping. Every failure names the field (JSON name, dotted) that caused it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from google.api import field_behavior_pb2
from google.protobuf import descriptor, json_format
from google.protobuf.message import Message

from gateway.http_rules import HttpRoute
from servicekit.errors import DomainError, FieldViolation, invalid_argument

_F = descriptor.FieldDescriptor
_INTEGERS = {
    _F.TYPE_INT32, _F.TYPE_INT64, _F.TYPE_UINT32, _F.TYPE_UINT64, _F.TYPE_SINT32,
    _F.TYPE_SINT64, _F.TYPE_FIXED32, _F.TYPE_FIXED64, _F.TYPE_SFIXED32, _F.TYPE_SFIXED64,
}  # fmt: skip
_FLOATS = {_F.TYPE_FLOAT, _F.TYPE_DOUBLE}
_UNKNOWN_FIELD = re.compile(r'has no field named "([^"]+)" at "([^"]+)"')
_FAILED_FIELD = re.compile(r"Failed to parse (\S+) field")


# protobuf types its upb (C) and pure-Python descriptors apart; both behave the same here.
AnyDescriptor = Any


def bad_request(field: str, description: str) -> DomainError:
    return invalid_argument("INVALID_REQUEST", [FieldViolation(field, description)])


def build_request(
    route: HttpRoute,
    message_class: type[Message],
    *,
    path_params: Mapping[str, str],
    query: Iterable[tuple[str, str]],
    body: bytes,
) -> Message:
    request = message_class()
    bound, given = _merge_body(request, route.body, body)
    for variable in route.variables:
        _set_scalar(request, variable.field_path, [path_params[variable.param]])
        bound.add(variable.field_path)
    if route.body != "*":
        _merge_query(request, query, bound)
    _imply_update_mask(request, route, given, {v.field_path for v in route.variables})
    return request


UPDATE_MASK = "update_mask"


def _imply_update_mask(
    request: Message, route: HttpRoute, given: list[str], path_bound: set[str]
) -> None:
    """AIP-134: a PATCH without `updateMask` changes the fields present in its body, and
    nothing else. Output-only fields and the resource's name from the path are left out."""
    mask_field: AnyDescriptor = request.DESCRIPTOR.fields_by_name.get(UPDATE_MASK)
    if (
        route.http_method != "PATCH"
        or route.body in ("", "*")
        or mask_field is None
        or mask_field.message_type.full_name != "google.protobuf.FieldMask"
        or getattr(request, UPDATE_MASK).paths
    ):
        return
    resource: AnyDescriptor = request.DESCRIPTOR.fields_by_name[route.body].message_type
    paths = []
    for key in given:
        field = resource.fields_by_name.get(key) or next(
            f for f in resource.fields if f.json_name == key
        )
        if _output_only(field) or f"{route.body}.{field.name}" in path_bound:
            continue
        paths.append(field.name)
    if not paths:
        raise bad_request(
            "updateMask", "is required when the body names no field to change (or give '*')"
        )
    getattr(request, UPDATE_MASK).paths.extend(paths)


def _output_only(field: AnyDescriptor) -> bool:
    behaviors = field.GetOptions().Extensions[field_behavior_pb2.field_behavior]
    return field_behavior_pb2.OUTPUT_ONLY in behaviors


def _merge_body(request: Message, body_field: str, raw: bytes) -> tuple[set[str], list[str]]:
    """Merges the body into the request; the bound field paths and the body's keys."""
    if not body_field:
        return set(), []
    document = _json_document(raw)
    target = request if body_field == "*" else getattr(request, body_field)
    prefix = "" if body_field == "*" else request.DESCRIPTOR.fields_by_name[body_field].json_name
    if not isinstance(document, dict):
        raise bad_request(prefix or "body", "must be a JSON object")
    _refuse_nulls(document, target.DESCRIPTOR, prefix)
    try:
        json_format.ParseDict(document, target, ignore_unknown_fields=False)
    except json_format.ParseError as error:
        field = _field_of(str(error))
        path = ".".join(p for p in (prefix, field) if p) or "body"
        raise bad_request(path, _describe(str(error))) from None
    return ({body_field} if body_field != "*" else set()), list(document)


MAX_JSON_DEPTH = 32


def _json_document(raw: bytes) -> Any:
    if not raw.strip():
        return {}
    try:
        document = json.loads(raw, parse_constant=_not_json)
    except RecursionError:
        raise bad_request("body", f"nests deeper than {MAX_JSON_DEPTH} levels") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise bad_request("body", f"is not valid JSON: {error}") from None
    if _depth(document) > MAX_JSON_DEPTH:
        raise bad_request("body", f"nests deeper than {MAX_JSON_DEPTH} levels")
    return document


# Types whose JSON form may be null (proto3 JSON reads null as "unset" for every field, but
# the documented schemas allow it only here).
_NULLABLE = {"google.protobuf.Value", "google.protobuf.NullValue"} | {
    f"google.protobuf.{w}"
    for w in ("StringValue", "BoolValue", "Int32Value", "UInt32Value", "Int64Value",
              "UInt64Value", "DoubleValue", "FloatValue")
}  # fmt: skip


def _refuse_nulls(document: dict[str, Any], message: AnyDescriptor, prefix: str) -> None:
    """400 naming the first field given as JSON null where its schema has no null."""
    for key, value in document.items():
        field = message.fields_by_name.get(key) or next(
            (f for f in message.fields if f.json_name == key), None
        )
        if field is None:
            continue  # the parser names unknown fields
        path = ".".join(p for p in (prefix, field.json_name) if p)
        nested = field.message_type
        if value is None:
            if nested is None or nested.full_name not in _NULLABLE:
                raise bad_request(path, "must not be null")
            continue
        if nested is None or nested.full_name.startswith("google.protobuf."):
            if field.enum_type is not None and field.enum_type.full_name == (
                "google.protobuf.NullValue"
            ):
                continue
            if field.is_repeated and isinstance(value, list) and None in value:
                raise bad_request(path, "must not hold null")
            continue
        if nested.GetOptions().map_entry:
            inner = nested.fields_by_name["value"]
            if (
                isinstance(value, dict)
                and None in value.values()
                and (inner.message_type is None or inner.message_type.full_name not in _NULLABLE)
            ):
                raise bad_request(path, "must not hold null")
            continue
        items = value if field.is_repeated and isinstance(value, list) else [value]
        for item in items:
            if item is None:
                raise bad_request(path, "must not hold null")
            if isinstance(item, dict):
                _refuse_nulls(item, nested, path)


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not a JSON number")


def _depth(document: Any) -> int:
    deepest, stack = 0, [(document, 1)]
    while stack:
        value, level = stack.pop()
        deepest = max(deepest, level)
        if isinstance(value, dict):
            stack.extend((item, level + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, level + 1) for item in value)
    return deepest


def _merge_query(request: Message, query: Iterable[tuple[str, str]], bound: set[str]) -> None:
    grouped: dict[str, list[str]] = {}
    for key, value in query:
        grouped.setdefault(key, []).append(value)
    for key, values in grouped.items():
        path = _proto_path(request.DESCRIPTOR, key)
        if path is None:
            raise bad_request(key, "is not a parameter of this request")
        if any(path == b or path.startswith(b + ".") for b in bound):
            raise bad_request(key, "is already given by the path or body")
        _set_scalar(request, path, values, display=key)


def _proto_path(message: AnyDescriptor, dotted: str) -> str | None:
    names = []
    for part in dotted.split("."):
        if message is None:
            return None
        field = message.fields_by_name.get(part) or next(
            (f for f in message.fields if f.json_name == part), None
        )
        if field is None:
            return None
        names.append(field.name)
        message = field.message_type
    return ".".join(names)


def _set_scalar(request: Message, path: str, values: list[str], display: str = "") -> None:
    display = display or path
    *parents, leaf = path.split(".")
    target = request
    for name in parents:
        target = getattr(target, name)
    field = target.DESCRIPTOR.fields_by_name[leaf]
    if field.message_type is not None and not _is_wrapper_like(field):
        raise bad_request(display, "cannot be given as a query or path parameter")
    if not field.is_repeated and len(values) > 1:
        raise bad_request(display, "is given more than once")
    converted = [_scalar_json(field, v, display) for v in values]
    container: dict[str, Any] = {
        field.json_name: converted if _is_repeated(field) else converted[0]
    }
    try:
        json_format.ParseDict(container, target, ignore_unknown_fields=False)
    except json_format.ParseError as error:
        raise bad_request(display, _describe(str(error))) from None


def _is_repeated(field: AnyDescriptor) -> bool:
    return bool(field.is_repeated)


def _is_wrapper_like(field: AnyDescriptor) -> bool:
    # Well-known types whose JSON form is a string or number: allowed in query strings.
    return field.message_type.full_name.startswith("google.protobuf.") and (
        field.message_type.name
        in {"Timestamp", "Duration", "FieldMask", "StringValue", "Int32Value", "Int64Value",
            "UInt32Value", "UInt64Value", "BoolValue", "DoubleValue", "FloatValue"}
    )  # fmt: skip


def _scalar_json(field: AnyDescriptor, value: str, display: str) -> Any:
    try:
        if field.type == _F.TYPE_BOOL:
            if value.lower() not in ("true", "false", "1", "0"):
                raise ValueError("expected true or false")
            return value.lower() in ("true", "1")
        if field.type in _INTEGERS:
            return int(value)
        if field.type in _FLOATS:
            return float(value)
        if field.enum_type is not None and value not in field.enum_type.values_by_name:
            raise ValueError(f"expected one of {', '.join(field.enum_type.values_by_name)}")
    except ValueError as error:
        raise bad_request(display, f"has a wrong type: {error}") from None
    return value


def _field_of(message: str) -> str:
    unknown = _UNKNOWN_FIELD.search(message)
    if unknown:
        location = unknown.group(2).split(".")[1:]
        return ".".join([*location, unknown.group(1)])
    return ".".join(_FAILED_FIELD.findall(message))


def _describe(message: str) -> str:
    first_line = message.splitlines()[0]
    if _UNKNOWN_FIELD.search(first_line):
        return "is not a known field"
    return first_line.rsplit("field: ", 1)[-1].rstrip(".") or first_line


def render_response(route: HttpRoute, response: Message) -> Any:
    target = getattr(response, route.response_body) if route.response_body else response
    return json_format.MessageToDict(
        target,
        preserving_proto_field_name=False,
        always_print_fields_with_no_presence=True,
    )
