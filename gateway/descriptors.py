"""Finding the descriptors of the services the gateway fronts, and their doc comments."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path

from google.protobuf import descriptor, descriptor_pb2, descriptor_pool

DESCRIPTOR_SET = Path(__file__).resolve().parent.parent / "gen" / "descriptors.binpb"


def service_descriptor(full_name: str) -> descriptor.ServiceDescriptor:
    """Imports the generated modules of the service's package, then looks it up."""
    package = full_name.rsplit(".", 1)[0]
    module = importlib.import_module(package)
    for info in pkgutil.iter_modules(module.__path__):
        if info.name.endswith("_pb2"):
            importlib.import_module(f"{package}.{info.name}")
    return descriptor_pool.Default().FindServiceByName(full_name)


@cache
def _comments() -> dict[str, str]:
    """Leading comments by full name (fields as `Message.field`, methods as `Service.Method`)."""
    if not DESCRIPTOR_SET.exists():
        return {}
    files = descriptor_pb2.FileDescriptorSet.FromString(DESCRIPTOR_SET.read_bytes())
    comments: dict[str, str] = {}
    for file in files.file:
        by_path = {
            tuple(loc.path): loc.leading_comments.strip()
            for loc in file.source_code_info.location
            if loc.leading_comments
        }
        for path, name in _named_paths(file):
            if path in by_path:
                comments[name] = by_path[path]
    return comments


def _named_paths(file: descriptor_pb2.FileDescriptorProto) -> Iterator[tuple[tuple[int, ...], str]]:
    # 4/5/6: message_type/enum_type/service in FileDescriptorProto; 2/3/4: field/nested/enum in
    # DescriptorProto; 2: method in ServiceDescriptorProto.
    def messages(
        items: Iterable[descriptor_pb2.DescriptorProto], prefix: str, path: tuple[int, ...]
    ) -> Iterator[tuple[tuple[int, ...], str]]:
        for i, message in enumerate(items):
            name, here = f"{prefix}.{message.name}", (*path, i)
            yield here, name
            for j, field in enumerate(message.field):
                yield (*here, 2, j), f"{name}.{field.name}"
            yield from messages(message.nested_type, name, (*here, 3))
            for j, enum in enumerate(message.enum_type):
                yield (*here, 4, j), f"{name}.{enum.name}"

    package = file.package
    yield from messages(file.message_type, package, (4,))
    for i, enum in enumerate(file.enum_type):
        yield (5, i), f"{package}.{enum.name}"
    for i, service in enumerate(file.service):
        yield (6, i), f"{package}.{service.name}"
        for j, method in enumerate(service.method):
            yield (6, i, 2, j), f"{package}.{service.name}.{method.name}"


def comment_of(item: descriptor.DescriptorBase) -> str:
    """The leading comment of a message, field, enum, service or method; "" if none."""
    return _comments().get(item.full_name, "")  # type: ignore[attr-defined]
