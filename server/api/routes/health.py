"""`/health` (liveness, database, queue, the backends in use) and `/me` (the caller and their quota use)."""

from __future__ import annotations

import logging
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import text

import intergeneval

from ... import crud, queue
from ...core.migrations import current_version
from ...fingerprints import ROLES, backend_info, configured_backends
from ...redact import redact_paths
from ..deps import AuthCaller, Services, ServicesDep, SessionDep
from ..errors import ApiError, error_responses

log = logging.getLogger(__name__)
router = APIRouter(tags=["service"])


class BackendInfo(BaseModel):
    """A judge, tracker or detector the workers use."""

    backend: str = Field(description="registry name, e.g. `qwen`, `sam2`, `grounding-dino`")
    model: str | None = Field(None, description="model id or checkpoint")
    revision: str | None = None
    label: str = Field(description="`backend:model@hash8` once loaded; `backend:model` from the settings")
    fingerprint: str | None = Field(None, description="sha256 of the backend's fingerprint (what leaderboard "
                                    "rows are grouped by); null until a worker in this process loaded it")
    source: Literal["worker", "settings"] = Field(description="`worker`: the in-process worker's loaded "
                                                  "backend; `settings`: what this server's settings name")


class QueueCounts(BaseModel):
    queued: int
    running: int


class Health(BaseModel):
    """Liveness, database, queue and the backends in use."""

    status: Literal["ok"]
    version: str
    database: str
    schema_version: int | None
    queue: QueueCounts
    profile: str | None
    judge: BackendInfo | None = None
    tracker: BackendInfo | None = None
    detector: BackendInfo | None = None


def backends_in_use(services: Services) -> dict[str, dict[str, Any] | None]:
    """The in-process worker's loaded backends, else those the settings name; never loads a model."""
    worker = services.worker
    fps = worker.fingerprints() if worker is not None else None
    if fps is not None:
        found = {role: backend_info(fps[role]) if fps.get(role) else None for role in ROLES}
    else:
        found = configured_backends(services.settings)
    return redact_paths(found)  # a model given as a local folder is shown by its name


@router.get("/health", response_model=Health, summary="Liveness, database, queue counts and backends in use",
            responses=error_responses(503))
def health(services: ServicesDep) -> dict[str, Any]:
    """Answer 200 when the API and its database work (503 when the database does not answer)."""
    try:
        with services.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            version = current_version(conn)
        counts = queue.queue_counts(services.engine)
    except Exception:  # health must say what is wrong, never crash; the details (SQL, hosts) go to the log
        log.exception("health: the database does not answer")
        raise ApiError(503, "unavailable", "the database does not answer",
                       headers={"Retry-After": "5"}) from None
    return {"status": "ok", "version": intergeneval.__version__, "database": services.engine.dialect.name,
            "schema_version": version, "queue": counts, "profile": services.settings.profile,
            **backends_in_use(services)}


@router.get("/me", summary="The caller, scopes and quota use", responses=error_responses(401))
def me(caller: AuthCaller, services: ServicesDep, session: SessionDep) -> dict[str, Any]:
    """Who the token belongs to, and how much of the quotas is used."""
    s = services.settings
    u = caller.user
    today = crud.submissions_since(session, owner_id=u.id)
    active = crud.active_jobs(session, owner_id=u.id)
    return {"id": u.id, "name": u.name, "scopes": caller.scopes, "is_admin": caller.is_admin,
            "quota": {"submissions_per_day": u.submissions_per_day if u.submissions_per_day is not None
                      else s.submissions_per_day, "submissions_today": today,
                      "concurrent_jobs": u.concurrent_jobs if u.concurrent_jobs is not None
                      else s.concurrent_jobs,
                      "active_jobs": active, "refused_uploads_per_hour": s.refused_uploads_per_hour,
                      "refused_uploads_last_hour": crud.refusals_since(session, user_id=u.id),
                      "concurrent_uploads": s.concurrent_uploads,
                      "max_upload_bytes": s.max_upload_bytes}}
