"""Notify's use cases against in-memory fakes: a ticket event becomes one message per
recipient (approvers and provider admins from the directory, nobody disabled, nobody twice),
and the message centre lists, counts and marks only the caller's messages."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest

from servicekit.auth.principal import Principal
from servicekit.errors import DomainError, ErrorCode
from servicekit.paging import cursor_of
from services.notify.domain.messages import Category
from services.notify.domain.notices import Actor, ApproverSide
from services.notify.domain.notices import NoticeKind as K
from services.notify.service_layer import inbox
from services.notify.service_layer.live import Feeds
from services.notify.service_layer.notifying import notify_ticket, on_ticket_event, welcome_user
from services.notify.service_layer.ports import Person
from tests.unit.notify.fakes import World, world
from tests.unit.notify.samples import ENGINEER, NOW, REQUESTER, awaiting_approval, notice

ME = Principal("req", "enterprise", "ent")
SOMEONE_ELSE = Principal("eng", "engineer", "prov")


@pytest.fixture
def w() -> World:
    made = world()
    people = made.state.people
    made.state.roles |= {
        "ent-admin": frozenset({"ticket.approve.l1"}),
        "member": frozenset({"ticket.create"}),
        "platform-admin": frozenset({"ticket.approve.l1", "ticket.approve.l2", "ticket.assign"}),
        "provider-admin": frozenset({"ticket.assign"}),
    }
    for person in (
        Person("boss", "enterprise", "ent", "老板", role_ids=("ent-admin",)),
        Person("boss-away", "enterprise", "ent", "前老板", role_ids=("ent-admin",), active=False),
        Person("other-boss", "enterprise", "ent-2", "别家老板", role_ids=("ent-admin",)),
        Person("colleague", "enterprise", "ent", "同事", role_ids=("member",)),
        Person("ops", "platform", "", "运营", role_ids=("platform-admin",)),
        Person("padmin", "provider", "prov", "王经理", role_ids=("provider-admin",)),
        Person("padmin-2", "provider", "prov-2", "别家经理", role_ids=("provider-admin",)),
    ):
        people[person.id] = person
    return made


async def _notify(w: World, n, event_id: str = "ev-1") -> int:  # type: ignore[no-untyped-def]
    async with w.unit() as uow:
        added = await notify_ticket(
            uow, n, event_id=event_id, event_type="ticketing.events.v1.X", now=w.clock()
        )
        await uow.commit()
    return added


def _inboxes(w: World) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for m in w.state.messages:
        found.setdefault(m.draft.user_id, []).append(m.draft.title)
    return found


async def test_approvers_of_the_enterprise_side_hear_with_the_requesters_receipt(w):
    await _notify(w, notice(K.CREATED, REQUESTER, **awaiting_approval()))
    assert set(_inboxes(w)) == {"req", "boss"}  # not the disabled one, not another enterprise's


async def test_platform_side_approvals_reach_platform_staff(w):
    boss = Actor("boss", "enterprise", "老板")
    await _notify(w, notice(K.APPROVED, boss, **awaiting_approval(2, ApproverSide.PLATFORM)))
    assert set(_inboxes(w)) == {"req", "ops"}  # level 1 passed: the requester hears, then l2


async def test_a_ticket_without_engineer_reaches_its_providers_admins(w):
    await _notify(w, notice(K.ASSIGNED, engineer_id=""))
    assert set(_inboxes(w)) == {"padmin"}


async def test_a_ticket_dispatch_leaves_to_the_providers_admins_reaches_them_only(w):
    from ticketing.dispatch.v1 import dispatch_pb2
    from ticketing.events.v1 import dispatch_events_pb2, envelope_pb2

    from servicekit.proto_values import timestamp
    from services.notify.mapping import escalation_notice_of

    decided = dispatch_events_pb2.AssignmentDecided(
        decision=dispatch_pb2.DispatchDecision(
            ticket_id="t1",
            kind=dispatch_pb2.DECISION_KIND_ESCALATED_TO_ADMIN,
            provider_id="prov",
            engineer_id="eng",
            explanation="eng did not start and every engineer was tried",
        ),
        ticket=dispatch_events_pb2.SlaTicket(number="T1", title="打印机", engineer_id="eng",
                                             requester_user_id="req", provider_id="prov"),
    )  # fmt: skip
    envelope = envelope_pb2.EventEnvelope(occurred_time=timestamp(w.clock()))
    escalation = escalation_notice_of(decided, envelope)
    assert escalation is not None and escalation.kind is K.DISPATCH_ESCALATED
    await _notify(w, escalation)
    assert _inboxes(w) == {"padmin": ["工单 T1 待您指派"]}  # not the engineer, nor the requester
    decided.decision.kind = dispatch_pb2.DECISION_KIND_ESCALATED
    assert escalation_notice_of(decided, envelope) is None


async def test_each_recipient_reads_his_language_with_times_in_his_zone(w):
    w.state.people["req"] = Person(
        "req", "enterprise", "ent", "张三", locale="en", time_zone="Europe/Berlin"
    )
    await _notify(w, notice(K.CREATED, REQUESTER, **awaiting_approval()))
    assert _inboxes(w)["req"][0].startswith("Ticket ")  # his receipt, in English
    assert _inboxes(w)["boss"][0].startswith("工单")  # the approver's, in Chinese
    closes = NOW + timedelta(days=3)  # 09:00 UTC is 10:00 in Berlin
    await _notify(w, notice(K.RESOLVED, ENGINEER, auto_close_at=closes), event_id="ev-2")
    body = w.state.messages[-1].draft.body
    assert "closes itself at 2026-12-03 10:00" in body, body


async def test_a_disabled_recipient_gets_nothing(w):
    w.state.people["eng"] = Person("eng", "engineer", "prov", "李工", active=False)
    await _notify(w, notice(K.ASSIGNED))
    assert _inboxes(w) == {}


async def test_the_same_event_twice_makes_its_messages_once(w):
    first = await _notify(w, notice(K.STARTED, ENGINEER))
    again = await _notify(w, notice(K.STARTED, ENGINEER))
    assert (first, again) == (1, 0)
    assert _inboxes(w) == {"req": ["工单 T20261130-000001 处理中"]}
    messages = w.state.messages
    assert messages[0].draft.ticket_id == "t1" and messages[0].draft.category is Category.TICKET


async def test_a_new_account_is_welcomed_with_a_system_notice(w):
    async with w.unit() as uow:
        await welcome_user(
            uow, "req", "张三", event_id="u1", event_type="UserChanged", now=w.clock()
        )
        await uow.commit()
    unread = await inbox.unread_count(w.deps, ME)
    assert (unread.system, unread.ticket, unread.total) == (1, 0, 1)


async def _many(w: World, count: int) -> None:
    for i in range(count):
        await _notify(w, notice(K.STARTED, ENGINEER), event_id=f"ev-{i}")


async def test_the_centre_lists_newest_first_in_stable_pages(w):
    await _many(w, 5)
    first, token, unread = await inbox.list_messages(
        w.deps, ME, unread_only=False, category=None, cursor=cursor_of(2, "")
    )
    assert [m.seq for m in first] == [5, 4] and unread.total == 5
    await _notify(w, notice(K.RESOLVED, ENGINEER), event_id="late")  # arrives between pages
    second, token, _ = await inbox.list_messages(
        w.deps, ME, unread_only=False, category=None, cursor=cursor_of(2, token)
    )
    third, last, _ = await inbox.list_messages(
        w.deps, ME, unread_only=False, category=None, cursor=cursor_of(2, token)
    )
    assert [m.seq for m in second] == [3, 2] and [m.seq for m in third] == [1] and last == ""


async def test_marking_read_one_and_all(w):
    await _many(w, 3)
    newest = w.state.messages[-1]
    read = await inbox.mark_read(w.deps, ME, newest.id)
    assert read.read and read.read_at == w.clock()
    again = await inbox.mark_read(w.deps, ME, newest.id)
    assert again.read_at == read.read_at
    unread, _, count = await inbox.list_messages(
        w.deps, ME, unread_only=True, category=Category.TICKET, cursor=cursor_of(0, "")
    )
    assert len(unread) == 2 and count.total == 2
    assert await inbox.mark_all_read(w.deps, ME) == 2
    assert (await inbox.unread_count(w.deps, ME)).total == 0


async def test_nobody_reads_or_marks_another_users_message(w):
    await _many(w, 1)
    theirs = w.state.messages[0]
    with pytest.raises(DomainError) as refused:
        await inbox.mark_read(w.deps, SOMEONE_ELSE, theirs.id)
    assert refused.value.code is ErrorCode.NOT_FOUND
    listed, _, unread = await inbox.list_messages(
        w.deps, SOMEONE_ELSE, unread_only=False, category=None, cursor=cursor_of(0, "")
    )
    assert listed == [] and unread.total == 0
    assert await inbox.mark_all_read(w.deps, SOMEONE_ELSE) == 0
    assert not w.state.messages[0].read


async def _event(w: World, n, *, event_id: str, version: int, snapshot: bool = False) -> int:  # type: ignore[no-untyped-def]
    async with w.unit() as uow:
        added = await on_ticket_event(
            uow, n, version=version, snapshot=snapshot, late_receipts_for=timedelta(hours=24),
            event_id=event_id, event_type="X", now=w.clock(),
        )  # fmt: skip
        await uow.commit()
    return added


async def test_a_snapshot_is_news_only_for_a_recent_ticket_whose_creation_notify_missed(w):
    created = notice(K.CREATED, REQUESTER, status="pending_assignment", created_at=w.clock())
    assert await _event(w, created, event_id="created", version=1) == 1
    assert await _event(w, created, event_id="created-again", version=1) == 0  # one receipt
    as_snapshot = notice(K.CREATED, status="pending_assignment", created_at=w.clock())
    assert await _event(w, as_snapshot, event_id="snap-1", version=1, snapshot=True) == 0
    lost = replace(as_snapshot, ticket=replace(as_snapshot.ticket, ticket_id="t-lost"))
    # its creation was lost, a later event arrived before the snapshot: still a late receipt
    later = replace(notice(K.ASSIGNED), ticket=replace(lost.ticket, engineer_id="eng"))
    assert await _event(w, later, event_id="assigned", version=2) == 1  # the engineer's
    assert await _event(w, lost, event_id="snap-2", version=3, snapshot=True) == 1
    assert await _event(w, lost, event_id="snap-3", version=3, snapshot=True) == 0
    old = replace(
        lost,
        ticket=replace(lost.ticket, ticket_id="t-old", created_at=w.clock() - timedelta(days=2)),
    )
    assert await _event(w, old, event_id="snap-4", version=9, snapshot=True) == 0
    receipts = [(m.draft.ticket_id, m.draft.user_id) for m in w.state.messages]
    assert receipts == [("t1", "req"), ("t-lost", "eng"), ("t-lost", "req")]
    assert w.state.tickets == {"t1": (1, True), "t-lost": (3, True), "t-old": (9, True)}


async def _next(items, timeout: float = 1.0):  # type: ignore[no-untyped-def]
    return await asyncio.wait_for(anext(items), timeout)


async def test_a_stream_starts_with_the_count_then_sends_what_arrives_and_count_changes(w):
    await _many(w, 2)  # before the stream: not re-sent without Last-Event-ID
    items = Feeds(w.deps).stream(ME, "")
    first = await _next(items)
    assert first.message is None and first.unread.total == 2
    await _notify(w, notice(K.RESOLVED, ENGINEER), event_id="new")
    arrived = await _next(items)
    assert arrived.message.seq == 3 and arrived.message.draft.title.endswith("已解决")
    assert (await _next(items)).unread.total == 3
    await inbox.mark_read(w.deps, ME, arrived.message.id)
    assert (await _next(items)).unread.total == 2
    await _notify(w, notice(K.STARTED, ENGINEER), event_id="next")
    assert (await _next(items)).message.seq == 4
    await items.aclose()
    for _ in range(100):  # the feed's task ends with its last stream
        if not w.wakeups.watchers["req"]:
            break
        await asyncio.sleep(0.01)
    assert w.wakeups.watchers["req"] == set()


async def test_a_stream_resumes_after_the_last_event_id_once_and_in_order(w):
    await _many(w, 5)
    items = Feeds(w.deps).stream(ME, "2")
    got = [await _next(items) for _ in range(4)]
    assert got[0].unread.total == 5 and [i.message.seq for i in got[1:]] == [3, 4, 5]
    with pytest.raises(TimeoutError):
        await _next(items, timeout=0.2)  # nothing more, nothing twice
    await items.aclose()


async def test_another_users_messages_never_wake_or_reach_a_stream(w):
    items = Feeds(w.deps).stream(SOMEONE_ELSE, "0")
    assert (await _next(items)).unread.total == 0
    await _many(w, 2)  # the requester's
    with pytest.raises(TimeoutError):
        await _next(items, timeout=0.2)
    await items.aclose()


@pytest.mark.parametrize("bad", ["abc", "-1", "9" * 30])
async def test_a_bad_last_event_id_is_refused_naming_it(w, bad):
    with pytest.raises(DomainError) as refused:
        await anext(Feeds(w.deps).stream(ME, bad))
    assert refused.value.violations[0].field == "Last-Event-ID"


async def test_a_users_streams_share_one_feed_and_each_gets_everything_once(w):
    feeds = Feeds(w.deps)
    phone, laptop = feeds.stream(ME, ""), feeds.stream(ME, "")
    assert (await _next(phone)).unread.total == 0 and (await _next(laptop)).unread.total == 0
    assert feeds.users == 1 and len(w.wakeups.watchers["req"]) == 1  # one watcher, one reader
    await _many(w, 2)
    for stream in (phone, laptop):
        got = [await _next(stream)]
        while not (got[-1].unread and got[-1].unread.total == 2):
            got.append(await _next(stream))
        assert [g.message.seq for g in got if g.message] == [1, 2]
    resumed = feeds.stream(ME, "1")  # a third device that saw message 1
    got = [await _next(resumed) for _ in range(2)]
    assert got[0].unread.total == 2 and got[1].message.seq == 2
    with pytest.raises(TimeoutError):
        await _next(resumed, timeout=0.2)
    for stream in (phone, laptop, resumed):
        await stream.aclose()
    assert feeds.users == 0
