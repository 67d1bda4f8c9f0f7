"""An access token stops working in tickets within seconds when identity revokes it: its user
or organisation disabled, or its session signed out (identity's AccessRevoked events, read by
every gRPC server process). Other people's tokens, and tokens issued afterwards, keep working."""

from __future__ import annotations

import asyncio
import time

from tests.e2e.identity.helpers import PASSWORD, admin, new_enterprise, new_user, ok, reason

LIST = "/v1/tickets"


async def _sign_in(tickets, login: str) -> tuple[dict[str, str], str]:
    tokens = await tickets.identity.login(login, PASSWORD)
    return {"authorization": f"Bearer {tokens['accessToken']}"}, tokens["refreshToken"]


async def _refused_soon(tickets, headers: dict[str, str], within: float = 10.0) -> float:
    """Seconds until tickets answers 401 TOKEN_REVOKED (200 until then)."""
    started = time.monotonic()
    while True:
        answer = await tickets.client.get(LIST, headers=headers)
        if answer.status_code == 401:
            assert reason(answer.json()) == "TOKEN_REVOKED", answer.text
            return time.monotonic() - started
        assert answer.status_code == 200, answer.text
        assert time.monotonic() - started < within, "tickets still accepts a revoked token"
        await asyncio.sleep(0.1)


async def _accepted(tickets, headers: dict[str, str]) -> None:
    await ok(await tickets.client.get(LIST, headers=headers))


async def test_a_disabled_users_token_is_refused_and_a_new_one_works_after_enabling(tickets):
    enterprise = await new_enterprise(tickets.identity)
    user = await new_user(tickets.identity, enterprise["enterpriseId"])
    colleague = await new_user(tickets.identity, enterprise["enterpriseId"])
    headers, _ = await _sign_in(tickets, user["username"])
    others, _ = await _sign_in(tickets, colleague["username"])
    await _accepted(tickets, headers)
    path = f"/v1/users/{user['userId']}"
    staff = await admin(tickets.identity)
    await ok(await tickets.client.post(f"{path}:disable", json={}, headers=staff))
    assert await _refused_soon(tickets, headers) < 10
    await _accepted(tickets, others)
    await ok(await tickets.client.post(f"{path}:enable", json={}, headers=staff))
    fresh, _ = await _sign_in(tickets, user["username"])
    await _accepted(tickets, fresh)


async def test_signing_out_ends_that_sessions_token_only(tickets):
    enterprise = await new_enterprise(tickets.identity)
    user = await new_user(tickets.identity, enterprise["enterpriseId"])
    phone_session, refresh = await _sign_in(tickets, user["username"])
    laptop_session, _ = await _sign_in(tickets, user["username"])
    await ok(await tickets.client.post("/v1/auth:logout", json={"refreshToken": refresh}))
    await _refused_soon(tickets, phone_session)
    await _accepted(tickets, laptop_session)


async def test_a_disabled_organisations_people_are_refused(tickets):
    enterprise = await new_enterprise(tickets.identity)
    user = await new_user(tickets.identity, enterprise["enterpriseId"])
    headers, _ = await _sign_in(tickets, user["username"])
    await _accepted(tickets, headers)
    staff = await admin(tickets.identity)
    await ok(
        await tickets.client.post(
            f"/v1/enterprises/{enterprise['enterpriseId']}:disable", json={}, headers=staff
        )
    )
    await _refused_soon(tickets, headers)
