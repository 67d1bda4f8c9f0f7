"""Enterprises, providers, departments and designations through their use cases, on fakes."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from servicekit.errors import DomainError, ErrorCode
from services.identity.domain.departments import Department
from services.identity.domain.events import DesignationChanged
from services.identity.domain.organizations import Organization, OrgKind, OrgState
from services.identity.service_layer import departments, organizations
from services.identity.service_layer.ports import OrganizationFilter
from tests.unit.identity.conftest import caller, emitted, revoked
from tests.unit.identity.fakes import World


def _enterprise(name: str, **fields: object) -> Organization:
    return Organization("", OrgKind.ENTERPRISE, name, **fields)  # type: ignore[arg-type]


async def test_platform_creates_an_enterprise_once_per_request_id(w: World):
    admin = await caller(w, "admin")
    made = await organizations.create_organization(
        w.deps, admin, draft=_enterprise("Initech"), request_id="r1", fingerprint="f"
    )
    again = await organizations.create_organization(
        w.deps, admin, draft=_enterprise("Initech"), request_id="r1", fingerprint="f"
    )
    assert again.id == made.id
    assert emitted(w) == [("OrganizationChanged", "created")]


async def test_create_refuses_bad_fields_a_taken_name_and_non_platform(w: World):
    admin = await caller(w, "admin")
    with pytest.raises(DomainError) as invalid:
        await organizations.create_organization(
            w.deps,
            admin,
            draft=_enterprise("", logo_url="http://x"),
            request_id="",
        )
    assert {v.field for v in invalid.value.violations} == {
        "enterprise.display_name",
        "enterprise.logo_url",
    }
    with pytest.raises(DomainError) as taken:
        await organizations.create_organization(
            w.deps, admin, draft=_enterprise("Acme"), request_id=""
        )
    assert taken.value.reason == "ENTERPRISE_NAME_TAKEN"
    with pytest.raises(DomainError) as refused:
        await organizations.create_organization(
            w.deps, await caller(w, "boss"), draft=_enterprise("Mine"), request_id=""
        )
    assert refused.value.code is ErrorCode.PERMISSION_DENIED
    assert not w.state.events


async def test_get_and_list_follow_visibility(w: World):
    boss, padmin = await caller(w, "boss"), await caller(w, "padmin")
    assert (await organizations.get_organization(w.deps, boss, OrgKind.ENTERPRISE, "ent")).id
    with pytest.raises(DomainError) as hidden:
        await organizations.get_organization(w.deps, boss, OrgKind.ENTERPRISE, "ent-2")
    assert hidden.value.code is ErrorCode.NOT_FOUND
    seen, _, total = await organizations.list_organizations(
        w.deps,
        padmin,
        OrgKind.ENTERPRISE,
        where=OrganizationFilter(),
        page_size=10,
        page_token="",
    )
    assert [o.id for o in seen] == ["ent"] and total == 1
    everything, _, total = await organizations.list_organizations(
        w.deps,
        await caller(w, "admin"),
        OrgKind.ENTERPRISE,
        where=OrganizationFilter(display_name="gLoB"),
        page_size=10,
        page_token="",
    )
    assert [o.id for o in everything] == ["ent-2"]


async def test_managers_update_their_own_organization(w: World):
    boss = await caller(w, "boss")
    current = w.state.orgs["ent"]
    saved = await organizations.update_organization(
        w.deps, boss, draft=replace(current, address="1 Main St"), mask=["address"]
    )
    assert saved.address == "1 Main St"
    with pytest.raises(DomainError):
        await organizations.update_organization(
            w.deps, boss, draft=replace(w.state.orgs["ent-2"], address="x"), mask=["address"]
        )
    assert emitted(w) == [("OrganizationChanged", "updated")]


async def test_disable_delete_undelete(w: World):
    admin = await caller(w, "admin")
    disabled = await organizations.change_organization_state(
        w.deps, admin, OrgKind.PROVIDER, "prov-2", action="disable", reason="unpaid"
    )
    assert disabled.state is OrgState.DISABLED
    deleted = await organizations.change_organization_state(
        w.deps, admin, OrgKind.PROVIDER, "prov-2", action="delete"
    )
    assert deleted.deleted_at is not None
    back = await organizations.change_organization_state(
        w.deps, admin, OrgKind.PROVIDER, "prov-2", action="undelete"
    )
    assert back.deleted_at is None
    assert [c for _, c in emitted(w)] == ["disable", "delete", "undelete"]
    assert revoked(w) == [("prov-2", "disable"), ("prov-2", "delete")]
    assert [e.kind.value for e in w.state.security_log][:2] == ["organization_disabled"] * 2


async def test_departments_crud_and_no_cycles(w: World):
    boss = await caller(w, "boss")
    ops = await departments.create_department(
        w.deps, boss, draft=Department("", "ent", "Ops", parent_id="it")
    )
    assert (await departments.get_department(w.deps, boss, "ent", ops.id)).parent_id == "it"
    assert {d.id for d in await departments.list_departments(w.deps, boss, "ent")} == {
        "it",
        ops.id,
    }
    with pytest.raises(DomainError) as cycle:
        await departments.update_department(
            w.deps,
            boss,
            draft=replace(w.state.departments["it"], parent_id=ops.id),
            mask=["parent_department_id"],
        )
    assert cycle.value.reason == "DEPARTMENT_CYCLE"
    renamed = await departments.update_department(
        w.deps, boss, draft=replace(ops, display_name="Operations"), mask=["display_name"]
    )
    assert renamed.display_name == "Operations"
    with pytest.raises(DomainError) as busy:  # IT has a member and a child
        await departments.delete_department(w.deps, boss, "ent", "it")
    assert busy.value.code is ErrorCode.FAILED_PRECONDITION
    await departments.delete_department(w.deps, boss, "ent", ops.id)
    assert [c for _, c in emitted(w)] == ["created", "updated", "delete"]


async def test_departments_of_another_enterprise_are_hidden(w: World):
    other = await caller(w, "other-boss")
    with pytest.raises(DomainError) as hidden:
        await departments.list_departments(w.deps, other, "ent")
    assert hidden.value.code is ErrorCode.NOT_FOUND


async def test_designate_and_withdraw(w: World):
    admin = await caller(w, "admin")
    provider, at = await departments.designate(w.deps, admin, "ent", "prov-2", remove=False)
    assert provider.id == "prov-2" and at == w.clock()
    w.clock.now += timedelta(hours=1)
    again, first = await departments.designate(w.deps, admin, "ent", "prov-2", remove=False)
    assert (again.id, first) == ("prov-2", at)  # already designated: the original time
    listed = await departments.list_designations(w.deps, admin, "ent")
    assert {p.id for p, _ in listed} == {"prov", "prov-2"}
    await departments.designate(w.deps, admin, "ent", "prov-2", remove=True)
    changes = [e for e in w.state.events if isinstance(e, DesignationChanged)]
    assert [e.change.value for e in changes] == ["created", "delete"]
    with pytest.raises(DomainError) as missing:
        await departments.designate(w.deps, admin, "ent", "prov-2", remove=True)
    assert missing.value.reason == "DESIGNATION_NOT_FOUND"
    with pytest.raises(DomainError):
        await departments.designate(w.deps, await caller(w, "boss"), "ent", "prov-2", remove=False)
