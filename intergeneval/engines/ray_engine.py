"""The Ray engine: the same per-video work on a Ray cluster (or a local Ray instance), for many GPUs.

Each video goes through three steps, the same functions the local engine runs (`pipeline`):

1. a CPU task decodes it (`decode_stage`); the video's bytes are sent with the task, so the workers need
   no shared folder;
2. a tracker actor finds the first-frame masks, tracks and draws the overlay (`track_stage`);
3. a judge actor asks the judge (an API judge gets a video's calls at once) and computes the metrics and
   evidence images (`judge_stage`).

A video with negative controls (`intergeneval.controls`: they are derived from its decoded frames) is
scored whole, `pipeline.score_video`, by one tracker actor.

Tracker and judge actors are pools (`trackers`, `judges`) that build their backends once, from the run's
names and options (or from the instances given to `evaluate`, sent by pickle), and load their models on
first use. When the cluster has GPUs, each actor asks for a share of one (`gpu_per_tracker`,
`gpu_per_judge`, 0.5 by default: one tracker and one judge per GPU). Records come back to the driver, which
appends them to `per_video.jsonl` as they arrive and writes the evidence and the cache, exactly as with the
local engine, so the results, the cache and resuming are the same. Up to `--concurrency` videos are in
flight (at least two per actor, so none waits idle).

Example:
    intergeneval score VIDEOS --prompts SUITE --out OUT --engine ray --address ray://head:10001 \\
        --engine-option trackers=4 --engine-option judges=4
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..backends import Backends
from ..errors import BackendUnavailable, ConfigError
from ..pipeline import (
    Decoded,
    PipelineOptions,
    Scored,
    StageHook,
    Tracked,
    VideoJob,
    calls_on,
    decode_stage,
    failed,
    finish,
    judge_stage,
    score_video,
    track_stage,
)

log = logging.getLogger(__name__)

INSTALL = "pip install 'intergeneval[ray]'"


class RayEngine:
    """Videos scored by Ray tasks (decode) and actor pools (tracker, judge); see the module docstring.

    Args:
        concurrency: videos in flight (raised to two per actor).
        address: the cluster to join (`ray://host:10001`, `host:6379` or "auto"); None starts a local Ray
            instance for the run, unless this process already joined one.
        trackers, judges: actors in each pool.
        gpu_per_tracker, gpu_per_judge: share of a GPU each actor asks for, when the cluster has GPUs.
        cpus_per_actor: CPUs each actor holds (default 0: they wait on their GPU or judge server, and the
            CPUs stay free for the decode tasks, which take one each).
        num_cpus: CPUs of a local instance this engine starts (default: all).
    """

    def __init__(self, concurrency: int = 1, address: str | None = None, *, trackers: int = 1,
                 judges: int = 1, gpu_per_tracker: float = 0.5, gpu_per_judge: float = 0.5,
                 cpus_per_actor: float = 0, num_cpus: int | None = None):
        try:
            import ray
        except ImportError:
            raise ConfigError(f"--engine ray needs Ray, which is not installed: {INSTALL}") from None
        for name, value in (("trackers", trackers), ("judges", judges)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"engine option {name} must be a whole number of actors, at least 1, "
                                  f"got {value!r}")
        for name, value, top in (("gpu_per_tracker", gpu_per_tracker, 1), ("gpu_per_judge", gpu_per_judge, 1),
                                 ("cpus_per_actor", cpus_per_actor, 64)):
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= top:
                raise ConfigError(f"engine option {name} must be a number from 0 to {top}, got {value!r}")
        self._ray = ray
        self.concurrency, self.address, self.num_cpus = concurrency, address, num_cpus
        self.trackers, self.judges = trackers, judges
        self.gpu_per_tracker, self.gpu_per_judge = float(gpu_per_tracker), float(gpu_per_judge)
        self.cpus_per_actor = float(cpus_per_actor)

    def __repr__(self) -> str:
        return (f"RayEngine(concurrency={self.concurrency}, address={self.address!r}, "
                f"trackers={self.trackers}, judges={self.judges})")

    def run(self, jobs: Iterable[VideoJob], backends: Backends, options: PipelineOptions,
            hook: StageHook | None = None, after: Callable[[Scored], None] | None = None,
            ) -> Iterator[Scored]:
        """Score `jobs` on Ray, yielding each video's result as it comes back (no stage events);
        `after(result)` runs first, here on the driver, where the output folder is."""
        ray = self._ray
        started = not ray.is_initialized()
        if started:
            try:
                ray.init(address=self.address, num_cpus=self.num_cpus if self.address is None else None,
                         include_dashboard=False, log_to_driver=False)
            except Exception as e:  # no cluster at that address, or a local instance that cannot start
                where = f"the Ray cluster at {self.address}" if self.address else "a local Ray instance"
                raise ConfigError(f"cannot start {where}: {type(e).__name__}: {str(e)[:300]}") from None
        pools: list[Any] = []
        try:
            gpus = ray.cluster_resources().get("GPU", 0) > 0
            spec = _spec(backends)
            threads = max(2, self.concurrency)  # videos an actor works on at once (its backends' locks hold)
            tracker_cls = ray.remote(_TrackerActor).options(
                num_gpus=self.gpu_per_tracker if gpus else 0, num_cpus=self.cpus_per_actor,
                max_concurrency=threads)
            judge_cls = ray.remote(_JudgeActor).options(
                num_gpus=self.gpu_per_judge if gpus else 0, num_cpus=self.cpus_per_actor,
                max_concurrency=threads)
            trackers = [tracker_cls.remote(spec, options) for _ in range(self.trackers)]
            judges = [judge_cls.remote(spec, options, threads) for _ in range(self.judges)]
            pools = trackers + judges
            decode = ray.remote(num_cpus=1)(_decode)
            pixels = getattr(backends.tracker, "needs_pixels", True)
            in_flight = max(self.concurrency, 2 * len(pools))
            for scored in self._drive(jobs, options, pixels, decode, trackers, judges, in_flight):
                if after is not None:
                    after(scored)
                yield scored
        finally:
            for actor in pools:
                ray.kill(actor)
            if started:
                ray.shutdown()

    def _drive(self, jobs: Iterable[VideoJob], options: PipelineOptions, pixels: bool, decode: Any,
               trackers: list[Any], judges: list[Any], in_flight: int) -> Iterator[Scored]:
        ray = self._ray
        source = iter(jobs)
        pending: dict[Any, tuple[VideoJob, float]] = {}
        n = 0
        while True:
            while len(pending) < in_flight:
                job = next(source, None)
                if job is None:
                    break
                # the video travels with the task: a worker on another machine needs no shared folder
                data = job.path.read_bytes()
                if job.controls:  # derived from the decoded frames: the whole work in one actor
                    ref = trackers[n % len(trackers)].whole.remote(job, data)
                else:
                    decoded = decode.remote(job, data, options, pixels)
                    tracked = trackers[n % len(trackers)].track.remote(job, decoded)
                    ref = judges[n % len(judges)].judge.remote(job, tracked)
                pending[ref] = (job, time.perf_counter())
                n += 1
            if not pending:
                return
            ready, _ = ray.wait(list(pending), num_returns=1)
            job, t0 = pending.pop(ready[0])
            try:
                scored = ray.get(ready[0])
            except ray.exceptions.RayTaskError as e:
                cause = e.cause if isinstance(getattr(e, "cause", None), BaseException) else e
                if isinstance(cause, BackendUnavailable):  # a model that cannot load ends the run
                    raise cause from None
                scored = failed(job, cause)
            except ray.exceptions.RayError as e:  # a worker or actor died: the video failed, not the run
                scored = failed(job, e)
            yield finish(scored, t0)  # total_s: from handing the video to Ray to its record coming back


def _spec(backends: Backends) -> dict[str, Any]:
    """What the actors build their backends from: the run's names and options, or the given instances."""
    import pickle

    spec: dict[str, Any] = {"cfg": backends.cfg, "instances": {}}
    for role in sorted(backends.provided):
        instance = getattr(backends, role)
        try:
            pickle.dumps(instance)
        except Exception as e:
            raise ConfigError(f"--engine ray builds the backends on the cluster: the {role} given to "
                              f"evaluate ({type(instance).__name__}) cannot be sent there ({e}); name it "
                              "instead (--judge/--tracker/--detector and their options)") from None
        spec["instances"][role] = instance
    return spec


