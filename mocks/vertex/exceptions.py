"""Vertex AI errors in the service's own shape, so the SDK raises its usual exceptions.

The REST transport turns a non-2xx reply into ``google.api_core.exceptions.from_http_response``,
which picks the exception class from the HTTP status and reads the google.rpc.Status body::

    VertexError (HTTP status, canonical code, message)
    ├── NotFound            404 NOT_FOUND           -> google.api_core.exceptions.NotFound
    ├── InvalidArgument     400 INVALID_ARGUMENT    -> InvalidArgument / BadRequest
    ├── FailedPrecondition  400 FAILED_PRECONDITION -> FailedPrecondition / BadRequest
    ├── AlreadyExists       409 ALREADY_EXISTS      -> AlreadyExists / Conflict
    ├── ResourceExhausted   429 RESOURCE_EXHAUSTED  -> TooManyRequests (ResourceExhausted)
    ├── Unavailable         503 UNAVAILABLE         -> ServiceUnavailable
    ├── Internal            500 INTERNAL            -> InternalServerError
    ├── DeadlineExceeded    504 DEADLINE_EXCEEDED   -> GatewayTimeout (in jobs' ``error``: code 4)
    └── Unauthenticated     401 UNAUTHENTICATED     -> Unauthorized
"""

from __future__ import annotations

from starlette.responses import JSONResponse

# Canonical google.rpc.Code numbers, used in operation errors and job errors.
CODES = {
    "OK": 0,
    "CANCELLED": 1,
    "UNKNOWN": 2,
    "INVALID_ARGUMENT": 3,
    "DEADLINE_EXCEEDED": 4,
    "NOT_FOUND": 5,
    "ALREADY_EXISTS": 6,
    "PERMISSION_DENIED": 7,
    "RESOURCE_EXHAUSTED": 8,
    "FAILED_PRECONDITION": 9,
    "ABORTED": 10,
    "INTERNAL": 13,
    "UNAVAILABLE": 14,
    "UNAUTHENTICATED": 16,
}
HTTP_STATUS = {
    "CANCELLED": 499,
    "UNKNOWN": 500,
    "INVALID_ARGUMENT": 400,
    "DEADLINE_EXCEEDED": 504,
    "NOT_FOUND": 404,
    "ALREADY_EXISTS": 409,
    "PERMISSION_DENIED": 403,
    "RESOURCE_EXHAUSTED": 429,
    "FAILED_PRECONDITION": 400,
    "ABORTED": 409,
    "INTERNAL": 500,
    "UNAVAILABLE": 503,
    "UNAUTHENTICATED": 401,
}


class VertexError(Exception):
    status = "UNKNOWN"

    def __init__(self, message: str, status: str | None = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status

    @property
    def http_status(self) -> int:
        return HTTP_STATUS[self.status]

    @property
    def code(self) -> int:
        return CODES[self.status]

    def rpc_status(self) -> dict:
        """google.rpc.Status as JSON (the shape inside operations' and jobs' ``error``)."""
        return {"code": self.code, "message": self.message}

    def body(self) -> dict:
        return {
            "error": {
                "code": self.http_status,
                "message": self.message,
                "status": self.status,
                "details": [],
            }
        }

    def response(self, headers: dict | None = None) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.http_status, headers=headers)


class NotFound(VertexError):
    status = "NOT_FOUND"


class InvalidArgument(VertexError):
    status = "INVALID_ARGUMENT"


class FailedPrecondition(VertexError):
    status = "FAILED_PRECONDITION"


class AlreadyExists(VertexError):
    status = "ALREADY_EXISTS"


class ResourceExhausted(VertexError):
    status = "RESOURCE_EXHAUSTED"


class Unavailable(VertexError):
    status = "UNAVAILABLE"


class Internal(VertexError):
    status = "INTERNAL"


class DeadlineExceeded(VertexError):
    status = "DEADLINE_EXCEEDED"


class Unauthenticated(VertexError):
    status = "UNAUTHENTICATED"


def error_for_status(status: str, message: str) -> VertexError:
    """An error of the named canonical status (for fault injection)."""
    status = status.upper()
    if status not in HTTP_STATUS:
        raise ValueError(f"Unknown status {status!r}; use one of {', '.join(sorted(HTTP_STATUS))}.")
    return VertexError(message, status)


def status_for_http(code: int) -> str:
    """The canonical status a fault given as an HTTP code stands for (429 -> RESOURCE_EXHAUSTED)."""
    preferred = {400: "INVALID_ARGUMENT", 409: "ALREADY_EXISTS", 500: "INTERNAL"}
    if code in preferred:
        return preferred[code]
    for status, http in HTTP_STATUS.items():
        if http == code:
            return status
    raise ValueError(f"No canonical status for HTTP {code}; use 400, 401, 403, 404, 409, 429, 500, 503 or 504.")
