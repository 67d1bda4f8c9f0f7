"""Routing rules: which rule applies, which engineer is chosen, and why the others are not."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from services.dispatch.domain.routing import (
    Availability,
    Conditions,
    Engineer,
    Exclusion,
    Provider,
    Rule,
    Stage,
    Strategy,
    TicketFacts,
    TimeWindow,
    after_claim_window,
    decide,
)

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
ACME, GALAXY = "acme", "galaxy"
PROVIDERS = {
    "fastfix": Provider("fastfix", True, frozenset({ACME, GALAXY})),
    "bluewhale": Provider("bluewhale", True, frozenset({GALAXY})),
    "gone": Provider("gone", False, frozenset({ACME})),
}


def ticket(**changes: object) -> TicketFacts:
    facts = TicketFacts(
        ticket_id="t1",
        enterprise_id=ACME,
        service_type_path=("it", "network", "wifi"),
        service_level_id="standard",
        priority="high",
        channel="web",
        custom_fields={"floor": "3"},
        created_at=NOW,
    )
    return replace(facts, **changes)  # type: ignore[arg-type]


def rule(name: str, strategy: Strategy = Strategy.LEAST_LOADED, **changes: object) -> Rule:
    base = Rule(name, 1, name, Conditions(), "fastfix", strategy)
    return replace(base, **changes)  # type: ignore[arg-type]


def engineer(engineer_id: str, **changes: object) -> Engineer:
    base = Engineer(engineer_id, "fastfix", frozenset({"network"}))
    return replace(base, **changes)  # type: ignore[arg-type]


def test_first_rule_whose_conditions_hold_wins():
    rules = [
        rule("printers", conditions=Conditions(service_type_ids=frozenset({"printing"}))),
        rule(
            "network", Strategy.POOL, conditions=Conditions(service_type_ids=frozenset({"network"}))
        ),
        rule("everything else"),
    ]
    decision = decide(ticket(), rules, PROVIDERS, [], NOW)
    assert (decision.rule_id, decision.strategy) == ("network", Strategy.POOL)  # subtree match
    assert decision.provider_id == "fastfix" and decision.engineer_id == ""


def test_conditions_over_fields_levels_channels_and_time_windows():
    office_hours = TimeWindow(frozenset(range(5)), 9 * 60, 18 * 60, "Asia/Shanghai")
    conditions = Conditions(
        enterprise_ids=frozenset({ACME}),
        service_level_ids=frozenset({"standard"}),
        priorities=frozenset({"high"}),
        channels=frozenset({"web"}),
        custom_fields={"floor": frozenset({"3", "4"})},
        window=office_hours,
    )
    rules = [rule("narrow", conditions=conditions)]
    assert decide(ticket(), rules, PROVIDERS, [], NOW).rule_id == "narrow"
    for other in (
        ticket(custom_fields={"floor": "9"}),
        ticket(channel="mini_program"),
        ticket(created_at=NOW + timedelta(hours=10)),  # 20:00 in Shanghai
        ticket(enterprise_id=GALAXY),
    ):
        assert decide(other, rules, PROVIDERS, [], NOW).is_manual


def test_a_provider_not_designated_or_disabled_is_never_chosen():
    rules = [rule("blue", provider_id="bluewhale"), rule("gone", provider_id="gone")]
    decision = decide(ticket(), rules, PROVIDERS, [], NOW)
    assert decision.is_manual
    assert "manual assignment" in decision.explanation
    assert [(e.subject_id, e.reason) for e in decision.excluded] == [
        ("bluewhale", Exclusion.NOT_DESIGNATED),
        ("gone", Exclusion.PROVIDER_INACTIVE),
    ]


def test_every_engineer_is_a_candidate_with_scores_or_excluded_with_a_reason():
    team = [
        engineer("wang", open_tickets=3),
        engineer("li", open_tickets=1),
        engineer("zhou", skills=frozenset({"printing"})),
        engineer("sun", availability=Availability.AWAY, away_until=NOW + timedelta(hours=1)),
        engineer("wu", availability=Availability.AWAY, away_until=NOW - timedelta(hours=1)),
        engineer("zheng", availability=Availability.OFF),
        engineer("feng", on_shift=False),
        engineer("chen", active=False),
        engineer("he", capacity=2, open_tickets=2),
    ]
    rules = [rule("network", required_skills=frozenset({"network"}))]
    decision = decide(ticket(), rules, PROVIDERS, team, NOW)
    assert decision.engineer_id == "wu"  # back from away, nothing open: least loaded
    assert {c.engineer_id for c in decision.candidates} == {"wang", "li", "wu"}
    assert {c.engineer_id: c.scores["load"] for c in decision.candidates}["li"] == 0.9
    assert {(e.subject_id, e.reason) for e in decision.excluded} == {
        ("zhou", Exclusion.SKILL_MISSING),
        ("sun", Exclusion.AWAY),
        ("zheng", Exclusion.OFF_SHIFT),
        ("feng", Exclusion.OFF_SHIFT),
        ("chen", Exclusion.INACTIVE),
        ("he", Exclusion.AT_CAPACITY),
    }


def test_round_robin_shares_tickets_evenly():
    team = {f"e{i}": engineer(f"e{i}") for i in range(5)}
    rules = [rule("rr", Strategy.ROUND_ROBIN)]
    counts = dict.fromkeys(team, 0)
    for seq in range(1, 101):
        chosen = decide(ticket(), rules, PROVIDERS, list(team.values()), NOW).engineer_id
        counts[chosen] += 1
        team[chosen] = replace(team[chosen], last_assigned_seq=seq)
    assert set(counts.values()) == {20}


def test_least_loaded_never_exceeds_a_capacity_and_then_leaves_tickets_in_the_pool():
    team = {"a": engineer("a", capacity=3), "b": engineer("b", capacity=5, open_tickets=2)}
    rules = [rule("ll")]
    chosen = []
    for _ in range(8):
        decision = decide(ticket(), rules, PROVIDERS, list(team.values()), NOW)
        if not decision.engineer_id:
            assert "left in the pool" in decision.explanation
            break
        chosen.append(decision.engineer_id)
        picked = team[decision.engineer_id]
        team[picked.id] = replace(picked, open_tickets=picked.open_tickets + 1)
    assert sorted(chosen) == ["a", "a", "a", "b", "b", "b"]
    assert all(e.open_tickets <= e.capacity for e in team.values())


def test_claim_window_waits_then_the_rules_strategy_chooses():
    claim = rule("claim", Strategy.CLAIM_WINDOW, claim_window=timedelta(minutes=10))
    decision = decide(ticket(), [claim], PROVIDERS, [engineer("wang")], NOW)
    assert decision.engineer_id == "" and decision.claim_until == NOW + timedelta(minutes=10)
    later = after_claim_window(decision, claim, [engineer("wang")], NOW + timedelta(minutes=10))
    assert later.engineer_id == "wang" and later.strategy is Strategy.LEAST_LOADED


def test_a_providers_own_rules_choose_how_never_where():
    own = rule("fastfix rota", Strategy.ROUND_ROBIN, stage=Stage.ENGINEER,
               conditions=Conditions(priorities=frozenset({"high"})))  # fmt: skip
    theirs = rule("bluewhale's", Strategy.POOL, stage=Stage.ENGINEER, provider_id="bluewhale")
    platform = rule("to fastfix", Strategy.LEAST_LOADED)
    crew = [engineer("wang", last_assigned_seq=5), engineer("li", last_assigned_seq=1)]
    decision = decide(ticket(), [own, theirs, platform], PROVIDERS, crew, NOW)
    assert (decision.rule_id, decision.provider_rule_id) == ("fastfix rota", "to fastfix")
    assert (decision.strategy, decision.engineer_id) == (Strategy.ROUND_ROBIN, "li")
    assert "'to fastfix' chose the provider" in decision.explanation
    low = decide(ticket(priority="low"), [own, platform], PROVIDERS, crew, NOW)
    assert (low.rule_id, low.provider_rule_id) == ("to fastfix", "to fastfix")  # its own: none
    alone = decide(ticket(), [own, theirs], PROVIDERS, crew, NOW)
    assert alone.is_manual  # a provider's rule never chooses the provider


def test_an_engineer_claims_only_among_the_oldest_of_a_rules_queue_matching_his_skills():
    from services.dispatch.domain.routing import ClaimRefusal, PoolTicket, claim_refusal

    printers = frozenset({"printer"})
    pool = [
        PoolTicket("other-queue", frozenset(), 1, "elsewhere"),  # another rule's: not counted
        PoolTicket("a", printers, 2, "r"),  # needs a skill wang lacks: not his to count
        PoolTicket("b", frozenset(), 2, "r"),
        PoolTicket("c", frozenset(), 2, "r"),
        PoolTicket("d", frozenset(), 2, "r"),
        PoolTicket("e", rule_id="open"),  # a rule without a limit
    ]
    wang = engineer("wang")  # skills: network
    assert claim_refusal(wang, "b", pool) is None
    assert claim_refusal(wang, "c", pool) is None  # b, c: the oldest two he matches
    assert claim_refusal(wang, "d", pool) is ClaimRefusal.NOT_OLDEST
    assert claim_refusal(wang, "a", pool) is ClaimRefusal.SKILL_MISSING
    assert claim_refusal(wang, "e", pool) is None
    assert claim_refusal(wang, "by-hand", pool) is None  # no rule put it there
    busy = engineer("li", open_tickets=10, capacity=10)
    assert claim_refusal(busy, "b", pool) is ClaimRefusal.AT_CAPACITY
    fixer = engineer("zhao", skills=frozenset({"printer", "network"}))
    assert claim_refusal(fixer, "a", pool) is None
    assert claim_refusal(fixer, "c", pool) is ClaimRefusal.NOT_OLDEST  # a, b come first
