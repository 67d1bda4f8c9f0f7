"""Domain errors become a google.rpc.Status with ErrorInfo and BadRequest details."""

from __future__ import annotations

import grpc
from google.rpc import code_pb2, error_details_pb2

from servicekit.errors import FieldViolation, invalid_argument, not_found
from servicekit.rpc.status import status_from_error, status_from_metadata, trailing_metadata


def _unpack(status, kind):
    for detail in status.details:
        message = kind()
        if detail.Unpack(message):
            return message
    return None


def test_not_found_carries_its_reason():
    status = status_from_error(not_found("TICKET_NOT_FOUND", "no ticket T1"))
    assert status.code == code_pb2.NOT_FOUND
    assert status.message == "no ticket T1"
    assert _unpack(status, error_details_pb2.ErrorInfo).reason == "TICKET_NOT_FOUND"
    assert _unpack(status, error_details_pb2.BadRequest) is None


def test_invalid_argument_lists_every_field():
    error = invalid_argument(
        "TICKET_INVALID",
        [FieldViolation("ticket.title", "required"), FieldViolation("ticket.phone", "bad")],
    )
    status = status_from_error(error)
    assert status.code == code_pb2.INVALID_ARGUMENT
    assert status.message == "invalid fields: ticket.title, ticket.phone"
    fields = [v.field for v in _unpack(status, error_details_pb2.BadRequest).field_violations]
    assert fields == ["ticket.title", "ticket.phone"]


def test_status_round_trips_through_trailing_metadata():
    status = status_from_error(not_found("X", "gone"))
    parsed = status_from_metadata(grpc.StatusCode.NOT_FOUND, "gone", trailing_metadata(status))
    assert parsed == status


def test_plain_status_when_server_sent_no_details():
    parsed = status_from_metadata(grpc.StatusCode.UNAVAILABLE, "", ())
    assert (parsed.code, parsed.message) == (code_pb2.UNAVAILABLE, "UNAVAILABLE")
