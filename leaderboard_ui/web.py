"""Serving the page: mount it into a FastAPI app (the service's, or a standalone one for a remote API).

Besides the Gradio page, the mount adds two small routes under the page's path, both read through the API:
`ui-data/leaderboard.csv|json` (the table as shown, through the column registry) and
`ui-data/evidence/{job}/{scenario}/{file}` (the judge's overlay frames, proxied so they load even when the
browser cannot reach the API's address).

Example:
    >>> from fastapi import FastAPI
    >>> app = mount(FastAPI(), "http://127.0.0.1:8000", path="/ui")
    >>> sorted(r.path for r in app.routes if "ui-data" in getattr(r, "path", ""))[:2]
    ['/ui/ui-data/evidence/{job_id}/{scenario_id}/{file}', '/ui/ui-data/leaderboard.csv']
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Query, Response
from fastapi.responses import JSONResponse

from .actions import DATA_PATH
from .client import ApiClient, ApiError, ApiUnavailable
from .columns import COLUMNS, to_csv
from .table import TableOptions, visible_rows
from .uploads import PageGuard, PageUploads

#: The form's upload limit when the server does not say (the service's default `max_upload_bytes`).
DEFAULT_MAX_UPLOAD = 4 << 30

log = logging.getLogger(__name__)

_SAFE = re.compile(r"^[A-Za-z0-9_.-]+$")


def _error(e: Exception) -> JSONResponse:
    if isinstance(e, ApiError):
        return JSONResponse({"error": {"code": e.code, "message": e.message}}, status_code=e.status)
    return JSONResponse({"error": {"code": "api_unavailable", "message": str(e)}}, status_code=502)


def _routes(app: FastAPI, api: ApiClient, prefix: str) -> None:
    base = f"{prefix}/{DATA_PATH}"

    def rows(suite: str | None, suite_version: str | None, judge: str | None, q: str, sort: str,
             desc: int | None, reference: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        data = api.leaderboard(suite=suite, suite_version=suite_version, judge=judge,
                               include_reference=bool(reference))
        options = TableOptions(search=q, sort=sort if sort in {c.key for c in COLUMNS} else "rank",
                               descending=None if desc is None else bool(desc),
                               show_reference=bool(reference))
        return data, visible_rows(data, options)

    @app.get(f"{base}/leaderboard.csv", include_in_schema=False)
    def leaderboard_csv(suite: str | None = None, suite_version: str | None = None, judge: str | None = None,
                        q: str = "", sort: str = "rank", desc: int | None = None,
                        reference: int = Query(1)) -> Response:
        try:
            _, shown = rows(suite, suite_version, judge, q, sort, desc, reference)
        except (ApiError, ApiUnavailable) as e:
            return _error(e)
        return Response(to_csv(shown), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="leaderboard.csv"'})

    @app.get(f"{base}/leaderboard.json", include_in_schema=False)
    def leaderboard_json(suite: str | None = None, suite_version: str | None = None, judge: str | None = None,
                         q: str = "", sort: str = "rank", desc: int | None = None,
                         reference: int = Query(1)) -> Response:
        try:
            data, shown = rows(suite, suite_version, judge, q, sort, desc, reference)
        except (ApiError, ApiUnavailable) as e:
            return _error(e)
        body = {"rows": shown, "groups": data.get("groups") or [], "metrics": data.get("metrics"),
                "columns": [c.key for c in COLUMNS], "count": len(shown),
                "filters": {"suite": suite, "suite_version": suite_version, "judge": judge,
                            "search": q or None, "include_reference": bool(reference)}}
        return Response(json.dumps(body, indent=1), media_type="application/json",
                        headers={"Content-Disposition": 'attachment; filename="leaderboard.json"'})

    @app.get(base + "/evidence/{job_id}/{scenario_id}/{file}", include_in_schema=False)
    def evidence(job_id: int, scenario_id: str, file: str) -> Response:
        if not (_SAFE.match(scenario_id) and _SAFE.match(file)) or ".." in file:
            return JSONResponse({"error": {"code": "bad_request", "message": "bad evidence path"}},
                                status_code=400)
        try:
            content, media_type = api.evidence(job_id, scenario_id, file)
        except (ApiError, ApiUnavailable) as e:
            return _error(e)
        return Response(content, media_type=media_type, headers={"Cache-Control": "public, max-age=300"})


def mount(app: FastAPI, api_base: str, path: str = "/", *, public_api_base: str | None = None,
          client: ApiClient | None = None, upload_dir: Path | None = None,
          max_upload_bytes: int = DEFAULT_MAX_UPLOAD) -> FastAPI:
    """Mount the leaderboard page into `app` at `path`, reading the REST API at `api_base`.

    Call it after the app's own routes are added: the page at ``/`` catches every path not matched before it.

    Args:
        app: the FastAPI app to serve the page from.
        api_base: the API's root as this process reaches it (e.g. ``http://127.0.0.1:8000``).
        path: where the page lives (``/``, ``/ui``, ...).
        public_api_base: the API's root as users reach it, for the About tab's examples (default: the page's
            own host, right when the page is served by the API server itself).
        client: an `ApiClient` to use instead of building one (tests).
        upload_dir: where archives uploaded through the form wait until submitted (emptied now; default: a
            new temporary folder). `intergeneval serve` uses `DATA_DIR/page-uploads`.
        max_upload_bytes: the largest archive the form accepts (the API's own limit still applies).

    Returns:
        `app`, with the page mounted.
    """
    import gradio as gr
    from starlette.routing import Mount

    from .app import CSS, THEME, build_blocks

    api = client or ApiClient(api_base)
    prefix = "/" + path.strip("/") if path.strip("/") else ""
    uploads = (PageUploads(upload_dir, max_bytes=max_upload_bytes) if upload_dir is not None
               else PageUploads.temporary(max_upload_bytes))
    _routes(app, api, prefix)
    blocks = build_blocks(api, public_base=public_api_base, uploads=uploads)
    blocks.queue(default_concurrency_limit=8)
    log.info("leaderboard page at %s/ reading the API at %s", prefix, api.base_url)
    gr.mount_gradio_app(app, blocks, path=prefix or "/", theme=THEME, css=CSS, footer_links=[],
                        run_history=False, show_error=True, max_file_size=max_upload_bytes)
    # Gradio receives uploads into the page's own folder, behind the guard (leaderboard_ui/uploads.py).
    mounted = next(r for r in reversed(app.router.routes) if isinstance(r, Mount) and r.path == prefix)
    mounted.app.uploaded_file_dir = str(uploads.folder)
    mounted.app = PageGuard(mounted.app, uploads)
    app.state.page_uploads = uploads
    return app


def create_app(api_base: str, path: str = "/", *, public_api_base: str | None = None) -> FastAPI:
    """A standalone app serving only the page, for an API running elsewhere (`python -m leaderboard_ui`)."""
    app = FastAPI(title="InterGenEval leaderboard", docs_url=None, redoc_url=None, openapi_url=None)
    return mount(app, api_base, path, public_api_base=public_api_base or api_base)

