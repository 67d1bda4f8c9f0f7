"""The gateway serves the built console at /console/ (issue 13), and the console's typed API
client is generated from the current OpenAPI document."""

from __future__ import annotations

import json
import subprocess

import httpx
import pytest

from devstack.catalogue import ROOT
from gateway.app import create_app
from gateway.settings import GatewaySettings
from tools.export_openapi import suite_document

CONSOLE = ROOT / "console"


@pytest.fixture
def console_dist(tmp_path):
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><div id=app></div>")
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log(1)")
    (tmp_path.parent / "secret.txt").write_text("not served")
    return tmp_path


@pytest.fixture
async def client(console_dist):
    app = create_app(GatewaySettings(console_dir=str(console_dist)))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
        yield http


async def test_the_app_routes_load_index_html_and_assets_are_cached_for_good(client):
    for path in ("/console/", "/console/tickets/t-1", "/console/login"):
        page = await client.get(path)
        assert page.status_code == 200, path
        assert page.headers["content-type"].startswith("text/html")
        assert page.headers["cache-control"] == "no-cache"
        policy = page.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "unsafe-eval" not in policy
        assert "frame-ancestors 'none'" in policy
    asset = await client.get("/console/assets/index-abc123.js")
    assert asset.status_code == 200
    assert "immutable" in asset.headers["cache-control"]
    assert asset.headers["x-content-type-options"] == "nosniff"
    bare = await client.get("/console")
    assert bare.status_code == 308 and bare.headers["location"] == "/console/"


@pytest.mark.parametrize(
    "path",
    [
        "/console/assets/missing.js",
        "/console/assets/../index.html",
        "/console/assets/%2e%2e/%2e%2e/secret.txt",
    ],
)
async def test_nothing_outside_the_assets_is_served_as_an_asset(client, path):
    answer = await client.get(path)
    assert answer.status_code in (200, 404)
    assert "not served" not in answer.text
    if answer.status_code == 200:  # resolved by the client to a page of the app: index.html
        assert "id=app" in answer.text


async def test_api_answers_keep_their_own_policy(client):
    answer = await client.get("/healthz")
    assert answer.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"


async def test_without_a_built_console_there_is_no_console_route(tmp_path):
    app = create_app(GatewaySettings(console_dir=str(tmp_path / "none")))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
        assert (await http.get("/console/")).status_code == 404


def test_nested_request_fields_are_documented_as_dotted_query_parameters():
    document = suite_document()
    volume = document["paths"]["/v1/reports/volume"]["get"]["parameters"]
    names = {p["name"] for p in volume}
    assert {"interval", "filter.startTime", "filter.timeZone", "filter.enterpriseId"} <= names
    patch = document["paths"]["/v1/enterprises/{enterprise_id}"]["patch"]
    assert [p["name"] for p in patch["parameters"]] == ["enterprise_id", "updateMask"]


@pytest.mark.skipif(
    not (CONSOLE / "node_modules" / ".bin" / "openapi-typescript").exists(),
    reason="console packages not installed (make test installs them)",
)
def test_the_consoles_api_client_is_generated_from_the_current_document(tmp_path):
    document = tmp_path / "openapi.json"
    document.write_text(json.dumps(suite_document(), ensure_ascii=False, indent=1, sort_keys=True))
    generated = tmp_path / "schema.d.ts"
    result = subprocess.run(
        [
            str(CONSOLE / "node_modules" / ".bin" / "openapi-typescript"),
            str(document),
            "-o",
            str(generated),
        ],
        cwd=CONSOLE,
        check=True,
        capture_output=True,
        text=True,
    )
    assert "warn" not in (result.stdout + result.stderr).lower(), result.stdout + result.stderr
    text = generated.read_text()
    operation_ids = [
        operation["operationId"]
        for item in suite_document()["paths"].values()
        for operation in item.values()
    ]
    missing = [o for o in operation_ids if f"    {o}: {{" not in text]
    assert not missing, missing  # openapi-typescript typed every operation
    committed = (CONSOLE / "src" / "api" / "schema.d.ts").read_text()
    assert text == committed, "stale: run `make console-api` and commit"
