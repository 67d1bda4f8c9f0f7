"""WeChat mini-program sign-in with phone binding (WeChat faked behind real HTTP), and
signing-key rotation without signing anyone out."""

from __future__ import annotations

import jwt

from services.identity.entrypoints import rotate_signing_key
from tests.e2e.identity.helpers import new_engineer, new_provider, ok, reason, violations


async def test_first_wechat_login_binds_by_phone_then_signs_in_directly(identity):
    provider = await new_provider(identity)
    engineer = await new_engineer(identity, provider["providerId"])
    identity.wechat.openids["code-1"] = "openid-eng-1"
    identity.wechat.phones["phone-code-1"] = engineer["phone"]
    first = await ok(await identity.client.post("/v1/auth:wechatLogin", json={"code": "code-1"}))
    assert first["phoneBindingRequired"] is True
    assert first["accessToken"] == ""
    bound = await ok(
        await identity.client.post(
            "/v1/auth:bindPhone",
            json={"bindingToken": first["bindingToken"], "phoneCode": "phone-code-1"},
        )
    )
    assert bound["userId"] == engineer["engineerId"]
    identity.wechat.openids["code-2"] = "openid-eng-1"
    again = await ok(await identity.client.post("/v1/auth:wechatLogin", json={"code": "code-2"}))
    assert again["userId"] == engineer["engineerId"]
    assert again["accessToken"]


async def test_binding_token_is_not_an_access_token(identity):
    identity.wechat.openids["code-3"] = "openid-stranger"
    first = await ok(await identity.client.post("/v1/auth:wechatLogin", json={"code": "code-3"}))
    response = await identity.client.get(
        "/v1/users/me", headers={"authorization": f"Bearer {first['bindingToken']}"}
    )
    assert response.status_code == 401


async def test_unknown_phone_and_bad_codes_are_refused(identity):
    identity.wechat.openids["code-4"] = "openid-nobody"
    identity.wechat.phones["phone-code-4"] = "13700000000"
    first = await ok(await identity.client.post("/v1/auth:wechatLogin", json={"code": "code-4"}))
    unknown = await identity.client.post(
        "/v1/auth:bindPhone",
        json={"bindingToken": first["bindingToken"], "phoneCode": "phone-code-4"},
    )
    assert (unknown.status_code, reason(unknown.json())) == (404, "USER_NOT_REGISTERED")
    bad = await identity.client.post("/v1/auth:wechatLogin", json={"code": "never-issued"})
    assert (bad.status_code, reason(bad.json())) == (401, "WECHAT_CODE_INVALID")


async def test_key_rotation_keeps_old_tokens_valid_and_signs_new_ones_with_the_new_key(
    identity, monkeypatch
):
    before = await identity.login("acme-user")
    old_kid = jwt.get_unverified_header(before["accessToken"])["kid"]
    monkeypatch.setenv("TICKETING_DATABASE_URL", identity.deps.settings.database_url)
    await rotate_signing_key.main()
    await identity.deps.keys.key_for("force-a-reload")
    after = await identity.login("acme-user")
    new_kid = jwt.get_unverified_header(after["accessToken"])["kid"]
    assert new_kid != old_kid
    kids = {
        k["kid"] for k in (await ok(await identity.client.get("/.well-known/jwks.json")))["keys"]
    }
    assert {old_kid, new_kid} <= kids
    old_still_works = await identity.client.get(
        "/v1/users/me", headers={"authorization": f"Bearer {before['accessToken']}"}
    )
    assert old_still_works.status_code == 200


async def test_an_empty_wechat_code_is_400_without_asking_wechat(identity, fake_wechat):
    before = fake_wechat.calls
    for code in ("", "   "):
        response = await identity.client.post("/v1/auth:wechatLogin", json={"code": code})
        assert (response.status_code, violations(response.json())) == (400, ["code"])
    assert fake_wechat.calls == before
