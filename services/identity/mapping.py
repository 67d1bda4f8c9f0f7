"""The one place identity translates between protobuf messages and domain objects."""

from __future__ import annotations

from datetime import datetime

from ticketing.common.v1 import common_pb2
from ticketing.identity.v1 import (
    access_pb2,
    auth_pb2,
    organizations_pb2,
    security_log_pb2,
    users_pb2,
)

from servicekit.proto_values import stamps, timestamp
from services.identity.domain.access import DataScope, Permission, PermissionKind, Role
from services.identity.domain.departments import Department
from services.identity.domain.organizations import Organization, OrgKind, OrgState
from services.identity.domain.people import (
    DEFAULT_LOCALE,
    DEFAULT_TIME_ZONE,
    User,
    UserKind,
    UserState,
)
from services.identity.domain.security import SecurityEvent, SecurityEventKind
from services.identity.service_layer.tokens import IssuedTokens

_ACTIVE = {
    OrgState.ENABLED: common_pb2.ACTIVE_STATE_ENABLED,
    OrgState.DISABLED: common_pb2.ACTIVE_STATE_DISABLED,
    UserState.ENABLED: common_pb2.ACTIVE_STATE_ENABLED,
    UserState.DISABLED: common_pb2.ACTIVE_STATE_DISABLED,
}
KIND_TO_PB = {
    UserKind.PLATFORM: common_pb2.PRINCIPAL_KIND_PLATFORM,
    UserKind.ENTERPRISE: common_pb2.PRINCIPAL_KIND_ENTERPRISE,
    UserKind.PROVIDER: common_pb2.PRINCIPAL_KIND_PROVIDER,
    UserKind.ENGINEER: common_pb2.PRINCIPAL_KIND_ENGINEER,
}
KIND_FROM_PB = {v: k for k, v in KIND_TO_PB.items()}
SCOPE_TO_PB = {
    DataScope.SELF: common_pb2.DATA_SCOPE_SELF,
    DataScope.DEPARTMENT: common_pb2.DATA_SCOPE_DEPARTMENT,
    DataScope.ORGANIZATION: common_pb2.DATA_SCOPE_ORGANIZATION,
    DataScope.ALL: common_pb2.DATA_SCOPE_ALL,
}
SCOPE_FROM_PB = {v: k for k, v in SCOPE_TO_PB.items()} | {
    common_pb2.DATA_SCOPE_UNSPECIFIED: DataScope.SELF
}
SECURITY_KIND_TO_PB = {
    kind: security_log_pb2.SecurityEventKind.Value(f"SECURITY_EVENT_KIND_{kind.name}")
    for kind in SecurityEventKind
}
SECURITY_KIND_FROM_PB = {v: k for k, v in SECURITY_KIND_TO_PB.items()}
STATE_FILTER = {
    common_pb2.ACTIVE_STATE_ENABLED: OrgState.ENABLED,
    common_pb2.ACTIVE_STATE_DISABLED: OrgState.DISABLED,
}
USER_STATE_FILTER = {
    common_pb2.ACTIVE_STATE_ENABLED: UserState.ENABLED,
    common_pb2.ACTIVE_STATE_DISABLED: UserState.DISABLED,
}


def enterprise_pb(org: Organization) -> organizations_pb2.Enterprise:
    return organizations_pb2.Enterprise(
        enterprise_id=org.id,
        display_name=org.display_name,
        industry=org.industry,
        contact_name=org.contact_name,
        contact_phone=org.contact_phone,
        address=org.address,
        logo_url=org.logo_url,
        state=_ACTIVE[org.state],
        stamps=stamps(org.created_at, org.updated_at, org.deleted_at),
    )


def provider_pb(org: Organization) -> organizations_pb2.Provider:
    return organizations_pb2.Provider(
        provider_id=org.id,
        display_name=org.display_name,
        contact_name=org.contact_name,
        contact_phone=org.contact_phone,
        address=org.address,
        tags=org.tags,
        state=_ACTIVE[org.state],
        stamps=stamps(org.created_at, org.updated_at, org.deleted_at),
    )


def organization_pb(org: Organization):  # type: ignore[no-untyped-def]
    return enterprise_pb(org) if org.kind is OrgKind.ENTERPRISE else provider_pb(org)


def enterprise_draft(message: organizations_pb2.Enterprise) -> Organization:
    return Organization(
        id=message.enterprise_id,
        kind=OrgKind.ENTERPRISE,
        display_name=message.display_name,
        industry=message.industry,
        contact_name=message.contact_name,
        contact_phone=message.contact_phone,
        address=message.address,
        logo_url=message.logo_url,
    )


def provider_draft(message: organizations_pb2.Provider) -> Organization:
    return Organization(
        id=message.provider_id,
        kind=OrgKind.PROVIDER,
        display_name=message.display_name,
        contact_name=message.contact_name,
        contact_phone=message.contact_phone,
        address=message.address,
        tags=list(message.tags),
    )


def department_pb(department: Department) -> organizations_pb2.Department:
    return organizations_pb2.Department(
        enterprise_id=department.enterprise_id,
        department_id=department.id,
        display_name=department.display_name,
        parent_department_id=department.parent_id,
        sort_order=department.sort_order,
        stamps=stamps(department.created_at, department.updated_at),
    )


def department_draft(message: organizations_pb2.Department) -> Department:
    return Department(
        id=message.department_id,
        enterprise_id=message.enterprise_id,
        display_name=message.display_name,
        parent_id=message.parent_department_id,
        sort_order=message.sort_order,
    )


