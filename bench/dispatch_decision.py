"""Decision latency in-process (issue 9): `decide` over 1,000 rules and 10,000 engineers.

The rules are realistic: each names an enterprise and a service-type subtree (some also a
priority, a channel or a time window), spread over 100 providers of 100 engineers each with
mixed skills, availability, load and round-robin positions; tickets are drawn so that the
matching rule sits anywhere in the list (and some match none). Prints p50, p99 and the mean of
one decision, and the same for the provider-only first pass `route` makes before it locks the
provider. `python -m bench.dispatch_decision [--decisions N]`
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from services.dispatch.domain.routing import (
    Availability,
    Conditions,
    Engineer,
    Provider,
    Rule,
    Strategy,
    TicketFacts,
    TimeWindow,
    decide,
)

RULES, PROVIDERS, PER_PROVIDER, ENTERPRISES = 1_000, 100, 100, 300
SKILLS = ("network", "printer", "server", "aircon", "access")
NOW = datetime(2026, 11, 30, 10, tzinfo=UTC)


def world(seed: int = 7) -> tuple[list[Rule], dict[str, Provider], list[Engineer]]:
    rnd = random.Random(seed)
    enterprises = [f"ent-{i}" for i in range(ENTERPRISES)]
    providers = {
        f"prov-{p}": Provider(f"prov-{p}", True, frozenset(rnd.sample(enterprises, 60)))
        for p in range(PROVIDERS)
    }
    engineers = [
        Engineer(
            id=f"eng-{p}-{e}",
            provider_id=f"prov-{p}",
            skills=frozenset(rnd.sample(SKILLS, rnd.randint(1, 3))),
            availability=rnd.choice(
                [Availability.ON_DUTY] * 8 + [Availability.AWAY, Availability.OFF]
            ),
            away_until=NOW + timedelta(hours=1),
            capacity=10,
            open_tickets=rnd.randint(0, 10),
            last_assigned_seq=rnd.randint(0, 10_000),
        )
        for p in range(PROVIDERS)
        for e in range(PER_PROVIDER)
    ]
    rules = []
    for r in range(RULES):
        provider = providers[f"prov-{r % PROVIDERS}"]
        conditions = Conditions(
            enterprise_ids=frozenset(rnd.sample(sorted(provider.enterprise_ids), 3)),
            service_type_ids=frozenset({f"type-{rnd.randint(0, 30)}"}),
            priorities=frozenset({"high", "urgent"}) if r % 7 == 0 else frozenset(),
            channels=frozenset({"mini_program"}) if r % 11 == 0 else frozenset(),
            window=TimeWindow(frozenset(range(5)), 9 * 60, 18 * 60) if r % 13 == 0 else None,
        )
        strategy = (Strategy.ROUND_ROBIN, Strategy.LEAST_LOADED, Strategy.POOL)[r % 3]
        rules.append(
            Rule(
                f"rule-{r}",
                1,
                f"rule {r}",
                conditions,
                provider.id,
                strategy,
                required_skills=frozenset(rnd.sample(SKILLS, 1)),
                position=r,
            )
        )
    return rules, providers, engineers


def tickets(rules: list[Rule], count: int, seed: int = 11) -> list[TicketFacts]:
    rnd = random.Random(seed)
    made = []
    for i in range(count):
        rule = rnd.choice(rules)
        enterprise = rnd.choice(sorted(rule.conditions.enterprise_ids))
        leaf = rnd.choice(sorted(rule.conditions.service_type_ids))
        if i % 10 == 0:
            enterprise = "ent-nobody"  # no rule matches: the whole list is read
        made.append(
            TicketFacts(
                f"t{i}",
                enterprise,
                ("root", leaf),
                "std",
                rnd.choice(["normal", "high"]),
                rnd.choice(["web", "mini_program"]),
                {},
                NOW,
            )
        )
    return made


def measure(label: str, calls: list[TicketFacts], run) -> None:  # type: ignore[no-untyped-def]
    timings = []
    for ticket in calls:
        started = time.perf_counter()
        run(ticket)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    p50 = timings[len(timings) // 2]
    p99 = timings[int(len(timings) * 0.99) - 1]
    mean = statistics.fmean(timings)
    print(f"{label:<46} p50 {p50:6.3f} ms   p99 {p99:6.3f} ms   mean {mean:6.3f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--decisions", type=int, default=5_000)
    args = parser.parse_args()
    rules, providers, engineers = world()
    calls = tickets(rules, args.decisions)
    by_provider: dict[str, list[Engineer]] = {}
    for engineer in engineers:
        by_provider.setdefault(engineer.provider_id, []).append(engineer)
    print(f"{len(rules)} rules, {len(providers)} providers, {len(engineers)} engineers, "
          f"{len(calls)} decisions")  # fmt: skip
    measure("decide (all 10,000 engineers passed)", calls,
            lambda t: decide(t, rules, providers, engineers, NOW))  # fmt: skip
    measure("provider pass + decide (provider's engineers)", calls,
            lambda t: _as_route(t, rules, providers, by_provider))  # fmt: skip


def _as_route(ticket, rules, providers, by_provider):  # type: ignore[no-untyped-def]
    """What `route` does: a provider-only pass, then the decision with that provider's team."""
    first = decide(ticket, rules, providers, [], NOW)
    if first.provider_id:
        return decide(ticket, rules, providers, by_provider[first.provider_id], NOW)
    return first


if __name__ == "__main__":
    main()
