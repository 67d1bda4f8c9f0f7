"""The permission catalogue and built-in roles, written from the domain's definitions.
Called by migrations (a sync connection): adds new codes and roles, refreshes names and
built-in grants, and keeps each permission's enabled flag as administrators set it."""

from __future__ import annotations

from sqlalchemy import Connection
from sqlalchemy.dialects.postgresql import insert

from services.identity.adapters.tables import permissions, roles
from services.identity.domain.access import BUILT_IN_ROLES, CATALOGUE


def sync_reference_data(connection: Connection) -> None:
    for order, spec in enumerate(CATALOGUE):
        statement = insert(permissions).values(
            code=spec.code,
            display_name=spec.display_name,
            kind=spec.kind.value,
            parent_code=spec.parent_code,
            sort_order=order,
        )
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=["code"],
                set_={
                    "display_name": statement.excluded.display_name,
                    "kind": statement.excluded.kind,
                    "parent_code": statement.excluded.parent_code,
                    "sort_order": statement.excluded.sort_order,
                },
            )
        )
    for role in BUILT_IN_ROLES:
        statement = insert(roles).values(
            id=role.id,
            display_name=role.display_name,
            kind=role.kind.value,
            permission_codes=sorted(role.permission_codes),
            data_scope=role.data_scope.value,
            built_in=True,
        )
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=["id"],
                set_={
                    "display_name": statement.excluded.display_name,
                    "permission_codes": statement.excluded.permission_codes,
                    "data_scope": statement.excluded.data_scope,
                },
            )
        )
