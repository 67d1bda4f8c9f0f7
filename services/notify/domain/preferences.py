"""Notification preferences (定制通知设置): which channels carry which kinds of notice, quiet
hours, and the service types someone follows — in three layers, each overriding the one below:
the built-in defaults, the organisation's defaults (set by its admins), the user's own choices.
A layer says only what it changes; `effective` folds the layers and keeps, for every answer,
which layer gave it (the explanation a user or admin reads).

Preferences govern the channels that reach out (email, SMS, WeChat). The in-app message
centre keeps everything: it is the record a user reads when he chooses to, so it is always on
and quiet hours do not hold it back."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.notify.domain.notices import NoticeKind, TicketNotice


class Channel(enum.StrEnum):
    IN_APP = "in_app"
    EMAIL = "email"
    SMS = "sms"
    WECHAT = "wechat"
    WEBHOOK = "webhook"  # an organisation's subscription, not a person's preference


OUTBOUND = (Channel.EMAIL, Channel.SMS, Channel.WECHAT)
PERSONAL = (Channel.IN_APP, *OUTBOUND)  # the channels preferences switch


class Topic(enum.StrEnum):
    """What a notice is about, the unit a preference switches (event categories)."""

    SUBMISSION = "submission"  # a ticket raised: the receipt, approvers' requests
    APPROVAL = "approval"  # approved / rejected
    ASSIGNMENT = "assignment"  # assigned, claimed, transferred, work started
    CONVERSATION = "conversation"  # public replies, internal notes
    OUTCOME = "outcome"  # resolved, reopened, closed, cancelled, rated
    SLA = "sla"  # SLA warnings, breaches, escalations
    SYSTEM = "system"  # the account, the platform


_K = NoticeKind
TOPIC_OF: dict[NoticeKind, Topic] = {
    _K.CREATED: Topic.SUBMISSION,
    _K.APPROVED: Topic.APPROVAL,
    _K.REJECTED: Topic.APPROVAL,
    _K.ASSIGNED: Topic.ASSIGNMENT,
    _K.CLAIMED: Topic.ASSIGNMENT,
    _K.TRANSFERRED: Topic.ASSIGNMENT,
    _K.STARTED: Topic.ASSIGNMENT,
    _K.PUBLIC_REPLY: Topic.CONVERSATION,
    _K.INTERNAL_NOTE: Topic.CONVERSATION,
    _K.WAITING_ON_CUSTOMER: Topic.CONVERSATION,
    _K.RESOLVED: Topic.OUTCOME,
    _K.REOPENED: Topic.OUTCOME,
    _K.CLOSED: Topic.OUTCOME,
    _K.CANCELLED: Topic.OUTCOME,
    _K.RATED: Topic.OUTCOME,
    _K.SLA_WARNING: Topic.SLA,
    _K.SLA_BREACHED: Topic.SLA,
    _K.SLA_ESCALATED: Topic.SLA,
    _K.DISPATCH_ESCALATED: Topic.ASSIGNMENT,
}

# What nobody changed: every ticket notice by email (as helpdesks do), SMS only for SLA
# trouble (it costs and interrupts), WeChat subscribe messages for what the mini-program user
# acts on (assignment and outcome) and SLA trouble.
BUILT_IN: dict[tuple[Topic, Channel], bool] = {
    **{(t, Channel.IN_APP): True for t in Topic},  # the keys: Topic x PERSONAL
    **{(t, Channel.EMAIL): t is not Topic.SYSTEM for t in Topic},
    **{(t, Channel.SMS): t is Topic.SLA for t in Topic},
    **{(t, Channel.WECHAT): t in (Topic.ASSIGNMENT, Topic.OUTCOME, Topic.SLA) for t in Topic},
}


class Layer(enum.StrEnum):
    BUILT_IN = "built_in"
    ORGANIZATION = "organization"
    USER = "user"


class FieldError(ValueError):
    """A value that cannot hold; `field` names the part (API field names)."""

    def __init__(self, field: str, problem: str):
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


PreferenceError = FieldError  # a preference that cannot hold


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise PreferenceError("quietHours.timeZone", f"unknown time zone {name!r}") from error


@dataclass(frozen=True)
class QuietHours:
    """From `start` to `end` local time (crossing midnight when end < start) nothing reaches
    out; what falls inside waits for the end. `enabled=False` is an explicit "no quiet hours"
    (it overrides an organisation's). Critical notices pass when `critical_passes`."""

    start: time
    end: time
    time_zone: str = "Asia/Shanghai"
    enabled: bool = True
    critical_passes: bool = True

    def __post_init__(self) -> None:
        zone(self.time_zone)
        if self.enabled and self.start == self.end:
            raise PreferenceError("quietHours.end", "must differ from start")

    def held_until(self, now: datetime) -> datetime | None:
        """When a notice arriving at `now` may go out, if quiet hours hold it; None if not."""
        if not self.enabled:
            return None
        tz = zone(self.time_zone)
        local = now.astimezone(tz)
        t = local.time().replace(tzinfo=None)
        overnight = self.end < self.start
        inside = (self.start <= t or t < self.end) if overnight else self.start <= t < self.end
        if not inside:
            return None
        day = local.date()
        if overnight and t >= self.start:
            day += timedelta(days=1)
        return datetime.combine(day, self.end, tzinfo=tz)


@dataclass(frozen=True)
class PreferenceSet:
    """One layer: only what it sets. `switches` (topic, channel) → on/off; `quiet_hours` None
    inherits; `service_type_ids` None inherits, empty follows every type."""

    switches: Mapping[tuple[Topic, Channel], bool] = field(default_factory=dict)
    quiet_hours: QuietHours | None = None
    service_type_ids: frozenset[str] | None = None

    def __post_init__(self) -> None:
        for (topic, channel), on in self.switches.items():
            if channel not in PERSONAL:
                raise PreferenceError(
                    "switches.channel", f"{channel} is not a personal channel ({topic})"
                )
            if channel is Channel.IN_APP and not on:
                raise PreferenceError(
                    "switches.channel", f"the in-app message centre cannot be turned off ({topic})"
                )


@dataclass(frozen=True)
class Choice:
    topic: Topic
    channel: Channel
    enabled: bool
    layer: Layer


@dataclass(frozen=True)
class Effective:
    """The folded layers, each answer with the layer that gave it."""

    choices: dict[tuple[Topic, Channel], Choice]
    quiet_hours: QuietHours | None
    quiet_hours_layer: Layer
    service_type_ids: frozenset[str]  # empty: every type
    service_types_layer: Layer

    def follows(self, service_type_path: tuple[str, ...]) -> bool:
        """Whether a ticket of this type (its path, root first) is one the user follows: a
        followed node covers its whole subtree."""
        if not self.service_type_ids:
            return True
        return not self.service_type_ids.isdisjoint(service_type_path)


def effective(organization: PreferenceSet | None, user: PreferenceSet | None) -> Effective:
    layers = [(Layer.ORGANIZATION, organization), (Layer.USER, user)]
    choices = {key: Choice(key[0], key[1], on, Layer.BUILT_IN) for key, on in BUILT_IN.items()}
    quiet: QuietHours | None = None
    quiet_layer = Layer.BUILT_IN
    types: frozenset[str] = frozenset()
    types_layer = Layer.BUILT_IN
    for layer, prefs in layers:
        if prefs is None:
            continue
        for key, on in prefs.switches.items():
            choices[key] = Choice(key[0], key[1], on, layer)
        if prefs.quiet_hours is not None:
            quiet, quiet_layer = prefs.quiet_hours, layer
        if prefs.service_type_ids is not None:
            types, types_layer = prefs.service_type_ids, layer
    if quiet is not None and not quiet.enabled:
        quiet = None
    return Effective(choices, quiet, quiet_layer, types, types_layer)


def is_critical(notice: TicketNotice) -> bool:
    """Notices that pass quiet hours (when the user lets them): an SLA breach or escalation,
    and an urgent ticket arriving at someone who must act on it now."""
    if notice.kind in (NoticeKind.SLA_BREACHED, NoticeKind.SLA_ESCALATED):
        return True
    return notice.ticket.priority == "urgent" and notice.kind in (
        NoticeKind.CREATED,
        NoticeKind.APPROVED,
        NoticeKind.ASSIGNED,
        NoticeKind.TRANSFERRED,
        NoticeKind.REOPENED,
    )


@dataclass(frozen=True)
class Verdict:
    """Whether a notice goes out on a channel, when, and why (the explanation)."""

    send: bool
    not_before: datetime | None
    reason: str


def decide(prefs: Effective, notice: TicketNotice, channel: Channel, now: datetime) -> Verdict:
    choice = prefs.choices[(TOPIC_OF[notice.kind], channel)]
    if not choice.enabled:
        return Verdict(False, None, f"{choice.topic} by {channel} is off ({choice.layer})")
    if channel is Channel.IN_APP:
        return Verdict(True, None, "the message centre keeps everything")
    if not prefs.follows(notice.ticket.service_type_path):
        return Verdict(False, None, f"service type not followed ({prefs.service_types_layer})")
    quiet = prefs.quiet_hours
    held = quiet.held_until(now) if quiet is not None else None
    if quiet is not None and held is not None:
        if quiet.critical_passes and is_critical(notice):
            return Verdict(True, None, "critical: passes quiet hours")
        return Verdict(True, held, f"held for quiet hours ({prefs.quiet_hours_layer})")
    return Verdict(True, None, f"{choice.topic} by {channel} is on ({choice.layer})")
