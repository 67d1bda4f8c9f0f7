"""The one place identity's typed events become protobuf: topic, record key and envelope for
the outbox. Entity topics are compacted by key, so each entity has its own key: departments and
designations travel on their enterprise's topic under their own ids."""

from __future__ import annotations

from dataclasses import dataclass

from google.protobuf.message import Message
from ticketing.events.v1 import envelope_pb2
from ticketing.events.v1 import identity_events_pb2 as pb

from servicekit.events import new_envelope, topic_name
from servicekit.proto_values import timestamp
from services.identity import mapping
from services.identity.domain import events as ev
from services.identity.domain.organizations import OrgKind
from services.identity.domain.people import UserKind

CHANGE_KINDS = {
    ev.Change.CREATED: pb.CHANGE_KIND_CREATED,
    ev.Change.UPDATED: pb.CHANGE_KIND_UPDATED,
    ev.Change.DISABLED: pb.CHANGE_KIND_DISABLED,
    ev.Change.ENABLED: pb.CHANGE_KIND_ENABLED,
    ev.Change.DELETED: pb.CHANGE_KIND_DELETED,
    ev.Change.UNDELETED: pb.CHANGE_KIND_UNDELETED,
    ev.Change.SNAPSHOT: pb.CHANGE_KIND_SNAPSHOT,
}


@dataclass(frozen=True)
class Outgoing:
    topic: str
    key: str
    envelope: envelope_pb2.EventEnvelope


def designation_key(enterprise_id: str, provider_id: str) -> str:
    """The record key of a designation: one per pair, so compaction keeps each pair."""
    return f"{enterprise_id}/{provider_id}"


def outgoing(event: ev.IdentityEvent) -> Outgoing:
    if isinstance(event, ev.AccessRevoked):
        return _revocation(event)
    aggregate, aggregate_id, tenant_id, key, payload = _parts(event)
    envelope = new_envelope(
        payload=payload,
        aggregate_type=aggregate,
        aggregate_id=aggregate_id,
        tenant_id=tenant_id,
        actor=event.actor,
    )
    return Outgoing(topic_name("identity", aggregate), key or aggregate_id, envelope)


def _revocation(event: ev.AccessRevoked) -> Outgoing:
    subject = event.user_id or event.organization_id or event.session_id
    payload = pb.AccessRevoked(
        user_id=event.user_id,
        organization_id=event.organization_id,
        session_id=event.session_id,
        revoke_time=timestamp(event.revoked_at),
        reason=event.reason,
    )
    envelope = new_envelope(
        payload=payload, aggregate_type="access", aggregate_id=subject, actor=event.actor
    )
    return Outgoing(topic_name("identity", "access"), subject, envelope)


def _parts(event: ev.EntityEvent) -> tuple[str, str, str, str, Message]:
    change = CHANGE_KINDS[event.change]
    match event:
        case ev.OrganizationChanged(organization=org) if org.kind is OrgKind.ENTERPRISE:
            return (
                "enterprise",
                org.id,
                org.id,
                "",
                pb.EnterpriseChanged(change=change, enterprise=mapping.enterprise_pb(org)),
            )
        case ev.OrganizationChanged(organization=org):
            return (
                "provider",
                org.id,
                org.id,
                "",
                pb.ProviderChanged(change=change, provider=mapping.provider_pb(org)),
            )
        case ev.PersonChanged(user=user) if user.kind is UserKind.ENGINEER:
            return (
                "engineer",
                user.id,
                user.organization_id,
                "",
                pb.EngineerChanged(change=change, engineer=mapping.engineer_pb(user)),
            )
        case ev.PersonChanged(user=user):
            return (
                "user",
                user.id,
                user.organization_id,
                "",
                pb.UserChanged(
                    change=change, user=mapping.user_pb(user), wechat_openid=user.wechat_openid
                ),
            )
        case ev.RoleChanged(role=role):
            return (
                "role",
                role.id,
                role.organization_id,
                "",
                pb.RoleChanged(change=change, role=mapping.role_pb(role)),
            )
        case ev.DepartmentChanged(department=department):
            enterprise = department.enterprise_id
            return (
                "enterprise",
                enterprise,
                enterprise,
                department.id,
                pb.DepartmentChanged(change=change, department=mapping.department_pb(department)),
            )
        case ev.DesignationChanged(enterprise_id=enterprise, provider=provider):
            designation = mapping.designation_pb(enterprise, provider, event.designated_at)
            key = designation_key(enterprise, provider.id)
            return (
                "enterprise",
                enterprise,
                enterprise,
                key,
                pb.DesignationChanged(change=change, designation=designation),
            )
    raise TypeError(f"no event message for {type(event).__name__}")
