"""Reading google.api.http rules into routes the gateway can register."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from google.api import annotations_pb2, http_pb2
from google.protobuf import descriptor

_VARIABLE = re.compile(r"\{([a-zA-Z_][\w.]*)(?:=([^}]*))?\}")
_METHODS = ("get", "put", "post", "delete", "patch")


@dataclass(frozen=True)
class PathVariable:
    field_path: str  # dotted proto field names, e.g. "thing.shelf_id"
    param: str  # the Starlette parameter name, e.g. "thing__shelf_id"


@dataclass(frozen=True)
class HttpRoute:
    http_method: str
    template: str  # as written in the proto
    path: str  # Starlette form
    variables: tuple[PathVariable, ...]
    body: str  # "", "*" or a field name
    response_body: str
    method: descriptor.MethodDescriptor

    @property
    def grpc_path(self) -> str:
        return f"/{self.method.containing_service.full_name}/{self.method.name}"

    @property
    def specificity(self) -> tuple[int, int]:
        """Literal routes before templated ones, longer literals first."""
        literal = _VARIABLE.sub("", self.template)
        return (len(self.variables), -len(literal))


class UnsupportedRule(ValueError):
    """A google.api.http rule this gateway cannot serve (refused at start-up, not at request)."""


def routes_of(service: descriptor.ServiceDescriptor) -> list[HttpRoute]:
    routes = []
    for method in service.methods:
        options = method.GetOptions()
        if not options.HasExtension(annotations_pb2.http):
            continue
        rule = options.Extensions[annotations_pb2.http]
        for each in (rule, *rule.additional_bindings):
            routes.append(_route(each, method))
    return routes


def _route(rule: http_pb2.HttpRule, method: descriptor.MethodDescriptor) -> HttpRoute:
    kind = rule.WhichOneof("pattern")
    if kind not in _METHODS:
        raise UnsupportedRule(f"{method.full_name}: pattern {kind!r} is not supported")
    template = getattr(rule, kind)
    variables = []

    def replace(match: re.Match[str]) -> str:
        field_path, pattern = match.group(1), match.group(2)
        if pattern not in (None, "*"):
            raise UnsupportedRule(f"{method.full_name}: path pattern {pattern!r} not supported")
        _check_field_path(method.input_type, field_path)
        variable = PathVariable(field_path, field_path.replace(".", "__"))
        variables.append(variable)
        return "{" + variable.param + "}"

    path = _VARIABLE.sub(replace, template)
    return HttpRoute(
        http_method=kind.upper(),
        template=template,
        path=path,
        variables=tuple(variables),
        body=rule.body,
        response_body=rule.response_body,
        method=method,
    )


def _check_field_path(message: descriptor.Descriptor, field_path: str) -> None:
    current: Any = message  # a nested field's message type may be None (a scalar)
    for name in field_path.split("."):
        field = current.fields_by_name.get(name) if current is not None else None
        if field is None:
            raise UnsupportedRule(f"{message.full_name} has no field {name!r}")
        current = field.message_type
