"""Names for what a response shows by id: the people who acted (comment authors, uploaders,
approvers, history) and who handles a ticket, from tickets' directory of identity."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from services.tickets.domain.attachments import Attachment
from services.tickets.domain.events import Comment, HistoryEntry
from services.tickets.domain.tickets import Ticket
from services.tickets.service_layer.deps import Deps
from services.tickets.service_layer.ports import Person


@dataclass(frozen=True)
class Names:
    people: Mapping[str, Person] = field(default_factory=dict)
    providers: Mapping[str, str] = field(default_factory=dict)

    def person(self, person_id: str) -> Person | None:
        return self.people.get(person_id)


NO_NAMES = Names()


async def names_for(
    deps: Deps,
    *,
    tickets: Iterable[Ticket] = (),
    comments: Iterable[Comment] = (),
    history: Iterable[HistoryEntry] = (),
    attachments: Iterable[Attachment] = (),
) -> Names:
    """One round trip for every name the items show."""
    people: set[str] = set()
    providers: set[str] = set()
    for t in tickets:
        people.update(a.approver_id for a in t.approvals)
        people.add(t.engineer_id)
        providers.add(t.provider_id)
    people.update(c.author_id for c in comments)
    people.update(h.actor_id for h in history)
    people.update(a.uploader_id for a in attachments)
    people.discard("")
    providers.discard("")
    if not people and not providers:
        return NO_NAMES
    async with deps.uow() as uow:
        return Names(
            await uow.directory.people(people), await uow.directory.provider_names(providers)
        )
