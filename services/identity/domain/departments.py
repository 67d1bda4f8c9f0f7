"""An enterprise's department tree."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from services.identity.domain.validation import one_field_error


@dataclass
class Department:
    id: str
    enterprise_id: str
    display_name: str
    parent_id: str = ""
    sort_order: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None


def check_move(department_id: str, new_parent_id: str, parents: Mapping[str, str]) -> None:
    """Refuses a move that would put a department under itself or its descendants.
    `parents` maps every department of the enterprise to its parent ("" at the top)."""
    if not new_parent_id:
        return
    if new_parent_id not in parents:
        raise one_field_error(
            "DEPARTMENT_PARENT_NOT_FOUND",
            "department.parent_department_id",
            "is not a department of this enterprise",
        )
    ancestor = new_parent_id
    while ancestor:
        if ancestor == department_id:
            raise one_field_error(
                "DEPARTMENT_CYCLE",
                "department.parent_department_id",
                "would put the department under itself",
            )
        ancestor = parents.get(ancestor, "")


def subtree(root_id: str, parents: Mapping[str, str]) -> set[str]:
    """The department and all its descendants."""
    children: dict[str, list[str]] = {}
    for child, parent in parents.items():
        children.setdefault(parent, []).append(child)
    found, stack = set(), [root_id]
    while stack:
        current = stack.pop()
        found.add(current)
        stack.extend(children.get(current, []))
    return found
