"""Creating, reading, listing, editing tickets and the 个人中心 statistics, on fakes."""

from __future__ import annotations

from dataclasses import replace

import pytest

from servicekit.errors import DomainError, ErrorCode
from services.tickets.domain.catalog import Priority
from services.tickets.domain.status import Status, StatusGroup
from services.tickets.domain.tickets import Channel, Ticket
from services.tickets.service_layer import snapshot, tickets
from services.tickets.service_layer.ports import TicketFilter
from tests.unit.tickets.conftest import (
    COLLEAGUE,
    ENGINEER,
    ENT_ADMIN,
    OTHER_ENTERPRISE,
    PLATFORM,
    REQUESTER,
    catalogue,
    event_names,
    raise_ticket,
)
from tests.unit.tickets.fakes import World


def _draft(type_id: str, **fields: object) -> Ticket:
    values: dict[str, object] = {
        "id": "",
        "number": "",
        "title": "Printer jams",
        "service_type_id": type_id,
        "service_level_id": "",
        "enterprise_id": "",
        "requester_id": "",
    }
    return Ticket(**(values | fields))  # type: ignore[arg-type]


async def test_create_numbers_the_ticket_and_records_its_creation(w: World):
    ticket = await raise_ticket(w)
    assert ticket.number == "T20261130-000001"
    assert (ticket.requester_id, ticket.enterprise_id) == ("req", "ent")
    assert ticket.status is Status.PENDING_ASSIGNMENT
    assert ticket.response_due_at is not None
    assert event_names(w) == ["TicketCreated"]
    second = await raise_ticket(w, title="Another")
    assert second.number == "T20261130-000002"


async def test_create_with_approval_waits_for_it(w: World):
    ticket = await raise_ticket(w, approval=True)
    assert ticket.status is Status.PENDING_APPROVAL


async def test_create_is_idempotent_by_request_id_and_refuses_a_reused_id(w: World):
    leaf, _ = await catalogue(w)
    first = await tickets.create_ticket(
        w.deps, REQUESTER, draft=_draft(leaf.id), priority=None, request_id="r1", fingerprint="a"
    )
    again = await tickets.create_ticket(
        w.deps, REQUESTER, draft=_draft(leaf.id), priority=None, request_id="r1", fingerprint="a"
    )
    assert again.id == first.id and len(w.state.tickets) == 1
    with pytest.raises(DomainError) as refused:
        await tickets.create_ticket(
            w.deps,
            REQUESTER,
            draft=_draft(leaf.id, title="other"),
            priority=None,
            request_id="r1",
            fingerprint="b",
        )
    assert refused.value.reason == "REQUEST_ID_REUSED"


async def test_create_refuses_bad_content_naming_the_fields(w: World):
    leaf, _ = await catalogue(w)
    with pytest.raises(DomainError) as refused:
        await tickets.create_ticket(
            w.deps,
            REQUESTER,
            draft=_draft(leaf.id, title=" ", contact_phone="12"),
            priority=None,
            request_id="",
        )
    fields = {v.field for v in refused.value.violations}
    assert fields == {"ticket.title", "ticket.contact_phone"}
    assert not w.state.tickets and not w.state.events  # nothing written


async def test_create_refuses_a_category_and_an_unknown_type(w: World):
    leaf, _ = await catalogue(w)
    for type_id in (leaf.parent_id, "nope"):
        with pytest.raises(DomainError) as refused:
            await tickets.create_ticket(
                w.deps, REQUESTER, draft=_draft(type_id), priority=None, request_id=""
            )
        assert refused.value.violations[0].field == "ticket.service_type_id"


async def test_requesters_do_not_choose_priority_or_the_staff_channel(w: World):
    leaf, _ = await catalogue(w)
    with pytest.raises(DomainError) as refused:
        await tickets.create_ticket(
            w.deps, REQUESTER, draft=_draft(leaf.id), priority=Priority.URGENT, request_id=""
        )
    assert refused.value.reason == "PRIORITY_NOT_YOURS"
    with pytest.raises(DomainError):
        await tickets.create_ticket(
            w.deps,
            REQUESTER,
            draft=_draft(leaf.id, channel=Channel.STAFF),
            priority=None,
            request_id="",
        )


async def test_staff_raise_on_a_customers_behalf(w: World):
    leaf, _ = await catalogue(w)
    ticket = await tickets.create_ticket(
        w.deps,
        PLATFORM,
        draft=_draft(leaf.id, requester_id="req"),
        priority=Priority.URGENT,
        request_id="",
    )
    assert (ticket.enterprise_id, ticket.created_by, ticket.channel) == (
        "ent",
        "admin",
        Channel.STAFF,
    )
    assert ticket.priority is Priority.URGENT
    with pytest.raises(DomainError) as refused:
        await tickets.create_ticket(
            w.deps,
            PLATFORM,
            draft=_draft(leaf.id, requester_id="eng"),
            priority=None,
            request_id="",
        )
    assert refused.value.violations[0].field == "ticket.requester_user_id"


async def test_get_sees_only_what_the_scope_allows(w: World):
    ticket = await raise_ticket(w)
    assert (await tickets.get_ticket(w.deps, REQUESTER, ticket.id)).id == ticket.id
    assert (await tickets.get_ticket(w.deps, REQUESTER, ticket.number)).id == ticket.id
    for outsider in (COLLEAGUE, OTHER_ENTERPRISE, ENGINEER):
        with pytest.raises(DomainError) as hidden:
            await tickets.get_ticket(w.deps, outsider, ticket.id)
        assert hidden.value.code is ErrorCode.NOT_FOUND


