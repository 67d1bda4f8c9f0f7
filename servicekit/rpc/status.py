"""Turning a DomainError into a google.rpc.Status (with ErrorInfo and BadRequest details) and
back into the trailing metadata grpc carries it in."""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2

from servicekit.errors import DomainError, ErrorCode

ERROR_DOMAIN = "ticketing.suite"
STATUS_DETAILS_KEY = "grpc-status-details-bin"


def grpc_code(code: ErrorCode) -> grpc.StatusCode:
    return grpc.StatusCode[code.value]


def status_from_error(error: DomainError) -> status_pb2.Status:
    code = grpc_code(error.code)
    status = status_pb2.Status(code=code.value[0], message=error.message)
    info = error_details_pb2.ErrorInfo(
        reason=error.reason, domain=ERROR_DOMAIN, metadata=error.metadata
    )
    status.details.append(_pack(info))
    if error.violations:
        bad_request = error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(
                    field=v.field, description=v.description
                )
                for v in error.violations
            ]
        )
        status.details.append(_pack(bad_request))
    return status


def internal_status(message: str = "internal error") -> status_pb2.Status:
    status = status_pb2.Status(code=code_pb2.INTERNAL, message=message)
    status.details.append(
        _pack(error_details_pb2.ErrorInfo(reason="INTERNAL", domain=ERROR_DOMAIN))
    )
    return status


def unavailable_status(
    message: str = "service temporarily unavailable; retry later",
) -> status_pb2.Status:
    status = status_pb2.Status(code=code_pb2.UNAVAILABLE, message=message)
    status.details.append(
        _pack(error_details_pb2.ErrorInfo(reason="SERVICE_UNAVAILABLE", domain=ERROR_DOMAIN))
    )
    return status


def trailing_metadata(status: status_pb2.Status) -> tuple[tuple[str, bytes], ...]:
    return ((STATUS_DETAILS_KEY, status.SerializeToString()),)


def status_from_metadata(
    code: grpc.StatusCode, message: str, metadata: object
) -> status_pb2.Status:
    """The rich status sent by the server, or a plain one built from code and message."""
    for key, value in metadata or ():  # type: ignore[attr-defined]
        if key == STATUS_DETAILS_KEY:
            status = status_pb2.Status()
            status.ParseFromString(value)
            return status
    return status_pb2.Status(code=code.value[0], message=message or code.name)


def _pack(message: object) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)  # type: ignore[arg-type]
    return packed
