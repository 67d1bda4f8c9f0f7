"""What happened to a ticket, as notify needs it to decide who hears of it (recipients.py) and
what they read (templates.py). Built from tickets' events by `mapping.py`; plain data here."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class NoticeKind(enum.StrEnum):
    CREATED = "created"
    APPROVED = "approved"
    REJECTED = "rejected"
    ASSIGNED = "assigned"
    CLAIMED = "claimed"
    TRANSFERRED = "transferred"
    STARTED = "started"
    PUBLIC_REPLY = "public_reply"
    INTERNAL_NOTE = "internal_note"
    WAITING_ON_CUSTOMER = "waiting_on_customer"  # the engineer asks the requester something
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    RATED = "rated"
    SLA_WARNING = "sla_warning"  # a target is close (dispatch's SlaWarningRaised)
    SLA_BREACHED = "sla_breached"
    SLA_ESCALATED = "sla_escalated"
    # Dispatch re-dispatched the ticket as often as its rule allows (or nobody else could take
    # it): the provider's admins must act (dispatch's ESCALATED_TO_ADMIN decision).
    DISPATCH_ESCALATED = "dispatch_escalated"


class ApproverSide(enum.StrEnum):
    ENTERPRISE = "enterprise"  # users of the requester's enterprise
    PLATFORM = "platform"  # platform staff


@dataclass(frozen=True)
class ApprovalWait:
    """The approval step a ticket waits on: who may decide it."""

    level: int
    permission_code: str
    side: ApproverSide


@dataclass(frozen=True)
class TicketFacts:
    ticket_id: str
    number: str
    title: str
    status: str  # tickets' status name, e.g. "pending_approval"
    enterprise_id: str
    requester_id: str
    provider_id: str = ""
    engineer_id: str = ""
    approval: ApprovalWait | None = None
    auto_close_at: datetime | None = None
    created_at: datetime | None = None
    priority: str = ""  # low / normal / high / urgent
    service_type_path: tuple[str, ...] = ()  # root first, ending with the ticket's type


@dataclass(frozen=True)
class Actor:
    """Who acted; an empty id is the system (a timer, dispatch's service account acts as a
    user)."""

    user_id: str = ""
    kind: str = ""  # platform / enterprise / provider / engineer
    display_name: str = ""


@dataclass(frozen=True)
class TicketNotice:
    kind: NoticeKind
    ticket: TicketFacts
    actor: Actor
    occurred_at: datetime
    previous_engineer_id: str = ""  # assigned (re-assigned) and transferred
    text: str = ""  # the comment's body, or the reason (rejected, transferred, reopened, …)
    score: int = 0  # rated
    auto_closed: bool = False  # closed by the timer
    sla_target: str = ""  # SLA notices: "response" or "resolution"
    due_at: datetime | None = None  # SLA notices: the target's deadline
    escalated_to: str = ""  # SLA escalations: "provider_admin" or "platform_admin"
