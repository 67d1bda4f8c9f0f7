"""Generate Python stubs, type stubs and a descriptor set from protos/ (and tests/protos/).

Output goes to gen/ (a build product, never committed). Also copies the googleapis protos we
import into gen/third_party so `buf lint` can resolve them without network access.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import grpc_tools
from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
GEN = ROOT / "gen"
BIN = Path(sys.executable).parent
SOURCES = [ROOT / "protos", ROOT / "tests" / "protos"]
THIRD_PARTY_FILES = [
    "google/api/annotations.proto",
    "google/api/http.proto",
    "google/api/field_behavior.proto",
    "google/api/resource.proto",
    "google/api/launch_stage.proto",
    "google/api/client.proto",
    "google/api/httpbody.proto",
    "google/rpc/status.proto",
    "google/rpc/error_details.proto",
    "google/rpc/code.proto",
]


def googleapis_root() -> Path:
    import google.api.annotations_pb2 as annotations

    return Path(annotations.__file__).resolve().parent.parent.parent


def copy_third_party() -> None:
    src_root = googleapis_root()
    for rel in THIRD_PARTY_FILES:
        target = GEN / "third_party" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src_root / rel, target)


def compile_protos() -> None:
    well_known = Path(grpc_tools.__file__).resolve().parent / "_proto"
    files = [str(p.relative_to(src)) for src in SOURCES for p in sorted(src.rglob("*.proto"))]
    args = [
        "grpc_tools.protoc",
        *(f"-I{src}" for src in SOURCES),
        f"-I{googleapis_root()}",
        f"-I{well_known}",
        f"--python_out={GEN}",
        f"--grpc_python_out={GEN}",
        f"--plugin=protoc-gen-mypy={BIN / 'protoc-gen-mypy'}",
        f"--plugin=protoc-gen-mypy_grpc={BIN / 'protoc-gen-mypy_grpc'}",
        f"--mypy_out={GEN}",
        f"--mypy_grpc_out={GEN}",
        f"--descriptor_set_out={GEN / 'descriptors.binpb'}",
        "--include_imports",
        "--include_source_info",
        *files,
    ]
    if protoc.main(args) != 0:
        sys.exit("protoc failed")


def main() -> None:
    if GEN.exists():
        shutil.rmtree(GEN)
    GEN.mkdir()
    copy_third_party()
    compile_protos()


if __name__ == "__main__":
    main()
