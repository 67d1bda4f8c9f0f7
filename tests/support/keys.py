"""A signing key pair for tests, and tokens signed with it, as identity would issue them."""

from __future__ import annotations

import time
import uuid

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from servicekit.auth.principal import Principal
from servicekit.auth.tokens import StaticKeySource, TokenVerifier, claims_for

ISSUER = "ticketing-identity"
AUDIENCE = "ticketing"


class TestSigner:
    __test__ = False

    def __init__(self, kid: str = "test-key-1"):
        self.kid = kid
        self.private_key = Ed25519PrivateKey.generate()

    def verifier(self) -> TokenVerifier:
        keys = StaticKeySource({self.kid: self.private_key.public_key()})
        return TokenVerifier(keys, issuer=ISSUER, audience=AUDIENCE)

    def token(self, principal: Principal, *, ttl: float = 300, issuer: str = ISSUER) -> str:
        now = int(time.time())
        claims = claims_for(principal) | {
            "iss": issuer,
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + int(ttl),
            "jti": principal.token_id or uuid.uuid4().hex,
        }
        return jwt.encode(claims, self.private_key, algorithm="EdDSA", headers={"kid": self.kid})
