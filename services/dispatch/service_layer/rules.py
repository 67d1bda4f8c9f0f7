"""Dispatch rules as data; every edit is a new version (kept in the rule's history), and every
decision names the version it used. Platform staff with dispatch.write edit every rule; a
provider's admins with dispatch.write keep their own provider's ENGINEER-stage rules (how its
engineers get the tickets the platform's rules send it) and see no other rule (404).
Enterprise users and engineers are refused (403)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta

from servicekit.auth.principal import Principal
from servicekit.authz import require_permission
from servicekit.errors import FieldViolation, invalid_argument, not_found, permission_denied
from servicekit.field_mask import fields_to_update
from servicekit.idempotency import RequestKey, caller_scope
from servicekit.paging import page_of
from services.dispatch.domain.routing import Rule, Stage, Strategy
from services.dispatch.service_layer.deps import Deps
from services.dispatch.service_layer.ports import DispatchUnit, StoredRule


async def create_rule(
    deps: Deps,
    p: Principal,
    *,
    draft: Rule,
    request_id: str = "",
    fingerprint: str = "",
    stage_given: bool = True,
) -> StoredRule:
    """`stage_given` False: the caller named no stage — a provider's admin means his own
    (ENGINEER) stage, platform staff the PROVIDER stage; a provider's admin who names no
    provider means his own."""
    require_editor(p)
    if p.kind == "provider":
        draft = replace(
            draft,
            stage=draft.stage if stage_given else Stage.ENGINEER,
            provider_id=draft.provider_id or p.organization_id,
        )
    _require_owner(p, draft)
    key = RequestKey(caller_scope(p.organization_id, p.user_id), "create-rule", request_id,
                     fingerprint)  # fmt: skip
    async with deps.uow() as uow:
        if existing := await uow.requests.remembered(key):
            return await _get(uow, existing, p)
        rule = replace(draft, id=uuid.uuid4().hex, version=1)
        await validate(uow, rule)
        stored = await uow.rules.add(rule, p.user_id)
        await uow.requests.remember(key, resource_id=rule.id)
        await uow.commit()
    return stored


async def get_rule(deps: Deps, p: Principal, rule_id: str) -> StoredRule:
    _require_reader(p)
    async with deps.uow() as uow:
        return await _get(uow, rule_id, p)


async def list_rules(
    deps: Deps,
    p: Principal,
    *,
    provider_id: str,
    show_disabled: bool,
    page_size: int,
    page_token: str,
    stage: Stage | None = None,
) -> tuple[list[StoredRule], str]:
    _require_reader(p)
    page = page_of(page_size, page_token, default=100, maximum=500)
    if not p.is_platform:  # a provider lists its own rules, whatever it asks for
        provider_id, stage = p.organization_id, Stage.ENGINEER
    async with deps.uow() as uow:
        found = await uow.rules.find(
            provider_id=provider_id,
            show_disabled=show_disabled,
            offset=page.offset,
            limit=page.limit,
            stage=stage,
        )
    return found, page.next_token(len(found))


async def update_rule(deps: Deps, p: Principal, *, draft: Rule, fields: set[str]) -> StoredRule:
    """`fields`: the proto field names of the update mask (every editable one when empty)."""
    require_editor(p)
    fields = fields_to_update(fields, EDITABLE)
    async with deps.uow() as uow:
        current = (await _get(uow, draft.id, p)).rule
        rule = _merge(current, draft, fields)
        _require_owner(p, rule)
        await validate(uow, rule)
        stored = await uow.rules.save(replace(rule, version=current.version + 1), p.user_id)
        await uow.commit()
    return stored


async def delete_rule(deps: Deps, p: Principal, rule_id: str) -> None:
    require_editor(p)
    async with deps.uow() as uow:
        await _get(uow, rule_id, p)
        await uow.rules.remove(rule_id)
        await uow.commit()


_RULE_FIELDS = {  # proto field → Rule attribute
    "display_name": "name",
    "priority": "position",
    "enabled": "enabled",
    "provider_id": "provider_id",
    "strategy": "strategy",
    "required_skills": "required_skills",
    "escalate_after": "escalate_after",
    "claim_window": "claim_window",
    "then_strategy": "then",
    "claim_limit": "claim_limit",
}
_CONDITION_FIELDS = {  # proto field → Conditions attribute
    "enterprise_ids": "enterprise_ids",
    "service_type_ids": "service_type_ids",
    "service_level_ids": "service_level_ids",
    "priorities": "priorities",
    "channels": "channels",
    "custom_fields": "custom_fields",
    "time_window": "window",
}
EDITABLE = set(_RULE_FIELDS) | set(_CONDITION_FIELDS)


def _merge(current: Rule, draft: Rule, fields: set[str]) -> Rule:
    """The current rule with the draft's values for the masked fields."""
    conditions = replace(
        current.conditions,
        **{a: getattr(draft.conditions, a) for f, a in _CONDITION_FIELDS.items() if f in fields},
    )
    plain = {a: getattr(draft, a) for f, a in _RULE_FIELDS.items() if f in fields}
    return replace(current, conditions=conditions, **plain)


