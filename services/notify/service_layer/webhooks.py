"""Webhook subscriptions (第三方集成): an organisation's admins (integration.webhook.write in
that organisation; platform staff holding it, any organisation) subscribe URLs of their systems
to kinds of ticket events, rotate the signing secret, read the deliveries and send one again.
Another organisation's subscriptions are 404. A URL whose host resolves to a loopback,
private, link-local or metadata address is refused (unless the operator allowed it)."""

from __future__ import annotations

import secrets as random_secrets
import uuid
from dataclasses import dataclass, replace
from datetime import timedelta

from servicekit.auth.principal import Principal
from servicekit.authz import require_permission
from servicekit.errors import DomainError, FieldViolation, invalid_argument, not_found
from services.notify.domain.deliveries import Delivery
from services.notify.domain.preferences import Channel
from services.notify.domain.webhooks import (
    EVENT_TYPES,
    AddressPolicy,
    Secret,
    Subscription,
    WebhookError,
)
from services.notify.service_layer.deps import Deps
from services.notify.service_layer.ports import DeliveryQuery

WRITE = "integration.webhook.write"
MAX_PER_ORGANIZATION = 20
DEFAULT_OVERLAP = timedelta(hours=24)


@dataclass(frozen=True)
class Draft:
    """What a create or update sets (None: unchanged on update)."""

    url: str | None = None
    event_types: frozenset[str] | None = None
    active: bool | None = None
    description: str | None = None


def _refused(field: str, problem: str) -> DomainError:
    return invalid_argument("WEBHOOK_INVALID", [FieldViolation(field, problem)])


def _scope(p: Principal, organization_id: str) -> None:
    require_permission(p, WRITE)
    if not p.is_platform and p.organization_id != organization_id:
        raise not_found("SUBSCRIPTION_NOT_FOUND", "no such webhook subscription")


async def _checked(deps: Deps, url: str, prefix: str) -> str:
    policy = AddressPolicy.of(deps.settings.webhook_allowed)
    try:
        _, host, port = policy.check_url(url.strip())
    except WebhookError as error:
        raise _refused(prefix + error.field, error.problem) from None
    assert deps.resolver is not None, "bootstrap gives notify a resolver"
    if problem := policy.refused(host, await deps.resolver(host, port)):
        raise _refused(prefix + "url", problem)
    return url.strip()


def _event_types(given: frozenset[str], prefix: str) -> frozenset[str]:
    if not given:
        raise _refused(prefix + "eventTypes", "name at least one event type")
    if unknown := sorted(given - set(EVENT_TYPES)):
        raise _refused(
            prefix + "eventTypes", f"unknown {', '.join(unknown)} (known: {', '.join(EVENT_TYPES)})"
        )
    return given


async def create_subscription(
    deps: Deps, p: Principal, organization_id: str, draft: Draft
) -> Subscription:
    """The new subscription, its secret in `secrets[0]` (shown this once)."""
    organization_id = organization_id or p.organization_id
    if not organization_id:
        raise _refused("subscription.organizationId", "is required")
    _scope(p, organization_id)
    url = await _checked(deps, draft.url or "", "subscription.")
    types = _event_types(draft.event_types or frozenset(), "subscription.")
    description = (draft.description or "").strip()
    if len(description) > 200:
        raise _refused("subscription.description", "is at most 200 characters")
    now = deps.clock()
    made = Subscription(
        id=uuid.uuid4().hex,
        organization_id=organization_id,
        url=url,
        event_types=types,
        secrets=(Secret(_new_secret()),),
        active=True if draft.active is None else draft.active,
        description=description,
        created_at=now,
        updated_at=now,
    )
    async with deps.uow() as uow:
        if len(await uow.webhooks.of_organization(organization_id)) >= MAX_PER_ORGANIZATION:
            raise _refused(
                "subscription.organizationId", f"has {MAX_PER_ORGANIZATION} subscriptions already"
            )
        await uow.webhooks.save(made)
        await uow.commit()
    return made


def _new_secret() -> str:
    return "whsec_" + random_secrets.token_urlsafe(32)


async def list_subscriptions(deps: Deps, p: Principal, organization_id: str) -> list[Subscription]:
    organization_id = organization_id or p.organization_id
    _scope(p, organization_id)
    async with deps.uow() as uow:
        return await uow.webhooks.of_organization(organization_id)


async def get_subscription(deps: Deps, p: Principal, subscription_id: str) -> Subscription:
    require_permission(p, WRITE)
    async with deps.uow() as uow:
        found = await uow.webhooks.get(subscription_id)
    if found is None:
        raise not_found("SUBSCRIPTION_NOT_FOUND", "no such webhook subscription")
    _scope(p, found.organization_id)
    return found


async def update_subscription(
    deps: Deps, p: Principal, subscription_id: str, draft: Draft
) -> Subscription:
    found = await get_subscription(deps, p, subscription_id)
    changed = found
    if draft.url is not None:
        changed = replace(changed, url=await _checked(deps, draft.url, "subscription."))
    if draft.event_types is not None:
        changed = replace(changed, event_types=_event_types(draft.event_types, "subscription."))
    if draft.active is not None:
        changed = replace(changed, active=draft.active)
    if draft.description is not None:
        if len(draft.description.strip()) > 200:
            raise _refused("subscription.description", "is at most 200 characters")
        changed = replace(changed, description=draft.description.strip())
    changed = replace(changed, updated_at=deps.clock())
    async with deps.uow() as uow:
        await uow.webhooks.save(changed)
        await uow.commit()
    return changed


async def delete_subscription(deps: Deps, p: Principal, subscription_id: str) -> None:
    found = await get_subscription(deps, p, subscription_id)
    async with deps.uow() as uow:
        await uow.webhooks.delete(found.id)
        await uow.commit()


async def rotate_secret(
    deps: Deps, p: Principal, subscription_id: str, overlap: timedelta | None
) -> Subscription:
    """A new secret signs from now on; the one it replaces also signs for `overlap` (default
    24 hours, so receivers can switch without missing a delivery), then no more."""
    overlap = DEFAULT_OVERLAP if overlap is None else overlap
    if overlap < timedelta() or overlap > timedelta(days=7):
        raise _refused("overlap", "is between 0 and 7 days")
    found = await get_subscription(deps, p, subscription_id)
    now = deps.clock()
    old = replace(found.secrets[0], valid_until=now + overlap)
    kept = (old,) if overlap > timedelta() else ()
    rotated = replace(found, secrets=(Secret(_new_secret()), *kept), updated_at=now)
    async with deps.uow() as uow:
        await uow.webhooks.save(rotated)
        await uow.commit()
    return rotated


async def list_deliveries(
    deps: Deps, p: Principal, subscription_id: str, query: DeliveryQuery
) -> list[Delivery]:
    found = await get_subscription(deps, p, subscription_id)
    async with deps.uow() as uow:
        return await uow.deliveries.find(replace(query, user_id=found.id, channel=Channel.WEBHOOK))


async def redeliver(deps: Deps, p: Principal, subscription_id: str, delivery_id: str) -> Delivery:
    """Sends a delivery of this subscription again now, whatever its state (a receiver that
    lost what it got asks for it again)."""
    found = await get_subscription(deps, p, subscription_id)
    async with deps.uow() as uow:
        delivery = await uow.deliveries.get(delivery_id)
        if delivery is None or delivery.draft.user_id != found.id:
            raise not_found("DELIVERY_NOT_FOUND", f"no delivery {delivery_id!r}")
        again = await uow.deliveries.retry_now(delivery_id, deps.clock(), even_sent=True)
        await uow.commit()
    assert again is not None
    return again
