"""API keys against the fakes: created with some of the creator's codes (and only codes his
organisation's admin could hold), in his organisation only; exchanged for a token of the key
itself; revoked, with an AccessRevoked for the key's session; every step security-logged."""

from __future__ import annotations

import pytest

from servicekit.errors import DomainError, ErrorCode
from services.identity.domain.events import AccessRevoked
from services.identity.domain.security import ClientInfo
from services.identity.service_layer import api_keys
from tests.unit.identity.conftest import caller
from tests.unit.identity.fakes import World

CLIENT = ClientInfo(ip_address="10.0.0.9")


async def test_a_key_is_made_exchanged_and_revoked(w: World):
    boss = await caller(w, "boss")
    key = await api_keys.create_key(
        w.deps, boss, "ent", display_name=" ERP ", codes=["ticket.read"]
    )
    assert key.secret.startswith("tk_") and key.display_name == "ERP"
    assert [k.secret for k in await api_keys.list_keys(w.deps, boss, "ent")] == [""]
    tokens = await api_keys.exchange(w.deps, key.secret, CLIENT)
    claims = await w.deps.keys.verified(  # type: ignore[attr-defined]
        tokens.access_token,
        issuer=w.deps.settings.jwt_issuer,
        audience=w.deps.settings.jwt_audience,
    )
    assert (claims["sub"], claims["kind"], claims["org"], claims["perms"], claims["sid"]) == (
        f"apikey-{key.id}", "enterprise", "ent", ["ticket.read"], key.id,
    )  # fmt: skip
    revoked = await api_keys.revoke_key(w.deps, boss, "ent", key.id)
    assert revoked.revoked
    assert [e.session_id for e in w.state.events if isinstance(e, AccessRevoked)] == [key.id]
    with pytest.raises(DomainError) as refused:
        await api_keys.exchange(w.deps, key.secret, CLIENT)
    assert refused.value.reason == "API_KEY_INVALID"
    assert [e.kind.value for e in w.state.security_log][-3:] == [
        "api_key_created", "api_key_used", "api_key_revoked",
    ]  # fmt: skip


async def test_a_key_holds_only_what_its_maker_may_give_in_his_organisation(w: World):
    boss, admin = await caller(w, "boss"), await caller(w, "admin")
    for who, org, codes, code in (
        (boss, "ent", ["ticket.approve.l2"], ErrorCode.INVALID_ARGUMENT),  # not his to give
        (admin, "ent", ["engineer.write"], ErrorCode.INVALID_ARGUMENT),  # no enterprise holds it
        (boss, "ent-2", ["ticket.read"], ErrorCode.NOT_FOUND),
        (await caller(w, "member"), "ent", ["ticket.read"], ErrorCode.PERMISSION_DENIED),
    ):
        with pytest.raises(DomainError) as refused:
            await api_keys.create_key(w.deps, who, org, display_name="x", codes=codes)
        assert refused.value.code is code, (who.user_id, org, codes)
    made = await api_keys.create_key(w.deps, admin, "prov", display_name="x", codes=["report.read"])
    assert made.organization_id == "prov"


async def test_a_disabled_organisations_key_is_refused(w: World):
    boss = await caller(w, "boss")
    key = await api_keys.create_key(w.deps, boss, "ent", display_name="x", codes=["ticket.read"])
    w.state.orgs["ent"].disable()
    with pytest.raises(DomainError) as refused:
        await api_keys.exchange(w.deps, key.secret, CLIENT)
    assert refused.value.reason == "API_KEY_INVALID"
