"""Every lifecycle step through the service layer, on fakes: what it saves, the history entry
and the typed event it records, and that a refused step changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from servicekit.errors import DomainError, ErrorCode
from services.tickets.domain.events import TicketAutoClosed, TicketCommented
from services.tickets.domain.status import Status
from services.tickets.domain.tickets import Ticket
from services.tickets.service_layer import attachments, lifecycle
from tests.unit.tickets.conftest import (
    ENGINEER,
    ENGINEER_2,
    ENT_ADMIN,
    OTHER_ENGINEER,
    PLATFORM,
    PROVIDER_ADMIN,
    REQUESTER,
    actions,
    event_names,
    raise_ticket,
)
from tests.unit.tickets.fakes import World


async def _assigned(w: World, engineer: str = "eng") -> Ticket:
    ticket = await raise_ticket(w)
    return await lifecycle.assign(
        w.deps, PLATFORM, ticket.id, provider_id="prov", engineer_id=engineer, note=""
    )


async def _in_progress(w: World) -> Ticket:
    ticket = await _assigned(w)
    return await lifecycle.start(w.deps, ENGINEER, ticket.id)


async def _resolved(w: World) -> Ticket:
    ticket = await _in_progress(w)
    return await lifecycle.resolve(w.deps, ENGINEER, ticket.id, "Replaced the roller", [])


async def test_approve_moves_on_and_reject_ends(w: World):
    ticket = await raise_ticket(w, approval=True)
    approved = await lifecycle.approve(w.deps, ENT_ADMIN, ticket.id, "ok")
    assert approved.status is Status.PENDING_ASSIGNMENT
    other = await raise_ticket(w, approval=True)
    rejected = await lifecycle.reject(w.deps, ENT_ADMIN, other.id, "not needed")
    assert rejected.status is Status.REJECTED
    assert event_names(w)[-1] == "TicketRejected"
    with pytest.raises(DomainError):
        await lifecycle.reject(w.deps, ENT_ADMIN, other.id, "again")


async def test_assign_checks_designation_and_the_engineers_provider(w: World):
    ticket = await raise_ticket(w)
    assigned = await lifecycle.assign(
        w.deps, PLATFORM, ticket.id, provider_id="prov", engineer_id="eng", note="urgent"
    )
    assert (assigned.provider_id, assigned.engineer_id, assigned.status) == (
        "prov",
        "eng",
        Status.ASSIGNED,
    )
    other = await raise_ticket(w)
    for provider, engineer, field in (
        ("prov-2", "", "provider_id"),
        ("prov", "eng3", "engineer_id"),
        ("prov", "gone", "engineer_id"),
    ):
        with pytest.raises(DomainError) as refused:
            await lifecycle.assign(
                w.deps, PLATFORM, other.id, provider_id=provider, engineer_id=engineer, note=""
            )
        assert refused.value.violations[0].field == field
    assert w.state.tickets[other.id].provider_id == ""


async def test_provider_admin_assigns_to_own_engineer(w: World):
    ticket = await raise_ticket(w)
    await lifecycle.assign(w.deps, PLATFORM, ticket.id, provider_id="prov", engineer_id="", note="")
    assigned = await lifecycle.assign(
        w.deps, PROVIDER_ADMIN, ticket.id, provider_id="", engineer_id="eng2", note=""
    )
    assert assigned.engineer_id == "eng2"


async def test_claim_from_the_pool_and_a_lost_race(w: World):
    ticket = await raise_ticket(w)
    await lifecycle.assign(w.deps, PLATFORM, ticket.id, provider_id="prov", engineer_id="", note="")
    claimed = await lifecycle.claim(w.deps, ENGINEER, ticket.id)
    assert (claimed.engineer_id, claimed.status) == ("eng", Status.ASSIGNED)
    with pytest.raises(DomainError) as lost:
        await lifecycle.claim(w.deps, ENGINEER_2, ticket.id)
    assert lost.value.reason == "TICKET_ALREADY_CLAIMED"
    with pytest.raises(DomainError) as hidden:
        await lifecycle.claim(w.deps, OTHER_ENGINEER, ticket.id)
    assert hidden.value.code is ErrorCode.NOT_FOUND


class _Refusing:
    """Dispatch's answer, scripted: refuse every claim (or be away)."""

    def __init__(self, code: ErrorCode):
        self.code, self.asked = code, []

    async def check(self, ticket_id: str) -> None:
        self.asked.append(ticket_id)
        raise DomainError("TICKET_NOT_CLAIMABLE", "no", self.code)


