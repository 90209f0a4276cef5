"""`evaluate`: the one scoring pipeline; the CLI, the service's workers and the tests all call it.

Example:
    >>> from intergeneval.runner import evaluate  # doctest: +SKIP
    >>> summary = evaluate(EvalConfig(videos=Path("videos"), suite="suite.json", out=Path("out")))  # doctest: +SKIP

Per video, in order (protocol Part I): decode once → first-frame masks → one joint tracking pass →
sampled frames with overlay → one judge call per key interaction + one emergence/disappearance call →
metrics. Each result is appended to `OUT/per_video.jsonl` as soon as it is done and cached, so a rerun
(or a run after a crash) computes only what is missing. `OUT/summary.json` and `OUT/summary.csv` follow.
"""

from __future__ import annotations

import logging
import shutil
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__, config, video
from .cache import ResultCache, cache_key, is_final, link_or_copy
from .errors import ConfigError, DetectionError, InterGenEvalError, JudgeError, TrackingError, VideoError
from .formats import RESULT_SCHEMA_VERSION, append_jsonl, atomic_write_text, load_suite, read_jsonl
from .hashing import sha256_file
from .judges.base import Judge, JudgeVideo
from .records import Scenario
from .registry import DETECTORS, JUDGES, TRACKERS, lookup
from .runconfig import EvalConfig
from .summary import summarise, write_summary

log = logging.getLogger(__name__)

Progress = Callable[[int, int, dict[str, Any]], None]
#: Overlay parameters recorded in every fingerprint (drawing changes what the judge sees).
OVERLAY = {"fill_alpha": 0.5, "box_thickness": 2, "fill_frames": [0], "palette": "protocol+extension-v1"}


class Backends:
    """The judge, tracker and (optional) detector of a run, built once and reused for every video."""

    def __init__(self, cfg: EvalConfig, *, judge: Any = None, tracker: Any = None, detector: Any = None):
        given = {"judge": judge, "tracker": tracker, "detector": detector}
        names = _backend_names(cfg, provided={role for role, b in given.items() if b is not None})
        tables = {"judge": JUDGES, "tracker": TRACKERS, "detector": DETECTORS}
        for role, table in tables.items():
            if given[role] is None and names.get(role):
                try:
                    given[role] = lookup(table, names[role], kind=role)(**names[f"{role}_options"])
                except InterGenEvalError as e:  # before any video: name the profile the backend came from
                    where = f" (profile {cfg.profile!r})" if cfg.profile else ""
                    e.args = (f"{role} {names[role]!r}{where}: {e}",)
                    raise
        self.judge, self.tracker, self.detector = given["judge"], given["tracker"], given["detector"]

    def fingerprints(self) -> dict[str, Any]:
        """Fingerprints of the three backends (detector None when the run has none)."""
        return {
            "judge": self.judge.fingerprint(),
            "tracker": self.tracker.fingerprint(),
            "detector": self.detector.fingerprint() if self.detector is not None else None,
        }


