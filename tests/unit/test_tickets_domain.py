"""Tickets' domain rules, without servers: forms, transitions, search terms, file names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from servicekit.auth.principal import Principal
from servicekit.errors import DomainError
from services.tickets.domain.attachments import AttachmentPolicy, sanitize_filename
from services.tickets.domain.catalog import FieldType, FormField, custom_field_violations
from services.tickets.domain.knowledge import terms
from services.tickets.domain.status import Status
from services.tickets.domain.tickets import Ticket

NOW = datetime(2026, 11, 22, 9, tzinfo=UTC)
REQUESTER = Principal("u1", "enterprise", "e1", permissions=frozenset({"ticket.create"}))
ENGINEER = Principal(
    "g1",
    "engineer",
    "p1",
    permissions=frozenset({"ticket.claim", "ticket.handle", "ticket.transfer"}),
)


def _ticket(**fields) -> Ticket:
    ticket = Ticket(
        id="t",
        number="T1",
        title="x",
        service_type_id="s",
        service_level_id="l",
        enterprise_id="e1",
        requester_id="u1",
        **fields,
    )
    ticket.open(REQUESTER, NOW, timedelta(hours=1), None)
    return ticket


def test_form_values_are_checked_field_by_field():
    form = [
        FormField("floor", "楼层", FieldType.NUMBER, required=True, min=1, max=10),
        FormField("when", "日期", FieldType.DATE),
        FormField("room", "房间", FieldType.TEXT, pattern=r"[A-Z]\d+"),
    ]
    problems = custom_field_violations(
        form, {"floor": 11, "when": "tomorrow", "room": "a1", "extra": 1}
    )
    assert [p.field for p in problems] == [
        "ticket.custom_fields.extra",
        "ticket.custom_fields.floor",
        "ticket.custom_fields.when",
        "ticket.custom_fields.room",
    ]
    assert custom_field_violations(form, {"floor": 2, "when": "2026-11-22", "room": "B12"}) == []


def test_claim_resolve_and_auto_close():
    ticket = _ticket(provider_id="p1")
    assert ticket.status is Status.PENDING_ASSIGNMENT
    ticket.claim(ENGINEER)
    ticket.start(ENGINEER, NOW)
    ticket.auto_close_delay = timedelta(hours=2)
    ticket.resolve(ENGINEER, "done", NOW)
    with pytest.raises(DomainError, match="TICKET_NOT_DUE"):
        ticket.auto_close(NOW + timedelta(hours=1))
    step = ticket.auto_close(NOW + timedelta(hours=3))
    assert (step.action, ticket.status) == ("auto_closed", Status.CLOSED)


def test_rating_is_for_the_requester_once_after_resolution():
    ticket = _ticket(provider_id="p1")
    with pytest.raises(DomainError, match="TICKET_INVALID_TRANSITION"):
        ticket.rate(REQUESTER, 5, "", NOW)
    ticket.claim(ENGINEER)
    ticket.start(ENGINEER, NOW)
    ticket.resolve(ENGINEER, "done", NOW)
    with pytest.raises(DomainError, match="TICKET_INVALID"):
        ticket.rate(REQUESTER, 6, "", NOW)
    ticket.rate(REQUESTER, 5, "好", NOW)
    with pytest.raises(DomainError, match="TICKET_ALREADY_RATED"):
        ticket.rate(REQUESTER, 4, "", NOW)


def test_cancel_is_refused_once_resolved():
    ticket = _ticket(provider_id="p1")
    ticket.claim(ENGINEER)
    ticket.start(ENGINEER, NOW)
    ticket.resolve(ENGINEER, "done", NOW)
    with pytest.raises(DomainError, match="TICKET_INVALID_TRANSITION"):
        ticket.cancel(REQUESTER, "too late")


def test_search_terms_split_chinese_into_characters_and_bigrams():
    assert terms("打印机 Printers") == ["打", "印", "机", "打印", "印机", "printers", "printer"]


def test_file_names_are_sanitised_and_types_checked():
    assert sanitize_filename("../../a/b\\c:d?.png") == "c_d_.png"
    policy = AttachmentPolicy(max_bytes=10)
    assert policy.problem("a.png", b"x" * 11, "image/png") == ("content", "is larger than 0 MB")
    assert policy.problem("a.exe", b"MZ", None) == ("filename", "this type of file is not accepted")
    assert policy.problem("a.txt", b"hello", None) is None
