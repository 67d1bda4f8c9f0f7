"""gRPC service names read from the generated descriptors, never listed by hand."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from google.protobuf import descriptor


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
