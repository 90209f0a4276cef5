"""`evaluate`: the one scoring pipeline; the CLI, the service's workers and the tests all call it.

Example:
    >>> from intergeneval.runner import evaluate  # doctest: +SKIP
    >>> cfg = EvalConfig(videos=Path("videos"), suite="suite.json", out=Path("out"))  # doctest: +SKIP
    >>> summary = evaluate(cfg)  # doctest: +SKIP

One video's work is `pipeline.score_video` (decode once → first-frame masks → one joint tracking pass →
sampled frames with overlay → judge calls → metrics, protocol Part I). `evaluate` owns everything around
it: the cache look-ups, `OUT/per_video.jsonl` (each record appended and flushed as soon as the video is
done, so a rerun, or a run after a crash, computes only what is missing), the evidence files and
`OUT/summary.json`/`summary.csv`. An engine (`intergeneval.engines`) decides how the uncached videos run:
one after the other, several at once on threads, or on Ray. Records arrive in completion order; the
summary takes them in suite order, so every engine writes the same summary bytes.
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from . import __version__, config, video_folder
from .backends import Backends, backend_names
from .cache import ResultCache, cache_key, is_final, link_or_copy
from .engines import make_engine
from .errors import ConfigError
from .events import Progress, ProgressEvent
from .formats import (RESULT_SCHEMA_VERSION, append_jsonl, atomic_write_text, load_suite, read_jsonl,
                      write_json)
from .hashing import SERVED_KEY, sha256_file
from .judges.base import Judge
from .pipeline import OVERLAY, PipelineOptions, Scored, VideoJob, record
from .runconfig import EvalConfig
from .summary import summarise, write_summary

__all__ = ["OVERLAY", "Backends", "backend_names", "evaluate"]

log = logging.getLogger(__name__)


def evaluate(
    cfg: EvalConfig,
    *,
    judge: Judge | None = None,
    tracker: Any = None,
    detector: Any = None,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> dict[str, Any]:
    """Score every scenario's video and write per-video results, the cache and the summary.

    Args:
        cfg: the run (its `engine`, `concurrency` and `address` say how videos run).
        judge, tracker, detector: pre-built backends (a worker builds them once for all jobs); built from
            `cfg` when None.
        progress: called with a `ProgressEvent` when a stage of a video starts or ends and when a video is
            finished (see `intergeneval.events`); never from two threads at once.
        should_stop: polled before each video is started; when it returns True no further video starts,
            those in flight finish, and the summary says the run is incomplete.

    Returns:
        The summary dict, as written to `OUT/summary.json`.

    Raises:
        DataFormatError: the suite is invalid. ConfigError: options or paths that cannot work (all checked
            before any model is loaded).
    """
    cfg.check()
    suite = load_suite(cfg.suite)
    engine = make_engine(cfg.engine, concurrency=cfg.concurrency, address=cfg.address,
                         options=cfg.engine_options)
    out = Path(cfg.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ConfigError(f"{out}: cannot create the output folder: {e.strerror or e}") from None
    events = _Events(progress)
    backends = Backends(cfg, judge=judge, tracker=tracker, detector=detector, on_load=events.load)
    fingerprints = backends.fingerprints()
    pipeline = {"stride": cfg.stride, "attempts": cfg.attempts, "mask_resize": cfg.mask_resize,
                "expect_size": cfg.expect_size, "overlay": OVERLAY}
    if cfg.max_side is not None:  # only when used: results of earlier runs keep their cache keys
        pipeline["max_side"] = cfg.max_side
    cache = ResultCache(Path(cfg.cache_dir) if cfg.cache_dir else out / "cache")
    scenarios = suite.scenarios[: cfg.limit] if cfg.limit is not None else suite.scenarios
    per_video = out / "per_video.jsonl"
    previous = {r.get("cache_key"): r for r in read_jsonl(per_video)}
    # rewritten below: stale lines (other judge, changed video) are dropped
    if not cfg.controls_only:
        atomic_write_text(per_video, "")
    files = video_folder.scan(cfg.videos, [s.id for s in suite.scenarios])
    plan = None
    if cfg.controls:  # negative controls derived from the same decoded videos (intergeneval.controls)
        from .controls import ControlPlan

        plan = ControlPlan(cfg.controls, scenarios, sample=cfg.controls_sample,
                           locate=lambda sc: files.path(sc.id) if sc.id in files.paths else None,
                           tracker=backends.tracker, fingerprints=fingerprints, pipeline=pipeline, out=out,
                           cache=cache)

    events.total = len(scenarios)
    records: dict[int, dict[str, Any]] = {}  # by position in the suite
    stopped = False

    def finished(index: int, rec: dict[str, Any]) -> None:
        append_jsonl(per_video, rec)
        records[index] = rec
        events.video(rec)

    def uncached() -> Iterator[VideoJob]:
        """The videos to score, in suite order; missing and cached ones are recorded on the way."""
        nonlocal stopped
        for index, sc in enumerate(scenarios):
            if should_stop is not None and should_stop():
                stopped = True
                return
            path = files.path(sc.id)
            if sc.id not in files.paths:
                why = f"{files.folder}: {files.missing_reason(sc.id)}"
                if not cfg.controls_only:
                    finished(index, record(sc, path, status="missing", reason=why))
                continue
            digest = sha256_file(path)
            key = cache_key(video_sha256=digest, scenario_hash=sc.content_hash,
                            fingerprints={**fingerprints, "pipeline": pipeline}, protocol=config.PROTOCOL_ID)
            controls: list[Any] = []
            if plan is not None:
                controls, hits = plan.jobs_for(sc, digest)
                for rec, control_key in hits:
                    _restore_evidence(rec, cache.entry(control_key), out)
                    plan.finished(rec)
            hit = None if cfg.controls_only else previous.get(key) or cache.get(key)
            if cfg.controls_only or (hit is not None and is_final(hit)):
                if hit is not None:
                    _restore_evidence(hit, cache.entry(key), out)
                    finished(index, {**hit, "cached": True})
                if controls:  # the video is decoded for its controls only
                    yield VideoJob(index, sc, path, digest, key, tuple(controls), score=False)
                continue
            yield VideoJob(index, sc, path, digest, key, tuple(controls))

    def keep(scored: Scored) -> None:
        """A finished video's files (evidence, cache entry): written before its record is appended."""
        for done in ([scored] if scored.job.score else []) + scored.controls:
            _keep(done, out, cache)

    for scored in engine.run(uncached(), backends, PipelineOptions.from_config(cfg), events.stage, keep):
        if scored.job.score:
            finished(scored.job.index, scored.record)
        for control in scored.controls:
            plan.finished(control.record)

    boot = {"samples": cfg.bootstrap_samples, "seed": cfg.bootstrap_seed}
    if cfg.controls_only:
        body = {"schema_version": RESULT_SCHEMA_VERSION, "protocol": config.PROTOCOL_ID,
                "package_version": __version__, "suite": {"id": suite.suite_id, "version": suite.version,
                                                          "content_hash": suite.content_hash},
                "fingerprints": _with_served(fingerprints, plan.records.values()),
                "config": {**cfg.public(), **pipeline}, "complete": not stopped,
                "controls": plan.report(**boot)}
        write_json(out / "controls.json", body)
        return body

    summary = summarise(
        [records[i] for i in sorted(records)],
        expected=[s.id for s in scenarios],
        suite=suite,
        fingerprints=_with_served(fingerprints, records.values()),
        run_config={**cfg.public(), **pipeline},
        package_version=__version__,
        samples=cfg.bootstrap_samples,
        seed=cfg.bootstrap_seed,
        stopped=stopped,
        unused_files=files.unused,
    )
    if plan is not None:  # under its own key, never mixed into the model's scores
        summary["controls"] = plan.report([records[i] for i in sorted(records)], **boot)
    write_summary(out, summary)
    return summary