def _backend_names(cfg: EvalConfig, *, provided: set[str] = frozenset()) -> dict[str, Any]:
    """Backend names and options for the roles not `provided` as instances.

    An explicitly named backend wins over the profile's; the profile fills the rest (the detector too).
    """
    names: dict[str, Any] = {}
    for role in ("judge", "tracker", "detector"):
        if role not in provided:
            names[role] = getattr(cfg, role)
            names[f"{role}_options"] = dict(getattr(cfg, f"{role}_options"))
    open_roles = [role for role in names if role in ("judge", "tracker", "detector") and names[role] is None]
    if cfg.profile and open_roles:
        from .profiles import resolve_profile

        prof = resolve_profile(cfg.profile)
        for role in open_roles:
            names[role] = prof.get(role)
            names[f"{role}_options"] = {**prof.get(f"{role}_options", {}), **names[f"{role}_options"]}
    for role in ("judge", "tracker"):
        if role in names and names[role] is None:
            raise ConfigError(f"no {role}: name one (--{role}) or a model profile (--profile default|tiny)")
    return names


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
        cfg: the run.
        judge, tracker, detector: pre-built backends (a worker builds them once for all jobs); built from
            `cfg` when None.
        progress: called after each video with (videos done, videos expected, the video's record).
        should_stop: polled before each video; when it returns True the run stops and the summary says so.

    Returns:
        The summary dict, as written to `OUT/summary.json`.

    Raises:
        DataFormatError: the suite is invalid. ConfigError: the options name nothing known.
    """
    if cfg.stride < 1:
        raise ConfigError(f"stride must be at least 1, got {cfg.stride}")
    if not Path(cfg.videos).is_dir():
        raise ConfigError(f"{cfg.videos}: videos folder does not exist")
    suite = load_suite(cfg.suite)
    backends = Backends(cfg, judge=judge, tracker=tracker, detector=detector)
    fingerprints = backends.fingerprints()
    pipeline = {"stride": cfg.stride, "attempts": cfg.attempts, "mask_resize": cfg.mask_resize,
                "expect_size": cfg.expect_size, "overlay": OVERLAY}
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    cache = ResultCache(Path(cfg.cache_dir) if cfg.cache_dir else out / "cache")
    scenarios = suite.scenarios[: cfg.limit] if cfg.limit else suite.scenarios
    per_video = out / "per_video.jsonl"
    previous = {r.get("cache_key"): r for r in read_jsonl(per_video)}
    atomic_write_text(per_video, "")  # rewritten below: stale lines (other judge, changed video) are dropped

    records: list[dict[str, Any]] = []
    stopped = False
    for n, sc in enumerate(scenarios, 1):
        if should_stop is not None and should_stop():
            stopped = True
            break
        path = Path(cfg.videos) / f"{sc.id}.mp4"
        record = _cached_or_scored(sc, path, cfg, backends, fingerprints, pipeline, cache, previous, out)
        append_jsonl(per_video, record)
        records.append(record)
        if progress is not None:
            progress(n, len(scenarios), record)

    summary = summarise(
        records,
        expected=[s.id for s in scenarios],
        suite=suite,
        fingerprints=fingerprints,
        run_config={**cfg.public(), **pipeline},
        package_version=__version__,
        samples=cfg.bootstrap_samples,
        seed=cfg.bootstrap_seed,
        stopped=stopped,
    )
    write_summary(out, summary)
    return summary


def _cached_or_scored(
    sc: Scenario, path: Path, cfg: EvalConfig, backends: Backends, fingerprints: dict[str, Any],
    pipeline: dict[str, Any], cache: ResultCache, previous: dict[str, dict[str, Any]], out: Path,
) -> dict[str, Any]:
    if not path.is_file():
        return _record(sc, path, status="missing", reason=f"{path}: no video for scenario {sc.id!r}")
    digest = sha256_file(path)
    key = cache_key(video_sha256=digest, scenario_hash=sc.content_hash,
                    fingerprints={**fingerprints, "pipeline": pipeline}, protocol=config.PROTOCOL_ID)
    hit = previous.get(key) or cache.get(key)
    if hit is not None and is_final(hit):
        _restore_evidence(hit, cache.entry(key), out)
        return {**hit, "cached": True}
    t0 = time.perf_counter()
    try:
        record = _score_video(sc, path, digest, cfg, backends, out)
    except Exception as e:  # one video's unexpected failure must not end the run, nor count as a success
        log.exception("scenario %s failed", sc.id)
        record = _record(sc, path, status="error", reason=f"{type(e).__name__}: {e}",
                         detail=traceback.format_exc(limit=5))
    record["video_sha256"] = digest
    record["cache_key"] = key
    record.setdefault("timings", {})["total_s"] = round(time.perf_counter() - t0, 4)
    if is_final(record):
        cache.put(key, record)
        for rel in record.get("evidence", {}).values():
            link_or_copy(out / rel, cache.entry(key) / "evidence" / Path(rel).name)
    return record


def _restore_evidence(record: dict[str, Any], entry: Path, out: Path) -> None:
    for rel in record.get("evidence", {}).values():
        src = entry / "evidence" / Path(rel).name
        if not (out / rel).exists() and src.exists():
            link_or_copy(src, out / rel)


def _record(sc: Scenario, path: Path, *, status: str, reason: str = "", **extra: Any) -> dict[str, Any]:
    return {
        "schema_version": RESULT_SCHEMA_VERSION,
        "scenario_id": sc.id,
        "video": path.name,
        "status": status,
        "reason": reason,
        "category": {"interaction_type": sc.interaction_type, "pairing": sc.pairing, "direction": sc.direction},
        **extra,
    }


def _score_video(sc: Scenario, path: Path, digest: str, cfg: EvalConfig, backends: Backends,
                 out: Path) -> dict[str, Any]:
    from .metrics.scores import video_scores

    timings: dict[str, float] = {}
    t = time.perf_counter()
    try:
        decoded = video.decode(path, expect_size=cfg.expect_size)
    except VideoError as e:
        return _record(sc, path, status=e.status, reason=e.reason, timings={"decode_s": time.perf_counter() - t})
    frames = decoded.frames
    info = decoded.info
    timings["decode_s"] = time.perf_counter() - t
    base = _record(sc, path, status="scored", video_info={
        "frames": info.frames, "fps": info.fps, "width": info.width, "height": info.height, "codec": info.codec})
    sampled = video.sample_indices(len(frames), cfg.stride)
    base["sampled_frames"] = list(sampled)

    t = time.perf_counter()
    try:
        first = _first_masks(sc, frames, cfg, backends)
        timings["detect_s"] = time.perf_counter() - t
        t = time.perf_counter()
        masks_at = _track(sc, frames, first, backends, set(sampled))
    except (TrackingError, DetectionError) as e:
        status = "detection_error" if isinstance(e, DetectionError) else "tracking_error"
        return {**base, "status": status, "reason": str(e), "timings": timings}
    timings["track_s"] = time.perf_counter() - t

    t = time.perf_counter()
    overlays = video.overlay_sampled(frames, sampled, masks_at)
    colors = tuple(video.color(i)[0] for i in range(len(sc.objects)))
    timings["overlay_s"] = time.perf_counter() - t
    jv = JudgeVideo(key=digest, scenario=sc, frame_indices=tuple(sampled),
                    frames=tuple(overlays), colors=colors)

    t = time.perf_counter()
    try:
        qa = [backends.judge.answer(jv, i) for i in range(len(sc.key_interactions))]
        ch = backends.judge.changes(jv)
    except JudgeError as e:
        return {**base, "status": "judge_error", "reason": str(e), "timings": timings}
    timings["judge_s"] = time.perf_counter() - t

    answers = [a for o in qa for a in o.answers]
    changes = ch.changes
    scores = video_scores(
        answers,
        changes.emergence if changes else None,
        changes.disappearance if changes else None,
        len(sampled) - 1,
    )
    t = time.perf_counter()
    evidence = _save_evidence(out, sc.id, sampled, overlays) if cfg.evidence else {}
    timings["evidence_s"] = time.perf_counter() - t
    missing = [k for k in ("kisa", "sgi", "spi") if scores.get(k) is None]
    status, reason = "scored", ""
    if missing:
        status = "judge_error"
        why = []
        if "spi" in missing:
            why.append("no valid emergence/disappearance reply (" + "; ".join(ch.errors[-1:]) + ")")
        if "kisa" in missing or "sgi" in missing:
            errs = [e for o in qa for e in o.errors][-1:]
            why.append(f"no valid answer for {', '.join(m.upper() for m in missing if m != 'spi')} questions"
                       + (f" ({errs[0]})" if errs else ""))
        reason = "; ".join(why)
    return {
        **base,
        "status": status,
        "reason": reason,
        "scores": {k: scores[k] for k in ("kisa", "sgi", "spi", "kisa_spi", "sgi_spi", "if")},
        "diagnostics": {k: v for k, v in scores.items() if k not in ("kisa", "sgi", "spi", "kisa_spi", "sgi_spi", "if")},
        "interactions": [
            {
                "text": ki.text,
                "attempts": o.attempts,
                "errors": o.errors,
                "answers": [
                    {"slot": q.slot, "question": q.text, "answer": a.answer, "frame": a.frame}
                    for q, a in zip(ki.questions, o.answers, strict=True)
                ],
            }
            for ki, o in zip(sc.key_interactions, qa, strict=True)
        ],
        "changes": None if changes is None else {
            "emergence": list(changes.emergence), "disappearance": list(changes.disappearance),
            "emergence_reason": changes.emergence_reason, "disappearance_reason": changes.disappearance_reason,
        },
        "changes_attempts": ch.attempts,
        "changes_errors": ch.errors,
        "colors": list(colors),
        "evidence": evidence,
        "timings": {k: round(v, 4) for k, v in timings.items()},
    }


def _first_masks(sc: Scenario, frames: np.ndarray, cfg: EvalConfig, backends: Backends) -> np.ndarray | None:
    """One mask per object at frame 0: from the suite, from the detector, or none if the tracker needs none."""
    h, w = frames.shape[1:3]
    if not getattr(backends.tracker, "needs_first_masks", True):
        return None  # a replay of given tracks: loading the suite's masks would be wasted work
    if sc.masks:
        return np.stack([video.resize_mask(video.load_mask(p), (h, w), mode=cfg.mask_resize) for p in sc.masks])
    if backends.detector is not None:
        return backends.detector.first_masks(frames[0], sc, judge=backends.judge)
    raise DetectionError(
        f"scenario {sc.id!r}: the suite has no first-frame masks and the run has no detector "
        "(use --detector grounding-dino or a profile, or build the suite's masks with `intergeneval suite build`)")


def _track(sc: Scenario, frames: np.ndarray, first: np.ndarray | None, backends: Backends,
           keep: set[int]) -> dict[int, np.ndarray]:
    """Run the tracker's one pass and keep the masks of the sampled frames only."""
    n, (t, h, w) = len(sc.objects), frames.shape[:3]
    masks_at: dict[int, np.ndarray] = {}
    seen = 0
    try:
        for i, masks in backends.tracker.track(sc.id, frames, first):
            seen += 1
            if i in keep:
                if masks.shape != (n, h, w):
                    raise TrackingError(f"scenario {sc.id!r}: tracker gave masks of shape {masks.shape} at frame {i}, "
                                        f"expected ({n}, {h}, {w}) for {n} objects")
                masks_at[i] = masks.astype(bool, copy=False)
    except InterGenEvalError:
        raise
    except Exception as e:  # a backend's own exception type, mapped to the per-video status
        raise TrackingError(f"scenario {sc.id!r}: {type(e).__name__}: {e}") from e
    if seen != t or set(masks_at) != keep:
        raise TrackingError(f"scenario {sc.id!r}: tracker covered {seen} of {t} frames")
    return masks_at


def _save_evidence(out: Path, sid: str, sampled: tuple[int, ...], overlays: list[np.ndarray]) -> dict[str, str]:
    """Write the overlay frames the judge saw as JPEGs; returns {frame index: path relative to OUT}."""
    folder = out / "evidence" / sid
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    rels = {str(i): f"evidence/{sid}/{i:03d}.jpg" for i in sampled}
    video.save_jpegs([(out / rels[str(i)], frame) for i, frame in zip(sampled, overlays, strict=True)])
    return rels
