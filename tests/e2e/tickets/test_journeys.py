"""Full journeys through the gateway for service levels with 0, 1 and 2 approvals: the
history shows every step and the events arrive on the topic in order."""

from __future__ import annotations

from ticketing.events.v1 import envelope_pb2

from tests.e2e.tickets.helpers import cast_of, catalogue, new_ticket, ok
from tests.e2e.tickets.test_attachments import PNG
from tests.support.kafka_reader import read_until


async def _post(tickets, login: str, ticket: dict, verb: str, **body) -> dict:
    headers = await tickets.as_user(*((login, "admin-demo-2026") if login == "admin" else (login,)))
    return await ok(
        await tickets.client.post(
            f"/v1/tickets/{ticket['ticketId']}:{verb}", json=body, headers=headers
        )
    )


async def test_journey_without_approval_claim_transfer_resolve_confirm_rate(
    tickets, kafka_bootstrap
):
    cast = await cast_of(tickets)
    type_id, _ = await catalogue(tickets, approvals=0)
    ticket = await new_ticket(tickets, type_id)
    photo = await ok(
        await tickets.client.post(
            f"/v1/tickets/{ticket['ticketId']}/attachments",
            files={"content": ("ap.png", PNG, "image/png")},
            headers=await tickets.as_user("acme-user"),
        )
    )
    assert photo["contentType"] == "image/png"
    assert ticket["status"] == "TICKET_STATUS_PENDING_ASSIGNMENT"
    assert ticket["number"].startswith("T") and ticket["priority"] == "PRIORITY_HIGH"
    assert ticket["customFields"] == {"floor": 3, "building": "A"}
    ticket = await _post(tickets, "admin", ticket, "assign", providerId=cast.provider_id)
    assert (ticket["status"], ticket["providerId"], ticket["engineerId"]) == (
        "TICKET_STATUS_PENDING_ASSIGNMENT",
        cast.provider_id,
        "",
    )
    ticket = await _post(tickets, "engineer-wang", ticket, "claim")
    assert (ticket["status"], ticket["engineerId"]) == ("TICKET_STATUS_ASSIGNED", cast.wang)
    ticket = await _post(
        tickets, "engineer-wang", ticket, "transfer", engineerId=cast.li, reason="李工在现场"
    )
    ticket = await _post(tickets, "engineer-li", ticket, "start")
    comment = await ok(
        await tickets.client.post(
            f"/v1/tickets/{ticket['ticketId']}/comments",
            json={"body": "已重启 AP"},
            headers=await tickets.as_user("engineer-li"),
        )
    )
    assert comment["visibility"] == "COMMENT_VISIBILITY_PUBLIC"
    ticket = await _post(tickets, "engineer-li", ticket, "resolve", resolution="更换了 AP 电源")
    assert ticket["status"] == "TICKET_STATUS_RESOLVED" and ticket["autoCloseTime"]
    ticket = await _post(tickets, "acme-user", ticket, "confirm")
    ticket = await _post(tickets, "acme-user", ticket, "rate", score=5, comment="很快")
    assert (ticket["status"], ticket["rating"]["score"]) == ("TICKET_STATUS_CLOSED", 5)

    history = await ok(
        await tickets.client.get(
            f"/v1/tickets/{ticket['ticketId']}/history", headers=await tickets.as_user("acme-user")
        )
    )
    actions = [e["action"] for e in history["entries"]]
    expected = [
        "created",
        "attachment_added",
        "assigned",
        "claimed",
        "transferred",
        "started",
        "commented",
        "resolved",
        "closed",
        "rated",
    ]
    assert actions == expected
    event_types = await _event_types(kafka_bootstrap, ticket["ticketId"], len(expected))
    assert event_types == [
        f"ticketing.events.v1.Ticket{name}"
        for name in (
            "Created",
            "AttachmentAdded",
            "Assigned",
            "Claimed",
            "Transferred",
            "Started",
            "Commented",
            "Resolved",
            "Closed",
            "Rated",
        )
    ]


