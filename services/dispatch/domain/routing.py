"""Routing rules as data, and the decision they make for a ticket, with its reasons.

Routing has two stages. The platform's rules (stage PROVIDER) are evaluated in order; the
first enabled rule whose conditions all hold and whose provider may serve the ticket's
enterprise chooses the provider. That provider's own rules (stage ENGINEER, kept by its admins)
then say how its engineers get the ticket: the first of them that matches decides; when none
does, the platform rule's strategy applies. The strategy either leaves the ticket in the
provider's pool (engineers claim), leaves it there for a claim window before choosing, or
chooses an engineer now (least loaded, round robin). Every engineer of the provider appears in
the decision: as a candidate with per-factor scores, or as an exclusion with its reason.
Nothing here reads a clock, a database or a message: callers pass what the rules look at.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo


class Strategy(enum.Enum):
    POOL = "pool"  # the provider's engineers claim it
    CLAIM_WINDOW = "claim_window"  # pool for a while, then `then` chooses
    LEAST_LOADED = "least_loaded"
    ROUND_ROBIN = "round_robin"


class Stage(enum.Enum):
    PROVIDER = "provider"  # the platform's: which provider, and by default how
    ENGINEER = "engineer"  # a provider's own: how its engineers get what it is sent


class Availability(enum.Enum):
    ON_DUTY = "on_duty"
    AWAY = "away"  # until `away_until`
    OFF = "off"


class Exclusion(enum.Enum):
    NOT_DESIGNATED = "provider not designated to the ticket's enterprise"
    PROVIDER_INACTIVE = "provider disabled or deleted"
    INACTIVE = "engineer disabled or deleted"
    SKILL_MISSING = "lacks a required skill"
    AWAY = "away"
    OFF_SHIFT = "off duty or outside his shift"
    AT_CAPACITY = "at capacity"


@dataclass(frozen=True)
class TimeWindow:
    """Weekdays (0 = Monday) and minutes of the day [start, end) in a time zone."""

    weekdays: frozenset[int] = frozenset(range(7))
    start_minute: int = 0
    end_minute: int = 24 * 60
    timezone: str = "Asia/Shanghai"

    def contains(self, instant: datetime) -> bool:
        local = instant.astimezone(ZoneInfo(self.timezone))
        minute = local.hour * 60 + local.minute
        return local.weekday() in self.weekdays and self.start_minute <= minute < self.end_minute


@dataclass(frozen=True)
class Conditions:
    """All given conditions must hold; an empty set means "any"."""

    enterprise_ids: frozenset[str] = frozenset()
    service_type_ids: frozenset[str] = frozenset()  # a node matches its whole subtree
    service_level_ids: frozenset[str] = frozenset()
    priorities: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()
    custom_fields: Mapping[str, frozenset[str]] = field(default_factory=dict)
    window: TimeWindow | None = None


@dataclass(frozen=True)
class Rule:
    id: str
    version: int
    name: str
    conditions: Conditions
    provider_id: str
    strategy: Strategy
    then: Strategy = Strategy.LEAST_LOADED  # after a claim window
    claim_window: timedelta = timedelta(minutes=15)
    required_skills: frozenset[str] = frozenset()
    enabled: bool = True
    position: int = 0  # lower first
    escalate_after: timedelta | None = None  # re-dispatch when nobody starts in time
    stage: Stage = Stage.PROVIDER
    # Pool tickets: an engineer claims only among the oldest this many pool tickets matching
    # his skills (0: any of them).
    claim_limit: int = 0


@dataclass(frozen=True)
class TicketFacts:
    """What rules look at, from tickets' events."""

    ticket_id: str
    enterprise_id: str
    service_type_path: tuple[str, ...]  # root first, the ticket's own type last
    service_level_id: str
    priority: str
    channel: str
    custom_fields: Mapping[str, str]
    created_at: datetime


@dataclass(frozen=True)
class Provider:
    id: str
    active: bool
    enterprise_ids: frozenset[str]  # designated to


@dataclass(frozen=True)
class Engineer:
    id: str
    provider_id: str
    skills: frozenset[str]
    active: bool = True
    availability: Availability = Availability.ON_DUTY
    away_until: datetime | None = None
    on_shift: bool = True  # within his weekly shift calendar now (set by the caller)
    shift_calendar_id: str = ""  # his weekly shifts, as a business calendar ("": always)
    capacity: int = 10
    open_tickets: int = 0
    last_assigned_seq: int = 0  # round robin: lower goes first


@dataclass(frozen=True)
class Candidate:
    engineer_id: str
    scores: Mapping[str, float]  # factor → score in [0, 1], higher is better


@dataclass(frozen=True)
class Excluded:
    subject_id: str  # engineer, or provider for provider-level exclusions
    reason: Exclusion


