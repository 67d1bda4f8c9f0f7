"""The service catalogue (three-level types with forms) and service levels."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from servicekit.errors import FieldViolation

MAX_DEPTH = 3
_PHONE = re.compile(r"^(\+[1-9]\d{6,14}|1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class FieldType(enum.Enum):
    TEXT = "text"
    LONG_TEXT = "long_text"
    NUMBER = "number"
    SINGLE_SELECT = "single_select"
    MULTI_SELECT = "multi_select"
    DATE = "date"
    PHONE = "phone"


class ApproverSide(enum.Enum):
    ENTERPRISE = "enterprise"
    PLATFORM = "platform"


class Priority(enum.IntEnum):
    LOW = 1
    NORMAL = 2
    HIGH = 3
    URGENT = 4


@dataclass
class FormField:
    key: str
    label: str
    type: FieldType
    required: bool = False
    options: list[str] = field(default_factory=list)
    min: float | None = None
    max: float | None = None
    pattern: str = ""
    help_text: str = ""


@dataclass
class ServiceType:
    id: str
    display_name: str
    parent_id: str = ""
    level: int = 1
    sort_order: int = 0
    enabled: bool = True
    form_fields: list[FormField] = field(default_factory=list)
    default_service_level_id: str = ""
    skills: list[str] = field(default_factory=list)
    description: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class ApprovalStep:
    level: int
    permission_code: str
    side: ApproverSide = ApproverSide.PLATFORM


@dataclass
class ServiceLevel:
    id: str
    display_name: str
    priority: Priority = Priority.NORMAL
    response_target: timedelta | None = None
    resolution_target: timedelta | None = None
    approval_steps: list[ApprovalStep] = field(default_factory=list)
    auto_close_delay: timedelta = timedelta(days=3)
    created_at: datetime | None = None
    updated_at: datetime | None = None


def form_violations(
    fields: list[FormField], prefix: str = "service_type.form_fields"
) -> list[FieldViolation]:
    """Problems in a form definition itself."""
    found, seen = [], set()
    for i, f in enumerate(fields):
        where = f"{prefix}[{i}]"
        if not _KEY.match(f.key):
            found.append(
                FieldViolation(f"{where}.key", "must be lower_snake_case, 1-40 characters")
            )
        elif f.key in seen:
            found.append(FieldViolation(f"{where}.key", "is used twice"))
        seen.add(f.key)
        if not f.label.strip():
            found.append(FieldViolation(f"{where}.label", "is required"))
        if f.type in (FieldType.SINGLE_SELECT, FieldType.MULTI_SELECT) and not f.options:
            found.append(FieldViolation(f"{where}.options", "a select field needs options"))
        if f.pattern:
            try:
                re.compile(f.pattern)
            except re.error:
                found.append(FieldViolation(f"{where}.pattern", "is not a regular expression"))
        if f.min is not None and f.max is not None and f.min > f.max:
            found.append(FieldViolation(f"{where}.min", "is greater than max"))
    return found


def custom_field_violations(
    fields: list[FormField], values: dict[str, Any], prefix: str = "ticket.custom_fields"
) -> list[FieldViolation]:
    """Problems in a ticket's values for its type's form; each names the field's key."""
    found = [
        FieldViolation(f"{prefix}.{k}", "is not a field of this service type")
        for k in sorted(set(values) - {f.key for f in fields})
    ]
    for f in fields:
        value = values.get(f.key)
        where = f"{prefix}.{f.key}"
        if value in (None, "", []):
            if f.required:
                found.append(FieldViolation(where, f"{f.label} is required"))
            continue
        problem = _value_problem(f, value)
        if problem:
            found.append(FieldViolation(where, problem))
    return found


def _value_problem(f: FormField, value: Any) -> str:
    if f.type in (
        FieldType.TEXT,
        FieldType.LONG_TEXT,
        FieldType.PHONE,
        FieldType.DATE,
        FieldType.SINGLE_SELECT,
    ):
        if not isinstance(value, str):
            return "must be text"
    if f.type in (FieldType.TEXT, FieldType.LONG_TEXT):
        return _bounds(len(value), f, "characters") or _pattern(f, value)
    if f.type is FieldType.NUMBER:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return "must be a number"
        return _bounds(value, f, "")
    if f.type is FieldType.SINGLE_SELECT:
        return "" if value in f.options else f"must be one of {', '.join(f.options)}"
    if f.type is FieldType.MULTI_SELECT:
        if not isinstance(value, list) or not all(v in f.options for v in value):
            return f"must be a list of {', '.join(f.options)}"
        return _bounds(len(value), f, "choices")
    if f.type is FieldType.DATE:
        try:
            date.fromisoformat(value)
        except ValueError:
            return "must be a date YYYY-MM-DD"
        return ""
    if f.type is FieldType.PHONE:
        return "" if _PHONE.match(value) else "is not a phone number"
    return ""


def _bounds(amount: float, f: FormField, unit: str) -> str:
    suffix = f" {unit}" if unit else ""
    if f.min is not None and amount < f.min:
        return f"must be at least {f.min:g}{suffix}"
    if f.max is not None and amount > f.max:
        return f"must be at most {f.max:g}{suffix}"
    return ""


def _pattern(f: FormField, value: str) -> str:
    if f.pattern and not re.fullmatch(f.pattern, value):
        return "does not match the expected format"
    return ""
