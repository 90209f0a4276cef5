"""The `Tracker` Protocol: mask tracks for all objects of a video in one pass."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Tracker(Protocol):
    """Tracks every object of a video jointly, forward from frame 0.

    Two optional class attributes change how the pipeline uses a tracker: `needs_pixels = False` (it reads
    only `frames.shape`, like a replay: it is then given a `video.SampledFrames` holding just the sampled
    frames' pixels) and `thread_safe = True` (`track` may run for several videos at once from threads).
    """

    #: False for trackers that do not need first-frame masks (a replay of given tracks).
    needs_first_masks: bool

    def fingerprint(self) -> dict[str, Any]:
        """Backend, checkpoint and revision, and the options that change masks."""
        ...

    def track(
        self, scenario_id: str, frames: np.ndarray, first_masks: np.ndarray | None
    ) -> Iterator[tuple[int, np.ndarray]]:
        """Yield `(frame index, masks)` for every frame in order.

        Args:
            scenario_id: the video's scenario (replay trackers look tracks up by it).
            frames: `(T, H, W, 3)` uint8 RGB, the decoded video.
            first_masks: `(N, H, W)` bool, one mask per object at frame 0 (None if not needed).

        Yields:
            `(t, masks)` with masks `(N, H, W)` bool; an object absent in frame t has an empty mask.
        """
        ...
