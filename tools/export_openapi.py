"""Writes the gateway's OpenAPI document for every service of the suite (the one `/openapi.json`
serves in `make up`) to a file: the console's typed client is generated from it.

    python tools/export_openapi.py build/openapi.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from devstack.catalogue import SERVICES
from gateway.app import create_app
from gateway.settings import GatewaySettings


def suite_document() -> dict[str, Any]:
    upstreams = {name: "127.0.0.1:1" for spec in SERVICES for name in spec.proto_services}
    app = create_app(GatewaySettings(upstreams=upstreams))
    document: dict[str, Any] = app.state.openapi
    return document


def main(argv: list[str]) -> None:
    target = Path(argv[1] if len(argv) > 1 else "build/openapi.json")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(suite_document(), ensure_ascii=False, indent=1, sort_keys=True))


if __name__ == "__main__":
    main(sys.argv)
