"""OrganizationService: enterprises, departments, providers, designations."""

from __future__ import annotations

from google.protobuf import empty_pb2, field_mask_pb2
from ticketing.identity.v1 import organizations_pb2 as pb
from ticketing.identity.v1 import organizations_pb2_grpc

from servicekit.idempotency import fingerprint
from servicekit.rpc.interceptors import Context
from services.identity import mapping
from services.identity.domain.organizations import Organization, OrgKind
from services.identity.entrypoints.request_context import current_caller
from services.identity.service_layer import departments as dept
from services.identity.service_layer import organizations as orgs
from services.identity.service_layer.deps import Deps
from services.identity.service_layer.ports import OrganizationFilter

E, P = OrgKind.ENTERPRISE, OrgKind.PROVIDER


def _filter(request: pb.ListEnterprisesRequest | pb.ListProvidersRequest) -> OrganizationFilter:
    return OrganizationFilter(
        display_name=request.display_name,
        industry=request.industry if isinstance(request, pb.ListEnterprisesRequest) else "",
        state=mapping.STATE_FILTER.get(request.state),
        show_deleted=request.show_deleted,
    )


class OrganizationServicer(organizations_pb2_grpc.OrganizationServiceServicer):
    def __init__(self, deps: Deps):
        self._deps = deps

    async def CreateEnterprise(
        self, request: pb.CreateEnterpriseRequest, context: Context
    ) -> pb.Enterprise:
        return mapping.enterprise_pb(
            await self._create(mapping.enterprise_draft(request.enterprise), request, context)
        )

    async def GetEnterprise(
        self, request: pb.GetEnterpriseRequest, context: Context
    ) -> pb.Enterprise:
        return mapping.enterprise_pb(await self._get(E, request.enterprise_id, context))

    async def ListEnterprises(
        self, request: pb.ListEnterprisesRequest, context: Context
    ) -> pb.ListEnterprisesResponse:
        found, token, total = await self._list(E, request, context)
        enterprises = [mapping.enterprise_pb(o) for o in found]
        return pb.ListEnterprisesResponse(
            enterprises=enterprises, next_page_token=token, total_size=total
        )

    async def UpdateEnterprise(
        self, request: pb.UpdateEnterpriseRequest, context: Context
    ) -> pb.Enterprise:
        draft = mapping.enterprise_draft(request.enterprise)
        return mapping.enterprise_pb(await self._update(draft, request.update_mask, context))

    async def DeleteEnterprise(
        self, request: pb.DeleteEnterpriseRequest, context: Context
    ) -> pb.Enterprise:
        return mapping.enterprise_pb(await self._step(E, request.enterprise_id, "delete", context))

    async def UndeleteEnterprise(
        self, request: pb.UndeleteEnterpriseRequest, context: Context
    ) -> pb.Enterprise:
        org = await self._step(E, request.enterprise_id, "undelete", context)
        return mapping.enterprise_pb(org)

    async def DisableEnterprise(
        self, request: pb.DisableEnterpriseRequest, context: Context
    ) -> pb.Enterprise:
        org = await self._step(E, request.enterprise_id, "disable", context, request.reason)
        return mapping.enterprise_pb(org)

    async def EnableEnterprise(
        self, request: pb.EnableEnterpriseRequest, context: Context
    ) -> pb.Enterprise:
        return mapping.enterprise_pb(await self._step(E, request.enterprise_id, "enable", context))

    async def CreateProvider(
        self, request: pb.CreateProviderRequest, context: Context
    ) -> pb.Provider:
        return mapping.provider_pb(
            await self._create(mapping.provider_draft(request.provider), request, context)
        )

    async def GetProvider(self, request: pb.GetProviderRequest, context: Context) -> pb.Provider:
        return mapping.provider_pb(await self._get(P, request.provider_id, context))

    async def ListProviders(
        self, request: pb.ListProvidersRequest, context: Context
    ) -> pb.ListProvidersResponse:
        found, token, total = await self._list(P, request, context)
        providers = [mapping.provider_pb(o) for o in found]
        return pb.ListProvidersResponse(
            providers=providers, next_page_token=token, total_size=total
        )

    async def UpdateProvider(
        self, request: pb.UpdateProviderRequest, context: Context
    ) -> pb.Provider:
        draft = mapping.provider_draft(request.provider)
        return mapping.provider_pb(await self._update(draft, request.update_mask, context))

    async def DeleteProvider(
        self, request: pb.DeleteProviderRequest, context: Context
    ) -> pb.Provider:
        return mapping.provider_pb(await self._step(P, request.provider_id, "delete", context))

    async def UndeleteProvider(
        self, request: pb.UndeleteProviderRequest, context: Context
    ) -> pb.Provider:
        return mapping.provider_pb(await self._step(P, request.provider_id, "undelete", context))

    async def DisableProvider(
        self, request: pb.DisableProviderRequest, context: Context
    ) -> pb.Provider:
        org = await self._step(P, request.provider_id, "disable", context, request.reason)
        return mapping.provider_pb(org)

    async def EnableProvider(
        self, request: pb.EnableProviderRequest, context: Context
    ) -> pb.Provider:
        return mapping.provider_pb(await self._step(P, request.provider_id, "enable", context))

    async def _create(
        self,
        draft: Organization,
        request: pb.CreateEnterpriseRequest | pb.CreateProviderRequest,
        context: Context,
    ) -> Organization:
        return await orgs.create_organization(
            self._deps,
            current_caller(),
            draft=draft,
            request_id=request.request_id,
            fingerprint=fingerprint(request),
        )

    async def _get(self, kind: OrgKind, org_id: str, context: Context) -> Organization:
        return await orgs.get_organization(self._deps, current_caller(), kind, org_id)

    async def _list(
        self,
        kind: OrgKind,
        request: pb.ListEnterprisesRequest | pb.ListProvidersRequest,
        context: Context,
    ) -> tuple[list[Organization], str, int]:
        return await orgs.list_organizations(
            self._deps,
            current_caller(),
            kind,
            where=_filter(request),
            page_size=request.page_size,
            page_token=request.page_token,
        )

    async def _update(
        self, draft: Organization, mask: field_mask_pb2.FieldMask, context: Context
    ) -> Organization:
        return await orgs.update_organization(
            self._deps, current_caller(), draft=draft, mask=list(mask.paths)
        )

    async def _step(
        self, kind: OrgKind, org_id: str, action: str, context: Context, reason: str = ""
    ) -> Organization:
        return await orgs.change_organization_state(
            self._deps, current_caller(), kind, org_id, action=action, reason=reason
        )

    async def CreateDepartment(
        self, request: pb.CreateDepartmentRequest, context: Context
    ) -> pb.Department:
        draft = mapping.department_draft(request.department)
        draft.enterprise_id = request.enterprise_id
        department = await dept.create_department(self._deps, current_caller(), draft=draft)
        return mapping.department_pb(department)

    async def GetDepartment(
        self, request: pb.GetDepartmentRequest, context: Context
    ) -> pb.Department:
        department = await dept.get_department(
            self._deps, current_caller(), request.enterprise_id, request.department_id
        )
        return mapping.department_pb(department)

    async def ListDepartments(
        self, request: pb.ListDepartmentsRequest, context: Context
    ) -> pb.ListDepartmentsResponse:
        departments = await dept.list_departments(
            self._deps, current_caller(), request.enterprise_id
        )
        return pb.ListDepartmentsResponse(
            departments=[mapping.department_pb(d) for d in departments]
        )

    async def UpdateDepartment(
        self, request: pb.UpdateDepartmentRequest, context: Context
    ) -> pb.Department:
        department = await dept.update_department(
            self._deps,
            current_caller(),
            draft=mapping.department_draft(request.department),
            mask=list(request.update_mask.paths),
        )
        return mapping.department_pb(department)

    async def DeleteDepartment(
        self, request: pb.DeleteDepartmentRequest, context: Context
    ) -> empty_pb2.Empty:
        await dept.delete_department(
            self._deps, current_caller(), request.enterprise_id, request.department_id
        )
        return empty_pb2.Empty()

    async def ListDesignations(
        self, request: pb.ListDesignationsRequest, context: Context
    ) -> pb.ListDesignationsResponse:
        found = await dept.list_designations(self._deps, current_caller(), request.enterprise_id)
        return pb.ListDesignationsResponse(
            designations=[mapping.designation_pb(request.enterprise_id, p, at) for p, at in found]
        )

    async def CreateDesignation(
        self, request: pb.CreateDesignationRequest, context: Context
    ) -> pb.Designation:
        provider, at = await dept.designate(
            self._deps,
            current_caller(),
            request.enterprise_id,
            request.designation.provider_id,
            remove=False,
        )
        return mapping.designation_pb(request.enterprise_id, provider, at)

    async def DeleteDesignation(
        self, request: pb.DeleteDesignationRequest, context: Context
    ) -> empty_pb2.Empty:
        await dept.designate(
            self._deps, current_caller(), request.enterprise_id, request.provider_id, remove=True
        )
        return empty_pb2.Empty()
