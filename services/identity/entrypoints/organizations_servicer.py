"""OrganizationService: enterprises, departments, providers, designations."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from google.protobuf import empty_pb2
from ticketing.identity.v1 import organizations_pb2 as pb
from ticketing.identity.v1 import organizations_pb2_grpc

from servicekit.idempotency import fingerprint
from services.identity import mapping
from services.identity.adapters.repositories.organizations import OrganizationFilter
from services.identity.domain.organizations import Organization, OrgKind
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


@dataclass(frozen=True)
class OrgApi:
    """How one kind of organisation appears in the contract."""

    kind: OrgKind
    noun: str  # the request's field and id prefix: "enterprise" or "provider"
    draft: Callable[[Any], Organization]
    to_pb: Callable[[Organization], Any]
    list_response: Callable[..., Any]
    plural: str


ENTERPRISES = OrgApi(
    E,
    "enterprise",
    mapping.enterprise_draft,
    mapping.enterprise_pb,
    pb.ListEnterprisesResponse,
    "enterprises",
)
PROVIDERS = OrgApi(
    P,
    "provider",
    mapping.provider_draft,
    mapping.provider_pb,
    pb.ListProvidersResponse,
    "providers",
)


def _create(api: OrgApi):  # type: ignore[no-untyped-def]
    async def create(self, request, context):  # type: ignore[no-untyped-def]
        org = await orgs.create_organization(
            self._deps,
            caller_of(context),
            draft=api.draft(getattr(request, api.noun)),
            request_id=request.request_id,
            fingerprint=fingerprint(request),
        )
        return api.to_pb(org)

    return create


def _get(api: OrgApi):  # type: ignore[no-untyped-def]
    async def get(self, request, context):  # type: ignore[no-untyped-def]
        org_id = getattr(request, f"{api.noun}_id")
        return api.to_pb(
            await orgs.get_organization(self._deps, caller_of(context), api.kind, org_id)
        )

    return get


def _list(api: OrgApi):  # type: ignore[no-untyped-def]
    async def list_(self, request, context):  # type: ignore[no-untyped-def]
        items, token, total = await orgs.list_organizations(
            self._deps,
            caller_of(context),
            api.kind,
            where=_filter(request),
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return api.list_response(
            **{api.plural: [api.to_pb(o) for o in items]}, next_page_token=token, total_size=total
        )

    return list_


def _update(api: OrgApi):  # type: ignore[no-untyped-def]
    async def update(self, request, context):  # type: ignore[no-untyped-def]
        org = await orgs.update_organization(
            self._deps,
            caller_of(context),
            draft=api.draft(getattr(request, api.noun)),
            mask=list(request.update_mask.paths),
        )
        return api.to_pb(org)

    return update


def _state(api: OrgApi, action: str):  # type: ignore[no-untyped-def]
    async def change(self, request, context):  # type: ignore[no-untyped-def]
        org = await orgs.change_organization_state(
            self._deps,
            caller_of(context),
            api.kind,
            getattr(request, f"{api.noun}_id"),
            action=action,
            reason=getattr(request, "reason", ""),
        )
        return api.to_pb(org)

    return change


class OrganizationServicer(organizations_pb2_grpc.OrganizationServiceServicer):
    def __init__(self, deps: Deps):
        self._deps = deps

    CreateEnterprise = _create(ENTERPRISES)
    GetEnterprise = _get(ENTERPRISES)
    ListEnterprises = _list(ENTERPRISES)
    UpdateEnterprise = _update(ENTERPRISES)
    DeleteEnterprise = _state(ENTERPRISES, "delete")
    UndeleteEnterprise = _state(ENTERPRISES, "undelete")
    DisableEnterprise = _state(ENTERPRISES, "disable")
    EnableEnterprise = _state(ENTERPRISES, "enable")
    CreateProvider = _create(PROVIDERS)
    GetProvider = _get(PROVIDERS)
    ListProviders = _list(PROVIDERS)
    UpdateProvider = _update(PROVIDERS)
    DeleteProvider = _state(PROVIDERS, "delete")
    UndeleteProvider = _state(PROVIDERS, "undelete")
    DisableProvider = _state(PROVIDERS, "disable")
    EnableProvider = _state(PROVIDERS, "enable")

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
        provider, at = await dept.designate(
            self._deps,
            caller_of(context),
            request.enterprise_id,
            request.designation.provider_id,
            remove=False,
        )
        return mapping.designation_pb(request.enterprise_id, provider, at)

    async def DeleteDesignation(self, request, context):
        await dept.designate(
            self._deps, caller_of(context), request.enterprise_id, request.provider_id, remove=True
        )
        return empty_pb2.Empty()
