"""Progress events of a scoring run: one per backend as it loads, one per stage of a video as it starts and
ends, one per finished video.

`evaluate(cfg, progress=callback)` calls `callback(event)`. Events of several videos interleave when
videos run concurrently; the runner never calls the callback from two threads at once, so a callback
needs no lock of its own (it must not block for long: the videos in flight wait for it).

Example, a callback that prints what is running and counts finished videos:

    >>> def show(event: ProgressEvent) -> None:
    ...     if event.kind == "stage" and event.seconds is None:
    ...         print(f"{event.scenario_id}: {event.stage}")
    ...     elif event.kind == "video":
    ...         print(f"{event.done}/{event.total} {event.scenario_id}: {event.record['status']}")
    >>> show(ProgressEvent("stage", "s1", stage="track"))
    s1: track
    >>> show(ProgressEvent("video", "s1", done=1, total=4, record={"status": "scored"}))
    1/4 s1: scored

Stage events come from the engine running the video: the `ray` engine scores videos in other processes
and reports only `video` events.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: Stages of one video, in order (`detect` only runs for suites without first-frame masks).
STAGES = ("decode", "detect", "track", "overlay", "judge", "evidence")


@dataclass(frozen=True, slots=True)
class ProgressEvent:
    """One step of a run.

    Attributes:
        kind: "load" (a backend starts loading, before any video), "stage" (a stage of one video started or
            ended) or "video" (a video is finished: scored, failed, or taken from the cache).
        scenario_id: the video's scenario ("" for "load").
        stage: for "stage" events, one of `STAGES`; for "load" events, the role (judge, tracker, detector).
        seconds: for "stage" events, None when the stage starts and its duration when it ends.
        done: for "video" events, videos finished so far (cached ones included).
        total: for "video" events, videos the run is to finish.
        record: for "video" events, the per-video record as written to `per_video.jsonl`.
    """

    kind: str
    scenario_id: str
    stage: str | None = None
    seconds: float | None = None
    done: int = 0
    total: int = 0
    record: dict[str, Any] | None = None


Progress = Callable[[ProgressEvent], None]
