"""Sign-in throttling: growing delays after failures, never a lock-out.

Failures are counted under three keys at once: the account from one client address (a few
free tries, then delays doubling up to 15 minutes), the client address across accounts
(password spraying), and the account from anywhere (distributed guessing, delays capped at
30 seconds). A caller who fails slows down only what he tries; the account's owner, signing
in from elsewhere, waits at most the short account-wide delay. The keys never depend on
whether the account exists, so the answers reveal nothing about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class ThrottlePolicy:
    free_failures: int
    max_delay: timedelta
    first_delay: timedelta = timedelta(seconds=1)
    forget_after: timedelta = timedelta(hours=1)

    def delay_after(self, failures: int) -> timedelta:
        if failures < self.free_failures:
            return timedelta(0)
        doublings = min(failures - self.free_failures, 30)
        delay: timedelta = min(self.first_delay * 2**doublings, self.max_delay)
        return delay


ACCOUNT_FROM_CLIENT = ThrottlePolicy(free_failures=3, max_delay=timedelta(minutes=15))
CLIENT = ThrottlePolicy(free_failures=20, max_delay=timedelta(minutes=15))
ACCOUNT = ThrottlePolicy(free_failures=20, max_delay=timedelta(seconds=30))


@dataclass
class Attempts:
    """Failures recorded under one key."""

    key: str
    failures: int = 0
    last_failure_at: datetime | None = None

    def wait(self, policy: ThrottlePolicy, now: datetime) -> timedelta:
        """How long before this key may try again (zero: now)."""
        if self.last_failure_at is None or now - self.last_failure_at >= policy.forget_after:
            return timedelta(0)
        ready_at = self.last_failure_at + policy.delay_after(self.failures)
        return max(ready_at - now, timedelta(0))

    def failed(self, policy: ThrottlePolicy, now: datetime) -> None:
        if self.last_failure_at is not None and now - self.last_failure_at >= policy.forget_after:
            self.failures = 0
        self.failures += 1
        self.last_failure_at = now


def throttle_keys(login: str, client_address: str) -> dict[str, ThrottlePolicy]:
    """The keys a sign-in attempt counts under, with their policies."""
    account = login.strip().lower()
    return {
        f"account-client:{account}|{client_address}": ACCOUNT_FROM_CLIENT,
        f"client:{client_address}": CLIENT,
        f"account:{account}": ACCOUNT,
    }


def wait_before(
    attempts: dict[str, Attempts], policies: dict[str, ThrottlePolicy], now: datetime
) -> timedelta:
    """The longest wait any key imposes."""
    return max(
        (attempts[key].wait(policy, now) for key, policy in policies.items() if key in attempts),
        default=timedelta(0),
    )
