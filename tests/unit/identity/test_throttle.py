"""Sign-in throttling: growing delays per key, forgotten after a quiet hour, never a lock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.identity.domain.throttle import (
    ACCOUNT,
    ACCOUNT_FROM_CLIENT,
    Attempts,
    throttle_keys,
    wait_before,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
S = timedelta(seconds=1)


def failed(times: int, policy=ACCOUNT_FROM_CLIENT) -> Attempts:  # type: ignore[no-untyped-def]
    attempts = Attempts("k")
    for _ in range(times):
        attempts.failed(policy, NOW)
    return attempts


def test_a_few_failures_are_free_then_delays_double_up_to_a_cap():
    assert failed(2).wait(ACCOUNT_FROM_CLIENT, NOW) == timedelta(0)
    assert [failed(n).wait(ACCOUNT_FROM_CLIENT, NOW) for n in (3, 4, 5, 6)] == [
        S,
        2 * S,
        4 * S,
        8 * S,
    ]
    assert failed(40).wait(ACCOUNT_FROM_CLIENT, NOW) == timedelta(minutes=15)
    assert failed(40, ACCOUNT).wait(ACCOUNT, NOW) == 30 * S  # account-wide: never long


def test_the_wait_runs_down_and_old_failures_are_forgotten():
    attempts = failed(6)
    assert attempts.wait(ACCOUNT_FROM_CLIENT, NOW + 3 * S) == 5 * S
    assert attempts.wait(ACCOUNT_FROM_CLIENT, NOW + 9 * S) == timedelta(0)
    attempts.failed(ACCOUNT_FROM_CLIENT, NOW + timedelta(hours=2))
    assert attempts.failures == 1


def test_keys_do_not_depend_on_whether_the_account_exists_and_ignore_case():
    assert throttle_keys(" Admin ", "203.0.113.9") == throttle_keys("admin", "203.0.113.9")
    keys = throttle_keys("nobody-here", "203.0.113.9")
    assert set(keys) == {
        "account-client:nobody-here|203.0.113.9",
        "client:203.0.113.9",
        "account:nobody-here",
    }


def test_the_longest_wait_of_any_key_applies():
    policies = throttle_keys("admin", "198.51.100.7")
    attempts = {key: Attempts(key) for key in policies}
    for _ in range(5):
        for key, policy in policies.items():
            attempts[key].failed(policy, NOW)
    assert wait_before(attempts, policies, NOW) == 4 * S  # the account-from-this-client key
    assert wait_before({}, policies, NOW) == timedelta(0)
