"""One table from gRPC status to HTTP, and one body shape: google.rpc.Status as JSON."""

from __future__ import annotations

from typing import Any

import grpc
from fastapi.responses import JSONResponse
from google.protobuf import descriptor, json_format
from google.rpc import error_details_pb2, status_pb2

from servicekit.errors import DomainError
from servicekit.rpc.status import ERROR_DOMAIN, status_from_error, status_from_metadata

HTTP_STATUS = {
    grpc.StatusCode.OK: 200,
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNKNOWN: 500,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.INTERNAL: 500,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DATA_LOSS: 500,
    grpc.StatusCode.UNAUTHENTICATED: 401,
}
_BY_NUMBER = {code.value[0]: code for code in grpc.StatusCode}


def status_json(status: status_pb2.Status) -> dict[str, Any]:
    return json_format.MessageToDict(status, preserving_proto_field_name=False)


def status_response(
    status: status_pb2.Status, headers: dict[str, str] | None = None
) -> JSONResponse:
    code = _BY_NUMBER.get(status.code, grpc.StatusCode.UNKNOWN)
    return JSONResponse(status_json(status), status_code=HTTP_STATUS[code], headers=headers)


# What a client reads when the failure came from the transport, not from a service's own
# status: the library's text names internal addresses and is not for clients.
_TRANSPORT_MESSAGES = {
    grpc.StatusCode.UNAVAILABLE: ("SERVICE_UNAVAILABLE", "service temporarily unavailable"),
    grpc.StatusCode.DEADLINE_EXCEEDED: ("DEADLINE_EXCEEDED", "the service did not answer in time"),
    grpc.StatusCode.CANCELLED: ("CANCELLED", "the call was cancelled"),
}
RETRY_AFTER_SECONDS = "5"


def rpc_error_response(
    error: grpc.aio.AioRpcError,
    headers: dict[str, str],
    request_type: descriptor.Descriptor | None = None,
) -> JSONResponse:
    code = error.code()
    status = status_from_metadata(code, error.details() or "", error.trailing_metadata())
    if not status.details and code in _TRANSPORT_MESSAGES:  # not the service's own status
        status = _transport_status(code)
    if request_type is not None:
        _name_fields_as_json(status, request_type)
    if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED):
        headers = headers | {"retry-after": _retry_after(status)}
    return status_response(status, headers)


def _transport_status(code: grpc.StatusCode) -> status_pb2.Status:
    reason, message = _TRANSPORT_MESSAGES[code]
    status = status_pb2.Status(code=code.value[0], message=message)
    info = error_details_pb2.ErrorInfo(reason=reason, domain=ERROR_DOMAIN)
    status.details.add().Pack(info)
    return status


def domain_error_response(error: DomainError, headers: dict[str, str]) -> JSONResponse:
    return status_response(status_from_error(error), headers)


def _name_fields_as_json(status: status_pb2.Status, request_type: descriptor.Descriptor) -> None:
    """Services name fields as in the proto (ticket.service_type_id); clients read JSON names
    (ticket.serviceTypeId). Map keys and list indexes are kept as they are."""
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad_request = error_details_pb2.BadRequest()
            detail.Unpack(bad_request)
            for violation in bad_request.field_violations:
                violation.field = json_field_path(request_type, violation.field)
            detail.Pack(bad_request)
    if status.message.startswith("invalid fields: "):
        names = [v for d in status.details for v in _violation_fields(d)]
        status.message = "invalid fields: " + ", ".join(names)


def _violation_fields(detail: Any) -> list[str]:
    if not detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
        return []
    bad_request = error_details_pb2.BadRequest()
    detail.Unpack(bad_request)
    return [v.field for v in bad_request.field_violations]


def json_field_path(message: Any, path: str) -> str:
    """ "ticket.custom_fields.floor_no" → "ticket.customFields.floor_no" for a request type."""
    parts: list[str] = []
    current, key_next = message, False
    for part in path.split("."):
        if key_next:  # a map key: the value's type (if a message) goes on
            parts.append(part)
            key_next = False
            continue
        name, bracket, index = part.partition("[")
        field = None if current is None else current.fields_by_name.get(name)
        if field is None:
            parts.append(part)
            current = None
            continue
        parts.append(field.json_name + bracket + index)
        current = field.message_type
        if current is not None and current.GetOptions().map_entry:
            key_next = True
            current = current.fields_by_name["value"].message_type
    return ".".join(parts)


def _retry_after(status: status_pb2.Status) -> str:
    """The service's own figure (ErrorInfo metadata `retry_after_seconds`), else the default."""
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            seconds: str = info.metadata.get("retry_after_seconds", "")
            if seconds.isdigit():
                return seconds
    return RETRY_AFTER_SECONDS
