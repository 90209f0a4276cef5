"""Response headers every answer carries, and CORS for the API configured explicitly.

- `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY`, `Referrer-Policy: no-referrer` on everything.
- A Content-Security-Policy per kind of answer: API bodies may load nothing (`default-src 'none'`); the page
  may load only from its own origin (Gradio needs inline scripts and styles, `eval` for its `js_on_load`
  handlers, and `blob:`/`data:` images); `/docs` and `/redoc` (Swagger UI and ReDoc, which load their
  scripts from a CDN) only may not be framed. Headers the app set itself are kept.
- CORS: off by default (no `Access-Control-*` header: browsers on other origins cannot read answers);
  `INTERGENEVAL_CORS_ORIGINS` lists the origins allowed to call the API, without credentials (tokens travel
  in `Authorization`, never in cookies). Configuring it on the service app also stops the mounted Gradio page
  from adding its own policy (any localhost origin with credentials).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

API_CSP = "default-src 'none'; frame-ancestors 'none'"
PAGE_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
            "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; "
            "media-src 'self' data: blob:; connect-src 'self'; worker-src 'self' blob:; "
            "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'")
DOCS_CSP = "frame-ancestors 'none'"
_COMMON = ((b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
           (b"referrer-policy", b"no-referrer"))


def csp_for(path: str) -> str:
    """The Content-Security-Policy of an answer to `path`."""
    if path.startswith("/api/") or path == "/openapi.json":
        return API_CSP
    if path.startswith(("/docs", "/redoc")):
        return DOCS_CSP
    return PAGE_CSP


class SecurityHeaders:
    """ASGI middleware adding the headers above to every HTTP answer (keeping any the app set)."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = (*_COMMON, (b"content-security-policy", csp_for(scope["path"]).encode()))

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                message["headers"] = headers + [(k, v) for k, v in extra if k not in present]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def add_cors(app: FastAPI, origins: list[str]) -> None:
    """CORS for the API: only `origins` (none: off), the API's methods and headers, no credentials."""
    app.add_middleware(CORSMiddleware, allow_origins=list(origins), allow_credentials=False,
                       allow_methods=["GET", "POST", "PATCH", "DELETE"],
                       allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
                       expose_headers=["Retry-After", "Server-Timing"], max_age=600)
