"""Preference use cases: a user changes only his own layer (switches merged, inherit removes a
choice), reads the effective result with its explanation; an organisation's admin sets the
defaults of his organisation only."""

from __future__ import annotations

from datetime import time

import pytest

from servicekit.auth.principal import Principal
from servicekit.errors import DomainError, ErrorCode
from services.notify.domain.preferences import Channel, Layer, QuietHours, Topic
from services.notify.service_layer import preferences
from services.notify.service_layer.preferences import Change
from tests.unit.notify.fakes import World, world

ME = Principal("req", "enterprise", "ent")
ENT_ADMIN = Principal("boss", "enterprise", "ent", permissions=frozenset({"user.write"}))
OPS = Principal("ops", "platform", permissions=frozenset({"user.write"}))
E = Channel.EMAIL


@pytest.fixture
def w() -> World:
    return world()


async def test_switches_merge_and_inherit_removes_a_choice(w: World) -> None:
    await preferences.update_my_preferences(
        w.deps, ME, Change(switches={(Topic.OUTCOME, E): False, (Topic.SLA, Channel.SMS): False})
    )
    saved = await preferences.update_my_preferences(
        w.deps, ME, Change(switches={(Topic.SLA, Channel.SMS): None})
    )
    assert dict(saved.preferences.switches) == {(Topic.OUTCOME, E): False}
    assert saved.updated_by == "req" and saved.updated_at == w.clock()


async def test_effective_preferences_say_which_layer_decided(w: World) -> None:
    night = QuietHours(time(22), time(7))
    await preferences.update_organization_preferences(
        w.deps, ENT_ADMIN, "ent", Change(set_quiet_hours=True, quiet_hours=night,
                                         switches={(Topic.CONVERSATION, E): False})
    )  # fmt: skip
    await preferences.update_my_preferences(
        w.deps, ME, Change(switches={(Topic.OUTCOME, E): False})
    )
    found = await preferences.my_effective_preferences(w.deps, ME)
    assert found.choices[(Topic.CONVERSATION, E)].layer is Layer.ORGANIZATION
    assert found.choices[(Topic.OUTCOME, E)].layer is Layer.USER
    assert found.choices[(Topic.APPROVAL, E)].layer is Layer.BUILT_IN
    assert found.quiet_hours == night and found.quiet_hours_layer is Layer.ORGANIZATION
    other = await preferences.my_effective_preferences(
        w.deps, Principal("x", "enterprise", "ent-2")
    )
    assert other.quiet_hours is None  # another organisation's users keep the built-in ones


async def test_organisation_defaults_are_for_its_admins_only(w: World) -> None:
    assert (await preferences.organization_preferences(w.deps, OPS, "ent")).updated_at is None
    with pytest.raises(DomainError) as other:
        await preferences.organization_preferences(w.deps, ENT_ADMIN, "ent-2")
    assert other.value.code is ErrorCode.NOT_FOUND
    with pytest.raises(DomainError) as member:
        await preferences.update_organization_preferences(w.deps, ME, "ent", Change())
    assert member.value.code is ErrorCode.PERMISSION_DENIED


async def test_too_many_followed_types_are_refused_naming_the_field(w: World) -> None:
    many = frozenset(f"t{i}" for i in range(preferences.MAX_SERVICE_TYPES + 1))
    with pytest.raises(DomainError) as refused:
        await preferences.update_my_preferences(
            w.deps, ME, Change(set_service_types=True, service_type_ids=many)
        )
    assert [v.field for v in refused.value.violations] == [
        "preferences.serviceTypes.serviceTypeIds"
    ]
