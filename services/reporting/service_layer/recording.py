"""Keeping the ledger and the projections: every consumed event is appended to the ledger, and
a ticket's event re-folds that ticket's fact from all its recorded events (domain/facts.py), in
the consumer's transaction beside its inbox row. Re-folding from the ledger, rather than
patching the fact with the one event, is what makes duplicates and out-of-order arrivals
harmless: the fact is always the fold of everything recorded so far. The fact's history (for
reports as of a moment) is re-cut from the moment the new event became known: usually one new
version; more when an event arrives that occurred later than it was recorded elsewhere."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from services.reporting.domain.facts import TicketEvent, fold, known_at, versions
from services.reporting.service_layer.ports import LedgerEntry, ReportingUnit

TICKET = "ticket"  # the aggregate type of tickets' events
Decode = Callable[[LedgerEntry], TicketEvent | None]


async def record(uow: ReportingUnit, entry: LedgerEntry, decode: Decode) -> bool:
    """Appends the event and brings its ticket's fact up to date; False when the ledger had it
    already (nothing changes)."""
    if not await uow.ledger.add(entry):
        return False
    if entry.aggregate_type == TICKET and decode(entry) is not None:
        since = known_at(entry.occurred_at, entry.recorded_at)
        await refold(uow, entry.aggregate_id, decode, since)
    return True


async def refold(uow: ReportingUnit, ticket_id: str, decode: Decode, since: datetime) -> None:
    await uow.facts.lock(ticket_id)
    entries = await uow.ledger.of_aggregate(TICKET, ticket_id)
    timed = [
        (known_at(entry.occurred_at, entry.recorded_at), event)
        for entry in entries
        if (event := decode(entry)) is not None
    ]
    fact = fold(event for _, event in timed)
    if fact is not None:
        await uow.facts.put(fact)
    await uow.facts.put_versions(ticket_id, since, versions(timed, since))


async def name(uow: ReportingUnit, kind: str, id: str, display_name: str) -> None:
    await uow.names.put(kind, id, display_name)
