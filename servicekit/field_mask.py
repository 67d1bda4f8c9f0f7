"""AIP-134 update masks: which fields an Update call changes."""

from __future__ import annotations

from collections.abc import Iterable

from servicekit.errors import FieldViolation, invalid_argument


def fields_to_update(paths: Iterable[str], allowed: Iterable[str]) -> set[str]:
    """The mask's paths (proto field names), or every allowed field when the mask is empty.
    A path that is not updatable is refused, naming update_mask."""
    allowed = set(allowed)
    requested = set(paths)
    if not requested or requested == {"*"}:
        return allowed
    unknown = sorted(requested - allowed)
    if unknown:
        raise invalid_argument(
            "UPDATE_MASK_INVALID",
            [FieldViolation("update_mask", f"cannot update: {', '.join(unknown)}")],
        )
    return requested


def copy_fields(target: object, source: object, names: Iterable[str]) -> None:
    for name in names:
        setattr(target, name, getattr(source, name))
