"""Leaderboard rows: each visible model's latest finished job per group, ranked by IF with CI and Rank(UB).

A group is (suite id, suite version, suite hash, protocol, judge fingerprint): rows made with different
judges or suite contents are never ranked together (protocol Part I). Within a group only complete rows
(every scenario of the suite scored) are ranked (`intergeneval.metrics.rank_models`); an incomplete job's row
is shown unranked, `status: "incomplete"`, with its coverage. Reference rows (the paper's reported numbers,
`baselines.paper_results.reference_rows()`) are appended, flagged `reference: true`, never ranked.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, select

from intergeneval.formats import csv_cell
from intergeneval.metrics.aggregate import rank_models

from . import crud
from .crud import METRICS, Viewer
from .models import Job, JobStatus, JobSummary, Model, iso

log = logging.getLogger(__name__)

GROUP_KEYS = ("suite_id", "suite_version", "suite_hash", "protocol", "judge_fingerprint")
CATEGORY_KEYS = ("interaction_type", "pairing")


def leaderboard(session: Session, *, viewer: Viewer, suite: str | None = None, suite_version: str | None = None,
                judge: str | None = None, include_reference: bool = True) -> dict[str, Any]:
    """The leaderboard body (see docs/api.md): rows, groups, filters, metric names, count."""
    latest = (select(func.max(JobSummary.id))
              .join(Job, Job.id == JobSummary.job_id).join(Model, Model.id == Job.model_id)
              .where(Job.status.in_([JobStatus.succeeded, JobStatus.incomplete]),
                     crud.visible_models_clause(viewer)))
    if suite:
        latest = latest.where(JobSummary.suite_id == suite)
    if suite_version:
        latest = latest.where(JobSummary.suite_version == suite_version)
    if judge:
        latest = latest.where(JobSummary.judge_fingerprint.startswith(judge.lower(), autoescape=True))
    latest = latest.group_by(Job.model_id, *(getattr(JobSummary, k) for k in GROUP_KEYS))
    ids = list(session.exec(latest).all())
    rows: list[dict[str, Any]] = []
    if ids:
        found = session.exec(select(JobSummary, Job, Model).join(Job, Job.id == JobSummary.job_id)
                             .join(Model, Model.id == Job.model_id).where(JobSummary.id.in_(ids))).all()
        rows = [_row(s, j, m) for s, j, m in found]
    groups = _rank(rows)
    if include_reference:
        refs = reference_rows()
        if suite:
            refs = [r for r in refs if r.get("suite_id") in (None, suite)]
        rows += refs
    return {"rows": rows, "groups": groups,
            "filters": {"suite": suite, "suite_version": suite_version, "judge": judge},
            "metrics": list(METRICS), "count": len(rows)}


def data_version(session: Session) -> tuple[tuple, tuple]:
    """(models part, results part): changes whenever the leaderboard may change.

    The models part changes when a model is created or edited (hidden, made private, flagged, its card); the
    results part when a job finished or a summary was stored (a retried job's summary replaces its row in
    place; its finish time changes). The models part names the models kept from the public outright:
    visibility must never hang on an edit time, which another host's clock (or a clock stepped back) can
    leave behind an earlier edit. Otherwise aggregates over indexed columns only, and one small query of
    the models table: far cheaper than building the board, which parses every row's summary JSON.
    """
    jobs = session.exec(select(func.max(Job.finished_at), func.count(Job.finished_at))).one()
    summaries = session.exec(select(func.max(JobSummary.id))).one()
    models = session.exec(select(func.max(Model.updated_at), func.count(Model.id))).one()
    unshown = session.exec(select(Model.id).where(or_(Model.hidden.is_(True), Model.public.is_(False)))
                           .order_by(Model.id)).all()
    return ((*models, tuple(unshown)), (*jobs, summaries))


class BoardCache:
    """Serialised leaderboard answers keyed by (who may see what, filters, format), valid for one data version.

    Many clients poll the leaderboard; building it parses every row's summary, so identical answers are
    built (and gzipped: the JSON shrinks about tenfold) once per change of the data instead of once per request.
    """

    def __init__(self, size: int = 128):
        self._size = size
        self._items: OrderedDict[tuple, tuple[tuple, tuple[bytes, bytes]]] = OrderedDict()
        self._lock = threading.Lock()
        self._building: dict[tuple, threading.Lock] = {}

    def get(self, key: tuple, version: tuple) -> tuple[bytes, bytes] | None:
        """The cached (plain, gzip) answer for `key` made at `version`, or None."""
        with self._lock:
            hit = self._items.get(key)
            if hit is None or hit[0] != version:
                return None
            self._items.move_to_end(key)
            return hit[1]

    def get_or_build(self, key: tuple, version: tuple[tuple, tuple],
                     build: Callable[[], bytes]) -> tuple[bytes, bytes]:
        """The cached answer, or build it. One thread builds a given answer at a time; a herd of pollers never
        builds it many times at once.

        `version` is `data_version`'s (models part, results part). While one thread rebuilds, the others get
        the previous answer at once when only results changed since it was built (stale by the build's
        duration, well under a second); when a model changed (hidden, made private) they wait for the build:
        an answer listing a model that may no longer be shown is never served again.
        """
        with self._lock:
            hit = self._items.get(key)
            if hit is not None and hit[0] == version:
                self._items.move_to_end(key)
                return hit[1]
            key_lock = self._building.setdefault(key, threading.Lock())
        stale_ok = hit is not None and hit[0][0] == version[0]
        if not key_lock.acquire(blocking=not stale_ok):
            return hit[1]  # another thread is rebuilding it after new results: serve the previous answer
        try:
            fresh = self.get(key, version)  # built by another thread while this one waited
            if fresh is not None:
                return fresh
            data = build()
            entry = (data, gzip.compress(data, compresslevel=6, mtime=0))
            with self._lock:
                self._items[key] = (version, entry)
                self._items.move_to_end(key)
                while len(self._items) > self._size:
                    old, _ = self._items.popitem(last=False)
                    self._building.pop(old, None)
            return entry
        finally:
            key_lock.release()


def cache_key(viewer: Viewer, *, suite: str | None = None, suite_version: str | None = None,
              judge: str | None = None, include_reference: bool = True, fmt: str = "json") -> tuple:
    """The cache key of one leaderboard answer: who may see what, the filters, the format."""
    who = "admin" if viewer.is_admin else ("public" if viewer.user_id is None else f"user:{viewer.user_id}")
    return (who, suite, suite_version, judge, include_reference, fmt)


def render(session: Session, cache: BoardCache, viewer: Viewer, *, suite: str | None = None,
           suite_version: str | None = None, judge: str | None = None, include_reference: bool = True,
           fmt: str = "json") -> tuple[bytes, bytes]:
    """The (plain, gzip) bytes of a leaderboard answer, from the cache when the data did not change."""
    def build() -> bytes:
        body = leaderboard(session, viewer=viewer, suite=suite, suite_version=suite_version, judge=judge,
                           include_reference=include_reference)
        return (to_csv(body) if fmt == "csv" else json.dumps(body, separators=(",", ":"))).encode()

    key = cache_key(viewer, suite=suite, suite_version=suite_version, judge=judge,
                    include_reference=include_reference, fmt=fmt)
    return cache.get_or_build(key, data_version(session), build)


def categories(summary: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """Per-category means in the API's shape: `n` (= `scored`) videos scored of `expected` (every category of
    the suite, even one whose videos all failed: its means are null)."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for key, cats in (summary.get("categories") or {}).items():
        out[key] = {str(cat): {"n": v.get("videos"), "scored": v.get("scored", v.get("videos")),
                               "expected": v.get("expected"),
                               **{m: (v.get("metrics") or {}).get(m) for m in METRICS}}
                    for cat, v in (cats or {}).items()}
    return out


