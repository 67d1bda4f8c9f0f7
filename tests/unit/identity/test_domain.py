"""Identity's domain rules, without servers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from servicekit.auth.principal import Principal
from servicekit.errors import DomainError
from services.identity.domain.access import DataScope, Role, effective_access
from services.identity.domain.departments import check_move, subtree
from services.identity.domain.organizations import Organization, OrgKind, OrgState
from services.identity.domain.people import UserKind
from services.identity.domain.tokens import RefreshToken, RefreshVerdict
from services.identity.domain.visibility import Viewer, visible_enterprises, visible_providers

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
TREE = {"hq": "", "it": "hq", "net": "it", "hr": "hq"}


def test_moving_a_department_under_its_descendant_is_a_cycle():
    with pytest.raises(DomainError) as error:
        check_move("hq", "net", TREE)
    assert error.value.reason == "DEPARTMENT_CYCLE"
    assert error.value.violations[0].field == "department.parent_department_id"


def test_moving_under_itself_is_a_cycle_and_elsewhere_is_fine():
    with pytest.raises(DomainError):
        check_move("it", "it", TREE)
    check_move("net", "hr", TREE)
    check_move("net", "", TREE)


def test_unknown_parent_is_refused():
    with pytest.raises(DomainError) as error:
        check_move("net", "elsewhere", TREE)
    assert error.value.reason == "DEPARTMENT_PARENT_NOT_FOUND"


def test_subtree_holds_the_department_and_its_descendants():
    assert subtree("it", TREE) == {"it", "net"}


def test_refresh_token_verdicts():
    token = RefreshToken(id="t", family_id="f", user_id="u", expires_at=NOW + timedelta(days=1))
    assert token.verdict(NOW) is RefreshVerdict.USABLE
    assert token.verdict(NOW + timedelta(days=2)) is RefreshVerdict.EXPIRED
    token.used_at = NOW
    assert token.verdict(NOW) is RefreshVerdict.REUSED


def test_organization_lifecycle_rules():
    org = Organization(id="e", kind=OrgKind.ENTERPRISE, display_name="e")
    org.disable()
    assert org.state is OrgState.DISABLED and not org.can_sign_in
    with pytest.raises(DomainError, match="ENTERPRISE_ALREADY_DISABLED"):
        org.disable()
    org.enable()
    org.delete(NOW)
    with pytest.raises(DomainError, match="ENTERPRISE_DELETED"):
        org.disable()
    org.undelete()
    assert org.can_sign_in


def test_effective_access_unions_enabled_codes_and_takes_the_broadest_scope():
    roles = [
        Role("a", "a", UserKind.ENTERPRISE, ["ticket.read", "gone"], DataScope.SELF),
        Role("b", "b", UserKind.ENTERPRISE, ["ticket.create"], DataScope.DEPARTMENT),
    ]
    codes, scope = effective_access(roles, {"ticket.read", "ticket.create"})
    assert codes == {"ticket.read", "ticket.create"}
    assert scope is DataScope.DEPARTMENT


def test_visibility_by_kind():
    provider = Viewer(Principal("p", "provider", "P1"), designated_enterprise_ids=frozenset({"E1"}))
    enterprise = Viewer(
        Principal("e", "enterprise", "E1"), designated_provider_ids=frozenset({"P1"})
    )
    platform = Viewer(Principal("a", "platform"))
    assert visible_enterprises(provider) == {"E1"}
    assert visible_providers(provider) == {"P1"}
    assert visible_enterprises(enterprise) == {"E1"}
    assert visible_providers(enterprise) == {"P1"}
    assert visible_enterprises(platform) is None


def test_urls_must_be_https_with_a_host():
    from services.identity.domain.validation import Checks

    checks = Checks("user")
    for bad in ("javascript:alert(1)", "http://img.example/a.png", "data:image/png;base64,AA",
                "https://", "https://[::1", "https://img.example/a b.png"):  # fmt: skip
        checks.https_url("avatar_url", bad)
    checks.https_url("avatar_url", "https://img.example/a.png")
    checks.https_url("avatar_url", "")
    assert [v.field for v in checks.violations] == ["user.avatar_url"] * 6
