"""Domain errors with stable reason codes. Pure Python: domain code raises these, and one gRPC
interceptor turns them into a status code, a google.rpc.ErrorInfo and field violations."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class ErrorCode(enum.Enum):
    """The gRPC status a domain error becomes; names match grpc.StatusCode."""

    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    NOT_FOUND = "NOT_FOUND"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    ABORTED = "ABORTED"
    FAILED_PRECONDITION = "FAILED_PRECONDITION"
    RESOURCE_EXHAUSTED = "RESOURCE_EXHAUSTED"
    UNAVAILABLE = "UNAVAILABLE"
    INTERNAL = "INTERNAL"


@dataclass(frozen=True)
class FieldViolation:
    """One bad field: its path in the request (proto field names, dotted) and what is wrong."""

    field: str
    description: str


@dataclass
class DomainError(Exception):
    """Base of every expected failure. `reason` is a stable UPPER_SNAKE code for clients."""

    reason: str
    message: str
    code: ErrorCode = ErrorCode.FAILED_PRECONDITION
    violations: list[FieldViolation] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        return f"{self.reason}: {self.message}"


def invalid_argument(reason: str, violations: list[FieldViolation]) -> DomainError:
    """Bad input; the message lists the fields so a human sees them without parsing details."""
    names = ", ".join(v.field for v in violations)
    return DomainError(reason, f"invalid fields: {names}", ErrorCode.INVALID_ARGUMENT, violations)


def not_found(reason: str, message: str) -> DomainError:
    return DomainError(reason, message, ErrorCode.NOT_FOUND)


def permission_denied(reason: str, message: str) -> DomainError:
    return DomainError(reason, message, ErrorCode.PERMISSION_DENIED)


def unauthenticated(reason: str, message: str) -> DomainError:
    return DomainError(reason, message, ErrorCode.UNAUTHENTICATED)


def failed_precondition(reason: str, message: str) -> DomainError:
    return DomainError(reason, message, ErrorCode.FAILED_PRECONDITION)
