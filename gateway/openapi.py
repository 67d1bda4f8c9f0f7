"""An OpenAPI 3.1 document built from the routes' message descriptors and proto comments,
following the proto3 JSON mapping."""

from __future__ import annotations

import re
from typing import Any

from google.api import field_behavior_pb2
from google.protobuf import descriptor
from google.rpc import status_pb2

from gateway.descriptors import comment_of
from gateway.http_rules import HttpRoute
from servicekit.rpc.names import is_public

_F = descriptor.FieldDescriptor
_SCALARS: dict[int, dict[str, Any]] = {
    _F.TYPE_DOUBLE: {"type": "number", "format": "double"},
    _F.TYPE_FLOAT: {"type": "number", "format": "float"},
    _F.TYPE_INT64: {"type": "string", "format": "int64"},
    _F.TYPE_UINT64: {"type": "string", "format": "uint64"},
    _F.TYPE_SINT64: {"type": "string", "format": "int64"},
    _F.TYPE_FIXED64: {"type": "string", "format": "uint64"},
    _F.TYPE_SFIXED64: {"type": "string", "format": "int64"},
    _F.TYPE_INT32: {"type": "integer", "format": "int32"},
    _F.TYPE_SINT32: {"type": "integer", "format": "int32"},
    _F.TYPE_SFIXED32: {"type": "integer", "format": "int32"},
    _F.TYPE_UINT32: {"type": "integer", "format": "int64", "minimum": 0},
    _F.TYPE_FIXED32: {"type": "integer", "format": "int64", "minimum": 0},
    _F.TYPE_BOOL: {"type": "boolean"},
    _F.TYPE_STRING: {"type": "string"},
    _F.TYPE_BYTES: {"type": "string", "format": "byte"},
}
_WELL_KNOWN: dict[str, dict[str, Any]] = {
    "google.protobuf.Timestamp": {"type": "string", "format": "date-time"},
    "google.protobuf.Duration": {"type": "string", "pattern": r"^-?\d+(\.\d+)?s$"},
    "google.protobuf.FieldMask": {"type": "string", "description": "comma-separated field paths"},
    "google.protobuf.Empty": {"type": "object"},
    "google.protobuf.Struct": {"type": "object", "additionalProperties": True},
    "google.protobuf.Value": {},
    "google.protobuf.ListValue": {"type": "array", "items": {}},
    "google.protobuf.Any": {
        "type": "object",
        "properties": {"@type": {"type": "string"}},
        "additionalProperties": True,
    },
    "google.protobuf.StringValue": {"type": ["string", "null"]},
    "google.protobuf.BoolValue": {"type": ["boolean", "null"]},
    "google.protobuf.Int32Value": {"type": ["integer", "null"]},
    "google.protobuf.UInt32Value": {"type": ["integer", "null"]},
    "google.protobuf.Int64Value": {"type": ["string", "null"]},
    "google.protobuf.UInt64Value": {"type": ["string", "null"]},
    "google.protobuf.DoubleValue": {"type": ["number", "null"]},
    "google.protobuf.FloatValue": {"type": ["number", "null"]},
}


class SchemaBook:
    """components.schemas, filled as messages and enums are referenced."""

    def __init__(self) -> None:
        self.schemas: dict[str, Any] = {}

    def ref(self, message: descriptor.Descriptor) -> dict[str, Any]:
        if message.full_name in _WELL_KNOWN:
            return dict(_WELL_KNOWN[message.full_name])
        if message.full_name not in self.schemas:
            self.schemas[message.full_name] = {}  # placeholder breaks recursion
            self.schemas[message.full_name] = self._message(message)
        return {"$ref": f"#/components/schemas/{message.full_name}"}

    def variant(
        self, message: descriptor.Descriptor, *, leave_out: set[str], partial: bool
    ) -> dict[str, Any]:
        """The message's schema as a request body: without the fields the path binds (JSON
        names in `leave_out`), and with nothing required for a partial update (AIP-134)."""
        reference = self.ref(message)
        if not leave_out and not partial:
            return reference
        schema = dict(self.schemas[message.full_name])
        schema["properties"] = {k: v for k, v in schema["properties"].items() if k not in leave_out}
        required = [] if partial else [r for r in schema.get("required", []) if r not in leave_out]
        schema.pop("required", None)
        if required:
            schema["required"] = required
        return schema

    def field(self, field: descriptor.FieldDescriptor) -> dict[str, Any]:
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            value = field.message_type.fields_by_name["value"]
            return {"type": "object", "additionalProperties": self._single(value)}
        single = self._single(field)
        if field.is_repeated:
            return {"type": "array", "items": single}
        return single

    def _single(self, field: descriptor.FieldDescriptor) -> dict[str, Any]:
        if field.message_type is not None:
            return self.ref(field.message_type)
        if field.enum_type is not None:
            return {"type": "string", "enum": [v.name for v in field.enum_type.values]}
        return dict(_SCALARS[field.type])

    def _message(self, message: descriptor.Descriptor) -> dict[str, Any]:
        properties = {}
        required = []
        for field in message.fields:
            schema = self.field(field)
            behaviours = _behaviours(field)
            if doc := comment_of(field):
                schema = {**schema, "description": doc} if "$ref" not in schema else schema
            if field_behavior_pb2.OUTPUT_ONLY in behaviours:
                schema = {**schema, "readOnly": True}
            if field_behavior_pb2.REQUIRED in behaviours:
                required.append(field.json_name)
            properties[field.json_name] = schema
        result: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            result["required"] = required
        if doc := comment_of(message):
            result["description"] = doc
        return result


