"""`/health` (liveness, database, queue) and `/me` (the caller and their quota use)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import text

import intergeneval

from ... import crud, queue
from ...core.migrations import current_version
from ..deps import AuthCaller, ServicesDep, SessionDep
from ..errors import ApiError

router = APIRouter(tags=["service"])


@router.get("/health", summary="Liveness, database and queue counts")
def health(services: ServicesDep) -> dict[str, Any]:
    """Answer 200 when the API and its database work (503 when the database does not answer)."""
    try:
        with services.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            version = current_version(conn)
        counts = queue.queue_counts(services.engine)
    except Exception as e:  # health must say what is wrong, never crash
        raise ApiError(503, "unavailable", f"the database does not answer: {type(e).__name__}: {e}") from None
    return {"status": "ok", "version": intergeneval.__version__, "database": services.engine.dialect.name,
            "schema_version": version, "queue": counts, "profile": services.settings.profile}


@router.get("/me", summary="The caller, scopes and quota use")
def me(caller: AuthCaller, services: ServicesDep, session: SessionDep) -> dict[str, Any]:
    """Who the token belongs to, and how much of the quotas is used."""
    s = services.settings
    u = caller.user
    today = crud.submissions_since(session, owner_id=u.id)
    active = crud.active_jobs(session, owner_id=u.id)
    return {"id": u.id, "name": u.name, "scopes": caller.scopes, "is_admin": caller.is_admin,
            "quota": {"submissions_per_day": u.submissions_per_day if u.submissions_per_day is not None
                      else s.submissions_per_day, "submissions_today": today,
                      "concurrent_jobs": u.concurrent_jobs if u.concurrent_jobs is not None else s.concurrent_jobs,
                      "active_jobs": active, "max_upload_bytes": s.max_upload_bytes}}
