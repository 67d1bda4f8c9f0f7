"""Who hears what (issue 10's recipient table), as pure functions.

`audiences(notice)` names the groups an event concerns; the service layer resolves the groups
that need the directory (approvers, provider admins) and `recipients(notice, resolved)` applies
the rules every notice shares: the actor does not hear of his own action — except that a
requester gets a receipt (回执) for the ticket he raised — and an internal note never reaches
the requester."""

from __future__ import annotations

import enum
from collections.abc import Mapping

from services.notify.domain.notices import NoticeKind, TicketNotice


class Audience(enum.StrEnum):
    REQUESTER = "requester"
    APPROVERS = "approvers"  # who may decide the pending approval step
    ENGINEER = "engineer"  # the ticket's engineer now
    PREVIOUS_ENGINEER = "previous_engineer"  # the one it was taken from
    HANDLERS = "handlers"  # the engineer; while there is none, the provider's admins
    PROVIDER_ADMINS = "provider_admins"  # the ticket's provider's admins, engineer or not
    DISPATCHERS = "dispatchers"  # platform staff who assign tickets


_K = NoticeKind
_A = Audience
_FIXED: dict[NoticeKind, tuple[Audience, ...]] = {
    _K.REJECTED: (_A.REQUESTER,),
    _K.ASSIGNED: (_A.HANDLERS, _A.PREVIOUS_ENGINEER),
    _K.CLAIMED: (_A.REQUESTER,),
    _K.TRANSFERRED: (_A.REQUESTER, _A.ENGINEER, _A.PREVIOUS_ENGINEER),
    _K.STARTED: (_A.REQUESTER,),
    _K.INTERNAL_NOTE: (_A.HANDLERS,),
    _K.WAITING_ON_CUSTOMER: (_A.REQUESTER,),
    _K.RESOLVED: (_A.REQUESTER,),
    _K.REOPENED: (_A.HANDLERS,),
    _K.CLOSED: (_A.REQUESTER,),
    _K.CANCELLED: (_A.REQUESTER, _A.HANDLERS),
    _K.RATED: (_A.HANDLERS,),
    _K.DISPATCH_ESCALATED: (_A.PROVIDER_ADMINS,),
}


def audiences(notice: TicketNotice) -> tuple[Audience, ...]:
    kind = notice.kind
    if kind in SLA_KINDS:
        return _sla_audiences(notice)
    if kind in (NoticeKind.CREATED, NoticeKind.APPROVED):
        # A receipt or the approval's outcome; and the next approvers while one is pending.
        waiting = notice.ticket.approval is not None
        return (Audience.REQUESTER, Audience.APPROVERS) if waiting else (Audience.REQUESTER,)
    if kind is NoticeKind.PUBLIC_REPLY:
        return _other_side(notice.actor.kind)
    return _FIXED[kind]


SLA_KINDS = frozenset({NoticeKind.SLA_WARNING, NoticeKind.SLA_BREACHED, NoticeKind.SLA_ESCALATED})


def _sla_audiences(notice: TicketNotice) -> tuple[Audience, ...]:
    """A warning goes to whoever handles the ticket, a breach to the provider's admins as
    well, an escalation to the role it names; while no provider has the ticket, the platform's
    dispatchers stand in for the handlers and the provider's admins."""
    handled = bool(notice.ticket.provider_id)
    if notice.kind is NoticeKind.SLA_ESCALATED:
        if notice.escalated_to == "platform_admin" or not handled:
            return (Audience.DISPATCHERS,)
        return (Audience.PROVIDER_ADMINS,)
    if not handled:
        return (Audience.DISPATCHERS,)
    if notice.kind is NoticeKind.SLA_BREACHED:
        return (Audience.HANDLERS, Audience.PROVIDER_ADMINS)
    return (Audience.HANDLERS,)


def _other_side(actor_kind: str) -> tuple[Audience, ...]:
    """A public reply goes to the other side: the customer's to the handlers, the handlers'
    to the requester, platform staff's to both."""
    if actor_kind == "enterprise":
        return (Audience.HANDLERS,)
    if actor_kind in ("engineer", "provider"):
        return (Audience.REQUESTER,)
    return (Audience.REQUESTER, Audience.HANDLERS)


def direct(notice: TicketNotice, audience: Audience) -> frozenset[str] | None:
    """The audience's members when the ticket itself names them; None when the directory must
    be asked (approvers; handlers while no engineer holds the ticket)."""
    ticket = notice.ticket
    match audience:
        case Audience.REQUESTER:
            return _ids(ticket.requester_id)
        case Audience.ENGINEER:
            return _ids(ticket.engineer_id)
        case Audience.PREVIOUS_ENGINEER:
            return _ids(notice.previous_engineer_id)
        case Audience.HANDLERS if ticket.engineer_id:
            return _ids(ticket.engineer_id)
        case Audience.HANDLERS if not ticket.provider_id:
            return frozenset()  # nobody handles it yet
        case Audience.PROVIDER_ADMINS if not ticket.provider_id:
            return frozenset()
    return None


def recipients(notice: TicketNotice, resolved: Mapping[Audience, frozenset[str]]) -> list[str]:
    """Everyone the notice reaches, each once, in a stable order."""
    people = set().union(*resolved.values()) if resolved else set()
    receipt = notice.kind is NoticeKind.CREATED and notice.actor.user_id == (
        notice.ticket.requester_id
    )
    if notice.actor.user_id and not receipt:
        people.discard(notice.actor.user_id)
    if notice.kind is NoticeKind.INTERNAL_NOTE:
        people.discard(notice.ticket.requester_id)
    people.discard("")
    return sorted(people)


def _ids(*ids: str) -> frozenset[str]:
    return frozenset(i for i in ids if i)