@dataclass(frozen=True)
class Decision:
    """The outcome for one ticket, and why."""

    ticket_id: str
    rule_id: str = ""
    rule_version: int = 0
    provider_id: str = ""
    engineer_id: str = ""
    strategy: Strategy | None = None
    claim_until: datetime | None = None
    candidates: tuple[Candidate, ...] = ()
    excluded: tuple[Excluded, ...] = ()
    explanation: str = ""
    # The platform rule that chose the provider (the same as rule_id unless one of the
    # provider's own rules chose how its engineers get the ticket).
    provider_rule_id: str = ""
    provider_rule_version: int = 0
    priority: str = ""  # PRIORITY_RAISED: the priority the ticket is raised to

    @property
    def is_manual(self) -> bool:
        return not self.provider_id


def matches(conditions: Conditions, ticket: TicketFacts) -> bool:
    c = conditions
    return (
        _any_or(c.enterprise_ids, ticket.enterprise_id)
        and (not c.service_type_ids or bool(c.service_type_ids & set(ticket.service_type_path)))
        and _any_or(c.service_level_ids, ticket.service_level_id)
        and _any_or(c.priorities, ticket.priority)
        and _any_or(c.channels, ticket.channel)
        and all(ticket.custom_fields.get(k) in v for k, v in c.custom_fields.items())
        and (c.window is None or c.window.contains(ticket.created_at))
    )


def _any_or(accepted: frozenset[str], value: str) -> bool:
    return not accepted or value in accepted


def decide(
    ticket: TicketFacts,
    rules: Sequence[Rule],
    providers: Mapping[str, Provider],
    engineers: Sequence[Engineer],
    now: datetime,
) -> Decision:
    """The first applicable platform rule's provider, with the first matching rule of that
    provider's own (or the platform rule itself) choosing how; manual assignment when no
    platform rule applies."""
    skipped: list[Excluded] = []
    for rule in rules:
        if not (_applies(rule, ticket) and rule.stage is Stage.PROVIDER):
            continue
        provider = providers.get(rule.provider_id)
        refusal = _provider_refusal(provider, ticket)
        if refusal is not None:
            skipped.append(Excluded(rule.provider_id, refusal))
            continue
        own = next(
            (
                r
                for r in rules
                if r.stage is Stage.ENGINEER
                and r.provider_id == rule.provider_id
                and _applies(r, ticket)
            ),
            None,
        )
        mine = [e for e in engineers if e.provider_id == rule.provider_id]
        return _apply(rule, own or rule, ticket, mine, now)
    return Decision(
        ticket.ticket_id,
        excluded=tuple(skipped),
        explanation="no rule applies: left for manual assignment",
    )


def unseen_provider(
    ticket: TicketFacts, rules: Sequence[Rule], providers: Mapping[str, Provider], chosen: Decision
) -> str:
    """A provider that a rule ahead of the chosen one names but that dispatch's copy of
    identity does not show yet (unknown, or not yet designated to an enterprise the rule names
    for this ticket): deciding now would skip a rule only because an event is still on its way.
    "" when nothing is missing."""
    for rule in rules:
        if rule.id == chosen.provider_rule_id and chosen.provider_rule_id:
            return ""
        if not (_applies(rule, ticket) and rule.stage is Stage.PROVIDER):
            continue
        provider = providers.get(rule.provider_id)
        if provider is None or (
            ticket.enterprise_id in rule.conditions.enterprise_ids
            and ticket.enterprise_id not in provider.enterprise_ids
        ):
            return rule.provider_id
    return ""


def _applies(rule: Rule, ticket: TicketFacts) -> bool:
    return rule.enabled and matches(rule.conditions, ticket)


def _provider_refusal(provider: Provider | None, ticket: TicketFacts) -> Exclusion | None:
    if provider is None or not provider.active:
        return Exclusion.PROVIDER_INACTIVE
    if ticket.enterprise_id not in provider.enterprise_ids:
        return Exclusion.NOT_DESIGNATED
    return None


def _apply(
    via: Rule, rule: Rule, ticket: TicketFacts, engineers: Sequence[Engineer], now: datetime
) -> Decision:
    """`via` chose the provider; `rule` (the same, or one of the provider's own) says how."""
    base = Decision(
        ticket.ticket_id,
        rule_id=rule.id,
        rule_version=rule.version,
        provider_id=via.provider_id,
        strategy=rule.strategy,
        provider_rule_id=via.id,
        provider_rule_version=via.version,
    )
    if rule.strategy is Strategy.POOL:
        decided = _with(base, explanation=f"rule {rule.name!r}: in the provider's pool")
    elif rule.strategy is Strategy.CLAIM_WINDOW:
        until = now + rule.claim_window
        decided = _with(
            base,
            claim_until=until,
            explanation=f"rule {rule.name!r}: in the pool until {until.isoformat()}, "
            f"then {rule.then.value}",
        )
    else:
        decided = choose_engineer(base, rule, rule.strategy, engineers, now)
    if rule is via:
        return decided
    return _with(
        decided,
        explanation=f"rule {via.name!r} chose the provider; its own {decided.explanation}",
    )


