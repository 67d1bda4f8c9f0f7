"""Malformed input gets a 4xx naming the field, never a server error (the causes a fuzzing run
found): bytes that are not ASCII in headers, NUL characters, deep or non-standard JSON,
timestamps out of range, forged page tokens."""

from __future__ import annotations

import base64
import json

from tests.e2e.tickets.helpers import catalogue, reason, violations


async def test_a_token_that_is_not_ascii_is_401_on_every_route(tickets):
    for path in ("/v1/tickets", "/v1/service-types", "/v1/users/me"):
        response = await tickets.client.get(path, headers={"authorization": b"Bearer \xe9\xff"})
        assert response.status_code == 401, path
        assert reason(response.json()) == "TOKEN_MALFORMED"


async def test_other_headers_that_are_not_ascii_are_passed_on_escaped(tickets):
    headers = await tickets.as_user("acme-user")
    odd = {
        "user-agent": "微信/8.0".encode(),
        "x-request-id": b"\xff\xfe",
        "x-forwarded-for": b"\xe9",
    }
    response = await tickets.client.get("/v1/tickets", headers=headers | odd)
    assert response.status_code == 200, response.text
    assert response.headers["x-request-id"].isascii()


async def test_nul_characters_are_refused_naming_the_field(tickets):
    type_id, _ = await catalogue(tickets, approvals=0)
    headers = await tickets.as_user("acme-user")
    body = {"title": "a\u0000b", "serviceTypeId": type_id, "customFields": {"floor": 2}}
    created = await tickets.client.post("/v1/tickets", json=body, headers=headers)
    assert created.status_code == 400, created.text
    assert violations(created.json()) == ["ticket.title"]
    listed = await tickets.client.get("/v1/tickets", params={"query": "x\u0000"}, headers=headers)
    assert (listed.status_code, violations(listed.json())) == (400, ["query"])


async def test_json_that_nests_too_deep_or_holds_nan_is_refused(tickets):
    headers = await tickets.as_user("acme-user") | {"content-type": "application/json"}
    deep = "[" * 100_000 + "]" * 100_000
    nested = await tickets.client.post("/v1/tickets", content=deep, headers=headers)
    assert (nested.status_code, violations(nested.json())) == (400, ["body"])
    body = '{"title": "x", "serviceTypeId": "t", "customFields": {"floor": NaN}}'
    nan = await tickets.client.post("/v1/tickets", content=body, headers=headers)
    assert (nan.status_code, violations(nan.json())) == (400, ["body"])
    assert "NaN" in json.dumps(nan.json())


async def test_timestamps_out_of_range_are_refused(tickets):
    headers = await tickets.as_user("admin", "admin-demo-2026")
    for value in ("10000-01-01T00:00:00Z", "0000-01-01T00:00:00Z"):
        response = await tickets.client.get(
            "/v1/tickets", params={"createTimeStart": value}, headers=headers
        )
        assert response.status_code == 400, (value, response.text)
        assert violations(response.json()) == ["createTimeStart"]


async def test_a_forged_page_token_is_refused_naming_the_field(tickets):
    headers = await tickets.as_user("admin", "admin-demo-2026")
    for token in ("not-a-token", base64.urlsafe_b64encode(b'{"o": 1e300}').decode(),
                  base64.urlsafe_b64encode(b'{"o": 99999999999999999999}').decode()):  # fmt: skip
        response = await tickets.client.get(
            "/v1/tickets", params={"pageToken": token}, headers=headers
        )
        assert (response.status_code, violations(response.json())) == (400, ["pageToken"]), token
