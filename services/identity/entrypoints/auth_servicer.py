"""AuthService: translates between protos and the sign-in use cases."""

from __future__ import annotations

from google.protobuf import empty_pb2
from ticketing.identity.v1 import auth_pb2, auth_pb2_grpc

from servicekit.rpc.interceptors import Context
from services.identity import mapping
from services.identity.entrypoints.request_context import current_client_info
from services.identity.service_layer import auth
from services.identity.service_layer.deps import Deps


class AuthServicer(auth_pb2_grpc.AuthServiceServicer):
    def __init__(self, deps: Deps):
        self._deps = deps

    async def Login(self, request: auth_pb2.LoginRequest, context: Context) -> auth_pb2.TokenPair:
        tokens = await auth.login(
            self._deps, login=request.login, password=request.password, client=current_client_info()
        )
        return mapping.token_pair_pb(tokens)

    async def WechatLogin(
        self, request: auth_pb2.WechatLoginRequest, context: Context
    ) -> auth_pb2.TokenPair:
        tokens = await auth.wechat_login(
            self._deps, code=request.code, client=current_client_info()
        )
        return mapping.token_pair_pb(tokens)

    async def BindWechatPhone(
        self, request: auth_pb2.BindWechatPhoneRequest, context: Context
    ) -> auth_pb2.TokenPair:
        tokens = await auth.bind_wechat_phone(
            self._deps,
            binding_token=request.binding_token,
            phone_code=request.phone_code,
            client=current_client_info(),
        )
        return mapping.token_pair_pb(tokens)

    async def Refresh(
        self, request: auth_pb2.RefreshRequest, context: Context
    ) -> auth_pb2.TokenPair:
        tokens = await auth.refresh(
            self._deps, refresh_token=request.refresh_token, client=current_client_info()
        )
        return mapping.token_pair_pb(tokens)

    async def Logout(self, request: auth_pb2.LogoutRequest, context: Context) -> empty_pb2.Empty:
        await auth.logout(
            self._deps, refresh_token=request.refresh_token, client=current_client_info()
        )
        return empty_pb2.Empty()

    async def GetJwks(
        self, request: auth_pb2.GetJwksRequest, context: Context
    ) -> auth_pb2.JsonWebKeySet:
        keys = await self._deps.keys.jwks()
        return auth_pb2.JsonWebKeySet(keys=[auth_pb2.JsonWebKey(**key) for key in keys])
