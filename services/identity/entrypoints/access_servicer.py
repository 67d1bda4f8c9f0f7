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
from servicekit.rpc.interceptors import Context
from services.identity import mapping
from services.identity.domain.access import Permission, PermissionKind
from services.identity.entrypoints.request_context import current_caller
from services.identity.service_layer import access
from services.identity.service_layer.deps import Deps
from services.identity.service_layer.ports import SecurityLogFilter


class AccessServicer(access_pb2_grpc.AccessServiceServicer):
    def __init__(self, deps: Deps):
        self._deps = deps

    async def ListPermissions(
        self, request: access_pb2.ListPermissionsRequest, context: Context
    ) -> access_pb2.ListPermissionsResponse:
        found = await access.list_permissions(
            self._deps, current_caller(), show_disabled=request.show_disabled
        )
        return access_pb2.ListPermissionsResponse(
            permissions=[mapping.permission_pb(p) for p in found]
        )

    async def UpdatePermission(
        self, request: access_pb2.UpdatePermissionRequest, context: Context
    ) -> access_pb2.Permission:
        message = request.permission
        draft = Permission(
            code=message.code,
            display_name=message.display_name,
            kind=PermissionKind.MENU,
            enabled=message.enabled,
            sort_order=message.sort_order,
        )
        permission = await access.update_permission(
            self._deps, current_caller(), draft=draft, mask=list(request.update_mask.paths)
        )
        return mapping.permission_pb(permission)

    async def CreateRole(
        self, request: access_pb2.CreateRoleRequest, context: Context
    ) -> access_pb2.Role:
        role = await access.create_role(
            self._deps, current_caller(), draft=mapping.role_draft(request.role)
        )
        return mapping.role_pb(role)

    async def GetRole(
        self, request: access_pb2.GetRoleRequest, context: Context
    ) -> access_pb2.Role:
        return mapping.role_pb(await access.get_role(self._deps, current_caller(), request.role_id))

    async def ListRoles(
        self, request: access_pb2.ListRolesRequest, context: Context
    ) -> access_pb2.ListRolesResponse:
        roles, token = await access.list_roles(
            self._deps,
            current_caller(),
            organization_id=request.organization_id,
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return access_pb2.ListRolesResponse(
            roles=[mapping.role_pb(r) for r in roles], next_page_token=token
        )

    async def UpdateRole(
        self, request: access_pb2.UpdateRoleRequest, context: Context
    ) -> access_pb2.Role:
        role = await access.update_role(
            self._deps,
            current_caller(),
            draft=mapping.role_draft(request.role),
            mask=list(request.update_mask.paths),
        )
        return mapping.role_pb(role)

    async def DeleteRole(
        self, request: access_pb2.DeleteRoleRequest, context: Context
    ) -> empty_pb2.Empty:
        await access.delete_role(self._deps, current_caller(), request.role_id)
        return empty_pb2.Empty()


class SecurityLogServicer(security_log_pb2_grpc.SecurityLogServiceServicer):
    def __init__(self, deps: Deps):
        self._deps = deps

    async def ListSecurityLogs(
        self, request: security_log_pb2.ListSecurityLogsRequest, context: Context
    ) -> security_log_pb2.ListSecurityLogsResponse:
        where = SecurityLogFilter(
            user_id=request.user_id,
            kind=mapping.SECURITY_KIND_FROM_PB.get(request.kind),
            organization_id=request.organization_id,
            start=datetime_of(request, "start_time"),
            end=datetime_of(request, "end_time"),
        )
        entries, token = await access.list_security_logs(
            self._deps,
            current_caller(),
            where=where,
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return security_log_pb2.ListSecurityLogsResponse(
            security_logs=[mapping.security_log_pb(e) for e in entries], next_page_token=token
        )