def _with_served(fingerprints: dict[str, Any], records: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The fingerprints to record with the results: the judge's with what its server reported for the calls
    that made them (`served`, e.g. the openai judge's served models and `system_fingerprint`s), gathered from
    the records: a cached video keeps what served it, a video judged on another machine brings it back, and
    a judge kept for several runs (a worker's) adds nothing of the others. Provenance only: the cache keys
    above were made without it (`hashing.fingerprint_identity`)."""
    reports = [r[SERVED_KEY] for r in records if r.get(SERVED_KEY)]
    if not reports:
        return fingerprints
    modes = {m for s in reports for m in str(s.get("structured_output") or "").split("; ") if m}
    served = {k: sorted({v for s in reports for v in s.get(k) or []})
              for k in ("models", "system_fingerprints")}
    served["structured_output"] = "; ".join(sorted(modes))
    return {**fingerprints, "judge": {**(fingerprints.get("judge") or {}), SERVED_KEY: served}}


class _Events:
    """Turns stage and video notices into `ProgressEvent`s for the caller's callback, one at a time."""

    def __init__(self, progress: Progress | None, total: int = 0):
        self.progress, self.total, self.done = progress, total, 0
        self._lock = threading.Lock()

    def load(self, role: str) -> None:
        if self.progress is not None:
            with self._lock:
                self.progress(ProgressEvent("load", "", stage=role))

    def stage(self, scenario_id: str, stage: str, seconds: float | None) -> None:
        if self.progress is not None:
            with self._lock:
                self.progress(ProgressEvent("stage", scenario_id, stage=stage, seconds=seconds))

    def video(self, rec: dict[str, Any]) -> None:
        with self._lock:
            self.done += 1
            if self.progress is not None:
                self.progress(ProgressEvent("video", rec["scenario_id"], done=self.done, total=self.total,
                                            record=rec))


def _keep(scored: Scored, out: Path, cache: ResultCache) -> None:
    """Write a finished video's evidence under OUT and, when final, cache its record and evidence."""
    rec, key = scored.record, scored.job.key
    if scored.evidence:
        folder = out / "evidence" / scored.job.scenario.id
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        for rel, data in scored.evidence.items():
            (out / rel).write_bytes(data)
    if is_final(rec):
        cache.put(key, rec)
        for rel in rec.get("evidence", {}).values():
            link_or_copy(out / rel, cache.entry(key) / "evidence" / Path(rel).name)


def _restore_evidence(rec: dict[str, Any], entry: Path, out: Path) -> None:
    for rel in rec.get("evidence", {}).values():
        src = entry / "evidence" / Path(rel).name
        if not (out / rel).exists() and src.exists():
            link_or_copy(src, out / rel)
