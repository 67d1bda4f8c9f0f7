"""Sign-in through the gateway: passwords, tokens, refresh rotation, reuse detection, sign-out,
lock-out, JWKS."""

from __future__ import annotations

import jwt

from tests.gateway.test_transcoding import _reason


async def test_demo_admin_signs_in_and_reads_own_profile(identity):
    tokens = await identity.login("admin", "admin-demo-2026")
    assert tokens["tokenType"] == "Bearer"
    me = await identity.client.get(
        "/v1/users/me", headers={"authorization": f"Bearer {tokens['accessToken']}"}
    )
    assert me.status_code == 200, me.text
    body = me.json()
    assert body["username"] == "admin"
    assert body["kind"] == "PRINCIPAL_KIND_PLATFORM"
    assert "org.enterprise.write" in body["permissions"]


async def test_access_token_verifies_against_the_published_jwks(identity):
    tokens = await identity.login("acme-user")
    jwks = (await identity.client.get("/.well-known/jwks.json")).json()
    header = jwt.get_unverified_header(tokens["accessToken"])
    key = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    claims = jwt.decode(
        tokens["accessToken"],
        jwt.PyJWK(key).key,
        algorithms=["EdDSA"],
        audience="ticketing",
        issuer="ticketing-identity",
    )
    assert claims["kind"] == "enterprise"
    assert "ticket.create" in claims["perms"]
    assert claims["scope"] == "self"


async def test_wrong_password_is_refused_without_saying_which_part(identity):
    response = await identity.client.post(
        "/v1/auth:login", json={"login": "acme-user", "password": "nope-nope"}
    )
    assert response.status_code == 401
    assert _reason(response.json()) == "LOGIN_FAILED"
    unknown = await identity.client.post(
        "/v1/auth:login", json={"login": "nobody", "password": "nope-nope"}
    )
    assert _reason(unknown.json()) == "LOGIN_FAILED"


async def test_phone_number_signs_in_too(identity):
    tokens = await identity.login("13800000001")
    assert tokens["accessToken"]


async def test_refresh_rotates_and_reuse_revokes_the_family(identity):
    first = await identity.login("galaxy-user")
    second = await identity.client.post(
        "/v1/auth:refresh", json={"refreshToken": first["refreshToken"]}
    )
    assert second.status_code == 200
    assert second.json()["refreshToken"] != first["refreshToken"]
    reused = await identity.client.post(
        "/v1/auth:refresh", json={"refreshToken": first["refreshToken"]}
    )
    assert reused.status_code == 401
    assert _reason(reused.json()) == "REFRESH_TOKEN_REUSED"
    # the family is gone: the newest token no longer works either
    after = await identity.client.post(
        "/v1/auth:refresh", json={"refreshToken": second.json()["refreshToken"]}
    )
    assert after.status_code == 401
    logs = await _security_logs(identity, kind="SECURITY_EVENT_KIND_REFRESH_TOKEN_REUSED")
    assert any(entry["userId"] == first["userId"] for entry in logs)


async def test_logout_ends_the_session(identity):
    tokens = await identity.login("engineer-li")
    response = await identity.client.post(
        "/v1/auth:logout", json={"refreshToken": tokens["refreshToken"]}
    )
    assert response.status_code == 200
    refused = await identity.client.post(
        "/v1/auth:refresh", json={"refreshToken": tokens["refreshToken"]}
    )
    assert refused.status_code == 401


async def test_failures_slow_the_failing_client_down_but_never_lock_the_owner_out(identity):
    admin = await identity.as_user("admin", "admin-demo-2026")
    created = await identity.client.post(
        "/v1/users",
        headers=admin,
        json={
            "displayName": "Locky",
            "username": "locky",
            "password": "right-password",
            "kind": "PRINCIPAL_KIND_PLATFORM",
        },
    )
    assert created.status_code == 200, created.text
    attacker = {"x-forwarded-for": "203.0.113.66"}
    answers = []

    async def fail_six_times(login: str) -> None:
        for _ in range(6):
            response = await identity.client.post(
                "/v1/auth:login", json={"login": login, "password": "wrong"}, headers=attacker
            )
            answers.append((response.status_code, _reason(response.json())))

    await fail_six_times("locky")
    # Asked at once (the first wait is a second): even the right password waits now.
    throttled = await identity.client.post(
        "/v1/auth:login", json={"login": "locky", "password": "right-password"}, headers=attacker
    )
    assert throttled.status_code == 429 and int(throttled.headers["retry-after"]) >= 1
    await fail_six_times("nobody-like-locky")
    # An existing and an unknown name get the same answers: 3 free failures, then waits.
    assert answers[:6] == answers[6:]
    assert answers[:4] == [(401, "LOGIN_FAILED")] * 3 + [(429, "SIGN_IN_THROTTLED")]
    owner = await identity.client.post(
        "/v1/auth:login",
        json={"login": "locky", "password": "right-password"},
        headers={"x-forwarded-for": "198.51.100.20"},
    )
    assert owner.status_code == 200, owner.text  # from his own address: no lock-out
    logs = await _security_logs(identity, kind="SECURITY_EVENT_KIND_LOGIN_FAILED")
    assert any(e["login"] == "locky" and e["ipAddress"] == "203.0.113.66" for e in logs)


async def test_sign_in_attempts_are_logged_with_ip_and_user_agent(identity):
    await identity.client.post(
        "/v1/auth:login",
        json={"login": "galaxy-admin", "password": "demo-2026"},
        headers={"user-agent": "MiniProgram/1.0", "x-forwarded-for": "203.0.113.9"},
    )
    logs = await _security_logs(identity, kind="SECURITY_EVENT_KIND_LOGIN_SUCCEEDED")
    entry = next(e for e in logs if e["login"] == "galaxy-admin")
    assert entry["ipAddress"] == "203.0.113.9"
    assert entry["userAgent"] == "MiniProgram/1.0"


async def _security_logs(identity, **params) -> list[dict]:
    admin = await identity.as_user("admin", "admin-demo-2026")
    response = await identity.client.get(
        "/v1/security-logs", headers=admin, params={"pageSize": 200, **params}
    )
    assert response.status_code == 200, response.text
    return response.json()["securityLogs"]


async def test_token_answers_are_never_cached(identity):
    response = await identity.client.post(
        "/v1/auth:login", json={"login": "admin", "password": "admin-demo-2026"}
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
