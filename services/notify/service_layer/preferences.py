"""Notification preferences: everyone reads and changes his own layer and reads the effective
result (with the layer that decided each answer); an organisation's admins (user.write in
that organisation, or platform staff holding it) set the organisation's defaults, which its
users' own choices override."""

from __future__ import annotations

from dataclasses import dataclass, replace

from servicekit.auth.principal import Principal
from servicekit.authz import require_permission
from servicekit.errors import FieldViolation, invalid_argument, not_found
from services.notify.domain.preferences import (
    Channel,
    Effective,
    Layer,
    PreferenceError,
    PreferenceSet,
    QuietHours,
    Topic,
    effective,
)
from services.notify.service_layer.deps import Deps
from services.notify.service_layer.ports import StoredPreferences

ORGANIZATION_ADMIN = "user.write"
MAX_SERVICE_TYPES = 200


@dataclass(frozen=True)
class Change:
    """What an update sets. `switches`: (topic, channel) → on/off, or None to inherit again
    (merged into the layer); `quiet_hours` and `service_type_ids` replace the layer's when
    their flag is set (None: inherit)."""

    switches: dict[tuple[Topic, Channel], bool | None] | None = None
    set_quiet_hours: bool = False
    quiet_hours: QuietHours | None = None
    set_service_types: bool = False
    service_type_ids: frozenset[str] | None = None


def _applied(current: PreferenceSet, change: Change) -> PreferenceSet:
    switches = dict(current.switches)
    for key, on in (change.switches or {}).items():
        if on is None:
            switches.pop(key, None)
        else:
            switches[key] = on
    if change.set_service_types and change.service_type_ids is not None:
        if len(change.service_type_ids) > MAX_SERVICE_TYPES:
            raise PreferenceError("serviceTypes.serviceTypeIds", f"at most {MAX_SERVICE_TYPES}")
    return PreferenceSet(
        switches=switches,
        quiet_hours=change.quiet_hours if change.set_quiet_hours else current.quiet_hours,
        service_type_ids=(
            change.service_type_ids if change.set_service_types else current.service_type_ids
        ),
    )


async def my_preferences(deps: Deps, p: Principal) -> StoredPreferences:
    return await _layer(deps, Layer.USER, p.user_id)


async def update_my_preferences(deps: Deps, p: Principal, change: Change) -> StoredPreferences:
    return await _update(deps, p, Layer.USER, p.user_id, change, prefix="preferences.")


async def my_effective_preferences(deps: Deps, p: Principal) -> Effective:
    async with deps.uow() as uow:
        organization = await uow.preferences.get(Layer.ORGANIZATION, p.organization_id)
        mine = await uow.preferences.get(Layer.USER, p.user_id)
    return effective(
        organization.preferences if organization and p.organization_id else None,
        mine.preferences if mine else None,
    )


def check_organization_admin(p: Principal, organization_id: str) -> None:
    """May `p` set the organisation's defaults (checked before the request is read)."""
    if not organization_id:
        raise invalid_argument(
            "ORGANIZATION_REQUIRED", [FieldViolation("organization_id", "is required")]
        )
    require_permission(p, ORGANIZATION_ADMIN)
    if not p.is_platform and p.organization_id != organization_id:
        raise not_found("ORGANIZATION_NOT_FOUND", f"no organization {organization_id!r}")


async def organization_preferences(
    deps: Deps, p: Principal, organization_id: str
) -> StoredPreferences:
    check_organization_admin(p, organization_id)
    return await _layer(deps, Layer.ORGANIZATION, organization_id)


async def update_organization_preferences(
    deps: Deps, p: Principal, organization_id: str, change: Change
) -> StoredPreferences:
    check_organization_admin(p, organization_id)
    return await _update(
        deps, p, Layer.ORGANIZATION, organization_id, change, prefix="preferences."
    )


async def _layer(deps: Deps, layer: Layer, owner_id: str) -> StoredPreferences:
    async with deps.uow() as uow:
        found = await uow.preferences.get(layer, owner_id)
    return found or _empty(layer, owner_id)


def _empty(layer: Layer, owner_id: str) -> StoredPreferences:
    return StoredPreferences(layer, owner_id, PreferenceSet(), None, "")


async def _update(
    deps: Deps, p: Principal, layer: Layer, owner_id: str, change: Change, *, prefix: str
) -> StoredPreferences:
    async with deps.uow() as uow:
        current = await uow.preferences.get(layer, owner_id) or _empty(layer, owner_id)
        try:
            changed = _applied(current.preferences, change)
        except PreferenceError as error:
            raise invalid_argument(
                "PREFERENCES_INVALID", [FieldViolation(prefix + error.field, error.problem)]
            ) from None
        stored = replace(
            current, preferences=changed, updated_at=deps.clock(), updated_by=p.user_id
        )
        await uow.preferences.save(stored)
        await uow.commit()
    return stored
