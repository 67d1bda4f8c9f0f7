"""Deliveries against fakes: a ticket event makes one email per recipient with an address whose
preferences let it through (held for quiet hours, never twice for one event); the deliverer
sends what is due, retries failures with growing delays until it gives up, records every
attempt and publishes an event per attempt; the log is for platform staff only."""

from __future__ import annotations

from datetime import timedelta

import pytest

from servicekit.auth.principal import Principal
from servicekit.errors import DomainError, ErrorCode
from services.notify.domain.deliveries import DeliveryState, Outcome, RetryPolicy
from services.notify.domain.notices import NoticeKind as K
from services.notify.domain.preferences import Channel, Layer, PreferenceSet, QuietHours, Topic
from services.notify.service_layer import delivering
from services.notify.service_layer.notifying import notify_ticket
from services.notify.service_layer.ports import DeliveryQuery, Person, StoredPreferences
from tests.unit.notify.fakes import FakeSender, World, world
from tests.unit.notify.samples import ENGINEER, notice

EMAIL = frozenset({Channel.EMAIL})
POLICY = {Channel.EMAIL: RetryPolicy(attempts=3, first_delay=timedelta(seconds=30))}
OPS = Principal("ops", "platform", permissions=frozenset({delivering.READ}))


@pytest.fixture
def w() -> World:
    made = world()
    made.state.people["req"] = Person("req", "enterprise", "ent", "张三", email="req@example.com")
    made.state.people["nomail"] = Person("nomail", "enterprise", "ent", "无邮箱")
    return made


async def _notify(w: World, n, event_id: str = "ev-1") -> None:  # type: ignore[no-untyped-def]
    async with w.unit() as uow:
        await notify_ticket(
            uow, n, event_id=event_id, event_type="X", now=w.clock(), channels=EMAIL
        )
        await uow.commit()


async def test_an_event_makes_one_email_per_reachable_recipient_once(w: World) -> None:
    await _notify(w, notice(K.RESOLVED, ENGINEER))
    await _notify(w, notice(K.RESOLVED, ENGINEER))  # the same event again
    (only,) = w.state.deliveries.values()
    assert (only.draft.user_id, only.draft.address) == ("req", "req@example.com")
    assert only.draft.title == "工单 T20261130-000001 已解决" and "请勿直接回复" in only.draft.body
    assert only.message_id == w.state.messages[0].id and only.state is DeliveryState.PENDING
    await _notify(w, notice(K.RESOLVED, ENGINEER, requester_id="nomail"), event_id="ev-2")
    assert len(w.state.deliveries) == 1  # no address, no email (the centre still has it)
    assert len(w.state.messages) == 2


async def test_switched_off_topics_make_no_email_and_quiet_hours_hold_it(w: World) -> None:
    off = PreferenceSet(switches={(Topic.OUTCOME, Channel.EMAIL): False})
    w.state.preferences[(Layer.ORGANIZATION, "ent")] = StoredPreferences(
        Layer.ORGANIZATION, "ent", off, w.clock(), "admin"
    )
    await _notify(w, notice(K.RESOLVED, ENGINEER))
    assert w.state.deliveries == {}
    always = QuietHours(w.clock().time(), (w.clock() + timedelta(hours=1)).time(), "UTC")
    mine = PreferenceSet(switches={(Topic.OUTCOME, Channel.EMAIL): True}, quiet_hours=always)
    w.state.preferences[(Layer.USER, "req")] = StoredPreferences(
        Layer.USER, "req", mine, w.clock(), "req"
    )
    await _notify(w, notice(K.CLOSED, ENGINEER), event_id="ev-2")
    (held,) = w.state.deliveries.values()
    assert held.due_at == w.clock() + timedelta(hours=1) and "quiet hours" in held.draft.reason
    sender = FakeSender()
    assert await delivering.deliver_next(w.deps, {Channel.EMAIL: sender}, POLICY) is None
    w.clock.now += timedelta(hours=1)
    sent = await delivering.deliver_next(w.deps, {Channel.EMAIL: sender}, POLICY)
    assert sent is not None and sent.state is DeliveryState.SENT and len(sender.sent) == 1


