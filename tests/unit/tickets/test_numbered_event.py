"""The ticket-number splice: the event serialised with a placeholder, then the number the
database takes written over it, gives the event with that number."""

from __future__ import annotations

import pytest
from ticketing.events.v1 import envelope_pb2, ticket_events_pb2
from ticketing.tickets.v1 import tickets_pb2

from servicekit.events import new_envelope
from services.tickets.adapters.numbered_event import NUMBER_LENGTH, splice, with_placeholder


def _created(title: str):  # type: ignore[no-untyped-def]
    def make(number: str) -> envelope_pb2.EventEnvelope:
        ticket = tickets_pb2.Ticket(ticket_id="t1", number=number, title=title)
        return new_envelope(
            payload=ticket_events_pb2.TicketCreated(ticket=ticket),
            aggregate_type="ticket",
            aggregate_id="t1",
        )

    return make


def _number_in(payload: bytes) -> str:
    envelope = envelope_pb2.EventEnvelope.FromString(payload)
    event = ticket_events_pb2.TicketCreated()
    envelope.payload.Unpack(event)
    return event.ticket.number


def test_splicing_the_taken_number_gives_the_event_with_that_number():
    numbered = with_placeholder(_created("打印机卡纸"))
    assert len(numbered.placeholder) == NUMBER_LENGTH
    assert _number_in(numbered.payload) == numbered.placeholder
    spliced = splice(numbered.payload, numbered.offset, "T20261123-000042")
    assert _number_in(spliced) == "T20261123-000042"
    assert len(spliced) == len(numbered.payload)


def test_placeholder_is_never_also_in_the_users_text():
    for _ in range(50):
        numbered = with_placeholder(_created("T" * 40))
        assert numbered.payload.count(numbered.placeholder.encode()) == 1


def test_a_number_of_another_length_is_refused():
    numbered = with_placeholder(_created("x"))
    with pytest.raises(ValueError, match="characters"):
        splice(numbered.payload, numbered.offset, "T1")
