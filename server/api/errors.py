"""JSON errors with machine-readable codes: `{"error": {"code", "message", "details"?}}`, for every failure.

Routes raise `ApiError(status, code, message, details)`; FastAPI's own errors (404 for unknown paths, 405,
request-validation 422) and unexpected exceptions are mapped to the same shape here, at the edge.
"""

from __future__ import annotations

import functools
import logging
import re
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)

#: Seconds a client is told to wait after a 503 (database busy or down).
RETRY_AFTER_S = 5

_STATUS_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                 405: "method_not_allowed", 409: "conflict", 413: "upload_too_large", 422: "invalid_request",
                 429: "quota_exceeded", 503: "unavailable", 507: "insufficient_storage"}


# What each error status means, as the OpenAPI schema documents it (docs/api.md, Errors).
_STATUS_MEANINGS = {
    400: "`bad_request`: malformed parameters or form fields",
    401: "`unauthorized`: no token where one is required, or an unknown or revoked token (even on public "
         "endpoints: a wrong token is never treated as anonymous)",
    403: "`forbidden`: the token lacks the scope, or the object belongs to someone else",
    404: "`not_found`: unknown id, or an object the caller may not see",
    409: "`conflict`: the request contradicts the object's state",
    413: "`upload_too_large`: the upload exceeds the per-upload size limit (`details.limit_bytes`)",
    422: "`invalid_request`: the request does not match the schema (`details.errors`); for submissions also "
         "`validation_failed`: the archive or model card was refused (`details.problems` lists them all)",
    429: "`quota_exceeded`: over a per-user quota (`details.quota`, `details.limit`, `details.used`)",
    503: "`unavailable`: the database is busy or does not answer; retry after `Retry-After` seconds",
    507: "`insufficient_storage`: the server's storage is full; nothing of the upload was kept (retry later)",
}


class ErrorInfo(BaseModel):
    """The inside of an error answer."""

    code: str
    message: str
    details: dict[str, Any] | None = None


class ErrorBody(BaseModel):
    """Every error answer: `{"error": {"code", "message", "details"?}}`."""

    error: ErrorInfo


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the error statuses a route can answer, all with the `ErrorBody` shape.

    Declaring 422 here also replaces FastAPI's default validation-error schema, which this API does not use.
    503 is always declared: any operation may find the database busy or down.
    """
    return {status: {"model": ErrorBody, "description": _STATUS_MEANINGS[status]}
            for status in sorted({*statuses, 503})}


class ApiError(Exception):
    """An error answer: HTTP status, machine-readable code, a message that says what to fix."""

    def __init__(self, status: int, code: str, message: str, details: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """The error body shape."""
    err: dict[str, Any] = {"code": code, "message": message}
    if details:
        err["details"] = details
    return {"error": err}


def not_found(what: str) -> ApiError:
    """404 for an object that does not exist or that the caller may not see (indistinguishable on purpose)."""
    return ApiError(404, "not_found", f"{what} not found")


def _allowed_methods(request: Request) -> str | None:
    """Every method the OpenAPI schema documents for the request's path (HEAD with GET); None for a path it
    does not document. Starlette's own `Allow` names only the methods of the first route whose path matched,
    while FastAPI makes one route per method (a job's GET and DELETE are two)."""
    methods: set[str] = set()
    for template, operations in request.app.openapi().get("paths", {}).items():
        if path_pattern(template).fullmatch(request.url.path):
            methods |= {m.upper() for m in operations}
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods)) or None


@functools.lru_cache(maxsize=256)
def path_pattern(template: str) -> re.Pattern[str]:
    """`/api/v1/jobs/{job_id}` as a regex matching one path segment per parameter."""
    return re.compile(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)))


async def unknown_api_route(request: Request) -> JSONResponse:
    """An `/api/v1` path or method no operation serves: 405 with `Allow` when the path exists, else 404."""
    allow = _allowed_methods(request)
    if allow:
        return JSONResponse(error_body("method_not_allowed", f"{request.method} is not allowed on this path; "
                                       f"allowed: {allow}"), status_code=405, headers={"Allow": allow})
    return JSONResponse(error_body("not_found", f"no API operation at {request.url.path}"), status_code=404)


class UnknownApiRoute:
    """`unknown_api_route` as an ASGI app, so a route can take it for every method (a function endpoint takes
    GET only when no methods are named)."""

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        response = await unknown_api_route(Request(scope, receive))
        await response(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    """Map every error to the JSON shape above."""

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.message, exc.details), status_code=exc.status,
                            headers=exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            allow = _allowed_methods(request) or (headers or {}).get("Allow", "")
            headers = {**(headers or {}), "Allow": allow}
        return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": [str(x) for x in e.get("loc", ())], "msg": str(e.get("msg", "")),
                   "type": str(e.get("type", ""))} for e in exc.errors()]
        first = errors[0] if errors else {"loc": [], "msg": "invalid"}
        message = f"invalid request: {'.'.join(first['loc'])}: {first['msg']}"
        return JSONResponse(error_body("invalid_request", message, {"errors": errors}), status_code=422)

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    @app.exception_handler(SQLAlchemyTimeoutError)
    async def _database_unavailable(_request: Request, exc: Exception) -> JSONResponse:
        # A lock held too long (SQLite), a database that is down or a pool with no free connection: the
        # request was fine, the client may retry. The statement and its parameters go to the log only.
        ref = uuid.uuid4().hex[:12]
        log.error("database unavailable %s: %s", ref, exc)
        return JSONResponse(error_body("unavailable", f"the database is busy or unavailable; retry in a few "
                                       f"seconds (reference {ref})"), status_code=503,
                            headers={"Retry-After": str(RETRY_AFTER_S)})

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        ref = uuid.uuid4().hex[:12]
        log.exception("internal error %s", ref)
        return JSONResponse(error_body("internal_error", f"internal error (reference {ref}); please report it"),
                            status_code=500)
