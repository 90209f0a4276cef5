"""One video's work, from its file to its record: the protocol's pipeline (Part I), and nothing else.

`score_video(job, backends, options)` runs, in order: decode once → first-frame masks → one joint tracking
pass → sampled frames with overlay → one judge call per key interaction + one emergence/disappearance call
→ metrics → evidence images. It reads the video and calls the backends; it writes no file (the record and
the evidence bytes go back to `runner.evaluate`, which owns the output folder and the cache), so any engine
can run it: in the calling thread, on threads, or in a Ray worker on another machine. The three stage
functions below (`decode_stage`, `track_stage`, `judge_stage`) are the same work cut where an engine may
hand a video from one pool of workers to another.

A video's own failure (unreadable file, tracker or judge error, an unexpected exception) gives a record
with that status; it never ends the run and is never counted as scored.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import time
import traceback
from collections.abc import Callable
from concurrent.futures import CancelledError, Executor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import video
from .backends import Backends
from .errors import (
    BackendUnavailable,
    DetectionError,
    InterGenEvalError,
    JudgeError,
    TrackingError,
    VideoError,
)
from .formats import RESULT_SCHEMA_VERSION
from .hashing import SERVED_KEY
from .judges.base import JudgeVideo
from .records import Scenario
from .runconfig import EvalConfig

log = logging.getLogger(__name__)

#: Overlay parameters recorded in every fingerprint (drawing changes what the judge sees).
OVERLAY = {"fill_alpha": 0.5, "box_thickness": 2, "fill_frames": [0], "palette": "protocol+extension-v1"}
#: Evidence images: the overlay frames the judge saw, as JPEGs of this quality (the `openai` judge's JPEG
#: quality too, so with `image_format=jpeg` the evidence files are the very bytes the judge was sent).
EVIDENCE_JPEG_QUALITY = 90

_SCORES = ("kisa", "sgi", "spi", "kisa_spi", "sgi_spi", "if")
#: Told when a stage of a video starts (seconds None) and ends (its duration): (scenario id, stage, seconds).
StageHook = Callable[[str, str, "float | None"], None]
#: Runs a video's judge calls (given as functions) at once, returning their results in order; raises the
#: first call's exception (in call order) once every call has ended. An engine gives one that bounds the
#: calls in flight across videos (`calls_on`).
CallRunner = Callable[[list[Callable[[], Any]]], list[Any]]


@dataclass(frozen=True, slots=True)
class VideoJob:
    """A video to score: its scenario, file, content digest and cache key, and its place in the suite.

    `controls` are negative controls derived from this video's decoded frames (`intergeneval.controls`);
    `score` is False when only they are wanted (the video's own result is cached, or a controls-only run).
    """

    index: int
    scenario: Scenario
    path: Path
    digest: str
    key: str
    controls: tuple[Any, ...] = ()
    score: bool = True


@dataclass(frozen=True, slots=True)
class PipelineOptions:
    """The run's options that one video's work needs (small and picklable, for engines in other processes)."""

    stride: int
    mask_resize: str
    expect_size: tuple[int, int] | None
    evidence: bool
    max_side: int | None = None
    max_decoded_mb: int | None = None

    @classmethod
    def from_config(cls, cfg: EvalConfig) -> PipelineOptions:
        """The options of `cfg`."""
        return cls(cfg.stride, cfg.mask_resize, cfg.expect_size, cfg.evidence, cfg.max_side,
                   cfg.max_decoded_mb)


@dataclass(slots=True)
class Scored:
    """What one video's work gives back: its record and its evidence images (path under OUT -> bytes)."""

    job: VideoJob
    record: dict[str, Any]
    evidence: dict[str, bytes] = field(default_factory=dict)
    #: The results of the job's negative controls (never the model's own results).
    controls: list[Scored] = field(default_factory=list)


@dataclass(slots=True)
class Decoded:
    """After `decode_stage`: the frames, and the record so far."""

    frames: np.ndarray | video.SampledFrames
    base: dict[str, Any]
    sampled: tuple[int, ...]
    timings: dict[str, float]


@dataclass(slots=True)
class Tracked:
    """After `track_stage`: what the judge sees, and the record so far."""

    judge_video: JudgeVideo
    base: dict[str, Any]
    timings: dict[str, float]
    #: The tracker's input and its masks at the sampled frames (negative controls start from them).
    first_masks: np.ndarray | None = None
    masks_at: dict[int, np.ndarray] | None = None


def score_video(job: VideoJob, backends: Backends, options: PipelineOptions, hook: StageHook | None = None,
                frames_slot: AbstractContextManager[Any] | None = None) -> Scored:
    """Score one video end to end; see the module docstring. Never raises for the video's own failure.

    `frames_slot` is held while the decoded frames are (decode and tracking), to bound the memory of
    videos decoded ahead.
    """
    if job.controls:  # the same work, plus controls derived from the same decoded frames
        from .controls import score_with_controls

        return score_with_controls(job, backends, options, hook, frames_slot)
    t0 = time.perf_counter()
    return conclude(job, prepare(job, backends, options, hook, frames_slot), backends, options, hook, t0)


def prepare(job: VideoJob, backends: Backends, options: PipelineOptions, hook: StageHook | None = None,
            frames_slot: AbstractContextManager[Any] | None = None) -> Tracked | Scored:
    """`score_video` up to the judge: decode, track, overlay. A video that ends here gets its record.

    (A video with controls is scored whole by `score_video`.)
    """
    try:
        with frames_slot or contextlib.nullcontext():
            pixels = getattr(backends.tracker, "needs_pixels", True)
            step: Decoded | Tracked | Scored = decode_stage(job, options, hook, all_frames=pixels)
            if isinstance(step, Decoded):
                step = track_stage(job, step, backends, options, hook)
        return step
    except BackendUnavailable:  # a model that cannot load is no video's fault: the run ends with its message
        raise
    except Exception as e:  # one video's unexpected failure must not end the run, nor count as a success
        return failed(job, e)


def conclude(job: VideoJob, step: Tracked | Scored, backends: Backends, options: PipelineOptions,
             hook: StageHook | None, t0: float, calls: CallRunner | None = None) -> Scored:
    """`score_video` from the judge on, after `prepare`: the judge's calls, metrics, evidence, and the record
    stamped with the time since `t0`. (`calls`: see `judge_stage`.)"""
    if isinstance(step, Tracked):
        try:
            step = judge_stage(job, step, backends, options, hook, calls)
        except BackendUnavailable:
            raise
        except Exception as e:
            step = failed(job, e)
    return finish(step, t0)


def calls_on(executor: Executor) -> CallRunner:
    """A `CallRunner` that sends the calls on `executor`'s threads: their number bounds the calls in flight.

    Raises CancelledError when a call was cancelled (the executor shut down with `cancel_futures`) and
    RuntimeError when the executor is shut down already.
    """

    def run(asks: list[Callable[[], Any]]) -> list[Any]:
        futures = [executor.submit(ask) for ask in asks]
        for f in futures:  # every call ends before any outcome counts: none is left running unseen
            with contextlib.suppress(CancelledError):
                f.exception()  # (not `futures.wait`: it never wakes for a call a shutdown cancelled)
        return [f.result() for f in futures]

    return run


def failed(job: VideoJob, error: BaseException) -> Scored:
    """The record of a video whose work raised an unexpected exception (status `error`)."""
    log.error("scenario %s failed: %s: %s", job.scenario.id, type(error).__name__, error)
    detail = "".join(traceback.format_exception(error, limit=5))
    reason = f"{type(error).__name__}: {error}"
    return Scored(job, record(job.scenario, job.path, status="error", reason=reason, detail=detail))


def finish(scored: Scored, t0: float) -> Scored:
    """Stamp the record with the video's digest, cache key and total time."""
    rec = scored.record
    rec["video_sha256"] = scored.job.digest
    rec["cache_key"] = scored.job.key
    rec.setdefault("timings", {})["total_s"] = round(time.perf_counter() - t0, 4)
    return scored


def record(sc: Scenario, path: Path, *, status: str, reason: str = "", **extra: Any) -> dict[str, Any]:
    """A per-video record with the fields every status has."""
    return {
        "schema_version": RESULT_SCHEMA_VERSION,
        "scenario_id": sc.id,
        "video": path.name,
        "status": status,
        "reason": reason,
        "category": {"interaction_type": sc.interaction_type, "pairing": sc.pairing,
                     "direction": sc.direction},
        **extra,
    }


class _Clock:
    """Times the stages of one video into `timings` and tells the hook when each starts and ends."""

    def __init__(self, sid: str, timings: dict[str, float], hook: StageHook | None):
        self.sid, self.timings, self.hook = sid, timings, hook
        self.stage: str | None = None
        self.t = 0.0

    def start(self, stage: str) -> None:
        self.end()
        self.stage, self.t = stage, time.perf_counter()
        if self.hook is not None:
            self.hook(self.sid, stage, None)

    def end(self) -> None:
        if self.stage is None:
            return
        seconds = time.perf_counter() - self.t
        self.timings[f"{self.stage}_s"] = seconds
        stage, self.stage = self.stage, None
        if self.hook is not None:
            self.hook(self.sid, stage, seconds)


def decode_stage(job: VideoJob, options: PipelineOptions, hook: StageHook | None = None, *,
                 all_frames: bool = True) -> Decoded | Scored:
    """Decode the video once (CPU); a video that cannot be used ends here with its status.

    `all_frames=False` (a tracker that never looks at pixels) keeps only the sampled frames' pixels.
    """
    sc, path = job.scenario, job.path
    timings: dict[str, float] = {}
    clock = _Clock(sc.id, timings, hook)
    clock.start("decode")
    try:
        limit = None if options.max_decoded_mb is None else options.max_decoded_mb << 20
        decoded = video.decode(path, expect_size=options.expect_size, max_side=options.max_side,
                               max_bytes=limit, sampled_only=None if all_frames else options.stride)
    except VideoError as e:
        clock.end()
        return Scored(job, record(sc, path, status=e.status, reason=e.reason, timings=timings))
    clock.end()
    info, frames = decoded.info, decoded.frames
    video_info = {"frames": info.frames, "fps": info.fps, "width": info.width, "height": info.height,
                  "codec": info.codec}
    if frames.shape[1:3] != (info.height, info.width):  # decoded smaller (max_side)
        video_info["decoded_width"], video_info["decoded_height"] = frames.shape[2], frames.shape[1]
    base = record(sc, path, status="scored", video_info=video_info)
    sampled = video.sample_indices(len(decoded.frames), options.stride)
    base["sampled_frames"] = list(sampled)
    return Decoded(decoded.frames, base, sampled, timings)


def track_stage(job: VideoJob, step: Decoded, backends: Backends, options: PipelineOptions,
                hook: StageHook | None = None, *, first: np.ndarray | None = None) -> Tracked | Scored:
    """First-frame masks, one joint tracking pass, and the overlay of the sampled frames.

    `first`: masks to start from instead of the suite's or the detector's (a control derived from a video
    that is already tracked).
    """
    sc, frames, timings = job.scenario, step.frames, step.timings
    clock = _Clock(sc.id, timings, hook)
    try:
        if first is None:
            if getattr(backends.tracker, "needs_first_masks", True):
                clock.start("detect")  # the suite's masks, or the detector's
            first = _first_masks(sc, frames, options, backends)
        clock.start("track")
        masks_at = _track(sc, frames, first, backends, set(step.sampled))
    except (TrackingError, DetectionError) as e:
        clock.end()
        status = "detection_error" if isinstance(e, DetectionError) else "tracking_error"
        return Scored(job, {**step.base, "status": status, "reason": str(e), "timings": timings})
    clock.start("overlay")
    overlays = video.overlay_sampled(frames, step.sampled, masks_at)
    colors = tuple(video.color(i)[0] for i in range(len(sc.objects)))
    clock.end()
    jv = JudgeVideo(key=job.digest, scenario=sc, frame_indices=tuple(step.sampled), frames=tuple(overlays),
                    colors=colors)
    return Tracked(jv, step.base, timings, first, masks_at)


def judge_stage(job: VideoJob, step: Tracked, backends: Backends, options: PipelineOptions,
                hook: StageHook | None = None, calls: CallRunner | None = None) -> Scored:
    """The judge's calls, the metrics, and the evidence images.

    A video's calls are independent. A judge that marks itself `parallel_calls` (an API judge: each call
    waits on a server) has them sent together through `calls` when an engine gives one; otherwise they
    run one after the other. The results are the same either way.
    """
    from .metrics.scores import video_scores

    sc, jv, base, timings = job.scenario, step.judge_video, step.base, step.timings
    clock = _Clock(sc.id, timings, hook)
    clock.start("judge")
    served: dict[str, Any] | None = None
    try:
        with backends.using("judge") as judge:
            try:
                asks = [functools.partial(judge.answer, jv, i) for i in range(len(sc.key_interactions))]
                asks.append(functools.partial(judge.changes, jv))
                together = calls is not None and getattr(judge, "parallel_calls", False)
                *qa, ch = calls(asks) if together else [ask() for ask in asks]
            finally:  # what the judge's server reported for these calls (the openai judge): provenance
                served = judge.served_for(jv) if hasattr(judge, "served_for") else None
    except JudgeError as e:
        clock.end()
        return Scored(job, {**base, "status": "judge_error", "reason": str(e), "timings": timings,
                            **({SERVED_KEY: served} if served else {})})
    clock.end()

    sampled = jv.frame_indices
    answers = [a for o in qa for a in o.answers]
    changes = ch.changes
    scores = video_scores(
        answers,
        changes.emergence if changes else None,
        changes.disappearance if changes else None,
        len(sampled) - 1,
    )
    evidence: dict[str, bytes] = {}
    if options.evidence:
        clock.start("evidence")
        evidence = evidence_images(sc.id, jv)
        clock.end()
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
    rec = {
        **base,
        "status": status,
        "reason": reason,
        "scores": {k: scores[k] for k in _SCORES},
        "diagnostics": {k: v for k, v in scores.items() if k not in _SCORES},
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
            "emergence_reason": changes.emergence_reason,
            "disappearance_reason": changes.disappearance_reason,
        },
        "changes_attempts": ch.attempts,
        "changes_errors": ch.errors,
        "colors": list(jv.colors),
        "evidence": {str(i): evidence_path(sc.id, i) for i in sampled} if evidence else {},
        "timings": {k: round(v, 4) for k, v in timings.items()},
        **({SERVED_KEY: served} if served else {}),
    }
    return Scored(job, rec, evidence)


