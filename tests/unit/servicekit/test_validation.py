"""Values no service can store are refused before any servicer runs, naming the field; values
the database refuses anyway are the caller's error or a conflict, never a server error."""

from __future__ import annotations

import pytest
from google.protobuf import timestamp_pb2
from ticketing.tickets.v1 import tickets_pb2

from servicekit.errors import DomainError, ErrorCode
from servicekit.rpc.interceptors import refusal_by_database
from servicekit.rpc.validation import check_request


def _fields(request) -> list[str]:  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError) as raised:
        check_request(request)
    assert raised.value.code is ErrorCode.INVALID_ARGUMENT
    return [v.field for v in raised.value.violations]


def test_nul_in_a_nested_string_and_in_a_map_key_is_named():
    request = tickets_pb2.CreateTicketRequest()
    request.ticket.title = "a\x00"
    request.ticket.custom_fields.update({"k\x00": "ok", "note": "x\x00"})
    assert sorted(_fields(request)) == [
        "ticket.custom_fields",
        "ticket.custom_fields.note",
        "ticket.title",
    ]


def test_non_finite_numbers_inside_struct_values_are_named():
    request = tickets_pb2.CreateTicketRequest()
    request.ticket.custom_fields.update({"floor": float("nan"), "rooms": [1, float("inf")]})
    assert sorted(_fields(request)) == [
        "ticket.custom_fields.floor",
        "ticket.custom_fields.rooms[1]",
    ]


def test_timestamps_beyond_year_9999_are_named():
    request = tickets_pb2.ListTicketsRequest()
    request.create_time_start.CopyFrom(timestamp_pb2.Timestamp(seconds=253_402_300_800))
    assert _fields(request) == ["create_time_start"]


def test_ordinary_requests_pass():
    request = tickets_pb2.CreateTicketRequest()
    request.ticket.title = "三楼无线网络断开"
    request.ticket.custom_fields.update({"floor": 3, "rooms": ["A-301"]})
    check_request(request)
    assert request.ticket.title == "三楼无线网络断开"


class _Refused(Exception):
    def __init__(self, sqlstate: str):
        super().__init__("database said no")
        self.orig = type("Orig", (), {"sqlstate": sqlstate})()


def test_database_refusals_are_the_callers_error_or_a_conflict():
    bad_value, conflict = (
        refusal_by_database(_Refused("22P05")),
        refusal_by_database(_Refused("23505")),
    )
    assert bad_value is not None and bad_value.code is ErrorCode.INVALID_ARGUMENT
    assert conflict is not None and conflict.code is ErrorCode.ABORTED
    assert "database said no" not in bad_value.message + conflict.message
    assert refusal_by_database(_Refused("57P01")) is None  # unavailable: handled as transient