async def test_dispatch_has_its_say_on_a_claim_and_a_refusal_changes_nothing(w: World):
    ticket = await raise_ticket(w)
    await lifecycle.assign(w.deps, PLATFORM, ticket.id, provider_id="prov", engineer_id="", note="")
    for code in (ErrorCode.FAILED_PRECONDITION, ErrorCode.UNAVAILABLE):
        w.deps.claims = refusing = _Refusing(code)
        with pytest.raises(DomainError) as refused:
            await lifecycle.claim(w.deps, ENGINEER, ticket.id)
        assert refused.value.code is code and refusing.asked == [ticket.id]
        stored = w.state.tickets[ticket.id]
        assert (stored.engineer_id, stored.status) == ("", Status.PENDING_ASSIGNMENT)
    with pytest.raises(DomainError) as hidden:  # the ticket's own rules come first
        await lifecycle.claim(w.deps, OTHER_ENGINEER, ticket.id)
    assert hidden.value.code is ErrorCode.NOT_FOUND and refusing.asked == [ticket.id]


async def test_transfer_within_the_provider_only(w: World):
    ticket = await _assigned(w)
    moved = await lifecycle.transfer(
        w.deps, ENGINEER, ticket.id, engineer_id="eng2", reason="leave"
    )
    assert moved.engineer_id == "eng2"
    with pytest.raises(DomainError) as refused:
        await lifecycle.transfer(w.deps, ENGINEER_2, ticket.id, engineer_id="eng3", reason="x")
    assert refused.value.reason == "TICKET_TRANSFER_OUTSIDE_PROVIDER"


async def test_escalation_raises_the_priority_once_per_request(w: World):
    from services.tickets.domain.catalog import Priority

    ticket = await _assigned(w)
    raised = await lifecycle.escalate(
        w.deps,
        PROVIDER_ADMIN,
        ticket.id,
        priority=Priority.HIGH,
        reason="response target breached",
        request_id="r1",
    )
    assert (raised.priority, raised.status) == (Priority.HIGH, Status.ASSIGNED)
    again = await lifecycle.escalate(
        w.deps,
        PROVIDER_ADMIN,
        ticket.id,
        priority=Priority.HIGH,
        reason="response target breached",
        request_id="r1",
    )
    assert again.priority is Priority.HIGH  # the retry changed nothing more
    assert event_names(w).count("TicketUpdated") == 1
    assert actions(w, ticket.id)[-1] == "updated"
    for who, priority, reason in (
        (PLATFORM, Priority.NORMAL, "TICKET_INVALID"),  # not higher
        (ENGINEER, Priority.URGENT, "PERMISSION_MISSING"),
        (REQUESTER, Priority.URGENT, "PERMISSION_MISSING"),
    ):
        with pytest.raises(DomainError) as refused:
            await lifecycle.escalate(w.deps, who, ticket.id, priority=priority, reason="",
                                     request_id="")  # fmt: skip
        assert refused.value.reason == reason, who
    done = await _resolved(w)
    with pytest.raises(DomainError) as closed:
        await lifecycle.escalate(w.deps, PLATFORM, done.id, priority=Priority.URGENT, reason="",
                                 request_id="")  # fmt: skip
    assert closed.value.reason == "TICKET_INVALID_TRANSITION"


