"""Service accounts: another service acting as itself (dispatch assigning tickets). Each is a
platform user `svc-<name>` holding only the built-in role `service-<name>`, signing in with
its client secret like anyone else, so every service checks its token the same way and every
action it takes carries its name in the history. Kept in step with the settings at start:
created when missing, secret and role restored when changed; the secret is stored hashed."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from services.identity.domain.access import SERVICE_ACCOUNT_PREFIX
from services.identity.domain.events import Change, PersonChanged
from services.identity.domain.people import User, UserKind
from services.identity.service_layer.deps import Deps

log = logging.getLogger(__name__)


async def ensure_service_accounts(deps: Deps, accounts: Mapping[str, str]) -> list[str]:
    """Creates or repairs each account; returns the ids it changed."""
    changed: list[str] = []
    for name, secret in sorted(accounts.items()):
        user_id, role = f"{SERVICE_ACCOUNT_PREFIX}{name}", f"service-{name}"
        async with deps.uow() as uow:
            if await uow.access.role(role, organization_id=None) is None:
                raise ValueError(f"service account {name!r}: no built-in role {role!r}")
            user = await uow.users.get(user_id, orgs=None, lock=True)
            if user is None:
                user = User(user_id, UserKind.PLATFORM, f"Service: {name}", username=user_id)
                user.role_ids, user.password_hash = [role], await deps.passwords.hash(secret)
                await uow.emit(PersonChanged(Change.CREATED, await uow.users.add(user)))
            elif user.role_ids != [role] or not await deps.passwords.verify(
                user.password_hash, secret
            ):
                user.role_ids, user.password_hash = [role], await deps.passwords.hash(secret)
                await uow.emit(PersonChanged(Change.UPDATED, await uow.users.save(user)))
            else:
                continue
            await uow.commit()
        changed.append(user_id)
        log.info("service account kept in step", extra={"user_id": user_id})
    return changed
