"""`/labels`: human labels for the judge-trust figures (a token with the `label` scope), and their export.

A labeller gets a video's evidence frames and questions without the judge's answers (`GET /labels/next`,
`GET /labels/{job_id}/{scenario_id}`) and stores yes / no / unsure per question (`PUT`, the same path).
`GET /labels/export` lists every label on videos of public models, in the format `intergeneval agree` reads.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from ... import labels
from ...models import NO_NUL, LabelsIn
from ..deps import TOKEN_OPTIONAL, JobId, LabelCaller, OptionalCaller, ServicesDep, SessionDep, viewer_of
from ..errors import ApiError, error_responses, not_found

router = APIRouter(prefix="/labels", tags=["labels"])

ScenarioId = Annotated[str, Path(min_length=1, max_length=200, pattern=NO_NUL, description="scenario id")]


@router.get("/next", summary="A video to label (evidence frames and questions, no judge answers)",
            responses=error_responses(401, 403, 404, 422))
def next_video(caller: LabelCaller, session: SessionDep, services: ServicesDep,
               suite: Annotated[str | None, Query(max_length=200, pattern=NO_NUL,
                                                  description="only videos of this suite id")] = None
               ) -> dict[str, Any]:
    """A scored video the caller has not labelled yet, the least-labelled first; 404 when none is left."""
    body = labels.next_item(session, services.catalog, viewer=caller.viewer, user_id=caller.user.id,
                            suite_id=suite)
    if body is None:
        raise ApiError(404, "not_found", "no video left to label" + (f" in suite {suite!r}" if suite else ""))
    return body


@router.get("/export", summary="Every label on videos of public models (for `intergeneval agree`)",
            responses=error_responses(401, 422), openapi_extra=TOKEN_OPTIONAL)
def export_labels(caller: OptionalCaller, session: SessionDep) -> dict[str, Any]:
    """Labels with the video (sha256), scenario, question and answer; labellers are numbers, never names."""
    return labels.export(session, viewer=viewer_of(caller))


@router.get("/{job_id}/{scenario_id}", summary="One video to label, with the caller's labels so far",
            responses=error_responses(401, 403, 404, 422))
def get_video(job_id: JobId, scenario_id: ScenarioId, caller: LabelCaller, session: SessionDep,
              services: ServicesDep) -> dict[str, Any]:
    """The video's frames and questions (no judge answers) and what the caller answered before."""
    body = labels.item(session, services.catalog, job_id=job_id, scenario_id=scenario_id,
                       viewer=caller.viewer, user_id=caller.user.id)
    if body is None:
        raise not_found(f"a scored video for scenario {scenario_id!r} in job {job_id}")
    return body


@router.put("/{job_id}/{scenario_id}", summary="Store the caller's yes / no / unsure per question",
            responses=error_responses(400, 401, 403, 404, 413, 422))
def put_labels(job_id: JobId, scenario_id: ScenarioId, body: LabelsIn, caller: LabelCaller,
               session: SessionDep, services: ServicesDep) -> dict[str, Any]:
    """Answers replace the caller's earlier answers to the same questions; others are kept."""
    try:
        stored = labels.store(session, services.catalog, job_id=job_id, scenario_id=scenario_id,
                              viewer=caller.viewer, user_id=caller.user.id, labels=body.labels)
    except labels.LabelError as e:
        raise ApiError(422, "invalid_request", str(e)) from None
    if stored is None:
        raise not_found(f"a scored video for scenario {scenario_id!r} in job {job_id}")
    session.commit()
    return stored
