"""The gateway forwards the caller's token; the service verifies it against identity's keys."""

from __future__ import annotations

import pytest

from servicekit.auth.principal import Principal
from tests.gateway.test_transcoding import _reason
from tests.support.keys import TestSigner

ALICE = Principal(
    user_id="alice", kind="enterprise", organization_id="e1", permissions=frozenset({"ticket.read"})
)


async def test_valid_token_reaches_the_servicer_as_the_caller(gateway, signer):
    response = await gateway.get("/v1/whoami", headers=_bearer(signer.token(ALICE)))
    assert response.status_code == 200
    assert response.json()["userId"] == "alice"
    assert response.json()["permissions"] == ["ticket.read"]


async def test_missing_token_on_a_protected_method_gives_401(gateway):
    response = await gateway.get("/v1/whoami")
    assert response.status_code == 401
    assert _reason(response.json()) == "TOKEN_MISSING"


@pytest.mark.parametrize(
    ("make_token", "reason"),
    [
        (lambda s: s.token(ALICE, ttl=-60), "TOKEN_EXPIRED"),
        (lambda s: TestSigner(kid="rogue").token(ALICE), "TOKEN_KEY_UNKNOWN"),
        (lambda s: TestSigner(kid=s.kid).token(ALICE), "TOKEN_INVALID"),
        (lambda s: s.token(ALICE, issuer="someone-else"), "TOKEN_INVALID"),
        (lambda s: "not-a-jwt", "TOKEN_MALFORMED"),
    ],
    ids=["expired", "unknown-kid", "forged-signature", "wrong-issuer", "garbage"],
)
async def test_bad_tokens_give_401_with_reason(gateway, signer, make_token, reason):
    response = await gateway.get("/v1/whoami", headers=_bearer(make_token(signer)))
    assert response.status_code == 401
    assert _reason(response.json()) == reason


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}
