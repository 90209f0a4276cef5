"""The local engine: videos scored in this process, one after the other or up to N at a time on threads."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from ..backends import Backends
from ..pipeline import PipelineOptions, Scored, StageHook, VideoJob, score_video


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
    """Up to `concurrency` videos in flight on threads (1: in the calling thread, in suite order).

    Each video runs the whole `score_video`. Backends that serve one thread at a time are taken in turn
    (`Backends.using`), so with a GPU tracker and judge the next videos decode and overlay while one is
    tracked and another judged; a `thread_safe` API judge gets the calls of up to `concurrency` videos at
    once (its own `max_concurrency` bounds the requests). Decoded frames are held by at most
    `FRAMES_AHEAD` videos at a time unless the tracker is `thread_safe`.
    """

    def __init__(self, concurrency: int = 1):
        self.concurrency = concurrency

    def __repr__(self) -> str:
        return f"LocalEngine(concurrency={self.concurrency})"

    def run(self, jobs: Iterable[VideoJob], backends: Backends, options: PipelineOptions,
            hook: StageHook | None = None, after: Callable[[Scored], None] | None = None,
            ) -> Iterator[Scored]:
        """Score `jobs`, yielding each video's result as it finishes; `after(result)` runs first, in the
        thread that scored the video (the runner writes the video's files there, alongside other videos'
        work)."""
        stop = threading.Event()

        def staged(sid: str, stage: str, seconds: float | None) -> None:
            if stop.is_set():
                if seconds is None:
                    raise Stopped
                return
            if hook is not None:
                hook(sid, stage, seconds)

        def work(job: VideoJob, frames_slot: threading.BoundedSemaphore | None = None) -> Scored:
            me = threading.get_ident()
            _running.add(me)
            try:
                scored = score_video(job, backends, options, staged, frames_slot)
                if after is not None:
                    after(scored)
                return scored
            finally:
                _running.discard(me)

        if self.concurrency == 1:
            for job in jobs:
                yield work(job)
            return
        ahead = self.concurrency if getattr(backends.tracker, "thread_safe", False) else FRAMES_AHEAD
        frames_slots = threading.BoundedSemaphore(ahead)
        source = iter(jobs)
        pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="intergeneval-video")
        pending: set[Future] = set()
        try:
            while True:
                while len(pending) < self.concurrency:
                    job = next(source, None)
                    if job is None:
                        break
                    pending.add(pool.submit(work, job, frames_slots))
                if not pending:
                    return
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()  # a BaseException of a video (a kill, an interrupt) ends the run
        finally:
            # leaving early (an exception, a consumer that stopped): do not wait for the videos in flight,
            # and stop each at its next stage (the process waits for its threads before it exits)
            stop.set()
            pool.shutdown(wait=False, cancel_futures=True)