async def test_failures_are_retried_with_growing_delays_then_given_up(w: World) -> None:
    await _notify(w, notice(K.RESOLVED, ENGINEER))
    sender = FakeSender(*[Outcome(False, "451 try later")] * 5)
    ways = {Channel.EMAIL: sender}
    first = await delivering.deliver_next(w.deps, ways, POLICY)
    assert first is not None and first.state is DeliveryState.FAILED
    assert first.due_at == w.clock() + timedelta(seconds=30)
    assert await delivering.deliver_next(w.deps, ways, POLICY) is None  # not due yet
    w.clock.now += timedelta(seconds=30)
    second = await delivering.deliver_next(w.deps, ways, POLICY)
    assert second is not None and second.due_at == w.clock() + timedelta(seconds=60)
    w.clock.now += timedelta(seconds=60)
    third = await delivering.deliver_next(w.deps, ways, POLICY)
    assert third is not None and third.state is DeliveryState.DEAD and third.attempts == 3
    assert [a.number for a in w.state.attempts] == [1, 2, 3]
    assert [(d.state, a.ok) for d, a in w.state.events][-1] == (DeliveryState.DEAD, False)
    w.clock.now += timedelta(days=1)
    assert await delivering.deliver_next(w.deps, ways, POLICY) is None  # dead stays dead

    retried = await delivering.retry_delivery(w.deps, OPS, third.id)
    assert retried.state is DeliveryState.FAILED and retried.due_at == w.clock()
    sender.outcomes.clear()
    again = await delivering.deliver_next(w.deps, ways, POLICY)
    assert again is not None and again.state is DeliveryState.SENT and again.attempts == 4


async def test_a_permanent_refusal_or_a_raising_adapter_is_an_attempt(w: World) -> None:
    await _notify(w, notice(K.RESOLVED, ENGINEER))
    refused = await delivering.deliver_next(
        w.deps, {Channel.EMAIL: FakeSender(Outcome(False, "550 no such user", permanent=True))},
        POLICY,
    )  # fmt: skip
    assert refused is not None and refused.state is DeliveryState.DEAD
    assert refused.last_response == "550 no such user"

    class Broken:
        async def send(self, delivery, secrets=()):  # type: ignore[no-untyped-def]
            raise RuntimeError("adapter bug")

    await _notify(w, notice(K.CLOSED, ENGINEER), event_id="ev-2")
    failed = await delivering.deliver_next(w.deps, {Channel.EMAIL: Broken()}, POLICY)
    assert failed is not None and failed.state is DeliveryState.FAILED
    assert "RuntimeError: adapter bug" in failed.last_response


async def test_the_delivery_log_is_for_platform_staff_with_the_permission(w: World) -> None:
    await _notify(w, notice(K.RESOLVED, ENGINEER))
    (found,) = await delivering.list_deliveries(w.deps, OPS, DeliveryQuery(user_id="req"))
    _, attempts = await delivering.get_delivery(w.deps, OPS, found.id)
    assert attempts == []
    for who in (
        Principal("ops2", "platform"),
        Principal("padmin", "provider", "prov", permissions=frozenset({delivering.READ})),
    ):
        with pytest.raises(DomainError) as refused:
            await delivering.list_deliveries(w.deps, who, DeliveryQuery())
        assert refused.value.code is ErrorCode.PERMISSION_DENIED
    with pytest.raises(DomainError) as missing:
        await delivering.get_delivery(w.deps, OPS, "nope")
    assert missing.value.code is ErrorCode.NOT_FOUND


def test_retry_delays_grow_and_are_capped() -> None:
    policy = RetryPolicy(
        attempts=10, first_delay=timedelta(seconds=30), max_delay=timedelta(minutes=5)
    )
    assert [policy.delay(n).total_seconds() for n in range(1, 7)] == [30, 60, 120, 240, 300, 300]


async def test_a_recipient_the_directory_does_not_know_yet_is_looked_up_when_sent(w: World) -> None:
    await _notify(w, notice(K.RESOLVED, ENGINEER, requester_id="late"))
    (waiting,) = w.state.deliveries.values()
    assert waiting.draft.address == ""
    sender = FakeSender()
    ways = {Channel.EMAIL: sender}
    first = await delivering.deliver_next(w.deps, ways, POLICY)
    assert first is not None and first.state is DeliveryState.FAILED and sender.sent == []
    assert "not in notify's directory" in first.last_response
    w.state.people["late"] = Person("late", "enterprise", "ent", "迟到", email="late@example.com")
    w.clock.now += timedelta(seconds=30)
    sent = await delivering.deliver_next(w.deps, ways, POLICY)
    assert sent is not None and sent.state is DeliveryState.SENT
    assert sent.draft.address == "late@example.com" == sender.sent[0].draft.address
