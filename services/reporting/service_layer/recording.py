"""Keeping the ledger and the projections: every consumed event is appended to the ledger, and
a ticket's event re-folds that ticket's fact from all its recorded events (domain/facts.py), in
the consumer's transaction beside its inbox row. Re-folding from the ledger, rather than
patching the fact with the one event, is what makes duplicates and out-of-order arrivals
harmless: the fact is always the fold of everything recorded so far. The fact's history (for
reports as of a moment) is re-cut from the moment the new event became known: usually one new
version; more when an event arrives that occurred later than it was recorded elsewhere.
The recorder hands over a consumer's whole poll at once (one statement per step, not per
event)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from services.reporting.domain.facts import TicketEvent, TicketFact, fold, known_at, versions
from services.reporting.service_layer.ports import LedgerEntry, ReportingUnit, Versions

TICKET = "ticket"  # the aggregate type of tickets' events
Decode = Callable[[LedgerEntry], TicketEvent | None]


async def record(uow: ReportingUnit, entries: list[LedgerEntry], decode: Decode) -> set[str]:
    """Appends the events and brings their tickets' facts up to date; returns the ids of the
    events the ledger did not have yet (the others change nothing). A batch of events (a
    consumer's poll) is one read of the touched tickets' events and one write of their facts
    and histories."""
    added = await uow.ledger.add(entries)
    since: dict[str, datetime] = {}
    for entry in entries:
        if entry.event_id in added and entry.aggregate_type == TICKET and decode(entry):
            moment = known_at(entry.occurred_at, entry.recorded_at)
            since[entry.aggregate_id] = min(since.get(entry.aggregate_id, moment), moment)
    if since:
        await refold(uow, since, decode)
    return added


async def refold(uow: ReportingUnit, since: dict[str, datetime], decode: Decode) -> None:
    """Re-folds each ticket's fact from all its recorded events, and re-cuts its history from
    the moment given for it."""
    tickets = sorted(since)
    await uow.facts.lock(tickets)
    recorded = await uow.ledger.of_aggregates(TICKET, tickets)
    facts: list[TicketFact] = []
    cuts: list[Versions] = []
    for ticket_id in tickets:
        timed = [
            (known_at(entry.occurred_at, entry.recorded_at), event)
            for entry in recorded.get(ticket_id, [])
            if (event := decode(entry)) is not None
        ]
        fact = fold(event for _, event in timed)
        if fact is not None:
            facts.append(fact)
        moment = since[ticket_id]
        cuts.append(Versions(ticket_id, moment, versions(timed, moment)))
    await uow.facts.put(facts)
    await uow.facts.put_versions(cuts)


async def name(uow: ReportingUnit, kind: str, id: str, display_name: str) -> None:
    await uow.names.put(kind, id, display_name)
