"""UserService: users, engineers and the signed-in user's profile."""

from __future__ import annotations

from ticketing.identity.v1 import users_pb2 as pb
from ticketing.identity.v1 import users_pb2_grpc

from servicekit.idempotency import fingerprint
from servicekit.rpc.interceptors import Context
from services.identity import mapping
from services.identity.domain.people import UserKind
from services.identity.entrypoints.request_context import current_caller
from services.identity.service_layer import people
from services.identity.service_layer.deps import Deps
from services.identity.service_layer.people import ENGINEERS, USERS
from services.identity.service_layer.ports import UserFilter


class UserServicer(users_pb2_grpc.UserServiceServicer):
    def __init__(self, deps: Deps):
        self._deps = deps

    async def GetMe(self, request: pb.GetMeRequest, context: Context) -> pb.User:
        caller = current_caller()
        user = await people.get_me(self._deps, caller)
        return mapping.user_pb(user, sorted(caller.principal.permissions))

    async def UpdateMe(self, request: pb.UpdateMeRequest, context: Context) -> pb.User:
        draft, _ = mapping.user_draft(request.user)
        caller = current_caller()
        user = await people.update_me(
            self._deps, caller, draft=draft, mask=list(request.update_mask.paths)
        )
        return mapping.user_pb(user, sorted(caller.principal.permissions))

    async def CreateUser(self, request: pb.CreateUserRequest, context: Context) -> pb.User:
        draft, password = mapping.user_draft(request.user)
        user = await people.create_person(
            self._deps,
            current_caller(),
            USERS,
            draft=draft,
            password=password,
            request_id=request.request_id,
            fingerprint=fingerprint(request),
        )
        return mapping.user_pb(user)

    async def GetUser(self, request: pb.GetUserRequest, context: Context) -> pb.User:
        return mapping.user_pb(
            await people.get_person(self._deps, current_caller(), USERS, request.user_id)
        )

    async def ListUsers(
        self, request: pb.ListUsersRequest, context: Context
    ) -> pb.ListUsersResponse:
        where = UserFilter(
            organization_id=request.organization_id,
            department_ids=frozenset({request.department_id}) if request.department_id else None,
            kind=mapping.KIND_FROM_PB.get(request.kind),
            query=request.query,
            show_deleted=request.show_deleted,
        )
        users, token, total = await people.list_people(
            self._deps,
            current_caller(),
            USERS,
            where=where,
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return pb.ListUsersResponse(
            users=[mapping.user_pb(u) for u in users], next_page_token=token, total_size=total
        )

    async def UpdateUser(self, request: pb.UpdateUserRequest, context: Context) -> pb.User:
        draft, password = mapping.user_draft(request.user)
        user = await people.update_person(
            self._deps,
            current_caller(),
            USERS,
            draft=draft,
            password=password,
            mask=list(request.update_mask.paths),
        )
        return mapping.user_pb(user)

    async def DeleteUser(self, request: pb.DeleteUserRequest, context: Context) -> pb.User:
        return await self._user_state(request.user_id, "delete", context)

    async def UndeleteUser(self, request: pb.UndeleteUserRequest, context: Context) -> pb.User:
        return await self._user_state(request.user_id, "undelete", context)

    async def DisableUser(self, request: pb.DisableUserRequest, context: Context) -> pb.User:
        return await self._user_state(request.user_id, "disable", context, request.reason)

    async def EnableUser(self, request: pb.EnableUserRequest, context: Context) -> pb.User:
        return await self._user_state(request.user_id, "enable", context)

    async def CreateEngineer(
        self, request: pb.CreateEngineerRequest, context: Context
    ) -> pb.Engineer:
        draft, password = mapping.engineer_draft(request.engineer)
        draft.organization_id = request.provider_id
        engineer = await people.create_person(
            self._deps,
            current_caller(),
            ENGINEERS,
            draft=draft,
            password=password,
            request_id=request.request_id,
            fingerprint=fingerprint(request),
        )
        return mapping.engineer_pb(engineer)

    async def GetEngineer(self, request: pb.GetEngineerRequest, context: Context) -> pb.Engineer:
        engineer = await people.get_person(
            self._deps, current_caller(), ENGINEERS, request.engineer_id, org=request.provider_id
        )
        return mapping.engineer_pb(engineer)

    async def ListEngineers(
        self, request: pb.ListEngineersRequest, context: Context
    ) -> pb.ListEngineersResponse:
        where = UserFilter(
            organization_id=request.provider_id,
            kind=UserKind.ENGINEER,
            skill=request.skill,
            state=mapping.USER_STATE_FILTER.get(request.state),
        )
        engineers, token, _ = await people.list_people(
            self._deps,
            current_caller(),
            ENGINEERS,
            where=where,
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return pb.ListEngineersResponse(
            engineers=[mapping.engineer_pb(e) for e in engineers], next_page_token=token
        )

    async def UpdateEngineer(
        self, request: pb.UpdateEngineerRequest, context: Context
    ) -> pb.Engineer:
        draft, password = mapping.engineer_draft(request.engineer)
        engineer = await people.update_person(
            self._deps,
            current_caller(),
            ENGINEERS,
            draft=draft,
            password=password,
            mask=list(request.update_mask.paths),
        )
        return mapping.engineer_pb(engineer)

    async def DisableEngineer(
        self, request: pb.DisableEngineerRequest, context: Context
    ) -> pb.Engineer:
        return await self._engineer_state(request, "disable", context)

    async def EnableEngineer(
        self, request: pb.EnableEngineerRequest, context: Context
    ) -> pb.Engineer:
        return await self._engineer_state(request, "enable", context)

    async def _user_state(
        self, user_id: str, action: str, context: Context, reason: str = ""
    ) -> pb.User:
        user = await people.change_person_state(
            self._deps, current_caller(), USERS, user_id, action=action, reason=reason
        )
        return mapping.user_pb(user)

    async def _engineer_state(
        self,
        request: pb.DisableEngineerRequest | pb.EnableEngineerRequest,
        action: str,
        context: Context,
    ) -> pb.Engineer:
        engineer = await people.change_person_state(
            self._deps,
            current_caller(),
            ENGINEERS,
            request.engineer_id,
            action=action,
            org=request.provider_id,
        )
        return mapping.engineer_pb(engineer)