def _behaviours(field: descriptor.FieldDescriptor) -> Any:
    return field.GetOptions().Extensions[field_behavior_pb2.field_behavior]


def build_openapi(routes: list[HttpRoute], *, title: str, version: str) -> dict[str, Any]:
    book = SchemaBook()
    paths: dict[str, dict[str, Any]] = {}
    status_ref = book.ref(status_pb2.Status.DESCRIPTOR)
    operation_ids = _operation_ids(routes)
    for route in routes:
        path = _document_path(route)
        operation = _operation(route, book, status_ref, operation_ids[route.grpc_path])
        paths.setdefault(path, {})[route.http_method.lower()] = operation
    for path, operations in _fixed_paths().items():
        paths.setdefault(path, {}).update(operations)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": book.schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
        "security": [{"bearer": []}],
    }


_VARIABLE = re.compile(r"\{([a-zA-Z_][\w.]*)(?:=[^}]*)?\}")


def _param_names(route: HttpRoute) -> dict[str, str]:
    """Path parameters by a plain name (`{ticket.ticket_id}` → `ticket_id`): generators do
    not accept dots there. The last part, or the whole path joined by `_` if two collide."""
    last = {v.field_path: v.field_path.rsplit(".", 1)[-1] for v in route.variables}
    if len(set(last.values())) == len(last):
        return last
    return {path: path.replace(".", "_") for path in last}


def _document_path(route: HttpRoute) -> str:
    names = _param_names(route)
    return _VARIABLE.sub(lambda m: "{" + names[m.group(1)] + "}", route.template)


def _operation_ids(routes: list[HttpRoute]) -> dict[str, str]:
    """`getTicket`, `listTickets`: the method's name in lowerCamelCase, unless two services
    share it (then `ticketService_getTicket`)."""
    names = [r.method.name for r in routes]
    ids = {}
    for route in routes:
        name = route.method.name[0].lower() + route.method.name[1:]
        if names.count(route.method.name) > 1:
            service = route.method.containing_service.name
            name = f"{service[0].lower()}{service[1:]}_{name}"
        ids[route.grpc_path] = name
    return ids


def _operation(
    route: HttpRoute, book: SchemaBook, status_ref: dict[str, Any], operation_id: str
) -> dict[str, Any]:
    method = route.method
    doc = comment_of(method)
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "tags": [method.containing_service.name],
        "summary": doc.splitlines()[0] if doc else method.name,
        "description": doc,
        "parameters": _parameters(route, book),
        "responses": {
            "200": {"description": "OK", "content": _json(_response_schema(route, book))},
            "default": {
                "description": "An error (google.rpc.Status)",
                "content": _json(status_ref),
            },
        },
    }
    if is_public(method):
        operation["security"] = []
    if media := _media_download(route):
        operation["parameters"].append(media)
        operation["responses"]["200"]["content"]["*/*"] = {
            "schema": {"type": "string", "format": "binary"}
        }
        operation["responses"]["200"]["description"] = (
            "The JSON message; with `alt=media`, the file's bytes themselves (its type as "
            "Content-Type, its name in Content-Disposition)."
        )
    if method.server_streaming and method.output_type.full_name == "google.api.HttpBody":
        ok = operation["responses"]["200"]
        ok["description"] = "A file, streamed (its type and name in the response headers)."
        ok["content"] = {"*/*": {"schema": {"type": "string", "format": "binary"}}}
    elif method.server_streaming:  # served as server-sent events, one message per event
        ok = operation["responses"]["200"]
        ok["description"] = (
            "A stream of server-sent events; each event's data is one message as JSON, its id "
            "the message's event_id (send it back as Last-Event-ID to resume)."
        )
        ok["content"] = {"text/event-stream": {"schema": _response_schema(route, book)}}
    if route.body:
        body_schema = _body_schema(route, book)
        content = _json(body_schema)
        if route.body == "*" and (form := _multipart_schema(route)):
            content["multipart/form-data"] = {"schema": form}
        # Required when something in it is: a custom method whose fields are all optional
        # takes an empty body (the gateway reads no body as `{}`).
        required = "$ref" in body_schema or bool(body_schema.get("required"))
        if "$ref" in body_schema:
            name = body_schema["$ref"].rsplit("/", 1)[-1]
            required = bool(book.schemas.get(name, {}).get("required"))
        operation["requestBody"] = {"required": required, "content": content}
    return operation


