"""The service catalogue (types in three levels, service levels) through its use cases."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from servicekit.errors import DomainError, ErrorCode
from services.tickets.domain.catalog import ApprovalStep, ApproverSide, ServiceLevel, ServiceType
from services.tickets.service_layer import catalog
from tests.unit.tickets.conftest import PLATFORM, REQUESTER, raise_ticket
from tests.unit.tickets.fakes import World


async def _type(w: World, name: str, parent: str = "") -> ServiceType:
    return await catalog.create_service_type(
        w.deps, PLATFORM, draft=ServiceType(id="", display_name=name, parent_id=parent)
    )


async def test_types_nest_three_levels_deep(w: World):
    root = await _type(w, "IT")
    child = await _type(w, "Hardware", root.id)
    leaf = await _type(w, "Printer", child.id)
    assert (root.level, child.level, leaf.level) == (1, 2, 3)
    with pytest.raises(DomainError) as refused:
        await _type(w, "Too deep", leaf.id)
    assert refused.value.violations[0].field == "service_type.parent_service_type_id"


async def test_sibling_names_are_unique_and_names_required(w: World):
    root = await _type(w, "IT")
    await _type(w, "Printer", root.id)
    with pytest.raises(DomainError) as taken:
        await _type(w, "Printer", root.id)
    assert taken.value.reason == "SERVICE_TYPE_NAME_TAKEN"
    with pytest.raises(DomainError) as empty:
        await _type(w, " ")
    assert empty.value.violations[0].field == "service_type.display_name"


async def test_only_catalogue_writers_change_it(w: World):
    with pytest.raises(DomainError) as refused:
        await catalog.create_service_type(
            w.deps, REQUESTER, draft=ServiceType(id="", display_name="x")
        )
    assert refused.value.code is ErrorCode.PERMISSION_DENIED
    assert not w.state.types


async def test_get_list_update_type(w: World):
    root = await _type(w, "IT")
    child = await _type(w, "Printer", root.id)
    assert (await catalog.get_service_type(w.deps, child.id)).display_name == "Printer"
    with pytest.raises(DomainError):
        await catalog.get_service_type(w.deps, "nope")
    listed = await catalog.list_service_types(w.deps, parent_id=root.id, show_disabled=False)
    assert [t.id for t in listed] == [child.id]
    renamed = await catalog.update_service_type(
        w.deps,
        PLATFORM,
        draft=replace(child, display_name="Printers", enabled=False),
        mask=["display_name", "disabled"],
    )
    assert (renamed.display_name, renamed.enabled) == ("Printers", False)
    assert await catalog.list_service_types(w.deps, parent_id=root.id, show_disabled=False) == []


async def test_a_type_cannot_become_its_own_ancestor(w: World):
    root = await _type(w, "IT")
    child = await _type(w, "Hardware", root.id)
    with pytest.raises(DomainError) as refused:
        await catalog.update_service_type(
            w.deps,
            PLATFORM,
            draft=replace(root, parent_id=child.id),
            mask=["parent_service_type_id"],
        )
    assert refused.value.violations[0].field == "service_type.parent_service_type_id"


async def test_delete_type_only_when_unused(w: World):
    ticket = await raise_ticket(w)
    with pytest.raises(DomainError) as used:
        await catalog.delete_service_type(w.deps, PLATFORM, ticket.service_type_id)
    assert used.value.code is ErrorCode.FAILED_PRECONDITION
    spare = await _type(w, "Spare")
    await catalog.delete_service_type(w.deps, PLATFORM, spare.id)
    assert spare.id not in w.state.types


async def test_levels_validate_targets_and_approval_steps(w: World):
    with pytest.raises(DomainError) as refused:
        await catalog.create_service_level(
            w.deps,
            PLATFORM,
            draft=ServiceLevel(
                id="",
                display_name="Bad",
                response_target=timedelta(0),
                approval_steps=[ApprovalStep(1, "", ApproverSide.ENTERPRISE)] * 3,
            ),
        )
    fields = {v.field for v in refused.value.violations}
    assert {
        "service_level.response_target",
        "service_level.approval_steps",
        "service_level.approval_steps[0].permission_code",
    } <= fields


async def test_level_crud_and_in_use(w: World):
    gold = await catalog.create_service_level(
        w.deps, PLATFORM, draft=ServiceLevel(id="", display_name="Gold")
    )
    assert (await catalog.get_service_level(w.deps, gold.id)).display_name == "Gold"
    assert [lv.id for lv in await catalog.list_service_levels(w.deps)] == [gold.id]
    faster = await catalog.update_service_level(
        w.deps,
        PLATFORM,
        draft=replace(gold, response_target=timedelta(hours=1)),
        mask=["response_target"],
    )
    assert faster.response_target == timedelta(hours=1)
    with pytest.raises(DomainError) as taken:
        await catalog.create_service_level(
            w.deps, PLATFORM, draft=ServiceLevel(id="", display_name="Gold")
        )
    assert taken.value.reason == "SERVICE_LEVEL_NAME_TAKEN"
    ticket = await raise_ticket(w)
    with pytest.raises(DomainError) as used:
        await catalog.delete_service_level(w.deps, PLATFORM, ticket.service_level_id)
    assert used.value.reason == "SERVICE_LEVEL_IN_USE"
    await catalog.delete_service_level(w.deps, PLATFORM, gold.id)
    with pytest.raises(DomainError):
        await catalog.get_service_level(w.deps, gold.id)


async def test_every_change_of_the_catalogue_is_published_in_its_transaction(w: World):
    root = await _type(w, "IT")
    await catalog.update_service_type(
        w.deps, PLATFORM, draft=ServiceType(id=root.id, display_name="信息技术"),
        mask=["display_name"],
    )  # fmt: skip
    level = await catalog.create_service_level(
        w.deps, PLATFORM, draft=ServiceLevel(id="", display_name="金牌")
    )
    await catalog.delete_service_level(w.deps, PLATFORM, level.id)
    await catalog.delete_service_type(w.deps, PLATFORM, root.id)
    assert w.state.catalog_events[-5:] == [
        ("created", root.id, "IT"),
        ("updated", root.id, "信息技术"),
        ("created", level.id, "金牌"),
        ("deleted", level.id, "金牌"),
        ("deleted", root.id, "信息技术"),
    ]