async def test_the_handler_and_admins_set_the_priority_either_way(w: World):
    """001 修改工单优先级: the engineer handling the ticket, its provider's admins and platform
    staff change an open ticket's priority up or down; the requester, another engineer of
    the provider and another provider's engineer cannot."""
    from services.tickets.domain.catalog import Priority

    ticket = await _assigned(w)
    lowered = await lifecycle.set_priority(
        w.deps, ENGINEER, ticket.id, priority=Priority.LOW, reason="only one printer"
    )
    assert lowered.priority is Priority.LOW
    for who, priority in ((PROVIDER_ADMIN, Priority.HIGH), (PLATFORM, Priority.URGENT)):
        assert (await lifecycle.set_priority(w.deps, who, ticket.id, priority=priority,
                                             reason="")).priority is priority  # fmt: skip
    assert actions(w, ticket.id)[-3:] == ["updated", "updated", "updated"]
    for who, priority, reason in (
        (PLATFORM, Priority.URGENT, "TICKET_INVALID"),  # already urgent
        (REQUESTER, Priority.LOW, "TICKET_NOT_YOURS"),
    ):
        with pytest.raises(DomainError) as refused:
            await lifecycle.set_priority(w.deps, who, ticket.id, priority=priority, reason="")
        assert refused.value.reason == reason, who
    for other in (ENGINEER_2, OTHER_ENGINEER):  # not theirs to see
        with pytest.raises(DomainError) as hidden:
            await lifecycle.set_priority(w.deps, other, ticket.id, priority=Priority.LOW, reason="")
        assert hidden.value.code is ErrorCode.NOT_FOUND
    done = await _resolved(w)
    with pytest.raises(DomainError) as closed:
        await lifecycle.set_priority(w.deps, PLATFORM, done.id, priority=Priority.LOW, reason="")
    assert closed.value.reason == "TICKET_INVALID_TRANSITION"


async def test_start_resolve_confirm(w: World):
    ticket = await _in_progress(w)
    assert ticket.status is Status.IN_PROGRESS and ticket.first_response_at == w.clock()
    resolved = await lifecycle.resolve(w.deps, ENGINEER, ticket.id, "fixed", [])
    assert resolved.status is Status.RESOLVED and resolved.auto_close_at is not None
    closed = await lifecycle.confirm(w.deps, REQUESTER, ticket.id)
    assert closed.status is Status.CLOSED
    assert actions(w, ticket.id) == [
        "created",
        "assigned",
        "started",
        "resolved",
        "closed",
    ]


async def test_resolve_refuses_attachments_of_another_ticket(w: World):
    ticket = await _in_progress(w)
    with pytest.raises(DomainError) as refused:
        await lifecycle.resolve(w.deps, ENGINEER, ticket.id, "fixed", ["not-here"])
    assert refused.value.violations[0].field == "attachment_ids"
    assert w.state.tickets[ticket.id].status is Status.IN_PROGRESS  # nothing changed


async def test_only_the_assigned_engineer_starts(w: World):
    ticket = await _assigned(w)
    with pytest.raises(DomainError) as hidden:  # another engineer does not even see it
        await lifecycle.start(w.deps, ENGINEER_2, ticket.id)
    assert hidden.value.code is ErrorCode.NOT_FOUND
    with pytest.raises(DomainError) as refused:  # his admin sees it but does not start it
        await lifecycle.start(w.deps, PROVIDER_ADMIN, ticket.id)
    assert refused.value.code is ErrorCode.PERMISSION_DENIED


async def test_reopen_and_rate(w: World):
    ticket = await _resolved(w)
    reopened = await lifecycle.reopen(w.deps, REQUESTER, ticket.id, "still jams")
    assert reopened.status is Status.IN_PROGRESS and reopened.auto_close_at is None
    await lifecycle.resolve(w.deps, ENGINEER, ticket.id, "really fixed", [])
    rated = await lifecycle.rate(w.deps, REQUESTER, ticket.id, 5, "quick")
    assert rated.rating is not None and rated.rating.score == 5
    with pytest.raises(DomainError) as twice:
        await lifecycle.rate(w.deps, REQUESTER, ticket.id, 4, "")
    assert twice.value.reason == "TICKET_ALREADY_RATED"


async def test_cancel_by_requester_and_not_after_resolution(w: World):
    ticket = await raise_ticket(w)
    cancelled = await lifecycle.cancel(w.deps, REQUESTER, ticket.id, "solved myself")
    assert cancelled.status is Status.CANCELLED and cancelled.cancel_reason == "solved myself"
    done = await _resolved(w)
    with pytest.raises(DomainError):
        await lifecycle.cancel(w.deps, REQUESTER, done.id, "late")


