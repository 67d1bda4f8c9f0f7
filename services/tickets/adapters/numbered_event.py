"""The ticket-number splice, in one place.

A ticket's number is taken by the database in the same statement that inserts the ticket and
its outbox event (see `TicketRepository.add_numbered`), so the event must be serialised before
the number is known. It is serialised with a random placeholder of the number's length, found
exactly once in the bytes; the statement overwrites those bytes with the number it takes. A
number is ASCII of fixed length, so the protobuf encoding around it (lengths, tags) is unchanged.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass

from ticketing.events.v1 import envelope_pb2

NUMBER_DIGITS = 6
NUMBER_LENGTH = len("T20261122-") + NUMBER_DIGITS
_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True)
class PlaceholderEvent:
    envelope: envelope_pb2.EventEnvelope
    placeholder: str
    payload: bytes  # the serialised envelope, holding `placeholder` exactly once
    offset: int  # 1-based position of the placeholder in `payload` (SQL's substring)


def with_placeholder(
    make_envelope: Callable[[str], envelope_pb2.EventEnvelope],
) -> PlaceholderEvent:
    """`make_envelope(number)` serialised with a placeholder number found once in its bytes
    (never also inside user text: drawn again until so)."""
    while True:
        placeholder = "T" + "".join(secrets.choice(_ALPHABET) for _ in range(NUMBER_LENGTH - 1))
        envelope = make_envelope(placeholder)
        payload = envelope.SerializeToString()
        if payload.count(placeholder.encode()) == 1:
            offset = payload.index(placeholder.encode()) + 1
            return PlaceholderEvent(envelope, placeholder, payload, offset)


def splice(payload: bytes, offset: int, number: str) -> bytes:
    """What the insert statement does to the payload, in Python (for tests and reasoning):
    substring(payload, 1, offset-1) || number || substring(payload, offset+NUMBER_LENGTH)."""
    encoded = number.encode()
    if len(encoded) != NUMBER_LENGTH:
        raise ValueError(f"a ticket number has {NUMBER_LENGTH} characters: {number!r}")
    start = offset - 1
    return payload[:start] + encoded + payload[start + NUMBER_LENGTH :]