def _row(s: JobSummary, job: Job, model: Model) -> dict[str, Any]:
    return {
        "rank": None, "rank_ub": None, "reference": False, "ranked": False, "status": "incomplete",
        # not stopped early, not limited (read, then dropped, by _rank)
        "_complete": bool(s.complete) and s.summary.get("comparable", True) is not False,
        "model_id": model.id, "model_name": model.name, "organisation": model.organisation,
        "model_link": model.link, "flagged": model.flagged,
        "suite_id": s.suite_id, "suite_version": s.suite_version, "suite_hash": s.suite_hash,
        "protocol": s.protocol, "judge_fingerprint": s.judge_fingerprint, "judge_label": s.judge_label,
        "metrics": crud.metric_block(s.summary.get("metrics")),
        "coverage": {"scored": s.scored, "expected": s.expected,
                     "ratio": s.scored / s.expected if s.expected else None},
        "categories": categories(s.summary),
        "date": iso(job.finished_at or s.created_at), "job_id": job.id,
        "links": {"job": f"/api/v1/jobs/{job.id}", "results": f"/api/v1/jobs/{job.id}/results",
                  "model": f"/api/v1/models/{model.id}"},
    }


def _rank(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rank rows in place within their group (complete rows only) and sort them; returns the groups.

    Ranked rows come first by rank, then the incomplete ones by coverage (higher first); ties by name.
    """
    by_group: dict[tuple, list[dict[str, Any]]] = {}
    for r in rows:
        by_group.setdefault(tuple(r[k] for k in GROUP_KEYS), []).append(r)
    groups = []
    ordered: list[dict[str, Any]] = []
    for key in sorted(by_group, key=lambda k: tuple(str(x) for x in k)):
        members = by_group[key]
        ranking = rank_models({i: {**r["metrics"]["if"], **r["coverage"], "complete": r.pop("_complete")}
                               for i, r in enumerate(members)})
        for i, r in enumerate(members):
            got = ranking[i]
            r.update(rank=got["rank"], rank_ub=got["rank_ub"], ranked=got["ranked"],
                     status="ranked" if got["ranked"] else "incomplete")
        members.sort(key=lambda r: (not r["ranked"], r["rank"] or 0, -(r["coverage"]["ratio"] or 0.0),
                                    r["model_name"]))
        ordered += members
        groups.append({**dict(zip(GROUP_KEYS, key, strict=True)), "judge_label": members[0]["judge_label"],
                       "num_rows": len(members), "num_ranked": sum(r["ranked"] for r in members)})
    rows[:] = ordered
    return groups


def reference_rows() -> list[dict[str, Any]]:
    """The paper's reported rows (from `baselines.paper_results`), in the row shape; [] when unavailable."""
    try:
        from baselines.paper_results import reference_rows as paper_rows
    except ImportError:
        return []
    try:
        raw = list(paper_rows())
    except Exception:  # a broken baselines module must not take the leaderboard down
        log.exception("baselines.paper_results.reference_rows() failed; no reference rows shown")
        return []
    return [_reference_row(r) for r in raw if isinstance(r, dict)]


def _reference_row(r: dict[str, Any]) -> dict[str, Any]:
    metrics_in = r.get("metrics") or {}

    def mean(m: str) -> float | None:
        v = metrics_in.get(m, r.get(m))
        return v.get("mean") if isinstance(v, dict) else v

    return {
        "rank": None, "rank_ub": None, "reference": True, "ranked": False, "status": "reference",
        "model_id": None, "job_id": None,
        "model_name": r.get("model_name") or r.get("model") or r.get("name"),
        "organisation": r.get("organisation"), "model_link": r.get("link"), "flagged": False,
        "suite_id": r.get("suite_id"), "suite_version": r.get("suite_version"), "suite_hash": r.get("suite_hash"),
        "protocol": r.get("protocol"), "judge_fingerprint": r.get("judge_fingerprint"),
        "judge_label": r.get("judge_label") or r.get("judge") or "reported by the paper",
        "metrics": {m: {"mean": mean(m), "ci_low": None, "ci_high": None} for m in METRICS},
        "coverage": r.get("coverage") or {"scored": None, "expected": None},
        "categories": r.get("categories") or {},
        "date": r.get("date"), "source": r.get("source") or "reported in the paper",
        "links": {},
    }


def to_csv(body: dict[str, Any]) -> str:
    """The leaderboard as CSV: the columns docs/api.md lists, categories last (IF mean per category)."""
    cats = sorted({(k, c) for r in body["rows"] for k, cs in (r.get("categories") or {}).items() for c in cs},
                  key=lambda kc: (CATEGORY_KEYS.index(kc[0]) if kc[0] in CATEGORY_KEYS else 99, kc[1]))
    header = ["rank", "rank_ub", "reference", "model_name", "organisation", "model_id", "suite_id",
              "suite_version", "suite_hash", "protocol", "judge_label", "judge_fingerprint"]
    header += [f"{m}_{k}" for m in METRICS for k in ("mean", "ci_low", "ci_high")]
    header += ["status", "scored", "expected", "date", "job_id"] + [f"cat_{c}_if" for _, c in cats]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for r in body["rows"]:
        line = [r.get(k) for k in header[:12]]
        line += [r["metrics"][m][k] for m in METRICS for k in ("mean", "ci_low", "ci_high")]
        cov = r.get("coverage") or {}
        line += [r.get("status"), cov.get("scored"), cov.get("expected"), r.get("date"), r.get("job_id")]
        line += [((r.get("categories") or {}).get(k) or {}).get(c, {}).get("if") for k, c in cats]
        w.writerow(["" if v is None else csv_cell(v) for v in line])  # names are users' text: no formulas
    return buf.getvalue()