def designation_pb(
    enterprise_id: str, provider: Organization, created: datetime
) -> organizations_pb2.Designation:
    return organizations_pb2.Designation(
        enterprise_id=enterprise_id,
        provider_id=provider.id,
        provider_display_name=provider.display_name,
        create_time=timestamp(created),
    )


def user_pb(user: User, permissions: list[str] | None = None) -> users_pb2.User:
    return users_pb2.User(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        phone=user.phone,
        email=user.email,
        kind=KIND_TO_PB[user.kind],
        organization_id=user.organization_id,
        department_id=user.department_id,
        role_ids=user.role_ids,
        permissions=sorted(permissions or []),
        nickname=user.nickname,
        avatar_url=user.avatar_url,
        nickname_authorized=user.nickname_authorized,
        avatar_authorized=user.avatar_authorized,
        phone_authorized=user.phone_authorized,
        state=_ACTIVE[user.state],
        last_login_time=timestamp(user.last_login_at),
        stamps=stamps(user.created_at, user.updated_at, user.deleted_at),
        locale=user.locale,
        time_zone=user.time_zone,
    )


def user_draft(message: users_pb2.User) -> tuple[User, str]:
    """The user described by the message, and the password it carries ("" if none)."""
    user = User(
        id=message.user_id,
        kind=KIND_FROM_PB.get(message.kind, UserKind.ENTERPRISE),
        display_name=message.display_name,
        username=message.username,
        phone=message.phone,
        email=message.email,
        organization_id=message.organization_id,
        department_id=message.department_id,
        role_ids=list(message.role_ids),
        nickname=message.nickname,
        avatar_url=message.avatar_url,
        nickname_authorized=message.nickname_authorized,
        avatar_authorized=message.avatar_authorized,
        phone_authorized=message.phone_authorized,
        locale=message.locale or DEFAULT_LOCALE,
        time_zone=message.time_zone or DEFAULT_TIME_ZONE,
    )
    return user, message.password


def engineer_pb(user: User) -> users_pb2.Engineer:
    return users_pb2.Engineer(
        provider_id=user.organization_id,
        engineer_id=user.id,
        display_name=user.display_name,
        phone=user.phone,
        wechat_openid=user.wechat_openid,
        skills=user.skills,
        employee_number=user.employee_number,
        locale=user.locale,
        time_zone=user.time_zone,
        state=_ACTIVE[user.state],
        stamps=stamps(user.created_at, user.updated_at, user.deleted_at),
    )


def engineer_draft(message: users_pb2.Engineer) -> tuple[User, str]:
    user = User(
        id=message.engineer_id,
        kind=UserKind.ENGINEER,
        display_name=message.display_name,
        phone=message.phone,
        organization_id=message.provider_id,
        wechat_openid=message.wechat_openid,
        skills=list(dict.fromkeys(s.strip() for s in message.skills if s.strip())),
        employee_number=message.employee_number,
        locale=message.locale or DEFAULT_LOCALE,
        time_zone=message.time_zone or DEFAULT_TIME_ZONE,
    )
    return user, message.password


def role_pb(role: Role) -> access_pb2.Role:
    return access_pb2.Role(
        role_id=role.id,
        display_name=role.display_name,
        organization_id=role.organization_id,
        kind=KIND_TO_PB[role.kind],
        permission_codes=sorted(role.permission_codes),
        data_scope=SCOPE_TO_PB[role.data_scope],
        built_in=role.built_in,
        update_time=timestamp(role.updated_at),
    )


def role_draft(message: access_pb2.Role) -> Role:
    return Role(
        id=message.role_id,
        display_name=message.display_name,
        kind=KIND_FROM_PB.get(message.kind, UserKind.PLATFORM),
        permission_codes=list(dict.fromkeys(message.permission_codes)),
        data_scope=SCOPE_FROM_PB[message.data_scope],
        organization_id=message.organization_id,
    )


def permission_pb(permission: Permission) -> access_pb2.Permission:
    return access_pb2.Permission(
        code=permission.code,
        display_name=permission.display_name,
        kind=access_pb2.PERMISSION_KIND_MENU
        if permission.kind is PermissionKind.MENU
        else access_pb2.PERMISSION_KIND_BUTTON,
        parent_code=permission.parent_code,
        enabled=permission.enabled,
        sort_order=permission.sort_order,
    )


def security_log_pb(event: SecurityEvent) -> security_log_pb2.SecurityLog:
    return security_log_pb2.SecurityLog(
        security_log_id=event.id,
        kind=SECURITY_KIND_TO_PB[event.kind],
        user_id=event.user_id,
        login=event.login,
        actor_user_id=event.actor_user_id,
        organization_id=event.organization_id,
        ip_address=event.ip_address,
        user_agent=event.user_agent,
        details=event.details,
        create_time=timestamp(event.created_at),
    )


def token_pair_pb(tokens: IssuedTokens) -> auth_pb2.TokenPair:
    return auth_pb2.TokenPair(
        access_token=tokens.access_token,
        access_token_expire_time=timestamp(tokens.access_expires_at),
        refresh_token=tokens.refresh_token,
        refresh_token_expire_time=timestamp(tokens.refresh_expires_at),
        token_type="Bearer" if tokens.access_token else "",
        user_id=tokens.user_id,
        phone_binding_required=bool(tokens.binding_token),
        binding_token=tokens.binding_token,
    )