def _backends(spec: dict[str, Any]) -> Backends:
    return Backends(spec["cfg"], **spec["instances"])


def _decode(job: VideoJob, data: bytes, options: PipelineOptions, pixels: bool) -> Decoded | Scored:
    """A Ray task: decode the video from its bytes (written to a temporary file of the same name)."""
    with tempfile.TemporaryDirectory(prefix="intergeneval-") as tmp:
        local = Path(tmp) / job.path.name
        local.write_bytes(data)
        step = decode_stage(replace(job, path=local), options, all_frames=pixels)
    return _named(step, job, local) if isinstance(step, Scored) else step


def _named(scored: Scored, job: VideoJob, local: Path) -> Scored:
    """The record names the video, never the temporary copy it was decoded from (controls' records too)."""
    rec = scored.record
    for field in ("reason", "detail"):
        if isinstance(rec.get(field), str):
            rec[field] = rec[field].replace(str(local), str(job.path))
    if scored.job.path == local:
        scored.job = replace(scored.job, path=job.path)
    for control in scored.controls:
        _named(control, job, local)
    return scored


class _TrackerActor:
    """Holds the tracker and detector (and the judge, which verifies detections) of the run."""

    def __init__(self, spec: dict[str, Any], options: PipelineOptions):
        self.backends, self.options = _backends(spec), options

    def whole(self, job: VideoJob, data: bytes) -> Scored:
        with tempfile.TemporaryDirectory(prefix="intergeneval-") as tmp:
            local = Path(tmp) / job.path.name
            local.write_bytes(data)
            return _named(score_video(replace(job, path=local), self.backends, self.options), job, local)

    def track(self, job: VideoJob, step: Decoded | Scored) -> Tracked | Scored:
        if isinstance(step, Scored):
            return step
        try:
            return track_stage(job, step, self.backends, self.options)
        except BackendUnavailable:
            raise
        except Exception as e:  # as in pipeline.score_video: the video fails, the run goes on
            return failed(job, e)


class _JudgeActor:
    """Holds the judge of the run; a judge that takes a video's calls at once (`parallel_calls`) gets them on
    `threads` call threads, the number of videos the actor works on at once."""

    def __init__(self, spec: dict[str, Any], options: PipelineOptions, threads: int):
        self.backends, self.options = _backends(spec), options
        self.calls = calls_on(ThreadPoolExecutor(threads, thread_name_prefix="intergeneval-call"))

    def judge(self, job: VideoJob, step: Tracked | Scored) -> Scored:
        if isinstance(step, Scored):
            return step
        try:
            return judge_stage(job, step, self.backends, self.options, calls=self.calls)
        except BackendUnavailable:
            raise
        except Exception as e:  # as in pipeline.score_video: the video fails, the run goes on
            return failed(job, e)
