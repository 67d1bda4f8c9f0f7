"""What happened to a ticket, as typed values named in the past tense. The domain returns one
from every transition; the service layer records it (history entry and outbox event in the
step's transaction); `adapters/events.py` is the one place that turns it into protobuf."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

from servicekit.auth.principal import Principal
from services.tickets.domain.attachments import Attachment
from services.tickets.domain.status import Status


@dataclass
class Comment:
    id: str
    ticket_id: str
    body: str
    internal: bool
    author_id: str
    author_kind: str
    author_organization_id: str = ""
    attachment_ids: list[str] | None = None
    created_at: datetime | None = None


@dataclass
class HistoryEntry:
    id: int
    ticket_id: str
    action: str
    actor_id: str
    actor_kind: str
    actor_organization_id: str
    from_status: Status
    to_status: Status
    changes: dict[str, str]
    note: str
    internal: bool
    created_at: datetime


@dataclass
class TicketEvent:
    """One step of a ticket: who, from which status to which, what changed. `action` names
    the step in the history."""

    actor: Principal | None
    from_status: Status
    to_status: Status
    changes: dict[str, str] = field(default_factory=dict)
    note: str = ""
    internal: bool = False
    action: ClassVar[str] = ""


@dataclass
class TicketCreated(TicketEvent):
    action: ClassVar[str] = "created"


@dataclass
class TicketUpdated(TicketEvent):
    action: ClassVar[str] = "updated"


@dataclass
class TicketApproved(TicketEvent):
    action: ClassVar[str] = "approved"

    @property
    def level(self) -> int:
        return int(self.changes["level"])


@dataclass
class TicketRejected(TicketEvent):
    action: ClassVar[str] = "rejected"


@dataclass
class TicketAssigned(TicketEvent):
    action: ClassVar[str] = "assigned"


@dataclass
class TicketClaimed(TicketEvent):
    action: ClassVar[str] = "claimed"


@dataclass
class TicketTransferred(TicketEvent):
    action: ClassVar[str] = "transferred"


@dataclass
class TicketStarted(TicketEvent):
    action: ClassVar[str] = "started"


@dataclass
class TicketWaitingOnCustomer(TicketEvent):
    action: ClassVar[str] = "waiting_on_customer"


@dataclass
class TicketResumed(TicketEvent):
    action: ClassVar[str] = "resumed"


@dataclass
class TicketCommented(TicketEvent):
    action: ClassVar[str] = "commented"
    comment: Comment | None = None


@dataclass
class TicketAttachmentAdded(TicketEvent):
    action: ClassVar[str] = "attachment_added"
    attachment: Attachment | None = None


@dataclass
class TicketAttachmentRemoved(TicketEvent):
    action: ClassVar[str] = "attachment_removed"
    attachment: Attachment | None = None


@dataclass
class TicketResolved(TicketEvent):
    action: ClassVar[str] = "resolved"


@dataclass
class TicketReopened(TicketEvent):
    action: ClassVar[str] = "reopened"


@dataclass
class TicketClosed(TicketEvent):
    action: ClassVar[str] = "closed"


@dataclass
class TicketAutoClosed(TicketClosed):
    action: ClassVar[str] = "auto_closed"


@dataclass
class TicketCancelled(TicketEvent):
    action: ClassVar[str] = "cancelled"


@dataclass
class TicketRated(TicketEvent):
    action: ClassVar[str] = "rated"
