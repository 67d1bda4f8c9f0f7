"""Sign-in, WeChat sign-in and phone binding, refresh with rotation and reuse detection,
sign-out. Failed attempts are security-logged and committed even though the call fails."""

from __future__ import annotations

import math
from datetime import timedelta

from servicekit.errors import (
    DomainError,
    ErrorCode,
    FieldViolation,
    invalid_argument,
    not_found,
    unauthenticated,
)
from services.identity.domain.events import AccessRevoked
from services.identity.domain.organizations import OrgKind
from services.identity.domain.people import User
from services.identity.domain.security import ClientInfo, SecurityEventKind
from services.identity.domain.throttle import (
    Attempts,
    ThrottlePolicy,
    throttle_keys,
    wait_before,
)
from services.identity.domain.tokens import RefreshVerdict
from services.identity.service_layer.audit import record
from services.identity.service_layer.deps import Deps
from services.identity.service_layer.ports import IdentityUnit
from services.identity.service_layer.tokens import IssuedTokens, issue_tokens

LOGIN_FAILED = "LOGIN_FAILED"
BINDING_PURPOSE = "wechat-phone-binding"
BINDING_AUDIENCE = "ticketing-wechat-binding"


async def login(deps: Deps, *, login: str, password: str, client: ClientInfo) -> IssuedTokens:
    async with deps.uow() as uow:
        policies = throttle_keys(login, client.ip_address)
        attempts = await uow.attempts.of(policies)
        await _refuse_if_throttled(deps, uow, attempts, policies, login, client)
        user = await uow.users.find_for_login(login.strip())
        failure = await _password_failure(deps, uow, user, login, password, client)
        if failure is None:
            assert user is not None
            failure = await _sign_in_refusal(uow, user)
        if failure is not None:
            for key, policy in policies.items():
                counted = attempts.get(key) or Attempts(key)
                counted.failed(policy, deps.clock())
                await uow.attempts.save(counted)
            await uow.commit()  # keep the failure counts and the security log
            raise failure
        assert user is not None
        await uow.attempts.forget(next(iter(policies)))  # this account from this address
        user.signed_in(deps.clock())
        await uow.users.save(user)
        tokens = await issue_tokens(deps, uow, user)
        await record(
            uow,
            SecurityEventKind.LOGIN_SUCCEEDED,
            client,
            user_id=user.id,
            login=login,
            organization_id=user.organization_id,
            method="password",
        )
        await uow.commit()
    return tokens


async def _refuse_if_throttled(
    deps: Deps,
    uow: IdentityUnit,
    attempts: dict[str, Attempts],
    policies: dict[str, ThrottlePolicy],
    login: str,
    client: ClientInfo,
) -> None:
    """Too many recent failures under any key: 429 with the wait, whoever the account is."""
    wait = wait_before(attempts, policies, deps.clock())
    if wait <= timedelta(0):
        return
    await record(uow, SecurityEventKind.LOGIN_FAILED, client, login=login, cause="throttled")
    await uow.commit()
    raise DomainError(
        "SIGN_IN_THROTTLED",
        "too many failed sign-ins; try again later",
        ErrorCode.RESOURCE_EXHAUSTED,
        metadata={"retry_after_seconds": str(math.ceil(wait.total_seconds()))},
    )


async def _password_failure(
    deps: Deps,
    uow: IdentityUnit,
    user: User | None,
    login: str,
    password: str,
    client: ClientInfo,
) -> DomainError | None:
    if await deps.passwords.verify(user.password_hash if user else "", password):
        return None
    await record(
        uow,
        SecurityEventKind.LOGIN_FAILED,
        client,
        user_id=user.id if user else "",
        login=login,
        organization_id=user.organization_id if user else "",
        cause="bad_credentials",
    )
    return unauthenticated(LOGIN_FAILED, "wrong username, phone or password")


async def _sign_in_refusal(uow: IdentityUnit, user: User) -> DomainError | None:
    """Disabled or deleted users, and users of disabled or deleted organisations."""
    if not user.is_active:
        return unauthenticated("USER_DISABLED", "this account is disabled")
    kind = user.kind.organization_kind
    if kind:
        org = await uow.orgs.get(OrgKind(kind), user.organization_id, visible=None)
        if org is None or not org.can_sign_in:
            return unauthenticated("ORGANIZATION_DISABLED", "this organisation is disabled")
    return None


