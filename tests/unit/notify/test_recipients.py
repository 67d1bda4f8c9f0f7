"""The recipient table (issue 10): who hears of each kind of ticket event, and the rules all
share — the actor hears nothing of his own action except the requester's receipt, and an
internal note never reaches the requester."""

from __future__ import annotations

import pytest

from services.notify.domain.notices import NoticeKind as K
from services.notify.domain.recipients import Audience as A
from services.notify.domain.recipients import audiences, direct, recipients
from tests.unit.notify.samples import (
    ENGINEER,
    PLATFORM,
    PROVIDER_ADMIN,
    REQUESTER,
    SYSTEM,
    awaiting_approval,
    notice,
)


@pytest.mark.parametrize(
    ("kind", "actor", "changes", "expected"),
    [
        (K.CREATED, REQUESTER, awaiting_approval(), (A.REQUESTER, A.APPROVERS)),
        (K.CREATED, REQUESTER, {"status": "pending_assignment"}, (A.REQUESTER,)),
        (
            K.APPROVED,
            REQUESTER,
            awaiting_approval(
                2,
            ),
            (A.REQUESTER, A.APPROVERS),
        ),
        (K.APPROVED, PLATFORM, {}, (A.REQUESTER,)),
        (K.REJECTED, PLATFORM, {}, (A.REQUESTER,)),
        (K.ASSIGNED, PLATFORM, {}, (A.HANDLERS, A.PREVIOUS_ENGINEER)),
        (K.CLAIMED, ENGINEER, {}, (A.REQUESTER,)),
        (K.TRANSFERRED, ENGINEER, {}, (A.REQUESTER, A.ENGINEER, A.PREVIOUS_ENGINEER)),
        (K.STARTED, ENGINEER, {}, (A.REQUESTER,)),
        (K.PUBLIC_REPLY, REQUESTER, {}, (A.HANDLERS,)),
        (K.PUBLIC_REPLY, ENGINEER, {}, (A.REQUESTER,)),
        (K.PUBLIC_REPLY, PROVIDER_ADMIN, {}, (A.REQUESTER,)),
        (K.PUBLIC_REPLY, PLATFORM, {}, (A.REQUESTER, A.HANDLERS)),
        (K.INTERNAL_NOTE, PLATFORM, {}, (A.HANDLERS,)),
        (K.RESOLVED, ENGINEER, {}, (A.REQUESTER,)),
        (K.REOPENED, REQUESTER, {}, (A.HANDLERS,)),
        (K.CLOSED, SYSTEM, {}, (A.REQUESTER,)),
        (K.CANCELLED, REQUESTER, {}, (A.REQUESTER, A.HANDLERS)),
        (K.RATED, REQUESTER, {}, (A.HANDLERS,)),
        (K.WAITING_ON_CUSTOMER, ENGINEER, {}, (A.REQUESTER,)),
        (K.SLA_WARNING, SYSTEM, {}, (A.HANDLERS,)),
        (K.SLA_BREACHED, SYSTEM, {}, (A.HANDLERS, A.PROVIDER_ADMINS)),
        (K.SLA_ESCALATED, SYSTEM, {"escalated_to": "provider_admin"}, (A.PROVIDER_ADMINS,)),
        (K.SLA_ESCALATED, SYSTEM, {"escalated_to": "platform_admin"}, (A.DISPATCHERS,)),
        (K.DISPATCH_ESCALATED, SYSTEM, {}, (A.PROVIDER_ADMINS,)),
        # Nobody handles it yet: the platform's dispatchers hear of it.
        (K.SLA_WARNING, SYSTEM, {"provider_id": "", "engineer_id": ""}, (A.DISPATCHERS,)),
        (K.SLA_BREACHED, SYSTEM, {"provider_id": "", "engineer_id": ""}, (A.DISPATCHERS,)),
        (
            K.SLA_ESCALATED,
            SYSTEM,
            {"provider_id": "", "escalated_to": "provider_admin"},
            (A.DISPATCHERS,),
        ),
    ],
)
def test_each_kind_names_its_audiences(kind, actor, changes, expected):
    assert audiences(notice(kind, actor, **changes)) == expected


def test_every_kind_has_a_row():
    for kind in K:
        assert audiences(notice(kind))


def test_handlers_are_the_engineer_or_else_the_provider_admins_or_else_nobody():
    assert direct(notice(K.REOPENED), A.HANDLERS) == {"eng"}
    assert direct(notice(K.REOPENED, engineer_id=""), A.HANDLERS) is None  # ask the directory
    assert direct(notice(K.REOPENED, engineer_id="", provider_id=""), A.HANDLERS) == set()
    assert direct(notice(K.CREATED), A.APPROVERS) is None


def test_the_actor_is_not_told_of_his_own_action():
    reply = notice(K.PUBLIC_REPLY, ENGINEER)
    assert recipients(reply, {A.REQUESTER: frozenset({"req"}), A.HANDLERS: frozenset({"eng"})}) == [
        "req"
    ]


def test_the_requester_gets_a_receipt_for_the_ticket_he_raised():
    raised = notice(K.CREATED, REQUESTER, status="pending_assignment")
    assert recipients(raised, {A.REQUESTER: frozenset({"req"})}) == ["req"]
    on_behalf = notice(K.CREATED, PLATFORM, status="pending_assignment")
    assert recipients(on_behalf, {A.REQUESTER: frozenset({"req"})}) == ["req"]
    # only the creation gives a receipt: his own cancellation tells him nothing
    cancelled = notice(K.CANCELLED, REQUESTER)
    assert recipients(
        cancelled, {A.REQUESTER: frozenset({"req"}), A.HANDLERS: frozenset({"eng"})}
    ) == ["eng"]


def test_an_internal_note_never_reaches_the_requester_whatever_the_directory_says():
    note = notice(K.INTERNAL_NOTE, PLATFORM)
    assert recipients(note, {A.HANDLERS: frozenset({"eng", "req"})}) == ["eng"]


def test_each_person_once():
    moved = notice(K.TRANSFERRED, PLATFORM, engineer_id="eng")
    resolved = {
        A.REQUESTER: frozenset({"req"}),
        A.ENGINEER: frozenset({"eng"}),
        A.PREVIOUS_ENGINEER: frozenset({"eng"}),
    }
    assert recipients(moved, resolved) == ["eng", "req"]
