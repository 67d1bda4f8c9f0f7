"""Outbound webhooks against fakes: which subscriptions hear of an event (an internal note
never leaves for the customer's side), the signed payload a receiver can verify (also across a
secret rotation), the address guard (loopback, private, link-local, metadata, CGNAT refused
unless allowed), and the use cases' scoping."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from servicekit.auth.principal import Principal
from servicekit.errors import DomainError, ErrorCode
from services.notify.domain.deliveries import DeliveryState, RetryPolicy
from services.notify.domain.notices import NoticeKind as K
from services.notify.domain.preferences import Channel
from services.notify.domain.webhooks import (
    AddressPolicy,
    Secret,
    Subscription,
    payload,
    receives,
    signature,
    verify,
)
from services.notify.service_layer import delivering, webhooks
from services.notify.service_layer.notifying import notify_ticket
from services.notify.service_layer.ports import DeliveryQuery
from services.notify.settings import NotifySettings
from tests.unit.notify.fakes import FakeSender, World, world
from tests.unit.notify.samples import ENGINEER, REQUESTER, notice

ENT_ADMIN = Principal("boss", "enterprise", "ent", permissions=frozenset({webhooks.WRITE}))
PROV_ADMIN = Principal("padmin", "provider", "prov", permissions=frozenset({webhooks.WRITE}))
MEMBER = Principal("req", "enterprise", "ent")
URL = "https://hooks.example.com/ticketing"
POLICY = {Channel.WEBHOOK: RetryPolicy(attempts=3)}


def _subscription(org: str, *types: str) -> Subscription:
    return Subscription("s-" + org, org, URL, frozenset(types), (Secret("whsec_x"),))


def test_the_enterprise_hears_of_its_tickets_but_never_of_internal_notes() -> None:
    ent = _subscription("ent", "ticket.resolved", "ticket.internal_note", "ticket.public_reply")
    prov = _subscription("prov", "ticket.resolved", "ticket.internal_note")
    other = _subscription("ent-2", "ticket.resolved")
    resolved, note = notice(K.RESOLVED, ENGINEER), notice(K.INTERNAL_NOTE, ENGINEER)
    assert receives(ent, resolved) and receives(prov, resolved) and not receives(other, resolved)
    assert not receives(ent, note) and receives(prov, note)
    assert not receives(ent, notice(K.CLOSED, ENGINEER))  # not subscribed to it
    assert not receives(prov, notice(K.RESOLVED, ENGINEER, provider_id=""))


def test_a_receiver_verifies_the_signature_and_a_rotation_signs_twice() -> None:
    body = payload(notice(K.RATED, REQUESTER, text="很快"), event_id="ev-1")
    parsed = json.loads(body)
    assert parsed["type"] == "ticket.rated" and parsed["score"] == 0 and parsed["text"] == "很快"
    assert parsed["ticket"]["number"] == "T20261130-000001"
    assert parsed["occurredAt"].endswith("Z")
    header = signature(["new", "old"], 1_800_000_000, body)
    assert verify(header, body, "new", now=1_800_000_010)
    assert verify(header, body, "old", now=1_800_000_010)
    assert not verify(header, body, "other", now=1_800_000_010)
    assert not verify(header, body + " ", "new", now=1_800_000_010)  # body changed
    assert not verify(header, body, "new", now=1_800_001_000)  # too old: a replay


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.1.9", "private"),
        ("172.16.0.1", "private"),
        ("100.64.0.1", "private"),
        ("169.254.169.254", "metadata"),
        ("fd00:ec2::254", "metadata"),
        ("169.254.1.1", "link-local"),
        ("fe80::1", "link-local"),
        ("::ffff:127.0.0.1", "loopback"),
        ("0.0.0.0", "address"),
        ("224.0.0.1", "not a unicast"),
    ],
)
def test_addresses_that_are_not_public_are_refused(address, problem) -> None:  # type: ignore[no-untyped-def]
    assert problem in AddressPolicy().refused("h", [address])
    assert AddressPolicy().refused("h", ["93.184.215.14", address])  # any one is enough
    assert not AddressPolicy.of(["0.0.0.0/0", "::/0"]).refused("h", [address])


def test_the_allow_list_names_hosts_or_networks() -> None:
    allowed = AddressPolicy.of(["127.0.0.1/32", "receiver.internal"])
    assert not allowed.refused("x", ["127.0.0.1"])
    assert allowed.refused("x", ["127.0.0.2"])
    assert not allowed.refused("receiver.internal", ["10.0.0.5"])
    assert "does not resolve" in allowed.refused("nowhere", [])


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/x", "https:///path", "https://user:pw@example.com/", "not a url",
     "https://example.com:99999/", "https://" + "a" * 2000 + ".com/"],
)  # fmt: skip
def test_urls_of_other_shapes_are_refused(url) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        AddressPolicy().check_url(url)


@pytest.fixture
def w() -> World:
    return world()


async def test_loopback_and_metadata_subscriptions_are_refused_naming_the_url(w: World) -> None:
    for url in ("http://127.0.0.1:8080/hook", "http://169.254.169.254/latest/meta-data/",
                "https://nowhere.invalid/hook"):  # fmt: skip
        with pytest.raises(DomainError) as refused:
            await webhooks.create_subscription(
                w.deps,
                ENT_ADMIN,
                "",
                webhooks.Draft(url=url, event_types=frozenset({"ticket.closed"})),
            )
        assert [v.field for v in refused.value.violations] == ["subscription.url"], url
    w.deps.settings = NotifySettings(environment="test", webhook_allowed=("127.0.0.1/32",))
    made = await webhooks.create_subscription(
        w.deps, ENT_ADMIN, "", webhooks.Draft(url="http://127.0.0.1:8080/hook",
                                              event_types=frozenset({"ticket.closed"}))
    )  # fmt: skip
    assert made.organization_id == "ent" and made.secrets[0].value.startswith("whsec_")


async def test_event_types_must_be_known_and_organisations_keep_to_their_own(w: World) -> None:
    with pytest.raises(DomainError) as unknown:
        await webhooks.create_subscription(
            w.deps, ENT_ADMIN, "", webhooks.Draft(url=URL, event_types=frozenset({"ticket.x"}))
        )
    assert [v.field for v in unknown.value.violations] == ["subscription.eventTypes"]
    made = await webhooks.create_subscription(
        w.deps, ENT_ADMIN, "", webhooks.Draft(url=URL, event_types=frozenset({"ticket.closed"}))
    )
    for action in (
        webhooks.get_subscription(w.deps, PROV_ADMIN, made.id),
        webhooks.list_subscriptions(w.deps, PROV_ADMIN, "ent"),
        webhooks.delete_subscription(w.deps, PROV_ADMIN, made.id),
    ):
        with pytest.raises(DomainError) as hidden:
            await action
        assert hidden.value.code is ErrorCode.NOT_FOUND
    with pytest.raises(DomainError) as member:
        await webhooks.list_subscriptions(w.deps, MEMBER, "ent")
    assert member.value.code is ErrorCode.PERMISSION_DENIED


async def test_events_become_signed_deliveries_and_rotation_keeps_the_old_secret_a_while(
    w: World,
) -> None:
    made = await webhooks.create_subscription(
        w.deps, ENT_ADMIN, "", webhooks.Draft(url=URL, event_types=frozenset({"ticket.resolved"}))
    )
    async with w.unit() as uow:
        await notify_ticket(uow, notice(K.RESOLVED, ENGINEER), event_id="ev-1", event_type="X",
                            now=w.clock(), channels=frozenset({Channel.WEBHOOK}))  # fmt: skip
        await notify_ticket(uow, notice(K.CLOSED, ENGINEER), event_id="ev-2", event_type="X",
                            now=w.clock(), channels=frozenset({Channel.WEBHOOK}))  # fmt: skip
        await uow.commit()
    (delivery,) = w.state.deliveries.values()
    assert delivery.draft.user_id == made.id and delivery.draft.organization_id == "ent"
    assert json.loads(delivery.draft.body)["id"] == "ev-1"

    rotated = await webhooks.rotate_secret(w.deps, ENT_ADMIN, made.id, timedelta(hours=1))
    sender = FakeSender()
    sent = await delivering.deliver_next(w.deps, {Channel.WEBHOOK: sender}, POLICY)
    assert sent is not None and sent.state is DeliveryState.SENT
    assert sender.secrets == [[rotated.secrets[0].value, made.secrets[0].value]]
    w.clock.now += timedelta(hours=2)
    again = await webhooks.redeliver(w.deps, ENT_ADMIN, made.id, sent.id)
    assert again.state is DeliveryState.FAILED and again.due_at == w.clock()
    await delivering.deliver_next(w.deps, {Channel.WEBHOOK: sender}, POLICY)
    assert sender.secrets[-1] == [rotated.secrets[0].value]  # the old one expired
    listed = await webhooks.list_deliveries(w.deps, ENT_ADMIN, made.id, DeliveryQuery())
    assert [d.id for d in listed] == [sent.id]


async def test_a_removed_subscription_gets_nothing_more(w: World) -> None:
    made = await webhooks.create_subscription(
        w.deps, ENT_ADMIN, "", webhooks.Draft(url=URL, event_types=frozenset({"ticket.resolved"}))
    )
    async with w.unit() as uow:
        await notify_ticket(uow, notice(K.RESOLVED, ENGINEER), event_id="ev-1", event_type="X",
                            now=w.clock(), channels=frozenset({Channel.WEBHOOK}))  # fmt: skip
        await uow.commit()
    await webhooks.delete_subscription(w.deps, ENT_ADMIN, made.id)
    sender = FakeSender()
    dead = await delivering.deliver_next(w.deps, {Channel.WEBHOOK: sender}, POLICY)
    assert dead is not None and dead.state is DeliveryState.DEAD and sender.sent == []
