"""How far each judge fingerprint can be trusted: its negative controls and its agreement with human labels.

Workers measure a judge's controls once per (judge fingerprint, suite content), on a fixed sample of the
suite, alongside the first job that judge scores there (`controls_wanted`, `store_controls`). Agreement with
human labels is computed from the labels and the judge's stored per-video answers when asked (`trust`),
with `intergeneval.agreement` (the same code as `intergeneval agree`). Both are read from public data only:
results and labels of models everyone may see. `GET /api/v1/leaderboard/trust` serves `trust(...)`.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from intergeneval.agreement import Side, compare, labels_side, record_unit
from intergeneval.errors import ConfigError

from . import crud, labels
from .fingerprints import fingerprint_hash, judge_label
from .models import Job, JobStatus, JobSummary, JudgeControls, Label, Model, User, VideoResult, iso

log = logging.getLogger(__name__)

#: Jobs whose results count for a judge's agreement with people.
_FINISHED = (JobStatus.succeeded, JobStatus.incomplete)


def controls_wanted(session: Session, *, judge: dict[str, Any] | None, suite_hash: str, owner_id: int,
                    only_admins: bool) -> bool:
    """Whether a job should also run the judge's controls: none are stored yet for this judge and suite, and
    the job's videos may be used (with `only_admins`, only videos an admin submitted: a submitter cannot
    shape the controls that are shown beside everyone's scores)."""
    if judge is None:
        return False
    if only_admins:
        owner = session.get(User, owner_id)
        if owner is None or not owner.is_admin:
            return False
    return session.exec(select(JudgeControls.id).where(
        JudgeControls.judge_fingerprint == fingerprint_hash(judge),
        JudgeControls.suite_hash == suite_hash)).first() is None


def store_controls(session: Session, *, job_id: int, summary: dict[str, Any]) -> JudgeControls | None:
    """Keep a job's controls report for its judge and suite; the first one stored stays. None when the
    summary has none, or none of its controls could be judged (the next job tries again)."""
    report = summary.get("controls")
    if not report or not any(b.get("judged") for b in (report.get("by_kind") or {}).values()):
        return None
    judge, suite = (summary.get("fingerprints") or {}).get("judge"), summary.get("suite") or {}
    row = JudgeControls(judge_fingerprint=fingerprint_hash(judge), judge_label=judge_label(judge),
                        suite_id=str(suite.get("id", "")), suite_version=str(suite.get("version", "")),
                        suite_hash=str(suite.get("content_hash", "")), job_id=job_id, report=report)
    try:
        with session.begin_nested():  # another worker may have stored this judge's controls meanwhile
            session.add(row)
    except IntegrityError:
        return None
    return row


def controls_block(row: JudgeControls) -> dict[str, Any]:
    """One stored controls report as the API shows it: per kind, the expected-"no" yes-rate and its flag."""
    rep = row.report or {}
    kinds = {}
    for kind, b in (rep.get("by_kind") or {}).items():
        exp = b.get("expected_no")
        kinds[kind] = {"controls": b.get("controls"), "judged": b.get("judged"),
                       "failed": len(b.get("failures") or []),
                       "expected_no": None if exp is None else {k: exp.get(k) for k in (
                           "slots", "videos", "yes_rate", "ci_low", "ci_high", "flagged")}}
    return {"suite_id": row.suite_id, "suite_version": row.suite_version, "suite_hash": row.suite_hash,
            "job_id": row.job_id, "measured_at": iso(row.created_at), "flagged": rep.get("flagged"),
            "flag_rule": rep.get("flag_rule"), "sample": len(rep.get("sample") or []), "kinds": kinds,
            "report": rep}


