"""Deliveries: a notice on its way to someone over a channel that reaches out (email, SMS,
WeChat). One per (event, recipient, channel), made in the same transaction as the message, so
an event delivered twice makes it once. Its state machine:

    pending ──send ok──▶ sent
       │  ▲
       │  └─ retry due ─┐
       └──send failed──▶ failed (waits `RetryPolicy.delay`) ──▶ … ──▶ dead

A permanent failure (the channel refused the address) or the last allowed attempt makes it
dead at once; every attempt is recorded (status, the channel's answer, latency)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from services.notify.domain.preferences import Channel


class DeliveryState(enum.StrEnum):
    PENDING = "pending"  # waiting for its first attempt (maybe for quiet hours to end)
    SENT = "sent"
    FAILED = "failed"  # an attempt failed; the next is due at `due_at`
    DEAD = "dead"  # no more attempts


@dataclass(frozen=True)
class RetryPolicy:
    """`attempts` in all; the n-th retry waits first_delay × factor^(n-1), at most max_delay."""

    attempts: int = 8
    first_delay: timedelta = timedelta(seconds=30)
    factor: float = 2.0
    max_delay: timedelta = timedelta(hours=1)

    def delay(self, failed_attempts: int) -> timedelta:
        seconds = self.first_delay.total_seconds() * self.factor ** max(failed_attempts - 1, 0)
        return min(timedelta(seconds=seconds), self.max_delay)


@dataclass(frozen=True)
class DeliveryDraft:
    user_id: str
    channel: Channel
    address: str  # email address, phone number, WeChat openid
    title: str
    body: str
    ticket_id: str = ""
    organization_id: str = ""  # webhooks: the subscribing organisation
    not_before: datetime | None = None  # quiet hours
    reason: str = ""  # why it goes (or waits): the preference decision


@dataclass(frozen=True)
class Outcome:
    """What the channel answered to one attempt."""

    ok: bool
    response: str = ""  # the provider's answer (SMTP reply, HTTP status and body)
    permanent: bool = False  # retrying cannot help (address refused, bad request)


@dataclass(frozen=True)
class Delivery:
    id: str
    event_id: str
    message_id: str  # the message-centre entry it carries ("" if none)
    draft: DeliveryDraft
    state: DeliveryState
    attempts: int
    due_at: datetime
    created_at: datetime
    sent_at: datetime | None = None
    last_response: str = ""

    def after(self, outcome: Outcome, policy: RetryPolicy, now: datetime) -> Delivery:
        attempts = self.attempts + 1
        if outcome.ok:
            return replace(
                self, state=DeliveryState.SENT, attempts=attempts, sent_at=now,
                last_response=outcome.response,
            )  # fmt: skip
        if outcome.permanent or attempts >= policy.attempts:
            return replace(
                self, state=DeliveryState.DEAD, attempts=attempts, last_response=outcome.response
            )
        return replace(
            self, state=DeliveryState.FAILED, attempts=attempts,
            due_at=now + policy.delay(attempts), last_response=outcome.response,
        )  # fmt: skip


@dataclass(frozen=True)
class Attempt:
    delivery_id: str
    number: int  # from 1
    at: datetime
    ok: bool
    response: str
    latency_ms: int
