"""Tickets' events as dispatch reads them, and rules through their protobuf form."""

from __future__ import annotations

from datetime import timedelta

from google.protobuf import struct_pb2
from ticketing.tickets.v1 import catalog_pb2, tickets_pb2

from services.dispatch import mapping
from services.dispatch.domain.routing import Conditions, Rule, Strategy, TimeWindow
from services.dispatch.service_layer.ports import StoredRule
from tests.support.fakes import FakeClock


def test_a_ticket_event_becomes_the_facts_rules_look_at():
    custom = struct_pb2.Struct()
    custom.update({"floor": 3, "building": "A", "urgent": True})
    ticket = tickets_pb2.Ticket(
        ticket_id="t1",
        enterprise_id="ent",
        service_type_id="wifi",
        service_type_path=["it", "network", "wifi"],
        priority=catalog_pb2.PRIORITY_HIGH,
        channel=tickets_pb2.CHANNEL_MINI_PROGRAM,
        status=tickets_pb2.TICKET_STATUS_PENDING_ASSIGNMENT,
        custom_fields=custom,
    )
    state = mapping.ticket_state(ticket, 4)
    assert state.facts.service_type_path == ("it", "network", "wifi")
    assert (state.facts.priority, state.facts.channel) == ("high", "mini_program")
    assert state.facts.custom_fields == {"floor": "3", "building": "A", "urgent": "true"}
    assert (state.status, state.version, state.awaits_provider) == ("pending_assignment", 4, True)


def test_a_rule_survives_its_protobuf_form():
    now = FakeClock()()
    rule = Rule(
        "r1", 3, "规则",
        Conditions(
            enterprise_ids=frozenset({"ent"}), priorities=frozenset({"high"}),
            channels=frozenset({"web"}), custom_fields={"floor": frozenset({"3"})},
            window=TimeWindow(frozenset({0, 4}), 540, 1080, "Asia/Shanghai"),
        ),
        "prov", Strategy.CLAIM_WINDOW, then=Strategy.ROUND_ROBIN,
        claim_window=timedelta(minutes=5), required_skills=frozenset({"network"}), position=2,
        escalate_after=timedelta(hours=1),
    )  # fmt: skip
    message = mapping.rule_pb(StoredRule(rule, now, now))
    assert list(message.time_window.weekdays) == [1, 5]  # ISO weekdays on the wire
    assert mapping.rule_draft(message) == rule