def human_agreement(session: Session, *, judge_fingerprint: str, human: Side | None) -> dict[str, Any] | None:
    """The judge's agreement with the human labels on the videos both answered; None when there are none."""
    if human is None or not human.units:
        return None
    wanted = {u.scenario_id for u in human.units.values()}
    rows = session.exec(
        select(VideoResult.record, Job.suite_hash).join(JobSummary, JobSummary.job_id == VideoResult.job_id)
        .join(Job, Job.id == VideoResult.job_id).join(Model, Model.id == Job.model_id)
        .where(JobSummary.judge_fingerprint == judge_fingerprint, Job.status.in_(_FINISHED),
               VideoResult.scenario_id.in_(wanted), crud.visible_models_clause(crud.ANONYMOUS))).all()
    units = {}
    for rec, suite_hash in rows:  # one unit per video and suite version: several jobs of one file count once
        unit = record_unit(rec or {}, suite_hash=suite_hash or "")
        if unit is not None and unit.answers:
            units[(unit.video_sha256, unit.scenario_id, unit.suite_hash)] = unit
    try:
        result = compare(Side(f"judge {judge_fingerprint[:8]}", False, units), human)
    except ConfigError:  # no labelled video was scored by this judge
        return None
    pooled = result["pooled"]
    if not pooled["all"]["n"]:
        return None
    return {"videos": result["matched"]["videos"], "questions": pooled["all"]["n"],
            "labellers": human.left_out.get("labellers"),
            **{k: pooled["all"][k] for k in ("agreement", "agreement_ci", "kappa", "kappa_ci")},
            "yes_rate_judge": pooled["all"]["yes_rate_a"], "yes_rate_human": pooled["all"]["yes_rate_b"],
            "kisa": {k: pooled["kisa"][k] for k in ("n", "agreement", "kappa")},
            "sgi": {k: pooled["sgi"][k] for k in ("n", "agreement", "kappa")},
            "unsure_labels": human.left_out.get("unsure_labels"),
            "tied_questions": human.left_out.get("tied_questions")}


class TrustCache:
    """The last `trust` body, valid while no label, controls report or job summary changed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entry: tuple[tuple, dict[str, Any]] | None = None

    def get_or_build(self, version: tuple, build: Any) -> dict[str, Any]:
        with self._lock:
            if self._entry is not None and self._entry[0] == version:
                return self._entry[1]
        body = build()
        with self._lock:
            self._entry = (version, body)
        return body


def data_version(session: Session) -> tuple:
    """Changes whenever a trust figure may change (indexed aggregates only)."""
    lab = session.exec(select(func.max(Label.updated_at), func.count(Label.id))).one()
    ctl = session.exec(select(func.max(JudgeControls.id))).one()
    summaries = session.exec(select(func.max(JobSummary.id))).one()
    jobs = session.exec(select(func.max(Job.finished_at))).one()
    models = session.exec(select(func.max(Model.updated_at))).one()
    return (*lab, ctl, summaries, jobs, models)


def trust(session: Session, *, judge: str | None = None, cache: TrustCache | None = None) -> dict[str, Any]:
    """`{"judges": [...]}`: for every judge fingerprint with public results or stored controls, its controls
    (per suite) and its agreement with human labels, or null where not measured yet. `judge` filters by a
    fingerprint prefix."""
    def build() -> dict[str, Any]:
        names: dict[str, str] = {}
        public = (select(JobSummary.judge_fingerprint, JobSummary.judge_label)
                  .join(Job, Job.id == JobSummary.job_id).join(Model, Model.id == Job.model_id)
                  .where(Job.status.in_(_FINISHED), crud.visible_models_clause(crud.ANONYMOUS)).distinct())
        for fp, label in session.exec(public).all():
            names.setdefault(fp, label)
        controls: dict[str, list[JudgeControls]] = {}
        for row in session.exec(select(JudgeControls).order_by(JudgeControls.id)).all():
            controls.setdefault(row.judge_fingerprint, []).append(row)
            names.setdefault(row.judge_fingerprint, row.judge_label)
        export = labels.export(session, viewer=crud.ANONYMOUS)
        human = labels_side(export, "labels") if export["labels"] else None
        if human is not None:
            human.left_out["labellers"] = len({x["labeller"] for x in export["labels"]})
        judges = [{"judge_fingerprint": fp, "judge_label": names[fp],
                   "controls": [controls_block(r) for r in controls.get(fp, [])],
                   "human": human_agreement(session, judge_fingerprint=fp, human=human)}
                  for fp in sorted(names)]
        return {"judges": judges, "labels": export["count"]}

    body = cache.get_or_build(data_version(session), build) if cache is not None else build()
    if judge:
        prefix = judge.lower()
        body = {**body, "judges": [j for j in body["judges"] if j["judge_fingerprint"].startswith(prefix)]}
    return body
