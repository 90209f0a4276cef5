"""The `Detector` Protocol and the candidate boxes detectors hand to verification.

Example:
    >>> from intergeneval.detection.base import Candidate
    >>> Candidate(box=(10.0, 20.0, 50.0, 80.0), score=0.6, classes=("man",)).crop_box(100, 100, pad=0.1)
    (6, 14, 54, 86)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ..judges.base import ChatJudge
from ..records import Scenario


@dataclass(frozen=True, slots=True)
class Candidate:
    """One detected box: XYXY pixels, the detector's confidence, and the scenario classes it may show."""

    box: tuple[float, float, float, float]
    score: float
    classes: tuple[str, ...]

    def crop_box(self, width: int, height: int, *, pad: float) -> tuple[int, int, int, int]:
        """The box grown by `pad` × its size on every side, clamped to the image, as integer XYXY."""
        x1, y1, x2, y2 = self.box
        dx, dy = pad * (x2 - x1), pad * (y2 - y1)
        return (
            max(0, math.floor(x1 - dx)),
            max(0, math.floor(y1 - dy)),
            min(width, math.ceil(x2 + dx)),
            min(height, math.ceil(y2 + dy)),
        )


@runtime_checkable
class Detector(Protocol):
    """Finds every object of a scenario on one frame and segments it."""

    def fingerprint(self) -> dict[str, Any]:
        """Backend, checkpoints and revisions, thresholds."""
        ...

    def first_masks(self, frame: np.ndarray, scenario: Scenario, *, judge: ChatJudge) -> np.ndarray:
        """Return one mask per scenario object, in object order.

        Args:
            frame: `(H, W, 3)` uint8 RGB.
            scenario: gives the objects `[{class, appearance}]`.
            judge: picks, for each object, the candidate that matches its appearance.

        Returns:
            `(N, H, W)` bool.

        Raises:
            DetectionError: naming the scenario and the object that was not found.
        """
        ...