async def test_comments_carry_the_comment_and_hide_internal_notes(w: World):
    ticket = await _assigned(w)
    await lifecycle.add_comment(
        w.deps, ENGINEER, ticket.id, body="Ordered a part", internal=False, attachment_ids=[]
    )
    await lifecycle.add_comment(
        w.deps, ENGINEER, ticket.id, body="Customer is slow", internal=True, attachment_ids=[]
    )
    _, event = w.state.events[-1]
    assert isinstance(event, TicketCommented) and event.comment is not None
    assert event.comment.body == "Customer is slow"
    seen, _ = await lifecycle.list_comments(w.deps, REQUESTER, ticket.id, 10, "")
    assert [c.body for c in seen] == ["Ordered a part"]
    staff, _ = await lifecycle.list_comments(w.deps, PROVIDER_ADMIN, ticket.id, 10, "")
    assert len(staff) == 2
    with pytest.raises(DomainError) as refused:
        await lifecycle.add_comment(
            w.deps, REQUESTER, ticket.id, body="psst", internal=True, attachment_ids=[]
        )
    assert refused.value.reason == "TICKET_INTERNAL_NOTE_REFUSED"


async def test_history_hides_internal_entries_from_the_requester(w: World):
    ticket = await _assigned(w)
    await lifecycle.add_comment(
        w.deps, ENGINEER, ticket.id, body="internal", internal=True, attachment_ids=[]
    )
    mine, _ = await lifecycle.list_history(w.deps, REQUESTER, ticket.id, 100, "")
    theirs, _ = await lifecycle.list_history(w.deps, ENGINEER, ticket.id, 100, "")
    assert [h.action for h in mine] == ["created", "assigned"]
    assert [h.action for h in theirs] == ["created", "assigned", "commented"]


async def test_close_due_closes_only_what_is_due(w: World):
    ticket = await _resolved(w)
    assert await lifecycle.close_due(w.deps) == 0
    w.clock.now += timedelta(days=3, seconds=1)
    assert await lifecycle.close_due(w.deps) == 1
    assert w.state.tickets[ticket.id].status is Status.CLOSED
    _, event = w.state.events[-1]
    assert isinstance(event, TicketAutoClosed) and event.actor is None
    assert await lifecycle.close_due(w.deps) == 0


async def test_attachment_on_a_comment_must_be_the_tickets(w: World):
    ticket = await _assigned(w)
    other = await _assigned(w)
    pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    elsewhere = await attachments.upload(
        w.deps, ENGINEER, other.id, filename="report.pdf", content=pdf
    )
    with pytest.raises(DomainError) as refused:
        await lifecycle.add_comment(
            w.deps, ENGINEER, ticket.id, body="see", internal=False, attachment_ids=[elsewhere.id]
        )
    assert refused.value.violations[0].field == "comment.attachment_ids"


async def test_automatic_assignment_gives_way_to_a_manual_one(w: World):
    ticket = await raise_ticket(w)
    await lifecycle.assign(
        w.deps, PLATFORM, ticket.id, provider_id="prov", engineer_id="eng", note="by hand"
    )
    with pytest.raises(DomainError) as refused:
        await lifecycle.assign(
            w.deps,
            PLATFORM,
            ticket.id,
            provider_id="prov",
            engineer_id="eng2",
            note="",
            automatic=True,
        )
    assert refused.value.reason == "TICKET_ALREADY_ASSIGNED"
    assert w.state.tickets[ticket.id].engineer_id == "eng"
    other = await raise_ticket(w)
    await lifecycle.assign(
        w.deps, PLATFORM, other.id, provider_id="prov", engineer_id="", note="", automatic=True
    )
    chosen = await lifecycle.assign(  # the same provider's engineer: still automatic
        w.deps,
        PLATFORM,
        other.id,
        provider_id="prov",
        engineer_id="eng2",
        note="",
        automatic=True,
    )
    assert chosen.engineer_id == "eng2"


async def test_a_retried_assignment_changes_nothing_more(w: World):
    ticket = await raise_ticket(w)
    for _ in range(2):
        assigned = await lifecycle.assign(
            w.deps,
            PLATFORM,
            ticket.id,
            provider_id="prov",
            engineer_id="eng",
            note="",
            request_id="decision-1",
        )
        assert assigned.engineer_id == "eng"
    assert actions(w, ticket.id) == ["created", "assigned"]


async def test_a_ticket_carries_its_service_type_path(w: World):
    ticket = await raise_ticket(w)
    leaf = w.state.types[ticket.service_type_id]
    assert ticket.service_type_path == [leaf.parent_id, leaf.id]