async def refresh(deps: Deps, *, refresh_token: str, client: ClientInfo) -> IssuedTokens:
    now = deps.clock()
    async with deps.uow() as uow:
        token = await uow.refresh_tokens.find(refresh_token)
        if token is None:
            raise unauthenticated("REFRESH_TOKEN_INVALID", "unknown refresh token")
        verdict = token.verdict(now)
        if verdict is RefreshVerdict.REUSED:
            await uow.refresh_tokens.revoke_family(token.family_id, now)
            await uow.emit(AccessRevoked(now, "refresh_token_reused", session_id=token.family_id))
            await record(
                uow,
                SecurityEventKind.REFRESH_TOKEN_REUSED,
                client,
                user_id=token.user_id,
                family=token.family_id,
            )
            await uow.commit()
            raise unauthenticated("REFRESH_TOKEN_REUSED", "refresh token already used; signed out")
        if verdict is RefreshVerdict.EXPIRED:
            raise unauthenticated("REFRESH_TOKEN_EXPIRED", "refresh token expired; sign in again")
        user = await uow.users.get(token.user_id, orgs=None)
        refusal = (
            await _sign_in_refusal(uow, user) if user else unauthenticated("USER_DISABLED", "")
        )
        if refusal is not None:
            await uow.refresh_tokens.revoke_family(token.family_id, now)
            await uow.commit()
            raise refusal
        assert user is not None
        await uow.refresh_tokens.mark_used(token.id, now)
        tokens = await issue_tokens(deps, uow, user, family_id=token.family_id)
        await uow.commit()
    return tokens


async def logout(deps: Deps, *, refresh_token: str, client: ClientInfo) -> None:
    """Ends the sign-in of `refresh_token`; an unknown one changes nothing (and says so to
    nobody: the answer is the same)."""
    if not refresh_token:
        raise invalid_argument(
            "REFRESH_TOKEN_MISSING", [FieldViolation("refresh_token", "is required")]
        )
    async with deps.uow() as uow:
        token = await uow.refresh_tokens.find(refresh_token)
        if token is None:
            return
        now = deps.clock()
        await uow.refresh_tokens.revoke_family(token.family_id, now)
        await uow.emit(AccessRevoked(now, "logout", session_id=token.family_id))
        await record(uow, SecurityEventKind.LOGOUT, client, user_id=token.user_id)
        await uow.commit()


async def wechat_login(deps: Deps, *, code: str, client: ClientInfo) -> IssuedTokens:
    if not code.strip():  # WeChat would refuse it too: no need to ask
        raise invalid_argument("CODE_MISSING", [FieldViolation("code", "is required")])
    openid = await deps.wechat.openid_for(code)
    async with deps.uow() as uow:
        user = await uow.users.find_by("wechat_openid", openid)
        if user is None:
            return IssuedTokens(user_id="", binding_token=await _binding_token(deps, openid))
        return await _sign_in(deps, uow, user, client, method="wechat")


async def bind_wechat_phone(
    deps: Deps, *, binding_token: str, phone_code: str, client: ClientInfo
) -> IssuedTokens:
    openid = await _openid_of(deps, binding_token)
    phone = await deps.wechat.phone_for(phone_code)
    async with deps.uow() as uow:
        user = await uow.users.find_by("phone", phone)
        if user is None:
            raise not_found(
                "USER_NOT_REGISTERED", "no account has this phone number; ask your admin"
            )
        if user.wechat_openid and user.wechat_openid != openid:
            raise unauthenticated("WECHAT_ALREADY_BOUND", "this account is bound to another WeChat")
        user.wechat_openid = openid
        user.phone_authorized = True
        await uow.users.save(user)
        return await _sign_in(deps, uow, user, client, method="wechat_phone")


async def _sign_in(
    deps: Deps, uow: IdentityUnit, user: User, client: ClientInfo, *, method: str
) -> IssuedTokens:
    refusal = await _sign_in_refusal(uow, user)
    if refusal is not None:
        await record(
            uow,
            SecurityEventKind.LOGIN_FAILED,
            client,
            user_id=user.id,
            organization_id=user.organization_id,
            cause=refusal.reason,
            method=method,
        )
        await uow.commit()
        raise refusal
    user.signed_in(deps.clock())
    await uow.users.save(user)
    tokens = await issue_tokens(deps, uow, user)
    await record(
        uow,
        SecurityEventKind.LOGIN_SUCCEEDED,
        client,
        user_id=user.id,
        organization_id=user.organization_id,
        method=method,
    )
    await uow.commit()
    return tokens


async def _binding_token(deps: Deps, openid: str) -> str:
    now = deps.clock()
    return await deps.keys.sign(
        {
            "sub": openid,
            "purpose": BINDING_PURPOSE,
            "iss": deps.settings.jwt_issuer,
            "aud": BINDING_AUDIENCE,  # never accepted as an access token
            "iat": int(now.timestamp()),
            "exp": int(
                (now + timedelta(seconds=deps.settings.wechat_binding_ttl_seconds)).timestamp()
            ),
        }
    )


async def _openid_of(deps: Deps, binding_token: str) -> str:
    invalid = unauthenticated("BINDING_TOKEN_INVALID", "binding token is invalid or expired")
    try:
        claims = await deps.keys.verified(
            binding_token, issuer=deps.settings.jwt_issuer, audience=BINDING_AUDIENCE
        )
    except ValueError as error:
        raise invalid from error
    if claims.get("purpose") != BINDING_PURPOSE:
        raise invalid
    return str(claims["sub"])
