"""Tickets' use cases against the in-memory fakes: a world with a catalogue and a directory."""

from __future__ import annotations

from datetime import timedelta

import pytest

from servicekit.auth.principal import Principal
from services.tickets.domain.catalog import ApprovalStep, ApproverSide, ServiceLevel, ServiceType
from services.tickets.domain.tickets import Ticket
from services.tickets.service_layer import catalog, tickets
from services.tickets.service_layer.ports import Person
from tests.unit.tickets.fakes import World, world

ALL = frozenset(
    {
        "catalog.write",
        "ticket.create",
        "ticket.create_on_behalf",
        "ticket.assign",
        "ticket.claim",
        "ticket.handle",
        "ticket.transfer",
        "ticket.cancel",
        "ticket.comment.internal",
        "ticket.approve",
        "knowledge.read",
        "knowledge.write",
    }
)
PLATFORM = Principal("admin", "platform", "platform", permissions=ALL, data_scope="all")
REQUESTER = Principal(
    "req", "enterprise", "ent", permissions=frozenset({"ticket.create", "knowledge.read"})
)
COLLEAGUE = Principal("col", "enterprise", "ent", permissions=frozenset({"ticket.create"}))
OTHER_ENTERPRISE = Principal("stranger", "enterprise", "ent-2", data_scope="organization")
ENT_ADMIN = Principal(
    "boss",
    "enterprise",
    "ent",
    permissions=frozenset({"ticket.approve", "ticket.cancel", "ticket.create"}),
    data_scope="organization",
)
PROVIDER_ADMIN = Principal(
    "padmin",
    "provider",
    "prov",
    permissions=frozenset({"ticket.assign", "ticket.comment.internal"}),
)
ENGINEER = Principal(
    "eng",
    "engineer",
    "prov",
    permissions=frozenset(
        {"ticket.claim", "ticket.handle", "ticket.transfer", "ticket.comment.internal"}
    ),
)
ENGINEER_2 = Principal("eng2", "engineer", "prov", permissions=ENGINEER.permissions)
OTHER_ENGINEER = Principal("eng3", "engineer", "prov-2", permissions=ENGINEER.permissions)


@pytest.fixture
def w() -> World:
    made = world()
    state = made.state
    for person in (
        Person("req", "enterprise", "ent", "", "Requester", True),
        Person("col", "enterprise", "ent", "", "Colleague", True),
        Person("eng", "engineer", "prov", "", "Engineer", True),
        Person("eng2", "engineer", "prov", "", "Engineer Two", True),
        Person("eng3", "engineer", "prov-2", "", "Elsewhere", True),
        Person("gone", "engineer", "prov", "", "Disabled", False),
    ):
        state.people[person.id] = person
    state.designations.add(("ent", "prov"))
    return made


async def catalogue(w: World, *, approval: bool = False) -> tuple[ServiceType, ServiceLevel]:
    steps = [ApprovalStep(1, "ticket.approve", ApproverSide.ENTERPRISE)] if approval else []
    level = await catalog.create_service_level(
        w.deps,
        PLATFORM,
        draft=ServiceLevel(
            id="",
            display_name=f"Level {len(w.state.levels)}",
            response_target=timedelta(hours=4),
            resolution_target=timedelta(hours=24),
            approval_steps=steps,
        ),
    )
    root = await catalog.create_service_type(
        w.deps, PLATFORM, draft=ServiceType(id="", display_name=f"IT {len(w.state.types)}")
    )
    leaf = await catalog.create_service_type(
        w.deps,
        PLATFORM,
        draft=ServiceType(
            id="", display_name="Printer", parent_id=root.id, default_service_level_id=level.id
        ),
    )
    return leaf, level


async def raise_ticket(
    w: World, *, approval: bool = False, by=REQUESTER, title: str = "Printer jams"
) -> Ticket:
    leaf, _ = await catalogue(w, approval=approval)
    draft = Ticket(
        id="",
        number="",
        title=title,
        service_type_id=leaf.id,
        service_level_id="",
        enterprise_id="",
        requester_id="",
    )
    return await tickets.create_ticket(w.deps, by, draft=draft, priority=None, request_id="")


def actions(w: World, ticket_id: str) -> list[str]:
    return [h.action for h in w.state.history if h.ticket_id == ticket_id]


def event_names(w: World) -> list[str]:
    return [type(e).__name__ for _, e in w.state.events]