async def validate(uow: DispatchUnit, rule: Rule) -> None:
    violations = []
    if not rule.name.strip():
        violations.append(FieldViolation("dispatch_rule.display_name", "is required"))
    elif len(rule.name) > 100:
        violations.append(
            FieldViolation("dispatch_rule.display_name", "must be at most 100 characters")
        )
    if not rule.provider_id:
        violations.append(FieldViolation("dispatch_rule.provider_id", "is required"))
    else:
        provider = (await uow.directory.providers({rule.provider_id})).get(rule.provider_id)
        if provider is None or not provider.active:
            violations.append(
                FieldViolation("dispatch_rule.provider_id", "is not an active provider")
            )
        elif rule.conditions.enterprise_ids - provider.enterprise_ids:
            violations.append(
                FieldViolation(
                    "dispatch_rule.enterprise_ids",
                    "the provider is not designated to "
                    + ", ".join(sorted(rule.conditions.enterprise_ids - provider.enterprise_ids)),
                )
            )
    if rule.strategy is Strategy.CLAIM_WINDOW:
        if rule.claim_window <= timedelta(0):
            violations.append(FieldViolation("dispatch_rule.claim_window", "must be positive"))
        if rule.then not in (Strategy.LEAST_LOADED, Strategy.ROUND_ROBIN):
            violations.append(
                FieldViolation("dispatch_rule.then_strategy", "is LEAST_LOADED or ROUND_ROBIN")
            )
    if not 0 <= rule.claim_limit <= 1000:
        violations.append(FieldViolation("dispatch_rule.claim_limit", "must be from 0 to 1000"))
    if rule.escalate_after is not None and rule.escalate_after <= timedelta(0):
        violations.append(FieldViolation("dispatch_rule.escalate_after", "must be positive"))
    window = rule.conditions.window
    if window is not None and not 0 <= window.start_minute < window.end_minute <= 24 * 60:
        violations.append(
            FieldViolation("dispatch_rule.time_window", "start must come before end, within a day")
        )
    if violations:
        raise invalid_argument("DISPATCH_RULE_INVALID", violations)


async def _get(uow: DispatchUnit, rule_id: str, p: Principal) -> StoredRule:
    found = await uow.rules.get(rule_id)
    if found is None or not owns(p, found.rule):
        raise not_found("DISPATCH_RULE_NOT_FOUND", f"no dispatch rule {rule_id!r}")
    return found


def owns(p: Principal, rule: Rule) -> bool:
    """Platform staff keep every rule; a provider its own ENGINEER-stage rules."""
    return p.is_platform or (
        p.kind == "provider"
        and rule.stage is Stage.ENGINEER
        and rule.provider_id == p.organization_id
    )


def _require_owner(p: Principal, rule: Rule) -> None:
    if not owns(p, rule):
        raise permission_denied(
            "DISPATCH_RULE_NOT_YOURS",
            "a provider keeps only its own engineer-stage rules (stage ENGINEER, its provider_id)",
        )


def _require_reader(p: Principal) -> None:
    require_permission(p, "dispatch.read")
    _require_dispatcher(p)


def require_editor(p: Principal) -> None:
    require_permission(p, "dispatch.write")
    _require_dispatcher(p)


def _require_dispatcher(p: Principal) -> None:
    if not (p.is_platform or p.kind == "provider"):
        raise permission_denied(
            "DISPATCH_RULES_REFUSED", "dispatch rules are the platform's and providers'"
        )
