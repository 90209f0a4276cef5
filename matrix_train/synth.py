"""`synth-data`: a small MATRIX-11K-layout dataset of moving shapes with exact masks and `<idK>` prompts.

Example:
    >>> write_synthetic_dataset("demo-data", videos=4, seed=0)   # doctest: +SKIP
    PosixPath('demo-data')

Each clip has 2 or 3 shapes (square, circle, triangle), each a fixed colour so that the word predicts the
appearance; the first shape moves toward the second. The verb is marked with both ids (`<id1,id2>`).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from PIL import Image

from .data import make_merged, write_mp4

_SHAPES = {"square": (230, 60, 40), "circle": (40, 90, 230), "triangle": (240, 200, 40)}
_VERBS = ["approaches", "chases", "follows"]


def _shape_mask(kind: str, cy: float, cx: float, r: float, h: int, w: int) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32) + 0.5
    if kind == "square":
        return (np.abs(yy - cy) <= r) & (np.abs(xx - cx) <= r)
    if kind == "circle":
        return (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
    # triangle pointing up: inside when below the two slanted edges and above the base
    return (yy <= cy + r) & (yy >= cy - r + 2 * np.abs(xx - cx))


def write_synthetic_dataset(
    out: str | Path, *, videos: int, frames: int = 9, height: int = 64, width: int = 64, fps: int = 8,
    seed: int = 0,
) -> Path:
    """Write `videos` clips under `out` in the MATRIX-11K layout, plus metadata.csv; returns `out`."""
    if height % 2 or width % 2:
        raise ValueError("height and width must be even (h264 with yuv420p)")
    rng = np.random.default_rng(seed)
    out = Path(out)
    (out / "videos").mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(videos):
        stem = f"{i:06d}"
        n = int(rng.integers(2, 4))
        kinds = list(rng.permutation(list(_SHAPES))[:n])
        r = min(height, width) * rng.uniform(0.12, 0.18, size=n)
        pos = np.stack([rng.uniform(r, height - r), rng.uniform(r, width - r)], axis=1)
        # Shape 1 heads toward shape 2's start; others drift.
        vel = rng.uniform(-1.5, 1.5, size=(n, 2))
        vel[0] = (pos[1] - pos[0]) / max(frames - 1, 1) * 0.8
        base = np.linspace(40, 90, width, dtype=np.float32)[None, :, None].repeat(height, 0).repeat(3, 2)
        noise = rng.normal(0, 6, size=(height, width, 3)).astype(np.float32)
        video = np.empty((frames, height, width, 3), np.uint8)
        masks = np.zeros((n, frames, height, width), bool)
        for t in range(frames):
            img = base + noise
            for k in range(n):
                cy, cx = pos[k] + vel[k] * t
                masks[k, t] = _shape_mask(kinds[k], cy, cx, r[k], height, width)
                img[masks[k, t]] = _SHAPES[kinds[k]]
            video[t] = np.clip(img, 0, 255).astype(np.uint8)
        # Later shapes are drawn on top: an occluded pixel belongs only to the visible shape.
        for k in range(n):
            masks[k] &= ~masks[k + 1 :].any(0)
        write_mp4(out / "videos" / f"{stem}.mp4", video, fps)
        for k in range(n):
            folder = out / "mask_annotation" / stem / f"id{k + 1}"
            folder.mkdir(parents=True, exist_ok=True)
            for t in range(frames):
                Image.fromarray(masks[k, t].astype(np.uint8) * 255).save(folder / f"{t:03d}.png")
        verb = _VERBS[int(rng.integers(len(_VERBS)))]
        prompt = f"a <id1> {kinds[0]} <id1,id2> {verb} a <id2> {kinds[1]}"
        if n == 3:
            prompt += f" near a <id3> {kinds[2]}"
        rows.append({"video": f"{stem}.mp4", "prompt": prompt})
    make_merged(out, overwrite=True)
    with (out / "metadata.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["video", "prompt"])
        writer.writeheader()
        writer.writerows(rows)
    return out