async def test_list_filters_groups_and_pages(w: World):
    first = await raise_ticket(w, title="Printer jams")
    second = await raise_ticket(w, title="Screen flickers")

    async def listed(where=None, group=None, size=10, token="", who=REQUESTER):
        return await tickets.list_tickets(
            w.deps,
            who,
            where=where or TicketFilter(),
            group=group,
            page_size=size,
            page_token=token,
        )

    page, token = await listed(size=1)
    assert (len(page.items), page.total, page.capped) == (1, 2, False) and token
    following, last = await listed(size=1, token=token)
    assert {page.items[0].id, following.items[0].id} == {first.id, second.id} and last == ""
    assert following.total == 2  # counted once, for the first page; carried by the token
    page, _ = await listed(TicketFilter(query="printer"))
    assert [t.id for t in page.items] == [first.id]
    page, _ = await listed(group=StatusGroup.DONE)
    assert page.total == 0
    by_type = TicketFilter(service_type_ids=frozenset({first.service_type_id}))
    page, _ = await listed(by_type, who=PLATFORM)
    assert [t.id for t in page.items] == [first.id]


async def test_a_page_token_works_only_unchanged_and_with_its_own_filters(w: World):
    for _ in range(3):
        await raise_ticket(w)
    _, token = await tickets.list_tickets(
        w.deps, REQUESTER, where=TicketFilter(), group=None, page_size=1, page_token=""
    )
    body, _, mac = token.partition(".")
    forged = [
        *(token[:-1] + c for c in "ABCD" if c != token[-1]),  # even base64's unused last bits
        body,
        "x" + token,
        "不是令牌",
        f"{body}.{mac}{mac}",
    ]
    for bad, where in [*((t, TicketFilter()) for t in forged), (token, TicketFilter(query="x"))]:
        with pytest.raises(DomainError) as refused:
            await tickets.list_tickets(
                w.deps, REQUESTER, where=where, group=None, page_size=1, page_token=bad
            )
        assert refused.value.code is ErrorCode.INVALID_ARGUMENT
        assert [v.field for v in refused.value.violations] == ["page_token"]


async def test_list_totals_stop_at_the_cap(w: World):
    w.deps.settings.list_count_cap = 2
    for _ in range(3):
        await raise_ticket(w)
    page, _ = await tickets.list_tickets(
        w.deps, REQUESTER, where=TicketFilter(), group=None, page_size=10, page_token=""
    )
    assert (len(page.items), page.total, page.capped) == (3, 2, True)


async def test_update_edits_before_assignment_and_records_the_changes(w: World):
    ticket = await raise_ticket(w)
    draft = replace(ticket, title="Printer jams on tray 2")
    saved = await tickets.update_ticket(
        w.deps, REQUESTER, ticket_id=ticket.id, draft=draft, priority=None, mask=["title"]
    )
    assert saved.title == "Printer jams on tray 2" and saved.version == ticket.version + 1
    _, event = w.state.events[-1]
    assert (type(event).__name__, event.changes) == (
        "TicketUpdated",
        {"title": "Printer jams on tray 2"},
    )
    with pytest.raises(DomainError) as refused:
        await tickets.update_ticket(
            w.deps, COLLEAGUE, ticket_id=ticket.id, draft=draft, priority=None, mask=["title"]
        )
    assert refused.value.code is ErrorCode.NOT_FOUND


async def test_update_refuses_an_assigned_ticket(w: World):
    ticket = await raise_ticket(w)
    w.state.tickets[ticket.id].engineer_id = "eng"
    with pytest.raises(DomainError) as refused:
        await tickets.update_ticket(
            w.deps, REQUESTER, ticket_id=ticket.id, draft=ticket, priority=None, mask=["title"]
        )
    assert refused.value.reason == "TICKET_INVALID_TRANSITION"


async def test_stats_count_by_group_and_month(w: World):
    await raise_ticket(w)
    await raise_ticket(w)
    await raise_ticket(w, by=COLLEAGUE)
    groups, months = await tickets.stats(w.deps, REQUESTER, months=2)
    assert groups["PENDING"] == 2 and groups["DONE"] == 0
    assert months == [("2026-10", 0), ("2026-11", 2)]
    # admins see their organisation's figures, the platform everyone's; engineers their own
    for who, expected in ((ENT_ADMIN, 3), (PLATFORM, 3), (ENGINEER, 0), (OTHER_ENTERPRISE, 0)):
        groups, _ = await tickets.stats(w.deps, who, months=1)
        assert sum(groups.values()) == expected, who


async def test_snapshot_publishes_every_ticket_in_pages(w: World):
    for i in range(5):
        await raise_ticket(w, title=f"T{i}")
    catalogue = len(w.state.types) + len(w.state.levels)
    assert await snapshot.publish_snapshot(w.deps, page_size=2) == 5 + catalogue
    assert sorted(t.id for t in w.state.snapshots) == sorted(w.state.tickets)
    republished = [(change, id) for change, id, _ in w.state.catalog_events if change == "snapshot"]
    assert sorted(id for _, id in republished) == sorted([*w.state.types, *w.state.levels])
