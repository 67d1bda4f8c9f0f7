"""What a signed-in user may see. Repositories turn these answers into WHERE clauses, so the
rule holds for every query, not only in handlers."""

from __future__ import annotations

from dataclasses import dataclass, field

from servicekit.auth.principal import Principal


@dataclass(frozen=True)
class Viewer:
    """The caller plus the facts visibility depends on."""

    principal: Principal
    designated_enterprise_ids: frozenset[str] = field(default_factory=frozenset)
    designated_provider_ids: frozenset[str] = field(default_factory=frozenset)

    @property
    def kind(self) -> str:
        return self.principal.kind

    @property
    def org_id(self) -> str:
        return self.principal.organization_id

    @property
    def is_platform(self) -> bool:
        return self.principal.is_platform


ALL = None  # "no restriction" in the answers below


def visible_enterprises(viewer: Viewer) -> frozenset[str] | None:
    if viewer.is_platform:
        return ALL
    if viewer.kind == "enterprise":
        return frozenset({viewer.org_id})
    return viewer.designated_enterprise_ids  # providers and engineers: designated to them


def visible_providers(viewer: Viewer) -> frozenset[str] | None:
    if viewer.is_platform:
        return ALL
    if viewer.kind == "enterprise":
        return viewer.designated_provider_ids
    return frozenset({viewer.org_id})


def manages_organization(viewer: Viewer, organization_id: str) -> bool:
    """Platform staff manage every organisation; others only their own."""
    return viewer.is_platform or viewer.org_id == organization_id
