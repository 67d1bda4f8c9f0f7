"""Preferences as pure functions: three layers folded with the layer that decided each answer,
quiet hours in the user's zone (across midnight, held until the end, critical notices pass),
followed service types covering their subtrees, the message centre always on."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.notify.domain.notices import NoticeKind as K
from services.notify.domain.preferences import (
    BUILT_IN,
    PERSONAL,
    Channel,
    Layer,
    PreferenceError,
    PreferenceSet,
    QuietHours,
    Topic,
    decide,
    effective,
)
from tests.unit.notify.samples import notice

E, S = Channel.EMAIL, Channel.SMS
NIGHT = QuietHours(time(22, 0), time(8, 0), "Asia/Shanghai")


def at(hour: int, minute: int = 0) -> datetime:
    """A UTC moment at this local hour in Shanghai (UTC+8), on 2026-11-30."""
    return datetime(2026, 11, 30, (hour - 8) % 24, minute, tzinfo=UTC)


def test_each_answer_comes_from_the_highest_layer_that_set_it() -> None:
    organization = PreferenceSet(
        switches={(Topic.OUTCOME, E): False, (Topic.SLA, S): False}, quiet_hours=NIGHT
    )
    user = PreferenceSet(switches={(Topic.OUTCOME, E): True}, service_type_ids=frozenset({"it"}))
    found = effective(organization, user)
    assert found.choices[(Topic.OUTCOME, E)].layer is Layer.USER
    assert found.choices[(Topic.OUTCOME, E)].enabled
    assert found.choices[(Topic.SLA, S)].layer is Layer.ORGANIZATION
    assert not found.choices[(Topic.SLA, S)].enabled
    assert found.choices[(Topic.ASSIGNMENT, E)].layer is Layer.BUILT_IN
    assert (found.quiet_hours, found.quiet_hours_layer) == (NIGHT, Layer.ORGANIZATION)
    assert (found.service_type_ids, found.service_types_layer) == ({"it"}, Layer.USER)
    assert len(found.choices) == len(BUILT_IN) == len(Topic) * len(PERSONAL)


def test_a_user_can_switch_an_organisations_quiet_hours_off() -> None:
    off = QuietHours(time(0, 0), time(0, 0), enabled=False)
    found = effective(PreferenceSet(quiet_hours=NIGHT), PreferenceSet(quiet_hours=off))
    assert found.quiet_hours is None and found.quiet_hours_layer is Layer.USER


def test_the_message_centre_cannot_be_turned_off() -> None:
    with pytest.raises(PreferenceError):
        PreferenceSet(switches={(Topic.OUTCOME, Channel.IN_APP): False})


@pytest.mark.parametrize(
    ("local", "held_until_local"),
    [
        ((21, 59), None),
        ((22, 0), (1, 8)),  # the next morning
        ((23, 30), (1, 8)),
        ((0, 15), (0, 8)),  # the same morning
        ((7, 59), (0, 8)),
        ((8, 0), None),
        ((12, 0), None),
    ],
)
def test_overnight_quiet_hours_hold_until_the_morning(local, held_until_local) -> None:  # type: ignore[no-untyped-def]
    now = at(*local)
    held = NIGHT.held_until(now)
    if held_until_local is None:
        assert held is None
        return
    days, hour = held_until_local
    local_now = now.astimezone(held.tzinfo)  # type: ignore[union-attr]
    assert held is not None and held.hour == hour and held.minute == 0
    assert (held.date() - local_now.date()).days == days


def test_a_daytime_window_and_another_zone() -> None:
    lunch = QuietHours(time(12, 0), time(13, 30), "Europe/Berlin")
    noon_berlin = datetime(2026, 11, 30, 11, 15, tzinfo=UTC)  # 12:15 in Berlin (UTC+1)
    assert lunch.held_until(noon_berlin) == datetime(2026, 11, 30, 12, 30, tzinfo=UTC)
    assert lunch.held_until(datetime(2026, 11, 30, 12, 31, tzinfo=UTC)) is None


@given(st.datetimes(timezones=st.just(UTC)), st.times(), st.times())
def test_held_until_is_always_later_and_outside_the_window(now, start, end) -> None:  # type: ignore[no-untyped-def]
    if start == end:
        return
    quiet = QuietHours(start, end, "Asia/Shanghai")
    held = quiet.held_until(now)
    if held is not None:
        assert held > now
        assert quiet.held_until(held) is None


def test_unknown_time_zones_and_empty_windows_are_refused_naming_the_field() -> None:
    with pytest.raises(PreferenceError) as bad_zone:
        QuietHours(time(22), time(8), "Mars/Olympus")
    assert bad_zone.value.field == "quietHours.timeZone"
    with pytest.raises(PreferenceError) as empty:
        QuietHours(time(22), time(22))
    assert empty.value.field == "quietHours.end"


def test_decisions_explain_themselves() -> None:
    prefs = effective(PreferenceSet(quiet_hours=NIGHT), None)
    resolved = notice(K.RESOLVED)
    assert decide(prefs, resolved, E, at(12)).send
    held = decide(prefs, resolved, E, at(23))
    assert held.send and held.not_before is not None and "quiet hours" in held.reason
    off = decide(prefs, resolved, S, at(12))
    assert not off.send and "built_in" in off.reason
    centre = decide(prefs, resolved, Channel.IN_APP, at(23))
    assert centre.send and centre.not_before is None


def test_critical_notices_pass_quiet_hours_unless_the_user_says_otherwise() -> None:
    urgent = notice(K.ASSIGNED, priority="urgent")
    passes = decide(effective(PreferenceSet(quiet_hours=NIGHT), None), urgent, E, at(23))
    assert passes.send and passes.not_before is None and "critical" in passes.reason
    strict = QuietHours(time(22), time(8), critical_passes=False)
    held = decide(effective(None, PreferenceSet(quiet_hours=strict)), urgent, E, at(23))
    assert held.not_before is not None
    rated = notice(K.RATED, priority="urgent")  # not something to wake anyone for
    assert decide(effective(None, PreferenceSet(quiet_hours=NIGHT)), rated, E, at(23)).not_before
    breach = notice(K.SLA_BREACHED, priority="low")  # a breach is, whatever the priority
    assert decide(effective(None, PreferenceSet(quiet_hours=NIGHT)), breach, E, at(23)).send
    warning = notice(K.SLA_WARNING, priority="low")
    assert decide(effective(None, PreferenceSet(quiet_hours=NIGHT)), warning, E, at(23)).not_before


def test_followed_service_types_cover_their_subtree() -> None:
    prefs = effective(None, PreferenceSet(service_type_ids=frozenset({"it"})))
    inside = notice(K.RESOLVED, service_type_path=("it", "it.printers", "it.printers.jam"))
    outside = notice(K.RESOLVED, service_type_path=("facilities", "facilities.aircon"))
    assert decide(prefs, inside, E, at(12)).send
    skipped = decide(prefs, outside, E, at(12))
    assert not skipped.send and "not followed" in skipped.reason
    assert decide(prefs, outside, Channel.IN_APP, at(12)).send  # the centre keeps everything
