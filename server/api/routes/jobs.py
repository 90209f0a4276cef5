"""`/jobs`: status and progress, my jobs, cancel, results (summary + per video) and evidence images."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import FileResponse
from sqlmodel import func, select

from ... import crud, queue
from ...fingerprints import fingerprint_hash, judge_label
from ...leaderboard import categories
from ...redact import redact_paths
from ...models import (FINAL_JOB_STATUSES, NO_NUL, RETRYABLE_JOB_STATUSES, Job, JobPublic, JobsPublic,
                       JobStatus, JobSummary, Model, VideoResult)
from ..deps import (DB_INT_MAX, AuthCaller, JobId, Limit, Offset, OptionalCaller, ServicesDep, SessionDep,
                    SubmitCaller, TOKEN_OPTIONAL, viewer_of)
from ..errors import ApiError, error_responses, not_found

router = APIRouter(prefix="/jobs", tags=["jobs"])

_SAFE_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")


def _visible_job(session, job_id: int, caller) -> tuple[Job, Model]:
    job = session.get(Job, job_id)
    model = session.get(Model, job.model_id) if job is not None else None
    if job is None or model is None or not crud.can_see_model(model, viewer_of(caller)):
        raise not_found(f"job {job_id}")
    return job, model


@router.get("", response_model=JobsPublic, summary="My jobs (admins: all)",
            responses=error_responses(401, 422))
def list_jobs(caller: AuthCaller, session: SessionDep, status: JobStatus | None = None,
              model_id: Annotated[int | None, Query(ge=1, le=DB_INT_MAX)] = None, limit: Limit = 50,
              offset: Offset = 0) -> JobsPublic:
    """Newest first; filter by status or model."""
    q = select(Job)
    if not caller.is_admin:
        q = q.where(Job.owner_id == caller.user.id)
    if status is not None:
        q = q.where(Job.status == status)
    if model_id is not None:
        q = q.where(Job.model_id == model_id)
    count = session.exec(select(func.count()).select_from(q.subquery())).one()
    rows = session.exec(q.order_by(Job.id.desc()).offset(offset).limit(limit)).all()
    return JobsPublic(data=[crud.job_public(session, j, admin=caller.is_admin) for j in rows], count=count)


@router.get("/{job_id}", response_model=JobPublic, summary="A job: status, progress, attempts, error, links",
            responses=error_responses(401, 404, 422), openapi_extra=TOKEN_OPTIONAL)
def get_job(job_id: JobId, caller: OptionalCaller, session: SessionDep) -> JobPublic:
    """Readable by anyone who can see the job's model."""
    job, model = _visible_job(session, job_id, caller)
    return crud.job_public(session, job, model=model, admin=viewer_of(caller).is_admin)


@router.delete("/{job_id}", response_model=JobPublic, summary="Cancel a job",
               responses=error_responses(401, 403, 404, 409, 422))
def cancel_job(job_id: JobId, caller: AuthCaller, session: SessionDep, services: ServicesDep) -> JobPublic:
    """A queued job is cancelled at once; a running one stops at its next video. Owner or admin only."""
    job, model = _visible_job(session, job_id, caller)
    if not (caller.is_admin or job.owner_id == caller.user.id):
        raise ApiError(403, "forbidden", f"job {job_id} belongs to another user")
    if job.status in FINAL_JOB_STATUSES:
        raise ApiError(409, "conflict", f"job {job_id} is already {job.status}")
    queue.cancel(services.engine, job_id=job_id)
    session.expire_all()
    return crud.job_public(session, session.get(Job, job_id), model=model, admin=caller.is_admin)


@router.post("/{job_id}/retry", response_model=JobPublic, summary="Retry an incomplete or failed job",
             responses=error_responses(401, 403, 404, 409, 422, 429))
def retry_job(job_id: JobId, caller: SubmitCaller, session: SessionDep, services: ServicesDep) -> JobPublic:
    """Requeue an incomplete (or failed) job: only its videos that were not scored are computed again (the
    others come from the result cache). Owner or admin, with the submit scope; counts against the
    concurrent-jobs quota."""
    job, model = _visible_job(session, job_id, caller)
    if not (caller.is_admin or job.owner_id == caller.user.id):
        raise ApiError(403, "forbidden", f"job {job_id} belongs to another user")
    if job.status not in RETRYABLE_JOB_STATUSES:
        raise ApiError(409, "conflict", f"job {job_id} is {job.status}: only an incomplete or failed job can "
                       "be retried")
    limit = caller.user.concurrent_jobs if caller.user.concurrent_jobs is not None else \
        services.settings.concurrent_jobs
    active = crud.active_jobs(session, owner_id=caller.user.id)
    if not caller.is_admin and active >= limit:
        raise ApiError(429, "quota_exceeded", f"you have {active} queued or running jobs; the quota is "
                       f"{limit}: wait for one to finish", {"quota": "concurrent_jobs", "limit": limit,
                                                            "used": active})
    if not queue.retry(services.engine, job_id=job_id):
        raise ApiError(409, "conflict", f"job {job_id} changed state meanwhile: read it again")
    session.expire_all()
    return crud.job_public(session, session.get(Job, job_id), model=model, admin=caller.is_admin)


