"""ApiKeyService: translates between protos and the API-key use cases."""

from __future__ import annotations

from ticketing.identity.v1 import api_keys_pb2 as pb
from ticketing.identity.v1 import api_keys_pb2_grpc, auth_pb2

from servicekit.proto_values import stamps, timestamp
from servicekit.rpc.interceptors import Context
from services.identity import mapping
from services.identity.domain.api_keys import ApiKey
from services.identity.entrypoints.request_context import current_caller, current_client_info
from services.identity.service_layer import api_keys
from services.identity.service_layer.deps import Deps


def api_key_pb(key: ApiKey) -> pb.ApiKey:
    return pb.ApiKey(
        api_key_id=key.id,
        organization_id=key.organization_id,
        display_name=key.display_name,
        permission_codes=key.permission_codes,
        prefix=key.prefix,
        secret=key.secret,
        last_used_time=timestamp(key.last_used_at),
        revoke_time=timestamp(key.revoked_at),
        created_by_user_id=key.created_by,
        stamps=stamps(key.created_at, None, None),
    )


class ApiKeyServicer(api_keys_pb2_grpc.ApiKeyServiceServicer):
    def __init__(self, deps: Deps):
        self._deps = deps

    async def CreateApiKey(self, request: pb.CreateApiKeyRequest, context: Context) -> pb.ApiKey:
        key = await api_keys.create_key(
            self._deps,
            current_caller(),
            request.organization_id,
            display_name=request.api_key.display_name,
            codes=list(request.api_key.permission_codes),
        )
        return api_key_pb(key)

    async def ListApiKeys(
        self, request: pb.ListApiKeysRequest, context: Context
    ) -> pb.ListApiKeysResponse:
        found = await api_keys.list_keys(self._deps, current_caller(), request.organization_id)
        return pb.ListApiKeysResponse(api_keys=[api_key_pb(k) for k in found])

    async def RevokeApiKey(self, request: pb.RevokeApiKeyRequest, context: Context) -> pb.ApiKey:
        key = await api_keys.revoke_key(
            self._deps, current_caller(), request.organization_id, request.api_key_id
        )
        return api_key_pb(key)

    async def ExchangeApiKey(
        self, request: pb.ExchangeApiKeyRequest, context: Context
    ) -> auth_pb2.TokenPair:
        tokens = await api_keys.exchange(self._deps, request.secret, current_client_info())
        return mapping.token_pair_pb(tokens)
