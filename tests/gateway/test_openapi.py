"""The gateway publishes a valid OpenAPI document built from the protos."""

from __future__ import annotations

from openapi_spec_validator import validate


async def test_openapi_document_validates(gateway):
    response = await gateway.get("/openapi.json")
    assert response.status_code == 200
    validate(response.json())


async def test_openapi_describes_routes_with_proto_comments(gateway):
    document = (await gateway.get("/openapi.json")).json()
    operation = document["paths"]["/v1/shelves/{shelf_id}/things/{thing_id}"]["get"]
    assert operation["summary"] == "Gets a thing; path and query parameters are echoed back."
    names = {p["name"]: p["in"] for p in operation["parameters"]}
    assert names == {"shelf_id": "path", "thing_id": "path", "verbose": "query",
                     "labels": "query", "colour": "query"}  # fmt: skip
    thing = document["components"]["schemas"]["testing.echo.v1.Thing"]
    assert thing["properties"]["createTime"]["format"] == "date-time"
    assert thing["properties"]["colour"]["enum"][1] == "COLOUR_RED"


async def test_docs_page_is_served_with_its_own_assets(gateway):
    """/docs works offline: Swagger UI's files come from a pinned package, not a CDN."""
    response = await gateway.get("/docs")
    assert response.status_code == 200
    assert "/openapi.json" in response.text
    assert "cdn" not in response.text and "https://" not in response.text
    assert "https:" not in response.headers["content-security-policy"]
    script = await gateway.get("/docs/assets/swagger-ui-bundle.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert len(script.content) > 100_000


async def test_healthz_and_readyz(gateway):
    assert (await gateway.get("/healthz")).status_code == 200
    ready = await gateway.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["upstreams"] == {"testing.echo.v1.EchoService": "SERVING"}


async def test_requests_are_counted_by_route_template(gateway):
    from prometheus_client import REGISTRY

    labels = {"method": "GET", "route": "/v1/shelves/{shelf_id}/things/{thing_id}", "status": "200"}
    before = REGISTRY.get_sample_value("http_requests_total", labels) or 0
    await gateway.get("/v1/shelves/a/things/b")
    await gateway.get("/v1/shelves/c/things/d")
    assert REGISTRY.get_sample_value("http_requests_total", labels) == before + 2
