"""gRPC service names, and which of their methods are public, read from the generated
descriptors, never listed by hand."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from typing import Any

from google.protobuf import descriptor
from ticketing.common.v1 import options_pb2


@cache
def service_names(package: str) -> tuple[str, ...]:
    """Full names of every service of a proto package (e.g. "ticketing.tickets.v1"), from
    its generated modules, in file and declaration order."""
    module = importlib.import_module(package)
    names: list[str] = []
    for info in sorted(pkgutil.iter_modules(module.__path__), key=lambda i: i.name):
        if info.name.endswith("_pb2"):
            generated = importlib.import_module(f"{package}.{info.name}")
            file: descriptor.FileDescriptor = generated.DESCRIPTOR
            names.extend(s.full_name for s in file.services_by_name.values())
    return tuple(names)


def is_public(method: Any) -> bool:
    """Whether a method needs no access token (`option (ticketing.common.v1.public)`)."""
    return bool(method.GetOptions().Extensions[options_pb2.public])


def public_methods(service: Any) -> list[str]:
    """The gRPC paths of a service's public methods, for ServiceBinding.public_methods."""
    return [f"/{service.full_name}/{m.name}" for m in service.methods if is_public(m)]
