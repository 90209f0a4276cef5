"""Database reads and writes the routes and workers share; every function takes keyword arguments.

Conversions to API bodies (`job_public`, `model_public`, …) live here too, so routes stay thin.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, or_, true
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from .core.security import hash_token, new_token
from .redact import redact_paths
from .models import (
    HTTP_LINK,
    SCOPES,
    Job,
    JobPublic,
    JobStatus,
    JobSummary,
    Model,
    ModelCreate,
    ModelPublic,
    Refusal,
    Submission,
    SubmissionPublic,
    Token,
    TokenPublic,
    User,
    VideoResult,
    utcnow,
)

log = logging.getLogger(__name__)

METRICS = ("kisa", "sgi", "spi", "kisa_spi", "sgi_spi", "if")
#: `last_used_at` is refreshed at most this often, so reads do not turn into writes on every request.
_TOUCH_EVERY = timedelta(minutes=5)


# --------------------------------------------------------------------------------------------- users, tokens
def get_or_create_user(session: Session, *, name: str, is_admin: bool = False) -> User:
    """The user called `name`, created if absent; `is_admin=True` promotes an existing user.

    Race-free: when concurrent calls create the same new name, the insert of every one but the first finds
    the name taken and does nothing (`ON CONFLICT DO NOTHING`, waiting for the first one's commit), and all
    of them then read the same row.
    """
    user = session.exec(select(User).where(User.name == name)).first()
    if user is None:
        # The service runs on SQLite or Postgres; both spell the conditional insert the same way.
        insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        session.execute(insert(User).values(name=name, is_admin=is_admin, created_at=utcnow())
                        .on_conflict_do_nothing(index_elements=["name"]))
        user = session.exec(select(User).where(User.name == name)).one()
    if is_admin and not user.is_admin:
        user.is_admin = True
        session.add(user)
    return user


def create_token(session: Session, *, user: User, name: str, scopes: list[str]) -> tuple[Token, str]:
    """A new token for `user`; returns the row and the plain token (shown once, never stored).

    Raises:
        ValueError: an unknown scope.
    """
    bad = [s for s in scopes if s not in SCOPES]
    if bad:
        raise ValueError(f"unknown scope(s) {', '.join(bad)}; known: {', '.join(SCOPES)}")
    plain = new_token()
    token = Token(user_id=user.id, name=name, scopes=",".join(dict.fromkeys(scopes)),
                  token_hash=hash_token(plain), prefix=plain[:8])
    session.add(token)
    session.flush()
    return token, plain


def token_public(session: Session, token: Token, user: User | None = None) -> TokenPublic:
    """API body of a token (admins only; the secret is never stored, so never shown)."""
    user = user or session.get(User, token.user_id)
    return TokenPublic(id=token.id, name=token.name, user=user.name if user else "?", scopes=token.scope_list,
                       prefix=token.prefix, created_at=token.created_at, last_used_at=token.last_used_at,
                       revoked_at=token.revoked_at)


def find_tokens(session: Session, *, token_id: int | None = None, user: str | None = None,
                plain: str | None = None) -> list[Token]:
    """Tokens by id, by user name or by the plain token (any combination narrows the match)."""
    q = select(Token)
    if token_id is not None:
        q = q.where(Token.id == token_id)
    if plain is not None:
        q = q.where(Token.token_hash == hash_token(plain))
    if user is not None:
        q = q.join(User, User.id == Token.user_id).where(User.name == user)
    return list(session.exec(q.order_by(Token.id)).all())


def revoke_tokens(session: Session, tokens: list[Token]) -> list[Token]:
    """Revoke tokens (from the next request on they are 401); already revoked ones keep their time."""
    now = utcnow()
    for t in tokens:
        if t.revoked_at is None:
            t.revoked_at = now
            session.add(t)
    session.flush()
    return tokens


def authenticate(session: Session, *, token: str) -> tuple[User, Token] | None:
    """The user and token row for a plain token, or None when it is unknown or revoked."""
    row = session.exec(select(Token).where(Token.token_hash == hash_token(token))).first()
    if row is None or row.revoked_at is not None:
        return None
    user = session.get(User, row.user_id)
    if user is None:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > _TOUCH_EVERY:
        row.last_used_at = now
        session.add(row)
        session.commit()
    return user, row


# --------------------------------------------------------------------------------------------- models
@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is looking: a user id (None when anonymous) and whether they act as an admin."""

    user_id: int | None
    is_admin: bool = False


ANONYMOUS = Viewer(None, False)


def visible_models_clause(viewer: Viewer):
    """SQL condition: models the viewer may see (public and not hidden, own, or everything for admins)."""
    if viewer.is_admin:
        return true()
    public = (Model.public.is_(True)) & (Model.hidden.is_(False))
    return or_(public, Model.owner_id == viewer.user_id) if viewer.user_id is not None else public


def can_see_model(model: Model, viewer: Viewer) -> bool:
    """Python twin of `visible_models_clause` for one row."""
    if viewer.is_admin or (viewer.user_id is not None and viewer.user_id == model.owner_id):
        return True
    return model.public and not model.hidden


def upsert_model(session: Session, *, owner: User, card: ModelCreate) -> Model:
    """The owner's model called `card.name`, created or updated from the card."""
    model = session.exec(select(Model).where(Model.owner_id == owner.id, Model.name == card.name)).first()
    if model is None:
        model = Model(owner_id=owner.id, **card.model_dump())
    else:
        for k, v in card.model_dump(exclude_unset=True).items():
            setattr(model, k, v)
        model.updated_at = utcnow()
    session.add(model)
    session.flush()
    return model


def model_name(session: Session, model_id: int) -> str | None:
    """A model's name by id."""
    m = session.get(Model, model_id)
    return m.name if m else None


def model_public(session: Session, model: Model, *, results: list[dict[str, Any]] | None = None) -> ModelPublic:
    """API body of a model."""
    owner = session.get(User, model.owner_id)
    card = model.model_dump(exclude={"owner_id", "updated_at"})
    if card.get("link") and not re.match(HTTP_LINK, card["link"]):
        card["link"] = None  # stored before links were checked: never hand a `javascript:` link to a page
    return ModelPublic(
        **card,
        owner=owner.name if owner else "?",
        links={"self": f"/api/v1/models/{model.id}", "jobs": f"/api/v1/jobs?model_id={model.id}"},
        results=results,
    )


# --------------------------------------------------------------------------------------------- submissions
def find_duplicate(session: Session, *, owner_id: int, model_id: int, suite_hash: str,
                   content_hash: str) -> Submission | None:
    """An earlier submission of identical videos for the same model and suite content (idempotent resubmit).

    A cancelled or failed job does not count: submitting again then starts a new job.
    """
    rows = session.exec(
        select(Submission, Job).join(Job, Job.submission_id == Submission.id)
        .where(Submission.owner_id == owner_id, Submission.model_id == model_id,
               Submission.suite_hash == suite_hash, Submission.content_hash == content_hash,
               Job.status.in_([JobStatus.queued, JobStatus.running, JobStatus.succeeded]))
        .order_by(Submission.id.desc())).first()
    return rows[0] if rows else None


def find_by_idempotency_key(session: Session, *, owner_id: int, key: str) -> Submission | None:
    """The submission this user made with this `Idempotency-Key`, if any."""
    return session.exec(select(Submission).where(Submission.owner_id == owner_id,
                                                 Submission.idempotency_key == key)).first()


def submissions_since(session: Session, *, owner_id: int, hours: float = 24) -> int:
    """How many submissions the user made in the last `hours`."""
    since = utcnow() - timedelta(hours=hours)
    return session.exec(select(func.count()).select_from(Submission).where(
        Submission.owner_id == owner_id, Submission.created_at >= since)).one()


def refusals_since(session: Session, *, user_id: int, hours: float = 1) -> int:
    """How many of the user's uploads were refused in the last `hours`."""
    since = utcnow() - timedelta(hours=hours)
    return session.exec(select(func.count()).select_from(Refusal).where(
        Refusal.user_id == user_id, Refusal.created_at >= since)).one()


def active_jobs(session: Session, *, owner_id: int) -> int:
    """The user's queued and running jobs."""
    return session.exec(select(func.count()).select_from(Job).where(
        Job.owner_id == owner_id, Job.status.in_([JobStatus.queued, JobStatus.running]))).one()


def job_for_submission(session: Session, *, submission_id: int) -> Job:
    """The latest job of a submission."""
    return session.exec(select(Job).where(Job.submission_id == submission_id).order_by(Job.id.desc())).first()


def submission_public(submission: Submission, job: Job | None = None) -> SubmissionPublic:
    """API body of a submission."""
    links = {"self": f"/api/v1/submissions/{submission.id}"}
    if job is not None:
        links["job"] = f"/api/v1/jobs/{job.id}"
    return SubmissionPublic(**submission.model_dump(exclude={"owner_id", "idempotency_key", "folder"}),
                            links=links)


# --------------------------------------------------------------------------------------------- jobs
def queue_position(session: Session, job: Job) -> int | None:
    """1-based position among queued jobs (None unless queued)."""
    if job.status != JobStatus.queued:
        return None
    ahead = session.exec(select(func.count()).select_from(Job).where(
        Job.status == JobStatus.queued, Job.id < job.id)).one()
    return ahead + 1


def metric_block(metrics: dict[str, Any] | None) -> dict[str, dict[str, float | None]]:
    """`{metric: {mean, ci_low, ci_high}}` for the six metrics from a runner summary's `metrics`."""
    metrics = metrics or {}
    return {m: {k: (metrics.get(m) or {}).get(k) for k in ("mean", "ci_low", "ci_high")} for m in METRICS}


def job_public(session: Session, job: Job, *, model: Model | None = None,
               summary: JobSummary | None = None, admin: bool = False) -> JobPublic:
    """API body of a job; `lease_owner` (a worker's host and process) only for admins, the error without
    server paths; scores when it succeeded or is incomplete, the videos not scored when incomplete or
    failed."""
    model = model or session.get(Model, job.model_id)
    scores = failed_videos = None
    if job.status in (JobStatus.succeeded, JobStatus.incomplete, JobStatus.failed):
        summary = summary or session.exec(select(JobSummary).where(JobSummary.job_id == job.id)).first()
    if summary is not None and job.status in (JobStatus.succeeded, JobStatus.incomplete):
        scores = metric_block(summary.summary.get("metrics"))  # an incomplete job's: over its scored videos
    if summary is not None and job.status in (JobStatus.incomplete, JobStatus.failed):
        failed_videos = [{"scenario_id": str(f.get("scenario_id")), "status": str(f.get("status")),
                          "reason": redact_paths(str(f.get("reason") or ""))}
                         for f in (summary.summary.get("videos") or {}).get("failures") or []]
    return JobPublic(
        id=job.id, submission_id=job.submission_id, model_id=job.model_id,
        model_name=model.name if model else "?", suite_id=job.suite_id, suite_version=job.suite_version,
        status=JobStatus(job.status), progress={"done": job.progress_done, "total": job.progress_total},
        attempts=job.attempts, max_attempts=job.max_attempts, error=redact_paths(job.error),
        cancel_requested=job.cancel_requested, queue_position=queue_position(session, job),
        failed_videos=failed_videos,
        lease_owner=job.lease_owner if admin else None, lease_expires_at=job.lease_expires_at,
        created_at=job.created_at,
        started_at=job.started_at, finished_at=job.finished_at, scores=scores,
        links={"self": f"/api/v1/jobs/{job.id}", "results": f"/api/v1/jobs/{job.id}/results",
               "leaderboard": f"/api/v1/leaderboard?suite={job.suite_id}&suite_version={job.suite_version}"},
    )


# --------------------------------------------------------------------------------------------- results
def store_video_result(session: Session, *, job_id: int, record: dict[str, Any]) -> VideoResult:
    """Insert or replace one scenario's result (a retried job writes the same scenario again)."""
    sid = str(record.get("scenario_id"))
    row = session.exec(select(VideoResult).where(VideoResult.job_id == job_id,
                                                 VideoResult.scenario_id == sid)).first()
    if_score = (record.get("scores") or {}).get("if")
    if row is None:
        row = VideoResult(job_id=job_id, scenario_id=sid, status="", record={})
    row.status = str(record.get("status"))
    row.reason = record.get("reason") or None
    row.if_score = if_score
    row.record = record
    row.updated_at = utcnow()
    session.add(row)
    return row


def store_summary(session: Session, *, job_id: int, summary: dict[str, Any]) -> JobSummary:
    """Insert or replace a job's summary, with the fingerprints and IF the leaderboard filters and sorts by."""
    from .fingerprints import fingerprint_hash, judge_label

    fps = summary.get("fingerprints") or {}
    suite = summary.get("suite") or {}
    m_if = (summary.get("metrics") or {}).get("if") or {}
    videos = summary.get("videos") or {}
    row = session.exec(select(JobSummary).where(JobSummary.job_id == job_id)).first() or JobSummary(job_id=job_id)
    row.suite_id = str(suite.get("id", ""))
    row.suite_version = str(suite.get("version", ""))
    row.suite_hash = str(suite.get("content_hash", ""))
    row.protocol = str(summary.get("protocol", ""))
    row.judge_fingerprint = fingerprint_hash(fps.get("judge"))
    row.judge_label = judge_label(fps.get("judge"))
    row.tracker_fingerprint = fingerprint_hash(fps.get("tracker"))
    row.detector_fingerprint = fingerprint_hash(fps.get("detector")) if fps.get("detector") else None
    row.if_mean, row.if_ci_low, row.if_ci_high = m_if.get("mean"), m_if.get("ci_low"), m_if.get("ci_high")
    row.scored = int(videos.get("scored", 0))
    row.expected = int(videos.get("expected", 0))
    row.complete = bool(summary.get("complete", False))
    row.summary = summary
    row.created_at = utcnow()
    session.add(row)
    return row
