"""Sending deliveries (the deliverer's loop) and reading the delivery log (platform staff
holding notification.delivery.read).

One delivery per transaction: it is claimed (row lock, others skip it), sent, and its new
state, the attempt and a DeliveryAttempted event commit together. A crash after the channel
accepted it but before the commit sends it again on the next claim — with the same stable
Message-ID (email), so the receiving side can tell; nothing is ever skipped."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import replace

from servicekit.auth.principal import Principal
from servicekit.authz import require_permission
from servicekit.errors import not_found, permission_denied
from services.notify.domain.deliveries import Attempt, Delivery, Outcome, RetryPolicy
from services.notify.domain.preferences import Channel
from services.notify.service_layer.deps import Deps
from services.notify.service_layer.notifying import address_of
from services.notify.service_layer.ports import DeliveryQuery, Sender

READ = "notification.delivery.read"
log = logging.getLogger(__name__)


async def deliver_next(
    deps: Deps, senders: Mapping[Channel, Sender], policies: Mapping[Channel, RetryPolicy]
) -> Delivery | None:
    """Sends the oldest due delivery on a channel in `senders`; returns it as it is now, or
    None when nothing was due."""
    async with deps.uow() as uow:
        delivery = await uow.deliveries.claim_due(deps.clock(), frozenset(senders))
        if delivery is None:
            return None
        secrets: list[str] = []
        outcome = None
        if delivery.draft.channel is Channel.WEBHOOK:
            subscription = await uow.webhooks.get(delivery.draft.user_id)
            if subscription is None or not subscription.active:
                outcome = Outcome(False, "the subscription was removed or disabled", True)
            else:  # its URL and secrets as they are now (fixed or rotated since the event)
                delivery = replace(
                    delivery, draft=replace(delivery.draft, address=subscription.url)
                )
                secrets = subscription.signing_secrets(deps.clock())
        elif not delivery.draft.address:  # the recipient was not known when it was made
            person = (await uow.directory.people([delivery.draft.user_id])).get(
                delivery.draft.user_id
            )
            address = address_of(person, delivery.draft.channel) if person else ""
            if person is None:
                outcome = Outcome(False, "the recipient is not in notify's directory yet")
            elif not address:
                outcome = Outcome(
                    False, f"the recipient has no {delivery.draft.channel} address", True
                )
            else:
                delivery = replace(delivery, draft=replace(delivery.draft, address=address))
        started = time.monotonic()
        if outcome is None:
            outcome = await _send(senders[delivery.draft.channel], delivery, secrets)
        latency_ms = round((time.monotonic() - started) * 1000)
        now = deps.clock()
        after = delivery.after(outcome, policies[delivery.draft.channel], now)
        attempt = Attempt(
            delivery.id, after.attempts, now, outcome.ok, outcome.response, latency_ms
        )
        await uow.deliveries.update(after, attempt)
        await uow.delivery_events.attempted(after, attempt)
        await uow.commit()
    log.log(
        logging.INFO if outcome.ok else logging.WARNING,
        "delivery attempted",
        extra={
            "delivery_id": after.id, "channel": after.draft.channel.value,
            "attempt": attempt.number, "state": after.state.value,
            "response": outcome.response[:300], "latency_ms": latency_ms,
        },
    )  # fmt: skip
    return after


async def _send(sender: Sender, delivery: Delivery, secrets: list[str]) -> Outcome:
    """The channel's answer; an adapter that raises counts as a failed attempt (retried), so
    one bad delivery never stops the loop."""
    try:
        return await sender.send(delivery, secrets)
    except Exception as error:
        return Outcome(False, f"{type(error).__name__}: {error}")


def _allowed(p: Principal) -> None:
    require_permission(p, READ)
    if not p.is_platform:
        raise permission_denied("DELIVERIES_ARE_PLATFORMS", "the delivery log is the platform's")


async def list_deliveries(deps: Deps, p: Principal, query: DeliveryQuery) -> list[Delivery]:
    _allowed(p)
    async with deps.uow() as uow:
        return await uow.deliveries.find(query)


async def get_delivery(
    deps: Deps, p: Principal, delivery_id: str
) -> tuple[Delivery, list[Attempt]]:
    _allowed(p)
    async with deps.uow() as uow:
        found = await uow.deliveries.get(delivery_id)
        if found is None:
            raise not_found("DELIVERY_NOT_FOUND", f"no delivery {delivery_id!r}")
        return found, await uow.deliveries.attempts(delivery_id)


async def retry_delivery(deps: Deps, p: Principal, delivery_id: str) -> Delivery:
    """Makes a failed or dead delivery due now (a sent one is left as it is)."""
    _allowed(p)
    async with deps.uow() as uow:
        found = await uow.deliveries.retry_now(delivery_id, deps.clock())
        if found is None:
            raise not_found("DELIVERY_NOT_FOUND", f"no delivery {delivery_id!r}")
        await uow.commit()
    return found