async def test_journey_with_one_approval_and_direct_engineer_assignment(tickets):
    cast = await cast_of(tickets)
    type_id, _ = await catalogue(tickets, approvals=1)
    ticket = await new_ticket(tickets, type_id)
    assert (ticket["status"], ticket["pendingApprovalLevel"]) == (
        "TICKET_STATUS_PENDING_APPROVAL",
        1,
    )
    ticket = await _post(tickets, "acme-admin", ticket, "approve", comment="同意")
    assert ticket["status"] == "TICKET_STATUS_PENDING_ASSIGNMENT"
    ticket = await _post(
        tickets, "admin", ticket, "assign", providerId=cast.provider_id, engineerId=cast.wang
    )
    assert (ticket["status"], ticket["engineerId"]) == ("TICKET_STATUS_ASSIGNED", cast.wang)
    ticket = await _post(tickets, "engineer-wang", ticket, "start")
    ticket = await _post(tickets, "engineer-wang", ticket, "resolve", resolution="已修复")
    ticket = await _post(tickets, "acme-user", ticket, "reopen", reason="还是断")
    assert ticket["status"] == "TICKET_STATUS_IN_PROGRESS" and "autoCloseTime" not in ticket
    ticket = await _post(tickets, "engineer-wang", ticket, "resolve", resolution="换了交换机")
    ticket = await _post(tickets, "acme-user", ticket, "confirm")
    assert ticket["status"] == "TICKET_STATUS_CLOSED"


async def test_journey_with_two_approvals_and_provider_admin_assignment(tickets, kafka_bootstrap):
    cast = await cast_of(tickets)
    type_id, _ = await catalogue(tickets, approvals=2)
    ticket = await new_ticket(tickets, type_id)
    ticket = await _post(tickets, "acme-admin", ticket, "approve")
    assert ticket["pendingApprovalLevel"] == 2
    ticket = await _post(tickets, "admin", ticket, "approve", comment="平台同意")
    assert ticket["status"] == "TICKET_STATUS_PENDING_ASSIGNMENT"
    assert [a["level"] for a in ticket["approvals"]] == [1, 2]
    ticket = await _post(tickets, "admin", ticket, "assign", providerId=cast.provider_id)
    ticket = await _post(tickets, "fastfix-admin", ticket, "assign", engineerId=cast.li)
    ticket = await _post(tickets, "engineer-li", ticket, "start")
    ticket = await _post(tickets, "engineer-li", ticket, "resolve", resolution="好了")
    ticket = await _post(tickets, "acme-user", ticket, "confirm")
    ticket = await _post(tickets, "acme-user", ticket, "rate", score=4)
    history = await ok(
        await tickets.client.get(
            f"/v1/tickets/{ticket['ticketId']}/history",
            headers=await tickets.as_user("admin", "admin-demo-2026"),
        )
    )
    assert [e["action"] for e in history["entries"]] == [
        "created",
        "approved",
        "approved",
        "assigned",
        "assigned",
        "started",
        "resolved",
        "closed",
        "rated",
    ]
    assert len(await _event_types(kafka_bootstrap, ticket["ticketId"], 9)) == 9


async def test_created_event_carries_the_number_the_database_chose(tickets, kafka_bootstrap):
    from ticketing.events.v1 import ticket_events_pb2

    type_id, _ = await catalogue(tickets, approvals=0)
    ticket = await new_ticket(tickets, type_id, title="标题里有 T20260101-000001 也不影响")

    def created(records):
        for record in records:
            envelope = envelope_pb2.EventEnvelope.FromString(record.value)
            if envelope.aggregate_id == ticket["ticketId"]:
                event = ticket_events_pb2.TicketCreated()
                envelope.payload.Unpack(event)
                return event
        return None

    records = await read_until(
        kafka_bootstrap, "ticketing.tickets.ticket.v1", done=lambda r: created(r) is not None
    )
    event = created(records)
    assert event.ticket.number == ticket["number"]
    assert event.ticket.title == ticket["title"]


async def _event_types(bootstrap: str, ticket_id: str, count: int) -> list[str]:
    def mine(records) -> list[str]:
        seen, types = set(), []
        for record in records:
            envelope = envelope_pb2.EventEnvelope.FromString(record.value)
            if envelope.aggregate_id == ticket_id and envelope.event_id not in seen:
                seen.add(envelope.event_id)
                types.append(envelope.event_type)
        return types

    records = await read_until(
        bootstrap, "ticketing.tickets.ticket.v1", done=lambda r: len(mine(r)) >= count
    )
    return mine(records)