def _evidence(job_id: int, record: dict[str, Any]) -> list[dict[str, Any]]:
    ev = record.get("evidence") or {}
    items = sorted(((int(k), v) for k, v in ev.items() if str(k).lstrip("-").isdigit()), key=lambda kv: kv[0])
    sid = record.get("scenario_id")
    return [{"frame": f, "url": f"/api/v1/jobs/{job_id}/evidence/{sid}/{rel.rsplit('/', 1)[-1]}"}
            for f, rel in items]


def video_public(job_id: int, record: dict[str, Any]) -> dict[str, Any]:
    """A per-video record in the API's shape (docs/api.md, VideoResult), the record itself under `record`
    (server paths in its text shown as base names)."""
    record = redact_paths(record)
    cat = record.get("category") or {}
    answers = [{"key_interaction": i, **a} for i, ki in enumerate(record.get("interactions") or [])
               for a in ki.get("answers") or []]
    changes = record.get("changes") or {}
    scores = record.get("scores") or {}
    sid = record.get("scenario_id")
    return {
        "scenario_id": sid, "status": record.get("status"), "reason": record.get("reason") or None,
        "interaction_type": cat.get("interaction_type"), "pairing": cat.get("pairing"),
        "metrics": {m: scores.get(m) for m in crud.METRICS},
        "answers": answers,
        "emergence_frames": list(changes.get("emergence") or []),
        "disappearance_frames": list(changes.get("disappearance") or []),
        "sampled_frames": list(record.get("sampled_frames") or []),
        "evidence": _evidence(job_id, record),
        "links": {"self": f"/api/v1/jobs/{job_id}/videos/{sid}"},
        "record": record,
    }


def summary_public(summary: dict[str, Any] | None) -> dict[str, Any] | None:
    """A runner summary in the API's shape (docs/api.md, Summary), the summary itself under `raw`."""
    if summary is None:
        return None
    fps = dict(summary.get("fingerprints") or {})
    hashes = {"judge_hash": fingerprint_hash(fps.get("judge")), "judge_label": judge_label(fps.get("judge"))}
    summary = redact_paths(summary)  # after hashing: the hashes are of what the worker recorded
    suite = summary.get("suite") or {}
    return {
        "metrics": crud.metric_block(summary.get("metrics")),
        "videos": summary.get("videos") or {},
        "categories": categories(summary),
        "fingerprints": {**summary.get("fingerprints", {}), **hashes},
        "protocol": summary.get("protocol"),
        "suite": {"suite_id": suite.get("id"), "version": suite.get("version"),
                  "content_hash": suite.get("content_hash")},
        "partial": not summary.get("complete", False),
        "raw": summary,
    }


@router.get("/{job_id}/results", summary="Summary and per-video results (with evidence links)",
            responses=error_responses(401, 404, 422), openapi_extra=TOKEN_OPTIONAL)
def job_results(job_id: JobId, caller: OptionalCaller, session: SessionDep) -> dict[str, Any]:
    """Readable while the job runs: per-video results appear as each video finishes."""
    job, model = _visible_job(session, job_id, caller)
    summary = session.exec(select(JobSummary).where(JobSummary.job_id == job_id)).first()
    rows = session.exec(select(VideoResult).where(VideoResult.job_id == job_id).order_by(VideoResult.id)).all()
    return {"job": crud.job_public(session, job, model=model, summary=summary,
                                   admin=viewer_of(caller).is_admin).model_dump(mode="json"),
            "summary": summary_public(summary.summary if summary else None),
            "videos": [video_public(job_id, r.record) for r in rows]}


@router.get("/{job_id}/videos/{scenario_id}", summary="One per-video result",
            responses=error_responses(401, 404, 422), openapi_extra=TOKEN_OPTIONAL)
def job_video(job_id: JobId, scenario_id: Annotated[str, Path(pattern=NO_NUL)], caller: OptionalCaller,
              session: SessionDep) -> dict[str, Any]:
    """The result of one scenario of the job."""
    _visible_job(session, job_id, caller)
    row = session.exec(select(VideoResult).where(VideoResult.job_id == job_id,
                                                 VideoResult.scenario_id == scenario_id)).first()
    if row is None:
        raise not_found(f"result for scenario {scenario_id!r} in job {job_id}")
    return video_public(job_id, row.record)


@router.get("/{job_id}/evidence/{scenario_id}/{filename}", summary="An evidence image (JPEG)",
            response_class=FileResponse, openapi_extra=TOKEN_OPTIONAL,
            responses={200: {"content": {"image/jpeg": {}}}, **error_responses(401, 404, 422)})
def job_evidence(job_id: JobId, scenario_id: str, filename: str, caller: OptionalCaller, session: SessionDep,
                 services: ServicesDep) -> FileResponse:
    """An overlay frame the judge saw, from the job's output folder."""
    _visible_job(session, job_id, caller)
    if not (_SAFE_PART.match(scenario_id) and _SAFE_PART.match(filename)) or ".." in filename:
        raise not_found("evidence file")
    root = services.storage.job_dir(job_id).resolve()
    path = (root / "evidence" / scenario_id / filename).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise not_found("evidence file")
    return FileResponse(path, media_type="image/jpeg" if path.suffix.lower() in (".jpg", ".jpeg") else None)