def evidence_images(sid: str, jv: JudgeVideo) -> dict[str, bytes]:
    """The overlay frames the judge saw as JPEGs: {path under OUT: bytes}, in frame order (encoded once:
    a judge that was sent JPEGs of the same quality already made them)."""
    images = jv.encoded.images("jpeg", EVIDENCE_JPEG_QUALITY)
    return {evidence_path(sid, i): data for i, data in zip(jv.frame_indices, images, strict=True)}


def evidence_path(sid: str, frame: int) -> str:
    """Where the evidence image of one frame goes, relative to OUT."""
    return f"evidence/{sid}/{frame:03d}.jpg"


def _first_masks(sc: Scenario, frames: np.ndarray, options: PipelineOptions,
                 backends: Backends) -> np.ndarray | None:
    """One mask per object at frame 0: from the suite, from the detector, or none if the tracker needs none.
    """
    h, w = frames.shape[1:3]
    if not getattr(backends.tracker, "needs_first_masks", True):
        return None  # a replay of given tracks: loading the suite's masks would be wasted work
    if sc.masks:
        return np.stack([video.resize_mask(video.load_mask(p), (h, w), mode=options.mask_resize)
                         for p in sc.masks])
    if backends.detector is not None:
        # the detector may ask the judge to verify its candidates: both are held for the call
        with backends.using("detector") as detector, backends.using("judge") as judge:
            return detector.first_masks(frames[0], sc, judge=judge)
    raise DetectionError(
        f"scenario {sc.id!r}: the suite has no first-frame masks and the run has no detector "
        "(use --detector grounding-dino or a profile, or build the suite's masks with "
        "`intergeneval suite build`)")


def _track(sc: Scenario, frames: np.ndarray, first: np.ndarray | None, backends: Backends,
           keep: set[int]) -> dict[int, np.ndarray]:
    """Run the tracker's one pass and keep the masks of the sampled frames only."""
    n, (t, h, w) = len(sc.objects), frames.shape[:3]
    masks_at: dict[int, np.ndarray] = {}
    seen = 0
    try:
        with backends.using("tracker") as tracker:
            for i, masks in tracker.track(sc.id, frames, first):
                seen += 1
                if i in keep:
                    if masks.shape != (n, h, w):
                        raise TrackingError(f"scenario {sc.id!r}: tracker gave masks of shape {masks.shape} "
                                            f"at frame {i}, expected ({n}, {h}, {w}) for {n} objects")
                    masks_at[i] = masks.astype(bool, copy=False)
    except InterGenEvalError:
        raise
    except Exception as e:  # a backend's own exception type, mapped to the per-video status
        raise TrackingError(f"scenario {sc.id!r}: {type(e).__name__}: {e}") from e
    if seen != t or set(masks_at) != keep:
        raise TrackingError(f"scenario {sc.id!r}: tracker covered {seen} of {t} frames")
    return masks_at
