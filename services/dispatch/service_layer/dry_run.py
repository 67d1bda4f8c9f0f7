"""Dry run of a draft rule set: every ticket raised in a past period (from dispatch's read
model) is decided by today's rules and by the draft, side by side; nothing is stored, emitted
or assigned. Each ticket is decided on its own against the engineers as they are now (their
load, availability and round-robin turn), as if it were the next ticket to route.

The draft replaces the rules of the sets it touches — the platform's PROVIDER-stage rules,
or one provider's own ENGINEER-stage rules — and every other rule stays as it is. A
provider's admin drafts only his own rules and sees only the tickets the platform sends his
provider, and of their decisions only his engineers."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from servicekit.auth.principal import Principal
from servicekit.errors import DomainError, FieldViolation, invalid_argument
from services.dispatch.domain.events import RecordedDecision
from services.dispatch.domain.routing import Decision, Engineer, Rule, Stage, decide
from services.dispatch.service_layer.decisions import only_engineers
from services.dispatch.service_layer.deps import Deps
from services.dispatch.service_layer.routing import ALL_RULES, engineers_now
from services.dispatch.service_layer.rules import owns, require_editor, validate

MAX_TICKETS = 1000


@dataclass(frozen=True)
class Compared:
    ticket_id: str
    raised_at: datetime
    current: Decision
    draft: Decision

    @property
    def changed(self) -> bool:
        a, b = self.current, self.draft
        return (a.rule_id, a.provider_id, a.engineer_id) != (
            b.rule_id,
            b.provider_id,
            b.engineer_id,
        )


async def dry_run(
    deps: Deps,
    p: Principal,
    *,
    drafts: list[Rule],
    start: datetime | None,
    end: datetime | None,
    limit: int,
) -> list[Compared]:
    """Today's decision beside the draft's for each ticket raised in [start, end), oldest
    first (at most `limit`, default 100, at most 1,000)."""
    require_editor(p)
    problems = []
    if start is None or end is None:
        problems.append(
            FieldViolation("start_time" if start is None else "end_time", "is required")
        )
    elif end <= start:
        problems.append(FieldViolation("end_time", "must be after start_time"))
    if not 0 <= limit <= MAX_TICKETS:
        problems.append(FieldViolation("page_size", f"must be from 0 to {MAX_TICKETS}"))
    if not drafts:
        problems.append(FieldViolation("draft_rules", "name at least one rule"))
    if problems:
        raise invalid_argument("DRY_RUN_INVALID", problems)
    assert start is not None and end is not None
    now = deps.clock()
    async with deps.uow() as uow:
        draft_rules = []
        for i, draft in enumerate(drafts):
            rule = replace(draft, id=draft.id or f"draft-{i + 1}", version=0)
            if p.kind == "provider":  # his own stage and provider unless he says otherwise
                rule = replace(
                    rule,
                    stage=Stage.ENGINEER if rule.stage is Stage.PROVIDER else rule.stage,
                    provider_id=rule.provider_id or p.organization_id,
                )
            if not owns(p, rule):
                raise invalid_argument(
                    "DISPATCH_RULE_NOT_YOURS",
                    [FieldViolation(f"draft_rules[{i}].provider_id", "is not your provider")],
                )
            try:
                await validate(uow, rule)
            except DomainError as error:
                raise invalid_argument(
                    "DISPATCH_RULE_INVALID",
                    [
                        replace(v, field=v.field.replace("dispatch_rule", f"draft_rules[{i}]", 1))
                        for v in error.violations
                    ],
                ) from error
            draft_rules.append(rule)
        stored = await uow.rules.find(
            provider_id="", show_disabled=False, offset=0, limit=ALL_RULES
        )
        current_rules = [s.rule for s in stored]
        touched = {_rule_set(r) for r in draft_rules}
        draft_rules = [r for r in current_rules if _rule_set(r) not in touched] + draft_rules
        draft_rules.sort(key=lambda r: r.position)
        every = current_rules + draft_rules
        providers = await uow.directory.providers({r.provider_id for r in every})
        engineers: list[Engineer] = []
        for provider_id in sorted(providers):
            engineers += await engineers_now(uow, provider_id, now)
        tickets = await uow.tickets.raised_between(start, end, limit or 100)
    compared = [
        Compared(
            t.facts.ticket_id,
            t.facts.created_at,
            decide(t.facts, current_rules, providers, engineers, now),
            decide(t.facts, draft_rules, providers, engineers, now),
        )
        for t in tickets
    ]
    if p.is_platform:
        return compared
    own = {e.id for e in engineers if e.provider_id == p.organization_id}
    return [
        replace(c, current=_only(c.current, own, now), draft=_only(c.draft, own, now))
        for c in compared
        if p.organization_id in (c.current.provider_id, c.draft.provider_id)
    ]


def _rule_set(rule: Rule) -> str:
    """The set a rule belongs to: the platform's, or one provider's own."""
    return "platform" if rule.stage is Stage.PROVIDER else f"provider:{rule.provider_id}"


def _only(decision: Decision, own: set[str], now: datetime) -> Decision:
    return only_engineers(RecordedDecision.of("", decision, now), own).decision