def _body_schema(route: HttpRoute, book: SchemaBook) -> dict[str, Any]:
    bound = [v.field_path.split(".") for v in route.variables]
    if route.body == "*":
        top = {route.method.input_type.fields_by_name[p[0]].json_name for p in bound}
        return book.variant(route.method.input_type, leave_out=top, partial=False)
    field = route.method.input_type.fields_by_name[route.body]
    if field.message_type is None or field.is_repeated:
        return book.field(field)
    inner = {
        field.message_type.fields_by_name[p[1]].json_name
        for p in bound
        if len(p) == 2 and p[0] == route.body
    }
    return book.variant(field.message_type, leave_out=inner, partial=route.http_method == "PATCH")


def _media_download(route: HttpRoute) -> dict[str, Any] | None:
    """GETs whose reply has `content` bytes also answer `?alt=media` (gateway/media.py)."""
    content = route.method.output_type.fields_by_name.get("content")
    if route.http_method != "GET" or content is None or content.type != _F.TYPE_BYTES:
        return None
    return {
        "name": "alt",
        "in": "query",
        "description": "`media`: answer with the file's bytes instead of JSON.",
        "schema": {"type": "string", "enum": ["json", "media"]},
    }


def _response_schema(route: HttpRoute, book: SchemaBook) -> dict[str, Any]:
    output = route.method.output_type
    if route.response_body:
        return book.field(output.fields_by_name[route.response_body])
    return book.ref(output)


def _parameters(route: HttpRoute, book: SchemaBook) -> list[dict[str, Any]]:
    params = []
    bound = {v.field_path for v in route.variables}
    names = _param_names(route)
    for variable in route.variables:
        params.append(
            {
                "name": names[variable.field_path],
                "in": "path",
                "required": True,
                "schema": {"type": "string"},
            }
        )
    if route.body == "*":
        return params
    params.extend(_query_parameters(route.method.input_type, book, bound | {route.body}))
    return params


_QUERY_DEPTH = 3  # nested messages are offered as dotted parameters (`filter.startTime`) this deep


def _query_parameters(
    message: descriptor.Descriptor,
    book: SchemaBook,
    bound: set[str],
    path: tuple[str, ...] = (),
    names: tuple[str, ...] = (),
) -> list[dict[str, Any]]:
    """Every field the query string may set (gateway/transcode.py): scalars, enums, repeated
    scalars and well-known values by their JSON names, and the fields of a nested message as
    dotted names (`filter.startTime`), as the HTTP rule's query mapping allows."""
    params: list[dict[str, Any]] = []
    for field in message.fields:
        field_path, field_names = (*path, field.name), (*names, field.json_name)
        if ".".join(field_path) in bound:
            continue
        nested = field.message_type
        if nested is not None and nested.full_name not in _WELL_KNOWN:
            if not field.is_repeated and len(field_path) < _QUERY_DEPTH:
                params.extend(_query_parameters(nested, book, bound, field_path, field_names))
            continue
        param: dict[str, Any] = {
            "name": ".".join(field_names),
            "in": "query",
            "schema": book.field(field),
        }
        if field.is_repeated:
            param.update(style="form", explode=True)
        if doc := comment_of(field):
            param["description"] = doc
        params.append(param)
    return params


def _multipart_schema(route: HttpRoute) -> dict[str, Any] | None:
    """Requests with a bytes field also take a form (gateway/media.py): the file part is named
    after the bytes field, scalar fields are text parts."""
    fields = route.method.input_type.fields
    if not any(f.type == _F.TYPE_BYTES for f in fields):
        return None
    bound = {v.field_path for v in route.variables}
    properties = {
        f.name: {"type": "string", "format": "binary"}
        if f.type == _F.TYPE_BYTES
        else {"type": "string"}
        for f in fields
        if f.name not in bound and f.message_type is None
    }
    return {"type": "object", "properties": properties}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _fixed_paths() -> dict[str, dict[str, Any]]:
    def probe(summary: str) -> dict[str, Any]:
        return {
            "get": {
                "operationId": summary.split(":")[0].lower(),
                "tags": ["ops"],
                "summary": summary,
                "security": [],
                "responses": {"200": {"description": "OK"}, "503": {"description": "Not ready"}},
            }
        }

    return {
        "/healthz": probe("Healthz: the process is up"),
        "/readyz": probe("Readyz: every upstream is serving"),
    }
