"""Admission of one submission: quotas, the streamed upload, archive safety, video checks, dedupe, queueing.

Nothing half-written remains after a refusal: the upload lives in its own `incoming/` folder until every check
passed, and is removed on any error; rows are created in one transaction after the videos moved into place.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from intergeneval.hashing import sha256_json
from intergeneval.records import Suite

from . import crud
from .api.deps import Caller, Services
from .api.errors import ApiError
from .archive import ArchiveLimits, Problem, extract_archive
from .core.db import lock_admission, session_scope
from .models import GenerationSettings, Job, ModelCreate, Refusal, Submission, SubmissionCreated, utcnow
from .storage import StorageFull
from .suites import UnknownSuite
from .uploads import BadForm, TooManyInFlight, UploadTooLarge, receive_form
from .validation import VideoLimits, check_videos

log = logging.getLogger(__name__)

MAX_IDEMPOTENCY_KEY = 200


def video_limits(services: Services) -> VideoLimits:
    """The video checks this server applies."""
    s = services.settings
    return VideoLimits(min_frames=s.min_frames, max_frames=s.max_frames, min_fps=s.min_fps, max_fps=s.max_fps,
                       min_side=s.min_side, max_side=s.max_side)


def _refuse(problems: list[Problem]) -> ApiError:
    return ApiError(422, "validation_failed",
                    f"the submission was refused: {len(problems)} problem(s); fix them and upload again",
                    {"problems": [p.as_dict() for p in problems]})


def check_quota(session: Session, services: Services, caller: Caller) -> None:
    """429 when the caller is over the submissions-per-day or concurrent-jobs quota (admins are exempt).

    Checked twice: before the upload is read (a cheap early refusal) and again under `lock_admission` just
    before the rows are written, where concurrent admissions of the same user are serialised.
    """
    if caller.is_admin:
        return
    s = services.settings
    per_day = caller.user.submissions_per_day if caller.user.submissions_per_day is not None else s.submissions_per_day
    concurrent = caller.user.concurrent_jobs if caller.user.concurrent_jobs is not None else s.concurrent_jobs
    used = crud.submissions_since(session, owner_id=caller.user.id)
    if used >= per_day:
        raise ApiError(429, "quota_exceeded", f"you made {used} submissions in the last 24 h; the quota is "
                       f"{per_day}: try again later or ask an admin for a higher quota",
                       {"quota": "submissions_per_day", "limit": per_day, "used": used})
    active = crud.active_jobs(session, owner_id=caller.user.id)
    if active >= concurrent:
        raise ApiError(429, "quota_exceeded", f"you have {active} queued or running jobs; the quota is "
                       f"{concurrent}: wait for one to finish or cancel one",
                       {"quota": "concurrent_jobs", "limit": concurrent, "used": active})
    refused = crud.refusals_since(session, user_id=caller.user.id)
    if refused >= s.refused_uploads_per_hour:
        raise ApiError(429, "quota_exceeded", f"{refused} of your uploads were refused in the last hour; the "
                       f"limit is {s.refused_uploads_per_hour}: check your archives locally "
                       "(`intergeneval score`) and try again later",
                       {"quota": "refused_uploads_per_hour", "limit": s.refused_uploads_per_hour,
                        "used": refused}, headers={"Retry-After": "3600"})


#: Refusals of an upload that count against the refused-uploads rate (the client sent something unusable).
_COUNTED_REFUSALS = ("validation_failed", "upload_too_large", "bad_request")


def _count_refusal(services: Services, caller: Caller, code: str) -> None:
    if caller.is_admin:
        return
    try:
        with session_scope(services.engine) as s:
            s.add(Refusal(user_id=caller.user.id, code=code))
    except Exception:  # the refusal answer matters more than its count
        log.exception("could not record a refused upload of user %d", caller.user.id)


def _storage_full() -> ApiError:
    log.error("storage full: an upload was refused with 507")
    return ApiError(507, "insufficient_storage", "the server's storage is full; nothing of your upload was "
                    "kept: try again later", headers={"Retry-After": "300"})


def _parse_json_field(fields: dict[str, str], name: str, required: bool) -> tuple[Any, list[Problem]]:
    raw = fields.get(name)
    if raw is None or not raw.strip():
        return None, ([Problem("model_card" if name == "model" else name,
                               f"the form field {name!r} is required (a JSON object)")] if required else [])
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as e:
        return None, [Problem("model_card" if name == "model" else name, f"the field {name!r} is not JSON: {e}")]
    if not isinstance(value, dict):
        return None, [Problem("model_card" if name == "model" else name, f"the field {name!r} must be a JSON object")]
    return value, []


def _model_problems(e: ValidationError, code: str) -> list[Problem]:
    return [Problem(code, f"{'.'.join(str(x) for x in err['loc']) or code}: {err['msg']}") for err in e.errors()]


@dataclass(slots=True)
class _Checked:
    card: ModelCreate
    settings: dict[str, Any]
    suite: Suite
    videos: Path
    sha256: dict[str, str]
    probe: dict[str, Any]
    archive_name: str
    archive_bytes: int

    @property
    def content_hash(self) -> str:
        return sha256_json(sorted(self.sha256.items()))


async def receive_submission(request: Request, session: Session, services: Services, caller: Caller,
                             idempotency_key: str | None) -> tuple[SubmissionCreated, bool]:
    """Run the whole admission; returns (body, created). Raises ApiError with every problem on refusal."""
    if idempotency_key is not None and not (0 < len(idempotency_key) <= MAX_IDEMPOTENCY_KEY
                                            and "\x00" not in idempotency_key):
        raise ApiError(400, "bad_request", f"Idempotency-Key must be 1–{MAX_IDEMPOTENCY_KEY} characters, "
                       "without NUL")
    # Database work runs in the thread pool: a SQLite writer may hold the lock, and the event loop must not wait.
    known = (await run_in_threadpool(crud.find_by_idempotency_key, session, owner_id=caller.user.id,
                                     key=idempotency_key) if idempotency_key else None)
    if known is None:
        await run_in_threadpool(check_quota, session, services, caller)
    most = None if caller.is_admin else services.settings.concurrent_uploads  # admins are exempt from quotas
    try:
        with services.uploads.hold(caller.user.id, limit=most):
            return await _receive(request, session, services, caller, idempotency_key)
    except TooManyInFlight:
        raise ApiError(429, "quota_exceeded", f"you are already sending {most} upload(s) at once, the quota: "
                       "wait for one to finish", {"quota": "concurrent_uploads", "limit": most, "used": most},
                       headers={"Retry-After": "10"}) from None


async def _receive(request: Request, session: Session, services: Services, caller: Caller,
                   idempotency_key: str | None) -> tuple[SubmissionCreated, bool]:
    limit = services.settings.max_upload_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + 1024 * 1024:  # multipart overhead allowed
        raise ApiError(413, "upload_too_large", f"the upload ({declared} bytes) exceeds the limit of {limit} bytes",
                       {"limit_bytes": limit})
    try:
        incoming = services.storage.new_incoming()
    except StorageFull:
        raise _storage_full() from None
    try:
        checked = await _receive_and_check(request, services, incoming)
        return await run_in_threadpool(_record, session, services, caller, checked, idempotency_key)
    except StorageFull:
        raise _storage_full() from None
    except ApiError as e:
        if e.code in _COUNTED_REFUSALS:
            await run_in_threadpool(_count_refusal, services, caller, e.code)
        raise
    finally:
        services.storage.remove(incoming)


async def _receive_and_check(request: Request, services: Services, incoming: Path) -> _Checked:
    limit = services.settings.max_upload_bytes
    try:
        form = await receive_form(request, dest=incoming, max_file_bytes=limit)
    except UploadTooLarge:
        raise ApiError(413, "upload_too_large", f"the upload exceeds the limit of {limit} bytes",
                       {"limit_bytes": limit}) from None
    except BadForm as e:
        raise ApiError(400, "bad_request", f"{e}: send multipart/form-data with the file field 'archive' and "
                       "the JSON field 'model'") from None
    problems: list[Problem] = []
    card_raw, p = _parse_json_field(form.fields, "model", required=True)
    problems += p
    card = None
    if card_raw is not None:
        try:
            card = ModelCreate.model_validate(card_raw)
        except ValidationError as e:
            problems += _model_problems(e, "model_card")
    settings_raw, p = _parse_json_field(form.fields, "settings", required=False)
    problems += p
    settings: dict[str, Any] = {}
    if settings_raw is not None:
        try:
            settings = GenerationSettings.model_validate(settings_raw).model_dump(exclude_none=True, mode="json")
        except ValidationError as e:
            problems += _model_problems(e, "settings")
    suite = None
    try:
        suite = services.catalog.get(form.fields.get("suite") or None, form.fields.get("suite_version") or None)
    except UnknownSuite as e:
        problems.append(Problem("unknown_suite", str(e)))
    upload = form.files.get("archive")
    if upload is None:
        problems.append(Problem("not_an_archive", "the file field 'archive' is missing (a zip or tar of "
                                "<scenario id>.mp4 files)"))
    if problems or upload is None or suite is None or card is None:
        raise _refuse(problems)

    s = services.settings
    videos = incoming / "videos"
    extracted = await run_in_threadpool(
        extract_archive, upload.path, videos,
        ArchiveLimits(max_files=s.max_files, max_uncompressed_bytes=s.max_uncompressed_bytes,
                      max_ratio=s.max_compression_ratio))
    services.storage.remove(upload.path)  # only the extracted videos are kept
    if extracted.problems:
        raise _refuse(extracted.problems)
    probe, problems = await run_in_threadpool(check_videos, extracted.files, suite, video_limits(services))
    if problems:
        raise _refuse(problems)
    return _Checked(card=card, settings=settings, suite=suite, videos=videos, sha256=extracted.sha256,
                    probe=probe, archive_name=upload.filename.replace("\x00", "")[:200],
                    archive_bytes=upload.size)


def _existing(session: Session, submission: Submission) -> SubmissionCreated:
    job = crud.job_for_submission(session, submission_id=submission.id)
    return SubmissionCreated(submission=crud.submission_public(submission, job), job=crud.job_public(session, job),
                             duplicate=True)


def _record(session: Session, services: Services, caller: Caller, c: _Checked,
            idempotency_key: str | None) -> tuple[SubmissionCreated, bool]:
    try:
        lock_admission(session, user_id=caller.user.id)
        return _record_locked(session, services, caller, c, idempotency_key)
    finally:
        session.rollback()  # releases the admission lock when nothing was committed (a refusal)


def _record_locked(session: Session, services: Services, caller: Caller, c: _Checked,
                   idempotency_key: str | None) -> tuple[SubmissionCreated, bool]:
    if idempotency_key:
        prior = crud.find_by_idempotency_key(session, owner_id=caller.user.id, key=idempotency_key)
        if prior is not None:
            same = (prior.content_hash == c.content_hash and prior.suite_hash == c.suite.content_hash
                    and crud.model_name(session, prior.model_id) == c.card.name)
            if not same:
                raise ApiError(409, "conflict", "this Idempotency-Key was already used for a different submission "
                               "(other videos, model or suite): use a new key")
            return _existing(session, prior), False
    check_quota(session, services, caller)
    model = crud.upsert_model(session, owner=caller.user, card=c.card)
    dup = crud.find_duplicate(session, owner_id=caller.user.id, model_id=model.id,
                              suite_hash=c.suite.content_hash, content_hash=c.content_hash)
    if dup is not None:
        session.commit()  # keep the refreshed model card
        return _existing(session, dup), False
    folder = services.storage.accept(c.videos)
    try:
        sub = Submission(owner_id=caller.user.id, model_id=model.id, suite_id=c.suite.suite_id,
                         suite_version=c.suite.version, suite_hash=c.suite.content_hash,
                         content_hash=c.content_hash, archive_name=c.archive_name, archive_bytes=c.archive_bytes,
                         num_videos=len(c.sha256), settings=c.settings, probe=c.probe,
                         idempotency_key=idempotency_key, folder=folder)
        session.add(sub)
        session.flush()
        job = Job(submission_id=sub.id, model_id=model.id, owner_id=caller.user.id, suite_id=sub.suite_id,
                  suite_version=sub.suite_version, suite_hash=sub.suite_hash,
                  max_attempts=services.settings.max_attempts, progress_total=len(c.suite.scenarios),
                  created_at=utcnow())
        session.add(job)
        session.commit()
    except IntegrityError:
        # The same Idempotency-Key raced in from a second request: answer with the first one's job.
        session.rollback()
        services.storage.remove(services.storage.path(folder))
        prior = crud.find_by_idempotency_key(session, owner_id=caller.user.id, key=idempotency_key or "")
        if prior is None:
            raise
        return _existing(session, prior), False
    except BaseException:
        session.rollback()
        services.storage.remove(services.storage.path(folder))
        raise
    log.info("submission %d (model %s, %d videos) queued as job %d", sub.id, model.name, sub.num_videos, job.id)
    return SubmissionCreated(submission=crud.submission_public(sub, job),
                             job=crud.job_public(session, job, model=model), duplicate=False), True
