"""Dispatch's use cases against in-memory fakes: routing once per ticket, fair round robin,
capacity, applying decisions (and giving way), rules with versions, who sees decisions."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from servicekit.auth.principal import Principal
from servicekit.errors import DomainError, ErrorCode
from services.dispatch.domain.events import DecisionKind, DecisionState
from services.dispatch.domain.routing import (
    Conditions,
    Engineer,
    Provider,
    Rule,
    Stage,
    Strategy,
    TicketFacts,
)
from services.dispatch.service_layer import decisions, rules
from services.dispatch.service_layer.ports import UNAVAILABLE, Applied, Outcome, TicketState
from services.dispatch.service_layer.routing import (
    apply_pending,
    assign_waiting,
    redispatch_due,
    route,
    route_waiting,
)
from tests.unit.dispatch.fakes import World, world

ADMIN = Principal("admin", "platform", permissions=frozenset({"dispatch.read", "dispatch.write"}))
PROVIDER_ADMIN = Principal(
    "padmin", "provider", "prov", permissions=frozenset({"dispatch.read", "engineer.write"})
)
OTHER_PROVIDER = Principal("other", "provider", "prov-2", permissions=frozenset({"dispatch.read"}))
PROVIDER_EDITOR = Principal("pedit", "provider", "prov",
                            permissions=frozenset({"dispatch.read", "dispatch.write"}))  # fmt: skip
OTHER_EDITOR = Principal("oedit", "provider", "prov-2",
                         permissions=frozenset({"dispatch.read", "dispatch.write"}))  # fmt: skip
REQUESTER = Principal("req", "enterprise", "ent", permissions=frozenset({"ticket.create"}))
ENGINEER = Principal("e1", "engineer", "prov")


@pytest.fixture
def w() -> World:
    made = world()
    made.state.providers["prov"] = Provider("prov", True, frozenset({"ent"}))
    made.state.providers["prov-2"] = Provider("prov-2", True, frozenset())
    for i in range(1, 4):
        made.state.engineers[f"e{i}"] = Engineer(f"e{i}", "prov", frozenset({"network"}))
    return made


def _ticket(
    w: World,
    ticket_id: str,
    *,
    enterprise: str = "ent",
    status: str = "pending_assignment",
    provider: str = "",
) -> None:
    facts = TicketFacts(ticket_id, enterprise, ("it", "wifi"), "std", "normal", "web", {},
                        w.clock())  # fmt: skip
    w.state.tickets[ticket_id] = TicketState(facts, status, provider, "", 1)


def _rule(strategy: Strategy = Strategy.ROUND_ROBIN, **fields: object) -> Rule:
    values: dict[str, object] = {
        "id": "", "version": 0, "name": "IT to prov", "conditions": Conditions(),
        "provider_id": "prov", "strategy": strategy,
    }  # fmt: skip
    return Rule(**(values | fields))  # type: ignore[arg-type]


async def _route(w: World, ticket_id: str):  # type: ignore[no-untyped-def]
    async with w.unit() as uow:
        decided = await route(uow, ticket_id, w.clock())
        await uow.commit()
    return decided


async def test_a_ticket_is_routed_once_and_its_event_emitted(w: World):
    await rules.create_rule(w.deps, ADMIN, draft=_rule())
    _ticket(w, "t1")
    decided = await _route(w, "t1")
    assert decided is not None and decided.kind is DecisionKind.ENGINEER_CHOSEN
    assert decided.state is DecisionState.PENDING and decided.decision.rule_version == 1
    assert await _route(w, "t1") is None  # the same event again: no second decision
    assert len(w.state.decisions) == 1 and len(w.state.events) == 1
    assert w.state.locks == [
        "ticket:t1",
        "prov",
        "ticket:t1",
    ]  # the ticket first, then its provider


async def test_round_robin_takes_engineers_in_turn(w: World):
    await rules.create_rule(w.deps, ADMIN, draft=_rule())
    for i in range(9):
        _ticket(w, f"t{i}")
        await _route(w, f"t{i}")
    shares = Counter(d.decision.engineer_id for d in w.state.decisions.values())
    assert shares == {"e1": 3, "e2": 3, "e3": 3}


async def test_least_loaded_never_exceeds_capacity(w: World):
    await rules.create_rule(w.deps, ADMIN, draft=_rule(Strategy.LEAST_LOADED))
    for engineer in ("e1", "e2", "e3"):
        await decisions.update_availability(
            w.deps, ADMIN, engineer, available=True, away_until=None, capacity=2
        )
    for i in range(8):
        _ticket(w, f"t{i}")
        await _route(w, f"t{i}")
    shares = Counter(d.decision.engineer_id for d in w.state.decisions.values())
    assert shares == {"e1": 2, "e2": 2, "e3": 2, "": 2}  # the last two wait in the pool
    last = max(w.state.decisions.values(), key=lambda d: d.decision.ticket_id)
    assert {e.reason.name for e in last.decision.excluded} == {"AT_CAPACITY"}


async def test_away_and_skill_less_engineers_are_not_chosen(w: World):
    await rules.create_rule(w.deps, ADMIN, draft=_rule(required_skills=frozenset({"network"})))
    w.state.engineers["e2"] = Engineer("e2", "prov", frozenset())
    await decisions.update_availability(
        w.deps,
        PROVIDER_ADMIN,
        "e3",
        available=False,
        away_until=w.clock() + timedelta(hours=2),
        capacity=0,
    )
    _ticket(w, "t1")
    decided = await _route(w, "t1")
    assert decided is not None and decided.decision.engineer_id == "e1"
    reasons = {e.subject_id: e.reason.name for e in decided.decision.excluded}
    assert reasons == {"e2": "SKILL_MISSING", "e3": "AWAY"}


async def test_no_rule_or_an_undesignated_provider_leaves_it_manual(w: World):
    _ticket(w, "t1")
    decided = await _route(w, "t1")
    assert decided is not None and decided.kind is DecisionKind.NO_MATCH
    assert decided.state is DecisionState.RECORDED
    await rules.create_rule(w.deps, ADMIN, draft=_rule(provider_id="prov-2"))
    _ticket(w, "t2")
    other = await _route(w, "t2")
    assert other is not None and other.kind is DecisionKind.NO_MATCH
    assert [e.reason.name for e in other.decision.excluded] == ["NOT_DESIGNATED"]


async def test_tickets_not_waiting_for_a_provider_are_left_alone(w: World):
    await rules.create_rule(w.deps, ADMIN, draft=_rule())
    _ticket(w, "t1", status="pending_approval")
    _ticket(w, "t2", provider="prov")
    assert await _route(w, "t1") is None and await _route(w, "t2") is None
    assert await _route(w, "unknown") is None


async def test_pending_decisions_are_applied_with_their_id(w: World):
    await rules.create_rule(w.deps, ADMIN, draft=_rule(Strategy.POOL))
    _ticket(w, "t1")
    decided = await _route(w, "t1")
    assert decided is not None and decided.kind is DecisionKind.PROVIDER_CHOSEN
    assert await apply_pending(w.deps) == 1
    assert w.api.calls == [
        {"ticket_id": "t1", "provider_id": "prov", "engineer_id": "", "request_id": decided.id}
    ]
    assert w.state.decisions[decided.id].state is DecisionState.APPLIED
    assert await apply_pending(w.deps) == 0


async def test_a_manual_assignment_wins_and_outages_wait(w: World):
    await rules.create_rule(w.deps, ADMIN, draft=_rule())
    for ticket in ("t1", "t2"):
        _ticket(w, ticket)
        await _route(w, ticket)
    w.api.answers["t1"] = [Applied(Outcome.GAVE_WAY, "TICKET_ALREADY_ASSIGNED")]
    w.api.answers["t2"] = [Applied(Outcome.RETRY, UNAVAILABLE)]
    await apply_pending(w.deps)
    states = {d.decision.ticket_id: d for d in w.state.decisions.values()}
    assert states["t1"].state is DecisionState.GAVE_WAY
    assert states["t1"].last_error == "TICKET_ALREADY_ASSIGNED"
    assert (states["t2"].state, states["t2"].attempts) == (DecisionState.PENDING, 0)
    await apply_pending(w.deps)  # tickets is back
    assert w.state.decisions[states["t2"].id].state is DecisionState.APPLIED


async def test_refusals_that_may_pass_are_retried_then_given_up(w: World):
    w.deps.settings.apply_max_attempts = 2
    await rules.create_rule(w.deps, ADMIN, draft=_rule())
    _ticket(w, "t1")
    decided = await _route(w, "t1")
    assert decided is not None
    w.api.answers["t1"] = [Applied(Outcome.RETRY, "TICKET_INVALID: engineer unknown")] * 2
    await apply_pending(w.deps)
    assert w.state.decisions[decided.id].state is DecisionState.PENDING
    await apply_pending(w.deps)
    assert w.state.decisions[decided.id].state is DecisionState.GAVE_WAY


async def test_rules_are_versioned_and_validated(w: World):
    created = await rules.create_rule(w.deps, ADMIN, draft=_rule(), request_id="r1")
    again = await rules.create_rule(w.deps, ADMIN, draft=_rule(), request_id="r1")
    assert again.rule.id == created.rule.id and len(w.state.rules) == 1
    edited = await rules.update_rule(
        w.deps,
        ADMIN,
        draft=_rule(Strategy.CLAIM_WINDOW, id=created.rule.id, claim_window=timedelta(minutes=5)),
        fields={"strategy", "claim_window"},
    )
    assert (edited.rule.version, edited.rule.strategy) == (2, Strategy.CLAIM_WINDOW)
    assert edited.rule.name == "IT to prov"  # not in the mask: kept
    assert [v[1] for v in w.state.versions] == [1, 2]
    with pytest.raises(DomainError) as refused:
        await rules.create_rule(
            w.deps,
            ADMIN,
            draft=_rule(
                name=" ",
                provider_id="prov-2",
                conditions=Conditions(enterprise_ids=frozenset({"ent"})),
            ),
        )
    fields = {v.field for v in refused.value.violations}
    assert fields == {"dispatch_rule.display_name", "dispatch_rule.enterprise_ids"}
    with pytest.raises(DomainError) as mask:
        await rules.update_rule(w.deps, ADMIN, draft=edited.rule, fields={"version"})
    assert mask.value.violations[0].field == "update_mask"
    listed, _ = await rules.list_rules(
        w.deps, ADMIN, provider_id="", show_disabled=False, page_size=10, page_token=""
    )
    assert [s.rule.id for s in listed] == [created.rule.id]
    await rules.delete_rule(w.deps, ADMIN, created.rule.id)
    with pytest.raises(DomainError) as gone:
        await rules.get_rule(w.deps, ADMIN, created.rule.id)
    assert gone.value.code is ErrorCode.NOT_FOUND


async def test_enterprise_users_engineers_and_readers_edit_no_rules(w: World):
    for who in (PROVIDER_ADMIN, REQUESTER, ENGINEER):
        with pytest.raises(DomainError) as refused:
            await rules.create_rule(w.deps, who, draft=_rule())
        assert refused.value.code is ErrorCode.PERMISSION_DENIED
    assert not w.state.rules
    with pytest.raises(DomainError) as refused:
        await rules.list_rules(w.deps, REQUESTER, provider_id="", show_disabled=True,
                               page_size=10, page_token="")  # fmt: skip
    assert refused.value.code is ErrorCode.PERMISSION_DENIED


async def test_a_provider_keeps_its_own_engineer_stage_rules_and_sees_no_other(w: World):
    platform = await rules.create_rule(w.deps, ADMIN, draft=_rule(Strategy.POOL))
    assert platform.rule.stage is Stage.PROVIDER
    own = await rules.create_rule(  # no stage or provider named: his own
        w.deps, PROVIDER_EDITOR, draft=_rule(provider_id=""), stage_given=False
    )
    assert (own.rule.stage, own.rule.provider_id) == (Stage.ENGINEER, "prov")
    for draft in (_rule(stage=Stage.PROVIDER), _rule(stage=Stage.ENGINEER, provider_id="prov-2")):
        with pytest.raises(DomainError) as refused:
            await rules.create_rule(w.deps, PROVIDER_EDITOR, draft=draft)
        assert refused.value.code is ErrorCode.PERMISSION_DENIED
    listed, _ = await rules.list_rules(w.deps, PROVIDER_EDITOR, provider_id="", show_disabled=True,
                                       page_size=10, page_token="")  # fmt: skip
    assert [s.rule.id for s in listed] == [own.rule.id]
    for rule_id, who in ((platform.rule.id, PROVIDER_EDITOR), (own.rule.id, OTHER_EDITOR)):
        with pytest.raises(DomainError) as hidden:
            await rules.get_rule(w.deps, who, rule_id)
        assert hidden.value.code is ErrorCode.NOT_FOUND
        with pytest.raises(DomainError) as hidden:
            await rules.update_rule(w.deps, who, draft=_rule(id=rule_id), fields={"enabled"})
        assert hidden.value.code is ErrorCode.NOT_FOUND
        with pytest.raises(DomainError) as hidden:
            await rules.delete_rule(w.deps, who, rule_id)
        assert hidden.value.code is ErrorCode.NOT_FOUND
    with pytest.raises(DomainError) as refused:  # nor hand it to another provider
        await rules.update_rule(w.deps, PROVIDER_EDITOR,
                                draft=_rule(id=own.rule.id, provider_id="prov-2"),
                                fields={"provider_id"})  # fmt: skip
    assert refused.value.code is ErrorCode.PERMISSION_DENIED
    with pytest.raises(DomainError) as fixed:
        await rules.update_rule(w.deps, ADMIN, draft=_rule(id=own.rule.id), fields={"stage"})
    assert fixed.value.code is ErrorCode.INVALID_ARGUMENT
    renamed = await rules.update_rule(w.deps, PROVIDER_EDITOR,
                                      draft=_rule(id=own.rule.id, name="mine"),
                                      fields={"display_name"})  # fmt: skip
    assert (renamed.rule.name, renamed.rule.version) == ("mine", 2)
    everything, _ = await rules.list_rules(
        w.deps, ADMIN, provider_id="", show_disabled=True, page_size=10, page_token="",
        stage=Stage.ENGINEER,
    )  # fmt: skip
    assert [s.rule.id for s in everything] == [own.rule.id]


async def test_the_providers_own_rule_chooses_how_its_engineers_get_the_ticket(w: World):
    platform = await rules.create_rule(w.deps, ADMIN, draft=_rule(Strategy.POOL))
    own = await rules.create_rule(w.deps, PROVIDER_EDITOR,
                                  draft=_rule(Strategy.ROUND_ROBIN, name="our turn"),
                                  stage_given=False)  # fmt: skip
    await rules.create_rule(w.deps, OTHER_EDITOR, draft=_rule(Strategy.LEAST_LOADED,
                            provider_id="prov-2"), stage_given=False)  # fmt: skip
    _ticket(w, "t1")
    decided = await _route(w, "t1")
    assert decided is not None
    d = decided.decision
    assert (d.provider_id, d.rule_id, d.provider_rule_id) == ("prov", own.rule.id, platform.rule.id)
    assert d.engineer_id in ("e1", "e2", "e3") and d.strategy is Strategy.ROUND_ROBIN
    assert "our turn" in d.explanation
    assert decided.kind is DecisionKind.ENGINEER_CHOSEN


async def test_a_providers_dry_run_shows_its_own_tickets_and_engineers(w: World):
    from services.dispatch.service_layer.dry_run import dry_run

    await rules.create_rule(w.deps, ADMIN, draft=_rule(Strategy.POOL))
    w.state.providers["prov-2"] = Provider("prov-2", True, frozenset({"ent-2"}))
    w.state.engineers["x1"] = Engineer("x1", "prov-2", frozenset({"network"}))
    only_ent_2 = Conditions(enterprise_ids=frozenset({"ent-2"}))
    await rules.create_rule(
        w.deps,
        ADMIN,
        draft=_rule(Strategy.LEAST_LOADED, provider_id="prov-2", conditions=only_ent_2),
    )
    _ticket(w, "ours")
    _ticket(w, "theirs", enterprise="ent-2")
    start, end = w.clock() - timedelta(hours=1), w.clock() + timedelta(hours=1)
    [compared] = await dry_run(w.deps, PROVIDER_EDITOR, drafts=[_rule(provider_id="")],
                               start=start, end=end, limit=10)  # fmt: skip
    assert compared.ticket_id == "ours" and compared.changed
    assert compared.draft.engineer_id in ("e1", "e2", "e3")
    assert {c.engineer_id for c in compared.draft.candidates} <= {"e1", "e2", "e3"}
    with pytest.raises(DomainError) as refused:
        await dry_run(w.deps, PROVIDER_EDITOR, drafts=[_rule(provider_id="prov-2")],
                      start=start, end=end, limit=10)  # fmt: skip
    assert [v.field for v in refused.value.violations] == ["draft_rules[0].provider_id"]
    assert not w.state.decisions


async def test_decisions_are_shown_to_the_platform_and_the_provider_only(w: World):
    await rules.create_rule(w.deps, ADMIN, draft=_rule())
    _ticket(w, "t1")
    await _route(w, "t1")
    assert len(await decisions.list_decisions(w.deps, ADMIN, "t1")) == 1
    seen = await decisions.list_decisions(w.deps, PROVIDER_ADMIN, "t1")
    assert seen[0].decision.provider_id == "prov"
    with pytest.raises(DomainError) as hidden:
        await decisions.list_decisions(w.deps, OTHER_PROVIDER, "t1")
    assert hidden.value.code is ErrorCode.NOT_FOUND
    for who in (REQUESTER, ENGINEER):
        with pytest.raises(DomainError) as refused:
            await decisions.list_decisions(w.deps, who, "t1")
        assert refused.value.code is ErrorCode.PERMISSION_DENIED
    with pytest.raises(DomainError):
        await decisions.list_decisions(w.deps, ADMIN, "unknown")


async def test_availability_is_the_engineers_and_his_providers(w: World):
    own = await decisions.get_availability(w.deps, ENGINEER, "e1")
    assert own.id == "e1"
    await decisions.update_availability(
        w.deps, ENGINEER, "e1", available=False, away_until=None, capacity=5
    )
    assert w.state.engineers["e1"].capacity == 5
    with pytest.raises(DomainError) as hidden:
        await decisions.get_availability(w.deps, OTHER_PROVIDER, "e1")
    assert hidden.value.code is ErrorCode.NOT_FOUND
    with pytest.raises(DomainError) as invalid:
        await decisions.update_availability(
            w.deps, PROVIDER_ADMIN, "e1", available=True, away_until=None, capacity=-1
        )
    assert invalid.value.violations[0].field == "availability.max_open_tickets"


def _provider_assigned(w: World, ticket_id: str, *, engineer: str = "") -> None:
    """Tickets' event after the provider-only assignment (or an engineer's claim)."""
    seen = w.state.tickets[ticket_id]
    status = "assigned" if engineer else "pending_assignment"
    w.state.tickets[ticket_id] = TicketState(seen.facts, status, "prov", engineer, 2)


async def test_claim_window_then_the_rules_strategy_chooses(w: World):
    await rules.create_rule(
        w.deps, ADMIN,
        draft=_rule(Strategy.CLAIM_WINDOW, claim_window=timedelta(minutes=5),
                    then=Strategy.ROUND_ROBIN),
    )  # fmt: skip
    for ticket in ("unclaimed", "claimed"):
        _ticket(w, ticket)
        decided = await _route(w, ticket)
        assert decided is not None and decided.kind is DecisionKind.PROVIDER_CHOSEN
        assert decided.recheck_at == w.clock() + timedelta(minutes=5)
    await apply_pending(w.deps)
    _provider_assigned(w, "unclaimed")
    _provider_assigned(w, "claimed", engineer="e2")  # an engineer claimed it in the window
    assert await assign_waiting(w.deps) == 0  # the window is still open
    w.clock.now += timedelta(minutes=5)
    assert await assign_waiting(w.deps) == 1
    await apply_pending(w.deps)
    chosen = [d for d in w.state.decisions.values() if d.kind is DecisionKind.ENGINEER_CHOSEN]
    assert [d.decision.ticket_id for d in chosen] == ["unclaimed"]
    assert chosen[0].decision.strategy is Strategy.ROUND_ROBIN
    assert w.api.calls[-1]["engineer_id"] == chosen[0].decision.engineer_id
    assert await assign_waiting(w.deps) == 0  # settled: not looked at again


async def test_a_ticket_nobody_could_take_gets_an_engineer_when_one_is_free(w: World):
    await rules.create_rule(w.deps, ADMIN, draft=_rule(Strategy.LEAST_LOADED))
    for engineer in ("e1", "e2", "e3"):
        await decisions.update_availability(
            w.deps, ADMIN, engineer, available=False, away_until=None, capacity=0
        )
    _ticket(w, "t1")
    decided = await _route(w, "t1")
    assert decided is not None and decided.kind is DecisionKind.PROVIDER_CHOSEN
    await apply_pending(w.deps)
    _provider_assigned(w, "t1")
    assert await assign_waiting(w.deps) == 1  # looked: still nobody
    assert not [d for d in w.state.decisions.values() if d.kind is DecisionKind.ENGINEER_CHOSEN]
    await decisions.update_availability(
        w.deps, ADMIN, "e3", available=True, away_until=None, capacity=0
    )
    assert await assign_waiting(w.deps) == 0  # not before the re-check time
    w.clock.now += timedelta(seconds=10)
    await assign_waiting(w.deps)
    chosen = [d for d in w.state.decisions.values() if d.kind is DecisionKind.ENGINEER_CHOSEN]
    assert [d.decision.engineer_id for d in chosen] == ["e3"]


async def test_routing_waits_for_a_provider_identity_has_not_told_yet(w: World):
    await rules.create_rule(
        w.deps, ADMIN, draft=_rule(conditions=Conditions(enterprise_ids=frozenset({"ent"})))
    )
    w.state.providers["prov"] = Provider("prov", True, frozenset())  # designation on its way
    _ticket(w, "t1")
    assert await _route(w, "t1") is None
    assert not w.state.decisions  # not "no match": it waits
    w.state.providers["prov"] = Provider("prov", True, frozenset({"ent"}))  # the event arrives
    async with w.unit() as uow:
        assert await route_waiting(uow, w.clock()) == 1
        await uow.commit()
    [decided] = w.state.decisions.values()
    assert decided.kind is DecisionKind.ENGINEER_CHOSEN


def _engineer_assigned(w: World, ticket_id: str, engineer: str, status: str = "assigned") -> None:
    """Tickets' event after dispatch's (re-)assignment reached dispatch's read model."""
    seen = w.state.tickets[ticket_id]
    w.state.tickets[ticket_id] = TicketState(seen.facts, status, "prov", engineer,
                                             seen.version + 1)  # fmt: skip


