"""AccessService and SecurityLogService."""

from __future__ import annotations

from google.protobuf import empty_pb2
from ticketing.identity.v1 import (
    access_pb2,
    access_pb2_grpc,
    security_log_pb2,
    security_log_pb2_grpc,
)

from servicekit.proto_values import datetime_of
from services.identity import mapping
from services.identity.adapters.repositories.credentials import SecurityLogFilter
from services.identity.domain.access import Permission, PermissionKind
from services.identity.entrypoints.request_context import caller_of
from services.identity.service_layer import access
from services.identity.service_layer.deps import Deps


class AccessServicer(access_pb2_grpc.AccessServiceServicer):
    def __init__(self, deps: Deps):
        self._deps = deps

    async def ListPermissions(self, request, context):
        found = await access.list_permissions(
            self._deps, caller_of(context), show_disabled=request.show_disabled
        )
        return access_pb2.ListPermissionsResponse(
            permissions=[mapping.permission_pb(p) for p in found]
        )

    async def UpdatePermission(self, request, context):
        message = request.permission
        draft = Permission(
            code=message.code,
            display_name=message.display_name,
            kind=PermissionKind.MENU,
            enabled=message.enabled,
            sort_order=message.sort_order,
        )
        permission = await access.update_permission(
            self._deps, caller_of(context), draft=draft, mask=list(request.update_mask.paths)
        )
        return mapping.permission_pb(permission)

    async def CreateRole(self, request, context):
        role = await access.create_role(
            self._deps, caller_of(context), draft=mapping.role_draft(request.role)
        )
        return mapping.role_pb(role)

    async def GetRole(self, request, context):
        return mapping.role_pb(
            await access.get_role(self._deps, caller_of(context), request.role_id)
        )

    async def ListRoles(self, request, context):
        roles, token = await access.list_roles(
            self._deps,
            caller_of(context),
            organization_id=request.organization_id,
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return access_pb2.ListRolesResponse(
            roles=[mapping.role_pb(r) for r in roles], next_page_token=token
        )

    async def UpdateRole(self, request, context):
        role = await access.update_role(
            self._deps,
            caller_of(context),
            draft=mapping.role_draft(request.role),
            mask=list(request.update_mask.paths),
        )
        return mapping.role_pb(role)

    async def DeleteRole(self, request, context):
        await access.delete_role(self._deps, caller_of(context), request.role_id)
        return empty_pb2.Empty()


class SecurityLogServicer(security_log_pb2_grpc.SecurityLogServiceServicer):
    def __init__(self, deps: Deps):
        self._deps = deps

    async def ListSecurityLogs(self, request, context):
        where = SecurityLogFilter(
            user_id=request.user_id,
            kind=mapping.SECURITY_KIND_FROM_PB.get(request.kind),
            organization_id=request.organization_id,
            start=datetime_of(request, "start_time"),
            end=datetime_of(request, "end_time"),
        )
        entries, token = await access.list_security_logs(
            self._deps,
            caller_of(context),
            where=where,
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return security_log_pb2.ListSecurityLogsResponse(
            security_logs=[mapping.security_log_pb(e) for e in entries], next_page_token=token
        )
