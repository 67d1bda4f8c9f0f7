"""The gateway turns HTTP into the right gRPC request and the reply back into proto3 JSON."""

from __future__ import annotations

from servicekit.auth.principal import Principal


async def test_get_with_path_and_query_parameters_reaches_the_servicer(gateway):
    response = await gateway.get(
        "/v1/shelves/s1/things/t1",
        params=[("verbose", "true"), ("labels", "a"), ("labels", "b"), ("colour", "COLOUR_BLUE")],
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["shelfId"] == "s1"
    assert body["thingId"] == "t1"
    assert body["echoed"] == {"verbose": "True", "labels": "a,b", "colour": "COLOUR_BLUE"}


async def test_post_with_a_body_field_reaches_the_servicer(gateway):
    response = await gateway.post(
        "/v1/shelves/s2/things",
        params={"requestId": "req-1"},
        json={"displayName": "Wi-Fi router", "count": 3, "colour": "COLOUR_RED", "labels": ["x"]},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["shelfId"] == "s2"
    assert body["displayName"] == "Wi-Fi router"
    assert body["count"] == 3
    assert body["colour"] == "COLOUR_RED"
    assert body["echoed"]["request_id"] == "req-1"


async def test_patch_binds_nested_path_fields_and_update_mask(gateway):
    response = await gateway.patch(
        "/v1/shelves/s3/things/t3", params={"updateMask": "displayName,count"}, json={"count": 5}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["shelfId"], body["thingId"], body["count"]) == ("s3", "t3", 5)
    assert body["echoed"]["update_mask"] == "display_name,count"


async def test_patch_without_update_mask_changes_the_fields_in_the_body(gateway):
    # AIP-134: the implied mask is the body's fields, less output-only ones and the path's id.
    response = await gateway.patch(
        "/v1/shelves/s3/things/t3",
        json={"count": 5, "display_name": "x", "thingId": "t3", "echoed": {"a": "b"}},
    )
    assert response.status_code == 200, response.text
    assert response.json()["echoed"]["update_mask"] == "count,display_name"


async def test_patch_with_nothing_to_change_names_update_mask(gateway):
    response = await gateway.patch("/v1/shelves/s3/things/t3", json={"echoed": {"a": "b"}})
    assert response.status_code == 400
    assert response.json()["details"][-1]["fieldViolations"][0]["field"] == "updateMask"
    empty = await gateway.patch("/v1/shelves/s3/things/t3", content=b"")
    assert empty.status_code == 400


async def test_patch_with_a_star_mask_passes_it_on(gateway):
    response = await gateway.patch(
        "/v1/shelves/s3/things/t3", params={"updateMask": "*"}, json={"count": 1}
    )
    assert response.status_code == 200, response.text
    assert response.json()["echoed"]["update_mask"] == "*"


async def test_delete_returns_empty_object(gateway, echo_servicer):
    response = await gateway.delete("/v1/shelves/s1/things/gone")
    assert response.status_code == 200
    assert response.json() == {}
    assert echo_servicer.calls["DeleteThing:gone"] == 1


async def test_unset_fields_are_rendered_with_their_defaults(gateway):
    response = await gateway.get("/v1/shelves/s1/things/t9")
    body = response.json()
    assert body["count"] == 0
    assert body["labels"] == []


async def test_unknown_json_field_gives_400_naming_it(gateway):
    response = await gateway.post("/v1/shelves/s/things", json={"displayName": "x", "bogus": 1})
    assert response.status_code == 400
    assert _violations(response.json()) == ["thing.bogus"]


async def test_wrong_json_type_gives_400_naming_the_field(gateway):
    response = await gateway.post(
        "/v1/shelves/s/things", json={"displayName": "x", "count": "many"}
    )
    assert response.status_code == 400
    assert _violations(response.json()) == ["thing.count"]


async def test_wrong_query_type_gives_400_naming_the_parameter(gateway):
    response = await gateway.get("/v1/shelves/s/things", params={"pageSize": "ten"})
    assert response.status_code == 400
    assert _violations(response.json()) == ["pageSize"]


async def test_unknown_query_parameter_gives_400(gateway):
    response = await gateway.get("/v1/shelves/s/things", params={"colourful": "yes"})
    assert response.status_code == 400
    assert _violations(response.json()) == ["colourful"]


async def test_malformed_json_body_gives_400(gateway):
    response = await gateway.post(
        "/v1/shelves/s/things", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert _violations(response.json()) == ["body"]


async def test_unknown_path_gives_404_in_status_shape(gateway):
    response = await gateway.get("/v1/nowhere")
    assert response.status_code == 404
    assert _reason(response.json()) == "ROUTE_NOT_FOUND"


async def test_request_id_is_forwarded_and_echoed(gateway, signer):
    token = signer.token(Principal(user_id="u1", kind="platform"))
    headers = {"x-request-id": "abc123", "authorization": f"Bearer {token}"}
    response = await gateway.get("/v1/whoami", headers=headers)
    assert response.headers["x-request-id"] == "abc123"
    assert response.json()["requestId"] == "abc123"


def _violations(status: dict) -> list[str]:
    return [
        v["field"]
        for d in status["details"]
        if d["@type"].endswith("google.rpc.BadRequest")
        for v in d["fieldViolations"]
    ]


def _reason(status: dict) -> str:
    return next(d["reason"] for d in status["details"] if d["@type"].endswith("ErrorInfo"))


async def test_enum_query_values_are_names_only(gateway):
    refused = await gateway.get("/v1/shelves/s1/things/t1", params={"colour": "1"})
    assert refused.status_code == 400
    assert refused.json()["details"][-1]["fieldViolations"][0]["field"] == "colour"


async def test_null_is_refused_where_the_schema_has_no_null(gateway):
    for body, field in (
        ({"displayName": None}, "thing.displayName"),
        ({"displayName": "x", "labels": ["a", None]}, "thing.labels"),
    ):
        refused = await gateway.post("/v1/shelves/s1/things", json=body)
        assert refused.status_code == 400, body
        assert refused.json()["details"][-1]["fieldViolations"][0]["field"] == field