async def test_an_engineer_who_does_not_start_loses_the_ticket_then_the_admins_take_over(
    w: World,
):
    await rules.create_rule(
        w.deps, ADMIN, draft=_rule(Strategy.ROUND_ROBIN, escalate_after=timedelta(minutes=30))
    )
    _ticket(w, "t1")
    first = await _route(w, "t1")
    await apply_pending(w.deps)
    holder = first.decision.engineer_id
    _engineer_assigned(w, "t1", holder)
    w.clock.now += timedelta(minutes=29)
    assert await redispatch_due(w.deps) == 0  # still in time
    w.clock.now += timedelta(minutes=1)
    assert await redispatch_due(w.deps) == 1
    [moved] = [d for d in w.state.decisions.values() if d.kind is DecisionKind.ESCALATED]
    assert moved.replaces == holder and moved.decision.engineer_id not in ("", holder)
    await apply_pending(w.deps)
    assert w.api.calls[-1]["replaces_engineer_id"] == holder
    assert w.api.calls[-1]["engineer_id"] == moved.decision.engineer_id
    _engineer_assigned(w, "t1", moved.decision.engineer_id)
    # The second engineer does not start either: the third (and last untried) one.
    w.clock.now += timedelta(minutes=30)
    await redispatch_due(w.deps)
    await apply_pending(w.deps)
    last = w.api.calls[-1]["engineer_id"]
    assert last not in (holder, moved.decision.engineer_id)
    _engineer_assigned(w, "t1", last)
    w.clock.now += timedelta(minutes=30)
    await redispatch_due(w.deps)  # re-dispatched twice already: the provider's admins act
    kinds = [d.kind for d in w.state.decisions.values()]
    assert kinds.count(DecisionKind.ESCALATED) == 2
    assert kinds[-1] is DecisionKind.ESCALATED_TO_ADMIN
    w.clock.now += timedelta(hours=5)
    assert await redispatch_due(w.deps) == 0  # once