async def test_waiting_on_the_customer_until_the_requester_replies(w: World):
    ticket = await _in_progress(w)
    waiting = await lifecycle.wait_on_customer(w.deps, ENGINEER, ticket.id, "Which floor?")
    assert waiting.status is Status.WAITING_ON_CUSTOMER
    assert waiting.status.group.value == "in_progress"
    assert event_names(w)[-1] == "TicketWaitingOnCustomer"
    # An internal note or the engineer's own reply does not resume it; the requester's does.
    await lifecycle.add_comment(w.deps, ENGINEER, ticket.id, body="note", internal=True,
                                attachment_ids=[])  # fmt: skip
    assert w.state.tickets[ticket.id].status is Status.WAITING_ON_CUSTOMER
    await lifecycle.add_comment(w.deps, REQUESTER, ticket.id, body="3rd floor", internal=False,
                                attachment_ids=[])  # fmt: skip
    assert w.state.tickets[ticket.id].status is Status.IN_PROGRESS
    _, commented = w.state.events[-1]
    assert isinstance(commented, TicketCommented)
    assert (commented.from_status, commented.to_status) == (
        Status.WAITING_ON_CUSTOMER, Status.IN_PROGRESS,
    )  # fmt: skip


async def test_waiting_is_the_engineers_and_resumes_or_resolves(w: World):
    ticket = await _in_progress(w)
    for who, code in ((REQUESTER, ErrorCode.PERMISSION_DENIED),
                      (OTHER_ENGINEER, ErrorCode.NOT_FOUND)):  # fmt: skip
        with pytest.raises(DomainError) as refused:
            await lifecycle.wait_on_customer(w.deps, who, ticket.id, "?")
        assert refused.value.code is code
    with pytest.raises(DomainError) as refused:
        await lifecycle.wait_on_customer(w.deps, ENGINEER, ticket.id, " ")
    assert refused.value.violations[0].field == "reason"
    with pytest.raises(DomainError):
        await lifecycle.resume(w.deps, ENGINEER, ticket.id, "")  # not waiting
    await lifecycle.wait_on_customer(w.deps, ENGINEER, ticket.id, "Which floor?")
    resumed = await lifecycle.resume(w.deps, ENGINEER, ticket.id, "answered by phone")
    assert resumed.status is Status.IN_PROGRESS
    assert event_names(w)[-1] == "TicketResumed"
    await lifecycle.wait_on_customer(w.deps, ENGINEER, ticket.id, "Still broken?")
    resolved = await lifecycle.resolve(w.deps, ENGINEER, ticket.id, "Fixed meanwhile", [])
    assert resolved.status is Status.RESOLVED


async def test_only_a_public_reply_by_the_handling_side_is_a_first_response(w: World):
    ticket = await _assigned(w)
    await lifecycle.add_comment(w.deps, REQUESTER, ticket.id, body="any news?",
                                internal=False, attachment_ids=[])  # fmt: skip
    await lifecycle.add_comment(w.deps, ENGINEER, ticket.id, body="internal", internal=True,
                                attachment_ids=[])  # fmt: skip
    assert w.state.tickets[ticket.id].first_response_at is None
    await lifecycle.add_comment(w.deps, ENGINEER, ticket.id, body="on my way",
                                internal=False, attachment_ids=[])  # fmt: skip
    assert w.state.tickets[ticket.id].first_response_at is not None


async def test_a_redispatch_takes_back_only_an_unstarted_ticket_from_the_named_engineer(w: World):
    ticket = await _assigned(w)  # to "eng"

    async def redispatch(replaces: str) -> Ticket:
        return await lifecycle.assign(w.deps, PLATFORM, ticket.id, provider_id="prov",
                                      engineer_id="eng2", note="re-dispatch", automatic=True,
                                      replaces_engineer_id=replaces)  # fmt: skip

    with pytest.raises(DomainError) as refused:
        await redispatch("somebody-else")
    assert refused.value.reason == "TICKET_ALREADY_ASSIGNED"
    moved = await redispatch("eng")
    assert (moved.engineer_id, moved.status) == ("eng2", Status.ASSIGNED)
    _, event = w.state.events[-1]
    assert event.changes["previous_engineer_id"] == "eng"
    await lifecycle.start(w.deps, ENGINEER_2, ticket.id)
    with pytest.raises(DomainError) as refused:  # started: it stays
        await lifecycle.assign(w.deps, PLATFORM, ticket.id, provider_id="prov",
                               engineer_id="eng", note="", automatic=True,
                               replaces_engineer_id="eng2")  # fmt: skip
    assert refused.value.reason == "TICKET_ALREADY_ASSIGNED"
