"""The verified caller of a request, as carried by its access token."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Principal:
    """Who is calling. Services check permission codes, never role names."""

    user_id: str
    kind: str
    organization_id: str = ""
    roles: tuple[str, ...] = ()
    permissions: frozenset[str] = field(default_factory=frozenset)
    data_scope: str = "self"
    token_id: str = ""
    session_id: str = ""  # the sign-in session (refresh token family) the token belongs to
    department_id: str = ""

    def has(self, permission: str) -> bool:
        return permission in self.permissions

    @property
    def is_platform(self) -> bool:
        return self.kind == "platform"
