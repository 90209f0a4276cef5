"""A tracker that replays given mask tracks: for tests and for users who bring their own masks.

Tracks are given in memory (`{scenario id: (T, N, H, W) array}`) or looked up under a root folder by
scenario id, in either layout:
- `ROOT/<id>.npz` with an array `masks` of shape `(T, N, H, W)` (bool or 0/255);
- `ROOT/<id>/id<k>/<FFF>.png`, the reference's `tracks/` layout (uint8 0/255, k = object index + 1).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ..errors import TrackingError
from ..hashing import sha256_json
from ..video import SampledFrames


class ReplayTracker:
    """Replays mask tracks from `.npz` arrays or PNG folders (see the module docstring)."""

    name = "replay"
    needs_first_masks = False
    thread_safe = True  # reads files or arrays it never changes
    needs_pixels = False  # only the video's shape: the pipeline then decodes just the sampled frames' pixels

    def __init__(self, root: str | Path | None = None, *, arrays: Mapping[str, np.ndarray] | None = None):
        if (root is None) == (arrays is None):
            raise TrackingError("give the replay tracker either a track folder (root) or in-memory arrays")
        self.arrays = dict(arrays) if arrays is not None else None
        self.root = Path(root) if root is not None else None
        if self.root is not None and not self.root.is_dir():
            raise TrackingError(f"{self.root}: mask track folder does not exist")

    def fingerprint(self) -> dict[str, Any]:
        """A digest of the tracks: file names and sizes for a folder, the bytes for in-memory arrays."""
        if self.arrays is not None:
            digests = {k: hashlib.sha256(np.ascontiguousarray(v).tobytes()).hexdigest() for k, v in self.arrays.items()}
            return {"backend": self.name, "tracks": sha256_json(digests)[:16]}
        assert self.root is not None
        listing = sorted((str(p.relative_to(self.root)), p.stat().st_size) for p in self.root.rglob("*") if p.is_file())
        return {"backend": self.name, "tracks": sha256_json(listing)[:16]}

    def track(
        self, scenario_id: str, frames: np.ndarray, first_masks: np.ndarray | None
    ) -> Iterator[tuple[int, np.ndarray]]:
        """Yield the stored masks frame by frame; shapes must match the decoded video.

        Given the sampled frames only (`video.SampledFrames`), mask images of the other frames are checked
        to exist but not read, and None is yielded for them: the pipeline keeps the sampled frames' masks.
        """
        t, h, w = frames.shape[:3]
        wanted = set(frames.indices) if isinstance(frames, SampledFrames) else None
        if self.arrays is not None:
            if scenario_id not in self.arrays:
                raise TrackingError(f"no mask tracks for scenario {scenario_id!r} among the given arrays")
            yield from self._replay_array(f"arrays[{scenario_id!r}]", self.arrays[scenario_id], t, h, w)
            return
        assert self.root is not None
        npz = self.root / f"{scenario_id}.npz"
        if npz.is_file():
            yield from self._replay_array(str(npz), np.load(npz)["masks"], t, h, w)
            return
        folder = self.root / scenario_id
        ids = sorted((p for p in folder.glob("id*") if p.is_dir()), key=lambda p: int(p.name[2:] or 0))
        if not ids:
            raise TrackingError(f"no mask tracks for scenario {scenario_id!r}: neither {npz} nor {folder}/id<k>/")
        for i in range(t):
            files = [d / f"{i:03d}.png" for d in ids]
            for f in files:
                if not f.is_file():
                    raise TrackingError(f"{f}: missing mask frame ({t} frames expected)")
            if wanted is not None and i not in wanted:
                yield i, None
                continue
            out = np.zeros((len(ids), h, w), dtype=bool)
            for k, f in enumerate(files):
                m = np.asarray(Image.open(f).convert("L"))
                if m.shape != (h, w):
                    raise TrackingError(f"{f}: mask is {m.shape[1]}x{m.shape[0]}, video is {w}x{h}")
                out[k] = m > 0
            yield i, out

    @staticmethod
    def _replay_array(name: str, masks: np.ndarray, t: int, h: int, w: int) -> Iterator[tuple[int, np.ndarray]]:
        if masks.ndim != 4 or masks.shape[0] != t or masks.shape[2:] != (h, w):
            raise TrackingError(f"{name}: masks have shape {masks.shape}, video needs ({t}, N, {h}, {w})")
        for i in range(t):
            yield i, masks[i] if masks.dtype == bool else masks[i] > 0  # bool: a view, no copy
