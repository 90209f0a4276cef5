"""A tracker that replays given mask tracks: for tests and for users who bring their own masks.

Tracks are looked up under a root folder by scenario id, in either layout:
- `ROOT/<id>.npz` with an array `masks` of shape `(T, N, H, W)` (bool or 0/255);
- `ROOT/<id>/id<k>/<FFF>.png`, the reference's `tracks/` layout (uint8 0/255, k = object index + 1).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ..errors import TrackingError
from ..hashing import sha256_json


class ReplayTracker:
    """Replays mask tracks from `.npz` arrays or PNG folders (see the module docstring)."""

    name = "replay"
    needs_first_masks = False

    def __init__(self, root: str | Path):
        self.root = Path(root)
        if not self.root.is_dir():
            raise TrackingError(f"{self.root}: mask track folder does not exist")

    def fingerprint(self) -> dict[str, Any]:
        """Names the track folder and a digest of its file listing (sizes and names)."""
        listing = sorted((str(p.relative_to(self.root)), p.stat().st_size) for p in self.root.rglob("*") if p.is_file())
        return {"backend": self.name, "tracks": sha256_json(listing)[:16]}

    def track(
        self, scenario_id: str, frames: np.ndarray, first_masks: np.ndarray | None
    ) -> Iterator[tuple[int, np.ndarray]]:
        """Yield the stored masks frame by frame; shapes must match the decoded video."""
        t, h, w = frames.shape[:3]
        npz = self.root / f"{scenario_id}.npz"
        if npz.is_file():
            masks = np.load(npz)["masks"]
            if masks.ndim != 4 or masks.shape[0] != t or masks.shape[2:] != (h, w):
                raise TrackingError(f"{npz}: masks have shape {masks.shape}, video needs ({t}, N, {h}, {w})")
            for i in range(t):
                yield i, masks[i] > 0
            return
        folder = self.root / scenario_id
        ids = sorted((p for p in folder.glob("id*") if p.is_dir()), key=lambda p: int(p.name[2:] or 0))
        if not ids:
            raise TrackingError(f"no mask tracks for scenario {scenario_id!r}: neither {npz} nor {folder}/id<k>/")
        for i in range(t):
            out = np.zeros((len(ids), h, w), dtype=bool)
            for k, d in enumerate(ids):
                f = d / f"{i:03d}.png"
                if not f.is_file():
                    raise TrackingError(f"{f}: missing mask frame ({t} frames expected)")
                m = np.asarray(Image.open(f).convert("L"))
                if m.shape != (h, w):
                    raise TrackingError(f"{f}: mask is {m.shape[1]}x{m.shape[0]}, video is {w}x{h}")
                out[k] = m > 0
            yield i, out