async def test_a_started_ticket_stays_and_an_unavailable_engineers_unstarted_ones_move(
    w: World,
):
    await rules.create_rule(
        w.deps, ADMIN, draft=_rule(Strategy.ROUND_ROBIN, escalate_after=timedelta(hours=8))
    )
    for ticket in ("started", "waiting"):
        _ticket(w, ticket)
        await _route(w, ticket)
    await apply_pending(w.deps)
    holders = {d.decision.ticket_id: d.decision.engineer_id for d in w.state.decisions.values()}
    _engineer_assigned(w, "started", holders["started"], status="in_progress")
    _engineer_assigned(w, "waiting", holders["waiting"])
    for engineer in holders.values():
        me = Principal(engineer, "engineer", "prov")
        await decisions.update_availability(w.deps, me, engineer, available=False,
                                            away_until=None, capacity=10)  # fmt: skip
    assert await redispatch_due(w.deps) == 1  # only the unstarted one, at once
    [moved] = [d for d in w.state.decisions.values() if d.kind is DecisionKind.ESCALATED]
    assert moved.decision.ticket_id == "waiting"
    assert moved.decision.engineer_id not in holders.values()  # both are off now


async def test_a_dry_run_decides_past_tickets_both_ways_and_changes_nothing(w: World):
    from services.dispatch.service_layer.dry_run import dry_run

    await rules.create_rule(w.deps, ADMIN, draft=_rule(Strategy.POOL))
    _ticket(w, "old")
    w.clock.now += timedelta(days=1)
    _ticket(w, "new")
    before = (dict(w.state.decisions), list(w.state.events), dict(w.state.engineers))
    start, end = w.clock() - timedelta(hours=1), w.clock() + timedelta(hours=1)
    [compared] = await dry_run(w.deps, ADMIN, drafts=[_rule(Strategy.ROUND_ROBIN)],
                               start=start, end=end, limit=10)  # fmt: skip
    assert compared.ticket_id == "new" and compared.changed
    assert (compared.current.provider_id, compared.current.engineer_id) == ("prov", "")
    assert compared.draft.engineer_id in ("e1", "e2", "e3")
    assert (dict(w.state.decisions), list(w.state.events), dict(w.state.engineers)) == before
    with pytest.raises(DomainError) as refused:
        await dry_run(w.deps, ADMIN, drafts=[_rule(provider_id="prov-2",
                                                   conditions=Conditions(enterprise_ids=frozenset({"ent"})))],
                      start=start, end=end, limit=10)  # fmt: skip
    assert [v.field for v in refused.value.violations] == ["draft_rules[0].enterprise_ids"]
    with pytest.raises(DomainError) as refused:  # dispatch.read only
        await dry_run(w.deps, PROVIDER_ADMIN, drafts=[_rule()], start=start, end=end, limit=10)
    assert refused.value.code is ErrorCode.PERMISSION_DENIED


