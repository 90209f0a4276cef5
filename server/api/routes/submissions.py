"""`/submissions`: upload an archive + model card (streamed, validated, then queued); list and read them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from sqlmodel import func, select

from ... import crud
from ...intake import receive_submission
from ...models import Submission, SubmissionCreated, SubmissionPublic, SubmissionsPublic
from ..deps import AuthCaller, Limit, Offset, ServicesDep, SessionDep, SubmissionId, SubmitCaller
from ..errors import error_responses, not_found

router = APIRouter(prefix="/submissions", tags=["submissions"])

# The body is parsed by streaming (never held in memory), so FastAPI cannot describe it: this is its schema.
_UPLOAD_SCHEMA = {
    "requestBody": {
        "required": True,
        "content": {"multipart/form-data": {"schema": {
            "type": "object",
            "required": ["archive", "model"],
            "properties": {
                "archive": {"type": "string", "format": "binary",
                            "description": "zip or tar(.gz) of <scenario id>.mp4 files"},
                "model": {"type": "string", "description": "model card, JSON: {name, organisation, base_model, "
                          "parameters, link, description, public}"},
                "suite": {"type": "string", "description": "suite id (default: the server's default suite)"},
                "suite_version": {"type": "string"},
                "settings": {"type": "string", "description": "generation settings, JSON: {seed, resolution, "
                             "frames, fps, notes}"},
            },
        }}},
    }
}


@router.post("", summary="Upload videos for a model; validated, then queued as a job",
             response_model=SubmissionCreated, status_code=201, openapi_extra=_UPLOAD_SCHEMA,
             responses={200: {"description": "identical resubmission: the existing job", "model": SubmissionCreated},
                        **error_responses(400, 401, 403, 409, 413, 422, 429, 503, 507)})
async def create_submission(
    request: Request, caller: SubmitCaller, session: SessionDep, services: ServicesDep,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
):
    """Stream the upload to storage, check it (archive safety, ids, decodability, limits), queue a job.

    Identical content for the same model and suite, or a repeated `Idempotency-Key`, returns the existing job
    with status 200 and `duplicate: true`.
    """
    body, created = await receive_submission(request, session, services, caller, idempotency_key)
    return JSONResponse(body.model_dump(mode="json"), status_code=201 if created else 200)


@router.get("", response_model=SubmissionsPublic, summary="My submissions (admins: all)",
            responses=error_responses(401, 422))
def list_submissions(caller: AuthCaller, session: SessionDep, limit: Limit = 50,
                     offset: Offset = 0) -> SubmissionsPublic:
    """Newest first."""
    q = select(Submission)
    if not caller.is_admin:
        q = q.where(Submission.owner_id == caller.user.id)
    count = session.exec(select(func.count()).select_from(q.subquery())).one()
    rows = session.exec(q.order_by(Submission.id.desc()).offset(offset).limit(limit)).all()
    return SubmissionsPublic(data=[crud.submission_public(s, crud.job_for_submission(session, submission_id=s.id))
                                   for s in rows], count=count)


@router.get("/{submission_id}", response_model=SubmissionPublic, summary="One submission",
            responses=error_responses(401, 404, 422))
def get_submission(submission_id: SubmissionId, caller: AuthCaller, session: SessionDep) -> SubmissionPublic:
    """The owner's or, for admins, anyone's."""
    s = session.get(Submission, submission_id)
    if s is None or not (caller.is_admin or s.owner_id == caller.user.id):
        raise not_found(f"submission {submission_id}")
    return crud.submission_public(s, crud.job_for_submission(session, submission_id=s.id))
