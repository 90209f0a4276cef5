"""Human labels: a video's evidence frames and questions shown without the judge's answers, the answers a
person gives, and the export `intergeneval agree` reads.

A video is offered for labelling when its scoring job finished (`succeeded` or `incomplete`), its model is
public, and it was scored with evidence frames (a labeller may still name a video of a model they can see). `next_item` offers the caller a video they
have not labelled yet, the least-labelled first, so labels spread over videos before piling up on a few.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from intergeneval.agreement import LABELS_FORMAT
from intergeneval.records import Scenario

from . import crud
from .core.db import lock_admission
from .models import Job, JobStatus, Label, LabelIn, Model, VideoResult, utcnow
from .suites import SuiteCatalog, UnknownSuite

log = logging.getLogger(__name__)

#: Finished jobs whose videos may be labelled.
LABELLED_JOBS = (JobStatus.succeeded, JobStatus.incomplete)
#: `next_item` looks at this many of the most recent scored videos (a bounded query on a large service).
CANDIDATES = 500


class LabelError(ValueError):
    """Labels that do not fit the video's questions (the message says which)."""


def _evidence(job_id: int, record: dict[str, Any]) -> list[dict[str, Any]]:
    ev = record.get("evidence") or {}
    frames = sorted((int(k), v) for k, v in ev.items() if str(k).isdigit())
    sid = record.get("scenario_id")
    return [{"frame": f, "url": f"/api/v1/jobs/{job_id}/evidence/{sid}/{rel.rsplit('/', 1)[-1]}"}
            for f, rel in frames]


def _scenario(catalog: SuiteCatalog, job: Job, scenario_id: str) -> Scenario | None:
    try:
        return catalog.by_hash(job.suite_id, job.suite_version, job.suite_hash).scenario(scenario_id)
    except (UnknownSuite, KeyError):
        return None


def _questions(sc: Scenario | None, record: dict[str, Any]) -> list[dict[str, Any]]:
    """The key interactions and their questions: from the suite, else the question texts the record kept
    (never the answers)."""
    if sc is not None:
        return [{"index": i, "text": ki.text,
                 "questions": [{"slot": q.slot, "text": q.text} for q in ki.questions]}
                for i, ki in enumerate(sc.key_interactions)]
    return [{"index": i, "text": ki.get("text", ""),
             "questions": [{"slot": a.get("slot"), "text": a.get("question", "")}
                           for a in ki.get("answers") or []]}
            for i, ki in enumerate(record.get("interactions") or [])]


def _visible(session: Session, job_id: int, scenario_id: str,
             viewer: crud.Viewer) -> tuple[Job, VideoResult] | None:
    """The job and its scored video, when the viewer may label it."""
    job = session.get(Job, job_id)
    model = session.get(Model, job.model_id) if job is not None else None
    if job is None or model is None or job.status not in LABELLED_JOBS:
        return None
    if not crud.can_see_model(model, viewer):
        return None
    row = session.exec(select(VideoResult).where(VideoResult.job_id == job_id,
                                                 VideoResult.scenario_id == scenario_id)).first()
    usable = row is not None and row.status == "scored" and row.record.get("evidence")
    if not usable or not row.record.get("video_sha256"):
        return None
    return job, row


def item(session: Session, catalog: SuiteCatalog, *, job_id: int, scenario_id: str, viewer: crud.Viewer,
         user_id: int) -> dict[str, Any] | None:
    """What the Label tab shows for one video: prompt, objects and their box colours, evidence frames, the
    questions (no answers of the judge), and the caller's own labels so far. None when it cannot be labelled.
    """
    found = _visible(session, job_id, scenario_id, viewer)
    if found is None:
        return None
    job, row = found
    rec = row.record
    sc = _scenario(catalog, job, scenario_id)
    colours = rec.get("colors") or []
    objects = ([{"class": o.cls, "appearance": o.appearance} for o in sc.objects] if sc is not None else [])
    for k, o in enumerate(objects):
        o["colour"] = colours[k] if k < len(colours) else None
    sha = rec["video_sha256"]
    mine = session.exec(select(Label).where(Label.user_id == user_id, Label.video_sha256 == sha,
                                            Label.suite_hash == job.suite_hash,
                                            Label.scenario_id == scenario_id)).all()
    return {
        "job_id": job.id, "scenario_id": scenario_id, "video_sha256": sha,
        "suite": {"suite_id": job.suite_id, "version": job.suite_version, "content_hash": job.suite_hash},
        "prompt": sc.video_prompt if sc is not None else "", "objects": objects,
        "frames": _evidence(job.id, rec), "key_interactions": _questions(sc, rec),
        "labels": [{"key_interaction": x.key_interaction, "slot": x.slot, "answer": x.answer}
                   for x in sorted(mine, key=lambda x: (x.key_interaction, x.slot))],
        "links": {"self": f"/api/v1/labels/{job.id}/{scenario_id}"},
    }


