"""OrganizationService: enterprises, departments, providers, designations."""

from __future__ import annotations

from google.protobuf import empty_pb2
from ticketing.identity.v1 import organizations_pb2 as pb
from ticketing.identity.v1 import organizations_pb2_grpc

from services.identity import mapping
from services.identity.adapters.repositories.organizations import OrganizationFilter
from services.identity.domain.organizations import OrgKind
from services.identity.entrypoints.request_context import caller_of
from services.identity.service_layer import departments as dept
from services.identity.service_layer import organizations as orgs
from services.identity.service_layer.deps import Deps

E, P = OrgKind.ENTERPRISE, OrgKind.PROVIDER


def _filter(request) -> OrganizationFilter:  # type: ignore[no-untyped-def]
    return OrganizationFilter(
        display_name=request.display_name,
        industry=getattr(request, "industry", ""),
        state=mapping.STATE_FILTER.get(request.state),
        show_deleted=request.show_deleted,
    )


class OrganizationServicer(organizations_pb2_grpc.OrganizationServiceServicer):
    def __init__(self, deps: Deps):
        self._deps = deps

    async def CreateEnterprise(self, request, context):
        org = await orgs.create_organization(
            self._deps,
            caller_of(context),
            draft=mapping.enterprise_draft(request.enterprise),
            request_id=request.request_id,
        )
        return mapping.enterprise_pb(org)

    async def GetEnterprise(self, request, context):
        org = await orgs.get_organization(self._deps, caller_of(context), E, request.enterprise_id)
        return mapping.enterprise_pb(org)

    async def ListEnterprises(self, request, context):
        items, token, total = await orgs.list_organizations(
            self._deps,
            caller_of(context),
            E,
            where=_filter(request),
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return pb.ListEnterprisesResponse(
            enterprises=[mapping.enterprise_pb(o) for o in items],
            next_page_token=token,
            total_size=total,
        )

    async def UpdateEnterprise(self, request, context):
        org = await orgs.update_organization(
            self._deps,
            caller_of(context),
            draft=mapping.enterprise_draft(request.enterprise),
            mask=list(request.update_mask.paths),
        )
        return mapping.enterprise_pb(org)

    async def DeleteEnterprise(self, request, context):
        return await self._state(E, request.enterprise_id, "delete", context)

    async def UndeleteEnterprise(self, request, context):
        return await self._state(E, request.enterprise_id, "undelete", context)

    async def DisableEnterprise(self, request, context):
        return await self._state(E, request.enterprise_id, "disable", context, request.reason)

    async def EnableEnterprise(self, request, context):
        return await self._state(E, request.enterprise_id, "enable", context)

    async def CreateProvider(self, request, context):
        org = await orgs.create_organization(
            self._deps,
            caller_of(context),
            draft=mapping.provider_draft(request.provider),
            request_id=request.request_id,
        )
        return mapping.provider_pb(org)

    async def GetProvider(self, request, context):
        org = await orgs.get_organization(self._deps, caller_of(context), P, request.provider_id)
        return mapping.provider_pb(org)

    async def ListProviders(self, request, context):
        items, token, total = await orgs.list_organizations(
            self._deps,
            caller_of(context),
            P,
            where=_filter(request),
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return pb.ListProvidersResponse(
            providers=[mapping.provider_pb(o) for o in items],
            next_page_token=token,
            total_size=total,
        )

    async def UpdateProvider(self, request, context):
        org = await orgs.update_organization(
            self._deps,
            caller_of(context),
            draft=mapping.provider_draft(request.provider),
            mask=list(request.update_mask.paths),
        )
        return mapping.provider_pb(org)

    async def DeleteProvider(self, request, context):
        return await self._state(P, request.provider_id, "delete", context)

    async def UndeleteProvider(self, request, context):
        return await self._state(P, request.provider_id, "undelete", context)

    async def DisableProvider(self, request, context):
        return await self._state(P, request.provider_id, "disable", context, request.reason)

    async def EnableProvider(self, request, context):
        return await self._state(P, request.provider_id, "enable", context)

    async def CreateDepartment(self, request, context):
        draft = mapping.department_draft(request.department)
        draft.enterprise_id = request.enterprise_id
        department = await dept.create_department(self._deps, caller_of(context), draft=draft)
        return mapping.department_pb(department)

    async def GetDepartment(self, request, context):
        department = await dept.get_department(
            self._deps, caller_of(context), request.enterprise_id, request.department_id
        )
        return mapping.department_pb(department)

    async def ListDepartments(self, request, context):
        departments = await dept.list_departments(
            self._deps, caller_of(context), request.enterprise_id
        )
        return pb.ListDepartmentsResponse(
            departments=[mapping.department_pb(d) for d in departments]
        )

    async def UpdateDepartment(self, request, context):
        department = await dept.update_department(
            self._deps,
            caller_of(context),
            draft=mapping.department_draft(request.department),
            mask=list(request.update_mask.paths),
        )
        return mapping.department_pb(department)

    async def DeleteDepartment(self, request, context):
        await dept.delete_department(
            self._deps, caller_of(context), request.enterprise_id, request.department_id
        )
        return empty_pb2.Empty()

    async def ListDesignations(self, request, context):
        found = await dept.list_designations(self._deps, caller_of(context), request.enterprise_id)
        return pb.ListDesignationsResponse(
            designations=[mapping.designation_pb(request.enterprise_id, p, at) for p, at in found]
        )

    async def CreateDesignation(self, request, context):
        provider_id = request.designation.provider_id
        await dept.designate(
            self._deps, caller_of(context), request.enterprise_id, provider_id, remove=False
        )
        found = await dept.list_designations(self._deps, caller_of(context), request.enterprise_id)
        provider, at = next((p, at) for p, at in found if p.id == provider_id)
        return mapping.designation_pb(request.enterprise_id, provider, at)

    async def DeleteDesignation(self, request, context):
        await dept.designate(
            self._deps, caller_of(context), request.enterprise_id, request.provider_id, remove=True
        )
        return empty_pb2.Empty()

    async def _state(self, kind: OrgKind, org_id: str, action: str, context, reason: str = ""):  # type: ignore[no-untyped-def]
        org = await orgs.change_organization_state(
            self._deps, caller_of(context), kind, org_id, action=action, reason=reason
        )
        return mapping.organization_pb(org)
