"""The app factory: REST API under `/api/v1`, the leaderboard page at `/`, optionally an in-process worker.

Example:
    $ uvicorn server.main:create_app --factory      # settings from INTERGENEVAL_* environment variables

`intergeneval serve` calls `create_app(settings, start_worker=True, api_base=...)`: the embedded default
(API + page + one worker on SQLite under the data dir). Nothing touches the database at import time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from sqlalchemy.engine import Engine

import intergeneval

from .api.deps import Services
from .api.errors import UnknownApiRoute, install_error_handlers
from .api.headers import SecurityHeaders, add_cors
from .api.limits import BodyLimit
from .api.routes import admin, health, jobs, labels, leaderboard, models, submissions, suites, trust
from .core.config import Settings
from .core.db import make_engine
from .core.migrations import init_db
from .storage import Storage
from .suites import SuiteCatalog

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"

_FALLBACK_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>InterGenEval leaderboard</title></head>
<body><h1>InterGenEval leaderboard</h1>
<p>The leaderboard page (package <code>leaderboard_ui</code>) is not installed on this server.
Ranked by IF (interaction fidelity) with 95 % CI and Rank (UB):</p>
<ul><li><a href="/api/v1/leaderboard">leaderboard JSON</a> · <a href="/api/v1/leaderboard?format=csv">CSV</a></li>
<li><a href="/docs">API documentation</a> · <a href="/openapi.json">OpenAPI schema</a></li></ul></body></html>"""


class ServerTiming:
    """ASGI middleware adding `Server-Timing: app;dur=<ms>` to every answer (time spent inside the app), so
    clients and load tests can tell server time from network and queueing time."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()

        async def send_with_timing(message: dict) -> None:
            if message["type"] == "http.response.start":
                ms = (time.perf_counter() - start) * 1000
                message["headers"] = [*message.get("headers", []), (b"server-timing", f"app;dur={ms:.1f}".encode())]
            await send(message)

        await self.app(scope, receive, send_with_timing)


def api_router() -> APIRouter:
    """Every route under `/api/v1`."""
    router = APIRouter(prefix=API_PREFIX)
    for module in (health, suites, submissions, jobs, trust, leaderboard, models, labels, admin):
        router.include_router(module.router)
    return router


def create_app(settings: Settings | None = None, *, engine: Engine | None = None, start_worker: bool = False,
               api_base: str | None = None, mount_page: bool = True, worker_kwargs: dict[str, Any] | None = None,
               catalog: SuiteCatalog | None = None) -> FastAPI:
    """Build the service app.

    Args:
        settings: configuration (default: read from the environment).
        engine: a database engine (default: made from `settings.database_url`).
        start_worker: run one worker thread in this process (the embedded default).
        api_base: the API root the page's server-side client calls (default `http://127.0.0.1:8000`).
        mount_page: mount `leaderboard_ui`'s page at `/` when it is installed.
        worker_kwargs: extra `Worker` arguments (tests inject backends or an `evaluate`).
        catalog: the suites (default: from settings).
    """
    settings = settings or Settings()
    engine = engine or make_engine(settings.database_url, busy_timeout_s=settings.database_busy_timeout)
    init_db(engine)  # before serving: a database that cannot be upgraded stops the start with a clear error
    storage = Storage(settings.storage_dir)
    storage.sweep_incoming()
    catalog = catalog or SuiteCatalog.from_specs(settings.suites, default=settings.default_suite,
                                                 demo_dir=settings.data_dir / "suites" / "demo")
    services = Services(settings=settings, engine=engine, storage=storage, catalog=catalog)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        thread = None
        # Build the public leaderboard once in the background, so the first pollers find it ready.
        threading.Thread(target=_warm_leaderboard, args=(services,), name="warm-leaderboard", daemon=True).start()
        if start_worker:
            from .worker import Worker

            worker = Worker(engine, settings, storage=storage, catalog=catalog, **(worker_kwargs or {}))
            app.state.worker = services.worker = worker
            thread = threading.Thread(target=worker.run, args=(stop,), name="worker", daemon=True)
            thread.start()
            log.info("in-process worker %s started", worker.worker_id)
        try:
            yield
        finally:
            stop.set()
            if thread is not None:
                app.state.worker.stop()
                thread.join(timeout=30)
                services.worker = None

    app = _api_app(lifespan, settings)
    app.state.services = services
    if not (mount_page and _mount_page(app, api_base or "http://127.0.0.1:8000", settings)):
        @app.get("/", include_in_schema=False, response_class=HTMLResponse)
        def index() -> str:
            return _FALLBACK_PAGE
    return app


def _api_app(lifespan: Any = None, settings: Settings | None = None) -> FastAPI:
    """The app without its services: metadata, middleware, error handlers and the `/api/v1` routes."""
    settings = settings or Settings.model_construct()  # the defaults, without reading the environment
    app = FastAPI(
        title="InterGenEval evaluation service",
        version=intergeneval.__version__,
        description="Submit generated videos, follow scoring jobs, read results and the leaderboard. "
                    "Auth: `Authorization: Bearer <token>`. Errors: `{\"error\": {\"code\", \"message\"}}`.",
        lifespan=lifespan,
    )
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    add_cors(app, settings.cors_origins)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(ServerTiming)
    install_error_handlers(app)
    app.include_router(api_router())
    # Last: what no route above matched under /api/v1, whatever the method, answers here (404, or 405 with
    # Allow) in the error shape, never falling through to the page mounted at "/".
    for path in (API_PREFIX, API_PREFIX + "/{rest:path}"):
        app.router.add_route(path, UnknownApiRoute(), include_in_schema=False)
    return app


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document `/openapi.json` serves, built without a database or storage (for schema tools)."""
    return _api_app().openapi()


def _warm_leaderboard(services: Services) -> None:
    from sqlmodel import Session

    from . import leaderboard
    from .crud import ANONYMOUS

    try:
        with Session(services.engine) as session:
            leaderboard.render(session, services.board_cache, ANONYMOUS)
    except Exception:  # warming is an optimisation; the first request builds it otherwise
        log.exception("could not pre-build the leaderboard")


def _mount_page(app: FastAPI, api_base: str, settings: Settings) -> bool:
    """Mount the Gradio page when `leaderboard_ui` provides `mount`; False when it is absent. Archives
    uploaded through its form wait in `DATA_DIR/page-uploads`, bounded like the API's uploads."""
    try:
        import leaderboard_ui
    except ImportError:
        return False
    mount = getattr(leaderboard_ui, "mount", None)
    if mount is None:
        return False
    try:
        mount(app, api_base, upload_dir=settings.data_dir / "page-uploads",
              max_upload_bytes=settings.max_upload_bytes)
    except ImportError as e:  # gradio missing: the API still works
        log.warning("leaderboard page not mounted: %s", e)
        return False
    return True
