"""Business calendars and SLA policies as platform admins define them, checked field by field.

A calendar is hours per weekday in a time zone, an official holiday schedule (China's, with
its make-up working days), extra closed and working days, or round the clock. A policy says
which service levels it measures, on which calendar, when to warn, whom to escalate to and
whether time pending approval counts. The targets themselves come from the service level."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.dispatch.domain.sla import Escalation, EscalationAction, SlaPolicy
from services.dispatch.domain.sla_clock import BusinessCalendar, Hours, parse_hours

HOLIDAY_COUNTRIES = frozenset({"CN"})
ROLES = frozenset({"provider_admin", "platform_admin"})
DEFAULT_WARNINGS = (0.75, 0.9)


@dataclass(frozen=True)
class Problem:
    field: str
    description: str


@dataclass(frozen=True)
class CalendarSpec:
    id: str
    name: str
    timezone: str = "Asia/Shanghai"
    always_open: bool = False
    weekly: tuple[Hours, ...] = ((),) * 7  # Monday first
    holiday_country: str = ""
    extra_holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()
    makeup_hours: Hours = ()
    version: int = 0

    def problems(self) -> list[Problem]:
        found = []
        if not self.name.strip():
            found.append(Problem("display_name", "is required"))
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            found.append(Problem("time_zone", f"{self.timezone!r} is not an IANA time zone"))
        if self.holiday_country and self.holiday_country not in HOLIDAY_COUNTRIES:
            found.append(Problem("holiday_country", "must be CN or empty"))
        if not self.always_open and not any(self.weekly) and not self.extra_workdays:
            found.append(Problem("weekly_hours", "a calendar needs some business hours"))
        if self.extra_holidays & self.extra_workdays:
            found.append(Problem("extra_workdays", "a day cannot be a holiday and a workday"))
        return found

    def calendar(
        self, official_holidays: frozenset[date], official_workdays: frozenset[date]
    ) -> BusinessCalendar:
        """The clock's calendar, given the official schedule of `holiday_country`."""
        if self.always_open:
            return BusinessCalendar(timezone=self.timezone, always_open=True)
        return BusinessCalendar(
            timezone=self.timezone,
            weekly=self.weekly,
            holidays=(official_holidays | self.extra_holidays) - self.extra_workdays,
            makeup_workdays=(official_workdays | self.extra_workdays) - self.extra_holidays,
            makeup_hours=self.makeup_hours,
        )


def hours(text: str, field_name: str, problems: list[Problem]) -> Hours:
    """Parsed hours, or () with the problem noted."""
    try:
        return parse_hours(text)
    except ValueError as error:
        problems.append(Problem(field_name, str(error)))
        return ()


@dataclass(frozen=True)
class PolicySpec:
    id: str
    name: str
    service_level_ids: frozenset[str] = frozenset()
    calendar_id: str = ""  # "": round the clock
    warn_at: tuple[float, ...] = DEFAULT_WARNINGS
    escalations: tuple[Escalation, ...] = ()
    pause_while_pending_approval: bool = False
    version: int = 0

    def problems(self) -> list[Problem]:
        found = []
        if not self.name.strip():
            found.append(Problem("display_name", "is required"))
        if any(not 0 < f < 1 for f in self.warn_at):
            found.append(Problem("warning_fractions", "each must be between 0 and 1"))
        for i, escalation in enumerate(self.escalations):
            if escalation.role not in ROLES:
                found.append(
                    Problem(f"escalations[{i}].role", "must be provider_admin or platform_admin")
                )
            if abs(escalation.offset) > timedelta(days=365):
                found.append(Problem(f"escalations[{i}].offset", "must be within a year"))
        return found

    def policy(self) -> SlaPolicy:
        ordered = sorted(self.escalations, key=lambda e: e.offset)
        return SlaPolicy(
            response=timedelta(0),  # the ticket's own targets are used
            resolution=timedelta(0),
            warn_at=tuple(sorted(set(self.warn_at))),
            escalations=tuple(ordered),
            pause_while_pending_approval=self.pause_while_pending_approval,
        )


BUILT_IN_POLICY = PolicySpec(id="", name="Built-in: round the clock")


def escalation(
    offset: timedelta, role: str, action: EscalationAction = EscalationAction.NOTIFY_ROLE
) -> Escalation:
    return Escalation(offset, action, role)


@dataclass(frozen=True)
class PolicyChoice:
    """The policy measuring a service level, and its calendar."""

    spec: PolicySpec = BUILT_IN_POLICY
    calendar_spec: CalendarSpec | None = None  # None: round the clock
    levels: frozenset[str] = field(default_factory=frozenset)
