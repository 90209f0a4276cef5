"""A tracker that replays given mask tracks: for tests and for users who bring their own masks.

Tracks are given in memory (`{scenario id: (T, N, H, W) array}`) or looked up under a root folder by
scenario id, in either layout:
- `ROOT/<id>.npz` with an array `masks` of shape `(T, N, H, W)` (bool or 0/255);
- `ROOT/<id>/id<k>/<FFF>.png`, the reference's `tracks/` layout (uint8 0/255, k = object index + 1).
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections import deque
from collections.abc import Iterator, Mapping
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ..errors import TrackingError
from ..hashing import sha256_json
from ..imaging import image_pool
from ..video import SampledFrames

#: Frames of mask images read ahead of the one being yielded.
_READ_AHEAD = 8


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
        return {"backend": self.name, "tracks": sha256_json(_listing(self.root))[:16]}

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
        present = [_files_in(d) for d in ids]  # a listing per folder, not a stat per mask image
        for i in range(t):
            name = f"{i:03d}.png"
            for d, names in zip(ids, present, strict=True):
                if name not in names:
                    raise TrackingError(f"{d / name}: missing mask frame ({t} frames expected)")
        # the frames' images are read a few frames ahead on the image threads (Pillow's PNG decoder releases
        # the GIL), in a bounded window so a long video's masks are never all held at once
        to_read = iter([i for i in range(t) if wanted is None or i in wanted])
        ahead: deque[Future[np.ndarray]] = deque()
        pool = image_pool()
        for i in range(t):
            if wanted is not None and i not in wanted:
                yield i, None
                continue
            while len(ahead) < _READ_AHEAD and (j := next(to_read, None)) is not None:
                ahead.append(pool.submit(_read_masks, [d / f"{j:03d}.png" for d in ids], h, w))
            yield i, ahead.popleft().result()

    @staticmethod
    def _replay_array(name: str, masks: np.ndarray, t: int, h: int, w: int) -> Iterator[tuple[int, np.ndarray]]:
        if masks.ndim != 4 or masks.shape[0] != t or masks.shape[2:] != (h, w):
            raise TrackingError(f"{name}: masks have shape {masks.shape}, video needs ({t}, N, {h}, {w})")
        for i in range(t):
            yield i, masks[i] if masks.dtype == bool else masks[i] > 0  # bool: a view, no copy


def _read_masks(files: list[Path], h: int, w: int) -> np.ndarray:
    """One frame's mask images, one per object, as an `(N, H, W)` bool array."""
    out = np.zeros((len(files), h, w), dtype=bool)
    for k, f in enumerate(files):
        m = np.asarray(Image.open(f).convert("L"))
        if m.shape != (h, w):
            raise TrackingError(f"{f}: mask is {m.shape[1]}x{m.shape[0]}, video is {w}x{h}")
        out[k] = m > 0
    return out


def _files_in(folder: Path) -> set[str]:
    """The names of the files in `folder` (symbolic links followed)."""
    with os.scandir(folder) as entries:
        return {e.name for e in entries if e.is_file()}


def _listing(root: Path) -> list[tuple[str, int]]:
    """(path relative to `root`, size) of every file under it, sorted: symbolic links to files are followed,
    to folders not. What `Path.rglob` gives, at a tenth of its cost on a folder of thousands of masks."""
    out = []
    for folder, _, names in os.walk(root):
        rel = os.path.relpath(folder, root)
        for name in names:
            try:
                st = os.stat(os.path.join(folder, name))
            except OSError:  # a broken link
                continue
            if stat.S_ISREG(st.st_mode):
                out.append((name if rel == "." else f"{rel}/{name}", st.st_size))
    return sorted(out)
