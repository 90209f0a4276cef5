"""Request bodies under `/api/v1` are bounded, and a request that needs a token is refused before its body is
read.

`BodyLimit` is ASGI middleware. For every API request except the streamed uploads (`POST /api/v1/submissions`,
which `server/uploads.py` bounds itself while streaming to disk):

- a declared `Content-Length` over the limit is 413 at once; a body without one (chunked) is read up to the
  limit and refused as soon as it passes it, so no body larger than the limit is ever held;
- a request with a body, without an `Authorization` header, to an operation that needs a token is 401 before a
  byte of the body is read (FastAPI reads and parses a JSON body before it runs the route's dependencies, so a
  100 MB PATCH would otherwise be received whole to answer 401).

The bodies that pass are handed to the app unchanged.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import error_body, path_pattern

API_PREFIX = "/api/v1"
#: Operations that stream their own body with their own limit: (method, path).
STREAMED = {("POST", f"{API_PREFIX}/submissions")}


def _route_needs_token(scope: dict) -> bool:
    """True when the OpenAPI schema says the operation needs a token (a bearer requirement with no anonymous
    alternative `{}`): the schema is what clients are told, and it is built once per app."""
    app = scope.get("app")
    if app is None or not hasattr(app, "openapi"):
        return False
    method = scope["method"].lower()
    for template, operations in app.openapi().get("paths", {}).items():
        op = operations.get(method)
        if op is not None and path_pattern(template).fullmatch(scope["path"]):
            security = op.get("security") or []
            return bool(security) and {} not in security
    return False


async def _answer(send: Any, status: int, code: str, message: str, details: dict | None = None,
                  headers: dict[str, str] | None = None) -> None:
    body = json.dumps(error_body(code, message, details)).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
           (b"connection", b"close")]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """ASGI middleware bounding API request bodies to `max_bytes` (see the module's docstring)."""

    def __init__(self, app: Any, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX + "/"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        length = headers.get("content-length", "")
        has_body = (length.isdigit() and int(length) > 0) or "transfer-encoding" in headers
        if not has_body:
            await self.app(scope, receive, send)
            return
        if "authorization" not in headers and _route_needs_token(scope):
            await _answer(send, 401, "unauthorized", "this endpoint needs a token: send "
                          "`Authorization: Bearer <token>`", headers={"WWW-Authenticate": "Bearer"})
            return
        if (scope["method"], scope["path"].rstrip("/")) in STREAMED:
            await self.app(scope, receive, send)
            return
        too_large = (413, "body_too_large", f"the request body exceeds the limit of {self.max_bytes} bytes",
                     {"limit_bytes": self.max_bytes})
        if length.isdigit() and int(length) > self.max_bytes:
            await _answer(send, *too_large)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await _answer(send, *too_large)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> dict:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