def after_claim_window(
    decision: Decision, rule: Rule, engineers: Sequence[Engineer], now: datetime
) -> Decision:
    """The claim window passed unclaimed: the rule's `then` strategy chooses now."""
    base = _with(decision, strategy=rule.then, claim_until=None)
    mine = [e for e in engineers if e.provider_id == rule.provider_id]
    return choose_engineer(base, rule, rule.then, mine, now)


def choose_engineer(
    base: Decision, rule: Rule, strategy: Strategy, engineers: Sequence[Engineer], now: datetime
) -> Decision:
    """Scores every eligible engineer, records why the others are not, and picks one."""
    eligible: list[Engineer] = []
    excluded: list[Excluded] = []
    for engineer in engineers:
        reason = exclusion_of(engineer, rule.required_skills, now)
        if reason is None:
            eligible.append(engineer)
        else:
            excluded.append(Excluded(engineer.id, reason))
    candidates = tuple(Candidate(e.id, _scores(e, rule, eligible)) for e in eligible)
    if not eligible:
        return _with(
            base,
            excluded=tuple(excluded),
            explanation=f"rule {rule.name!r}: no engineer available; left in the pool",
        )
    chosen = min(eligible, key=_order(strategy))
    return _with(
        base,
        engineer_id=chosen.id,
        candidates=candidates,
        excluded=tuple(excluded),
        explanation=f"rule {rule.name!r}: {strategy.value} chose {chosen.id}",
    )


class ClaimRefusal(enum.Enum):
    AT_CAPACITY = "he is at capacity"
    SKILL_MISSING = "he lacks a skill the ticket's rule requires"
    NOT_OLDEST = "older pool tickets matching his skills come first"


@dataclass(frozen=True)
class PoolTicket:
    """A ticket waiting in a provider's pool, with what the rule that put it there asks."""

    ticket_id: str
    required_skills: frozenset[str] = frozenset()
    claim_limit: int = 0  # 0: any engineer of the provider may claim it, in any order
    rule_id: str = ""  # the rule that put it there: its queue ("": assigned by hand)


def claim_refusal(
    engineer: Engineer, ticket_id: str, pool: Sequence[PoolTicket]
) -> ClaimRefusal | None:
    """Why the engineer may not claim the ticket from his provider's pool (`pool`: oldest
    first), or None. Claims count against capacity; against cherry-picking, a rule's
    `claim_limit` K lets him claim only among the oldest K of the tickets that rule put in the
    pool (its queue) matching his skills. A ticket no rule put in the pool (assigned to the
    provider by hand) has no limit."""
    if engineer.open_tickets >= engineer.capacity:
        return ClaimRefusal.AT_CAPACITY
    wanted = next((t for t in pool if t.ticket_id == ticket_id), None)
    if wanted is None:
        return None
    if not wanted.required_skills <= engineer.skills:
        return ClaimRefusal.SKILL_MISSING
    if wanted.claim_limit <= 0:
        return None
    matching = [
        t.ticket_id
        for t in pool
        if t.rule_id == wanted.rule_id and t.required_skills <= engineer.skills
    ]
    return None if ticket_id in matching[: wanted.claim_limit] else ClaimRefusal.NOT_OLDEST


def exclusion_of(engineer: Engineer, skills: frozenset[str], now: datetime) -> Exclusion | None:
    if not engineer.active:
        return Exclusion.INACTIVE
    if not skills <= engineer.skills:
        return Exclusion.SKILL_MISSING
    if engineer.availability is Availability.AWAY and (
        engineer.away_until is None or engineer.away_until > now
    ):
        return Exclusion.AWAY
    if engineer.availability is Availability.OFF or not engineer.on_shift:
        return Exclusion.OFF_SHIFT
    if engineer.open_tickets >= engineer.capacity:
        return Exclusion.AT_CAPACITY
    return None


def _order(strategy: Strategy) -> Callable[[Engineer], tuple[float, int, str]]:
    if strategy is Strategy.ROUND_ROBIN:
        return lambda e: (e.last_assigned_seq, 0, e.id)
    return lambda e: (e.open_tickets / e.capacity, e.last_assigned_seq, e.id)


def _scores(engineer: Engineer, rule: Rule, eligible: Sequence[Engineer]) -> dict[str, float]:
    queue = sorted(eligible, key=lambda e: (e.last_assigned_seq, e.id))
    position = queue.index(engineer)
    skills = rule.required_skills
    return {
        "skill_match": 1.0 if not skills else len(skills & engineer.skills) / len(skills),
        "load": 1.0 - engineer.open_tickets / engineer.capacity,
        "capacity_left": float(engineer.capacity - engineer.open_tickets),
        "availability": 1.0,
        "round_robin": 1.0 - position / max(len(queue), 1),
    }


def _with(decision: Decision, **changes: object) -> Decision:
    return replace(decision, **changes)  # type: ignore[arg-type]