def next_item(session: Session, catalog: SuiteCatalog, *, viewer: crud.Viewer, user_id: int,
              suite_id: str | None = None) -> dict[str, Any] | None:
    """A video the caller has not labelled yet (the least labelled of the latest `CANDIDATES`), or None.

    Only public models' videos are offered, whoever asks: labels feed the public agreement figures, and the
    page loads a video's frames without a token (a private model's would not load)."""
    q = (select(VideoResult.job_id, VideoResult.scenario_id, VideoResult.record)
         .join(Job, Job.id == VideoResult.job_id).join(Model, Model.id == Job.model_id)
         .where(VideoResult.status == "scored", Job.status.in_(LABELLED_JOBS),
                crud.visible_models_clause(crud.ANONYMOUS)))
    if suite_id:
        q = q.where(Job.suite_id == suite_id)
    rows = session.exec(q.order_by(VideoResult.id.desc()).limit(CANDIDATES)).all()
    done = {(sha, sid) for sha, sid in session.exec(
        select(Label.video_sha256, Label.scenario_id).where(Label.user_id == user_id).distinct()).all()}
    counts = dict(((sha, sid), n) for sha, sid, n in session.exec(
        select(Label.video_sha256, Label.scenario_id, func.count(func.distinct(Label.user_id)))
        .group_by(Label.video_sha256, Label.scenario_id)).all())
    best: tuple[int, int, str] | None = None  # (people who labelled it, job id, scenario id)
    for job_id, sid, rec in rows:
        rec = rec or {}
        sha = rec.get("video_sha256")
        if not sha or not rec.get("evidence") or (sha, sid) in done:
            continue
        n = counts.get((sha, sid), 0)
        if best is None or n < best[0]:  # ties: the most recent (rows come newest first)
            best = (n, job_id, sid)
    if best is None:
        return None
    return item(session, catalog, job_id=best[1], scenario_id=best[2], viewer=viewer, user_id=user_id)


def store(session: Session, catalog: SuiteCatalog, *, job_id: int, scenario_id: str, viewer: crud.Viewer,
          user_id: int, labels: list[LabelIn]) -> dict[str, Any] | None:
    """Store (or change) the caller's answers for one video; returns the item with them, None when the video
    cannot be labelled.

    Raises:
        LabelError: a key interaction or slot the video's questions do not have, or a question answered twice.
    """
    found = _visible(session, job_id, scenario_id, viewer)
    if found is None:
        return None
    job, row = found
    asked = {(k["index"], q["slot"]) for k in _questions(_scenario(catalog, job, scenario_id), row.record)
             for q in k["questions"]}
    seen: set[tuple[int, int]] = set()
    for i, lab in enumerate(labels):
        key = (lab.key_interaction, lab.slot)
        if key not in asked:
            raise LabelError(f"labels[{i}]: video {scenario_id!r} has no question {lab.slot} in key "
                             f"interaction {lab.key_interaction}")
        if key in seen:
            raise LabelError(f"labels[{i}]: question {lab.slot} of key interaction {lab.key_interaction} is "
                             "answered twice")
        seen.add(key)
    sha = row.record["video_sha256"]
    # One labeller's saves one at a time (a double click, two tabs): otherwise both read "no label yet" and
    # the second insert breaks the unique constraint. Held until the route commits.
    lock_admission(session, user_id=user_id)
    existing = {(x.key_interaction, x.slot): x for x in session.exec(
        select(Label).where(Label.user_id == user_id, Label.video_sha256 == sha,
                            Label.suite_hash == job.suite_hash, Label.scenario_id == scenario_id)).all()}
    now = utcnow()
    for lab in labels:
        row_ = existing.get((lab.key_interaction, lab.slot))
        if row_ is None:
            row_ = Label(user_id=user_id, job_id=job.id, suite_hash=job.suite_hash, scenario_id=scenario_id,
                         video_sha256=sha, key_interaction=lab.key_interaction, slot=lab.slot,
                         answer=lab.answer)
        else:
            row_.answer, row_.job_id, row_.updated_at = lab.answer, job.id, now
        session.add(row_)
    session.flush()
    return item(session, catalog, job_id=job_id, scenario_id=scenario_id, viewer=viewer, user_id=user_id)


def export(session: Session, *, viewer: crud.Viewer) -> dict[str, Any]:
    """Every label on a video of a model the viewer may see, in the format `intergeneval agree` reads.

    Labellers are numbered (1, 2, … in order of their first label), never named.
    """
    rows = session.exec(select(Label, Job, Model).join(Job, Job.id == Label.job_id)
                        .join(Model, Model.id == Job.model_id)
                        .where(crud.visible_models_clause(viewer)).order_by(Label.id)).all()
    number: dict[int, int] = {}
    labels = []
    for lab, job, _ in rows:
        who = number.setdefault(lab.user_id, len(number) + 1)
        labels.append({"scenario_id": lab.scenario_id, "video_sha256": lab.video_sha256,
                       "suite_id": job.suite_id, "suite_hash": lab.suite_hash,
                       "key_interaction": lab.key_interaction, "slot": lab.slot, "answer": lab.answer,
                       "labeller": who, "job_id": lab.job_id})
    return {"format": LABELS_FORMAT, "version": 1, "labels": labels, "count": len(labels)}