async def test_an_engineer_outside_his_weekly_shifts_is_not_chosen(w: World):
    from services.dispatch.domain.sla_clock import parse_hours
    from services.dispatch.domain.sla_config import CalendarSpec
    from services.dispatch.service_layer import sla

    platform = Principal("admin", "platform", permissions=frozenset({"dispatch.write"}))

    async def shift(name: str, hours: str) -> str:
        spec = CalendarSpec("", name, timezone="UTC", weekly=(parse_hours(hours),) * 5 + ((), ()))
        return (await sla.create_calendar(w.deps, platform, spec, [])).value.id

    afternoons, mornings = (
        await shift("下午班", "13:00-18:00"),
        await shift("上午班", "08:00-12:00"),
    )
    for engineer_id, calendar_id in (("e1", afternoons), ("e3", mornings)):
        await decisions.update_availability(w.deps, PROVIDER_ADMIN, engineer_id, available=True,
                                            away_until=None, capacity=10,
                                            shift_calendar_id=calendar_id)  # fmt: skip
    seen = await decisions.get_availability(w.deps, PROVIDER_ADMIN, "e1")
    assert (seen.shift_calendar_id, seen.on_shift) == (afternoons, False)  # Monday 09:00 UTC
    await rules.create_rule(w.deps, ADMIN, draft=_rule(Strategy.LEAST_LOADED))
    _ticket(w, "t1")
    morning = await _route(w, "t1")
    assert morning is not None and morning.decision.engineer_id in ("e2", "e3")
    assert {(x.subject_id, x.reason.name) for x in morning.decision.excluded} == {
        ("e1", "OFF_SHIFT")
    }
    w.clock.now += timedelta(hours=5)  # 14:00: the afternoon shift, the morning one is over
    _ticket(w, "t2")
    afternoon = await _route(w, "t2")
    assert afternoon is not None
    assert {(x.subject_id, x.reason.name) for x in afternoon.decision.excluded} == {
        ("e3", "OFF_SHIFT")
    }
    with pytest.raises(DomainError) as refused:
        await decisions.update_availability(w.deps, PROVIDER_ADMIN, "e1", available=True,
                                            away_until=None, capacity=10,
                                            shift_calendar_id="no-such")  # fmt: skip
    assert [v.field for v in refused.value.violations] == ["availability.shift_calendar_id"]


async def test_dispatch_tells_tickets_whether_an_engineer_may_claim(w: World):
    from services.dispatch.domain.routing import ClaimRefusal

    await rules.create_rule(w.deps, ADMIN, draft=_rule(Strategy.POOL, claim_limit=1))
    for ticket_id in ("old", "new"):
        _ticket(w, ticket_id)
        await _route(w, ticket_id)
        seen = w.state.tickets[ticket_id]
        w.state.tickets[ticket_id] = TicketState(seen.facts, seen.status, "prov", "", 2)
        w.clock.now += timedelta(minutes=1)
    assert (await decisions.check_claim(w.deps, ENGINEER, "new")).refusal is (
        ClaimRefusal.NOT_OLDEST
    )
    allowed = await decisions.check_claim(w.deps, ENGINEER, "old")
    assert (allowed.refusal, allowed.claim_limit) == (None, 1)
    assert (await decisions.check_claim(w.deps, ENGINEER, "by-hand")).refusal is None
    with pytest.raises(DomainError) as refused:
        await decisions.check_claim(w.deps, PROVIDER_ADMIN, "old")
    assert refused.value.code is ErrorCode.PERMISSION_DENIED
