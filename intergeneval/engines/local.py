"""The local engine: videos scored in this process, one after the other or up to N at a time on threads."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, CancelledError, Future, ThreadPoolExecutor, wait
from typing import Any

from ..backends import Backends
from ..pipeline import (
    PipelineOptions,
    Scored,
    StageHook,
    Tracked,
    VideoJob,
    calls_on,
    conclude,
    finish,
    prepare,
    score_video,
)


class Stopped(BaseException):
    """Raised in a video's thread as its next stage starts once the run has been left early (Ctrl-C, an
    error, a consumer that stopped): its work ends there, unrecorded, instead of running on unseen while
    the process waits to exit. (A BaseException, so no `except Exception` records it as the video's own
    failure.)"""


_running: set[int] = set()  # the threads now scoring a video (of any run in this process)


def videos_in_flight() -> int:
    """How many videos are being scored on this process's threads (after Ctrl-C: those still finishing
    their current stage)."""
    return len(_running)


#: Videos whose decoded frames may be held at once while a tracker that serves one video at a time is busy:
#: the one being tracked and the next one, decoded ahead. (Frames of a long HD video take gigabytes.)
FRAMES_AHEAD = 2


class LocalEngine:
    """Up to `concurrency` videos at the judge at once on threads (1: one video at a time, in the calling
    thread, in suite order).

    Each video is prepared (decoded, tracked, overlaid: `pipeline.prepare`) on a few threads, about one per
    CPU core, and judged (`pipeline.conclude`) on `concurrency` threads; the next videos are prepared while
    the current ones wait on the judge, so a judge slot that frees up finds a video ready. Backends that
    serve one thread at a time are taken in turn (`Backends.using`), so with a GPU tracker and judge one
    video is tracked while another is judged; a `thread_safe` API judge gets the calls of up to
    `concurrency` videos at once (its own `max_concurrency` bounds the requests). Decoded frames are held
    by at most `FRAMES_AHEAD` videos at a time unless the tracker is `thread_safe`; a video prepared and
    waiting for the judge holds only its overlaid sampled frames, and at most `concurrency` videos wait.
    """

    def __init__(self, concurrency: int = 1):
        self.concurrency = concurrency

    def __repr__(self) -> str:
        return f"LocalEngine(concurrency={self.concurrency})"

    @property
    def preparers(self) -> int:
        """Threads that prepare videos for the judge: about one per CPU core, at least 2, at most
        `concurrency`."""
        return min(self.concurrency, max(2, os.cpu_count() or 1))

    @property
    def most_in_flight(self) -> int:
        """The most videos started and not yet finished: `concurrency` at the judge, and as many again
        being prepared or prepared and waiting (1 with `concurrency` 1). A stop request lets them finish
        (as Ray's engine does); a kill loses at most these."""
        return 1 if self.concurrency == 1 else 2 * self.concurrency

    def run(self, jobs: Iterable[VideoJob], backends: Backends, options: PipelineOptions,
            hook: StageHook | None = None, after: Callable[[Scored], None] | None = None,
            ) -> Iterator[Scored]:
        """Score `jobs`, yielding each video's result as it finishes; `after(result)` runs first, on a thread
        of its own (the runner writes the video's files there, alongside other videos' work)."""
        stop = threading.Event()

        def staged(sid: str, stage: str, seconds: float | None) -> None:
            if stop.is_set():
                if seconds is None:
                    raise Stopped
                return
            if hook is not None:
                hook(sid, stage, seconds)

        def whole(job: VideoJob, frames_slot: threading.BoundedSemaphore | None = None) -> Scored:
            with _in_flight():
                return score_video(job, backends, options, staged, frames_slot)

        def prepare_(job: VideoJob, frames_slot: threading.BoundedSemaphore,
                     ) -> tuple[Tracked | Scored, float]:
            with _in_flight():
                t0 = time.perf_counter()
                step = prepare(job, backends, options, staged, frames_slot)
                # a video that ended before the judge (unreadable, tracking error) is finished here
                return (finish(step, t0) if isinstance(step, Scored) else step), t0

        def conclude_(job: VideoJob, step: Tracked, t0: float) -> Scored:
            with _in_flight():
                return conclude(job, step, backends, options, staged, t0, calls)

        def calls(asks: list[Callable[[], Any]]) -> list[Any]:
            """A video's judge calls on the call threads: at most `concurrency` calls in flight in all."""
            try:
                return on_call_threads(asks)
            except CancelledError:  # the run is being left (Ctrl-C, an error elsewhere)
                raise Stopped from None
            except RuntimeError:
                if stop.is_set():  # the call threads are shut down: the run is being left
                    raise Stopped from None
                raise

        def write(scored: Scored) -> Scored:
            with _in_flight():
                if after is not None:
                    after(scored)
                return scored

        if self.concurrency == 1:
            for job in jobs:
                yield write(whole(job))
            return
        n = self.concurrency
        ahead = n if getattr(backends.tracker, "thread_safe", False) else FRAMES_AHEAD
        frames_slots = threading.BoundedSemaphore(ahead)
        source = iter(jobs)
        # the judge's threads only judge: a video's files are written on threads of their own, so a judge
        # slot is free for the next video as soon as the last reply is in. A judge that sends a video's calls
        # together (`parallel_calls`) sends them on the call threads: N calls in flight, whether they are
        # N videos' first calls or the calls of the last few videos of the run.
        pools = {"prepare": ThreadPoolExecutor(self.preparers, thread_name_prefix="intergeneval-prepare"),
                 "judge": ThreadPoolExecutor(n, thread_name_prefix="intergeneval-video"),
                 "call": ThreadPoolExecutor(n, thread_name_prefix="intergeneval-call"),
                 "write": ThreadPoolExecutor(self.preparers, thread_name_prefix="intergeneval-write")}
        on_call_threads = calls_on(pools["call"])
        running: dict[Future, tuple[str, VideoJob]] = {}  # each video in flight: its task, and its pool

        def submit(pool: str, job: VideoJob, fn: Callable[..., Any], *args: Any) -> None:
            running[pools[pool].submit(fn, *args)] = pool, job

        def admit() -> None:
            # a few videos at a time to the preparers, not all the admitted ones at once: each admission
            # reads the video to hash it (the caller's work, on this thread), better spread over the run
            while (len(running) < self.most_in_flight
                   and sum(pool == "prepare" for pool, _ in running.values()) < 2 * self.preparers):
                job = next(source, None)
                if job is None:
                    return
                if job.controls:  # controls share the video's decoded frames: scored whole
                    submit("judge", job, whole, job, frames_slots)
                else:
                    submit("prepare", job, prepare_, job, frames_slots)

        try:
            while True:
                admit()
                if not running:
                    return
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                results = []
                for future in finished:
                    pool, job = running.pop(future)
                    out = future.result()  # a video's BaseException (a kill, Ctrl-C) ends the run
                    if pool == "write":
                        results.append(out)
                    elif pool == "prepare" and isinstance(out[0], Tracked):
                        submit("judge", job, conclude_, job, *out)
                    else:
                        submit("write", job, write, out[0] if pool == "prepare" else out)
                admit()  # the next videos are under way before the caller handles these results
                yield from results
        finally:
            # leaving early (an exception, a consumer that stopped): do not wait for the videos in flight,
            # and stop each at its next stage (the process waits for its threads before it exits)
            stop.set()
            for executor in pools.values():
                executor.shutdown(wait=False, cancel_futures=True)


@contextlib.contextmanager
def _in_flight() -> Iterator[None]:
    """Counts this thread in `videos_in_flight` while it works on a video."""
    me = threading.get_ident()
    _running.add(me)
    try:
        yield
    finally:
        _running.discard(me)
