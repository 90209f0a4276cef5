"""MATRIX-11K-layout data: the dataset (with per-sample validation), the ID-map palette, and `make-merged`.

Layout::

    ROOT/videos/000001.mp4
    ROOT/mask_annotation/000001/<id1>/000.png 001.png ...   (or id1/; binary 0/255, one per video frame)
    ROOT/mask_annotation/000001/merged/000.png              (palette-coloured union of the frame-0 masks)
    ROOT/metadata.csv                                       (or .json / .jsonl) with columns video, prompt

Example:
    >>> ds = MatrixDataset("data", height=64, width=64, num_frames=9)   # doctest: +SKIP
    >>> ds.skipped                                                    # doctest: +SKIP
    [('bad.mp4', 'mask folder id2 has 7 frames, video has 9')]
"""

from __future__ import annotations

import csv
import json
import logging
import re
from pathlib import Path

import av
import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from .prompts import MAX_IDS, marker_ids

logger = logging.getLogger(__name__)

# Same colours as the evaluation overlay: id1 red, id2 green, id3 blue, id4 yellow, id5 magenta.
PALETTE: dict[int, tuple[int, int, int]] = {
    1: (255, 0, 0), 2: (0, 255, 0), 3: (0, 0, 255), 4: (255, 255, 0), 5: (255, 0, 255),
}
_ID_DIR = re.compile(r"^<?id(\d+)>?$")


class DataFormatError(ValueError):
    """A sample or dataset does not follow the MATRIX-11K layout; the message names the file."""


def id_map_from_masks(masks: dict[int, np.ndarray]) -> np.ndarray:
    """Palette-coloured union of per-id (H, W) bool masks -> (H, W, 3) uint8; higher ids paint over lower."""
    if not masks:
        raise DataFormatError("id_map_from_masks needs at least one mask")
    shape = next(iter(masks.values())).shape
    out = np.zeros((*shape, 3), dtype=np.uint8)
    for k in sorted(masks):
        if k not in PALETTE:
            raise DataFormatError(f"instance id {k} has no palette colour (ids 1..{MAX_IDS})")
        out[masks[k].astype(bool)] = PALETTE[k]
    return out


def find_id_dirs(sample_mask_dir: Path) -> dict[int, Path]:
    """{k: folder} for the `<idK>` / `idK` folders of one sample (`merged/` and others ignored)."""
    found = {}
    if not sample_mask_dir.is_dir():
        return found
    for d in sample_mask_dir.iterdir():
        m = _ID_DIR.match(d.name)
        if d.is_dir() and m:
            k = int(m.group(1))
            if k in found:
                raise DataFormatError(f"{sample_mask_dir}: two folders for id{k} ({found[k].name}, {d.name})")
            found[k] = d
    return found


def _mask_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() == ".png")


def read_mask(path: Path) -> np.ndarray:
    """(H, W) bool: a 0/255 PNG (any mode) thresholded at half intensity."""
    with Image.open(path) as im:
        return np.asarray(im.convert("L")) > 127


def make_merged(root: str | Path, *, overwrite: bool = False) -> int:
    """Write `mask_annotation/<stem>/merged/000.png` from each sample's frame-0 per-id masks; returns
    count."""
    mask_root = Path(root) / "mask_annotation"
    if not mask_root.is_dir():
        raise DataFormatError(f"{mask_root} does not exist")
    written = 0
    for sample in sorted(p for p in mask_root.iterdir() if p.is_dir()):
        target = sample / "merged" / "000.png"
        if target.exists() and not overwrite:
            continue
        ids = find_id_dirs(sample)
        firsts = {k: _mask_files(d) for k, d in ids.items()}
        masks = {k: read_mask(files[0]) for k, files in firsts.items() if files}
        if not masks:
            logger.warning("%s: no per-id masks, no merged map written", sample)
            continue
        target.parent.mkdir(exist_ok=True)
        Image.fromarray(id_map_from_masks(masks)).save(target)
        written += 1
    return written


def count_frames(path: Path) -> int:
    """Decoded frame count (container metadata is unreliable for some encoders)."""
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


def read_frames(path: Path, max_frames: int) -> np.ndarray:
    """(T, H, W, 3) uint8 RGB, the first `max_frames` frames."""
    frames = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            frames.append(frame.to_ndarray(format="rgb24"))
            if len(frames) == max_frames:
                break
    return np.stack(frames)


def write_mp4(path: Path, frames: np.ndarray, fps: int) -> None:
    """(T, H, W, 3) uint8 RGB -> H.264 mp4 (yuv420p, so H and W must be even; crf 10 keeps shapes crisp)."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.height, stream.width = frames.shape[1:3]
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": "10"}
        for f in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(f), format="rgb24")))
        container.mux(stream.encode())


def resize_cover_crop(x: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """(N, C, h, w) float -> (N, C, height, width): bilinear scale to cover, then centre crop."""
    h, w = x.shape[-2:]
    scale = max(height / h, width / w)
    nh, nw = max(height, round(h * scale)), max(width, round(w * scale))
    if (nh, nw) != (h, w):
        x = F.interpolate(x, size=(nh, nw), mode="bilinear", align_corners=False, antialias=scale < 1)
    top, left = (nh - height) // 2, (nw - width) // 2
    return x[..., top : top + height, left : left + width]


def load_metadata(root: Path) -> list[dict[str, str]]:
    """Rows with `video` and `prompt` from metadata.csv, .jsonl or .json (first found, in that order)."""
    for name in ("metadata.csv", "metadata.jsonl", "metadata.json"):
        path = root / name
        if not path.exists():
            continue
        if name.endswith(".csv"):
            with path.open(newline="") as f:
                rows = list(csv.DictReader(f))
        elif name.endswith(".jsonl"):
            rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        else:
            rows = json.loads(path.read_text())
        for i, row in enumerate(rows):
            if not isinstance(row, dict) or "video" not in row or "prompt" not in row:
                raise DataFormatError(f"{path}: row {i} needs 'video' and 'prompt' fields, got {row!r}")
        return rows
    raise DataFormatError(f"{root}: no metadata.csv, metadata.jsonl or metadata.json")


def usable_frames(available: int, wanted: int) -> int:
    """`wanted` if available, else the largest 4k+1 that is (video VAEs compress 4k+1 frames)."""
    return wanted if available >= wanted else (available - 1) // 4 * 4 + 1


class MatrixDataset(torch.utils.data.Dataset):
    """MATRIX-11K clips, validated on construction; bad samples are logged, listed in `skipped` and left out.

    Each item: `name`, `prompt`, `video` (T, 3, H, W) in [-1, 1], `id_map` (3, H, W) in [-1, 1],
    `masks` (MAX_IDS, T, H, W) bool (slot k-1 = id k) and `mask_valid` (MAX_IDS,) bool.
    """

    def __init__(self, root: str | Path, *, height: int, width: int, num_frames: int, lazy: bool = True,
                 skip_log: Path | None = None):
        self.root = Path(root)
        self.height, self.width, self.num_frames, self.lazy = height, width, num_frames, lazy
        self.skip_log = skip_log  # lazily found bad samples are appended here (data loader workers included)
        self.samples: list[dict] = []
        self.skipped: list[tuple[str, str]] = []
        for row in load_metadata(self.root):
            try:
                self.samples.append(self._validate(row))
            except DataFormatError as err:
                self.skipped.append((row["video"], str(err)))
                logger.warning("skipping %s: %s", row["video"], err)
        if not self.samples:
            raise DataFormatError(
                f"{self.root}: no usable samples ({len(self.skipped)} skipped: {self.skipped[:3]})"
            )

    def _validate(self, row: dict) -> dict:
        """Checks on the files' names and counts; decoding (lazy mode) waits for `__getitem__`."""
        video = self.root / "videos" / row["video"]
        if not video.is_file():
            raise DataFormatError(f"video file {video} not found")
        n_frames = None if self.lazy else self._count(video)
        mask_dir = self.root / "mask_annotation" / Path(row["video"]).stem
        ids = find_id_dirs(mask_dir)
        if len(ids) > MAX_IDS or any(not 1 <= k <= MAX_IDS for k in ids):
            raise DataFormatError(
                f"{mask_dir}: ids {sorted(ids)}; at most {MAX_IDS} ids, numbered 1..{MAX_IDS}"
            )
        wanted = marker_ids(row["prompt"])
        missing = sorted(wanted - set(ids))
        if missing:
            raise DataFormatError(f"prompt marks ids {missing} but {mask_dir} has no mask folder for them")
        mask_files = {k: _mask_files(folder) for k, folder in ids.items()}
        if not ids:
            raise DataFormatError(f"{mask_dir}: no <idK>/idK mask folders")
        counts = {len(f) for f in mask_files.values()}
        if len(counts) > 1:
            raise DataFormatError(f"{mask_dir}: mask folders hold different frame counts {sorted(counts)}")
        sample = {"name": Path(row["video"]).stem, "video": video, "prompt": row["prompt"],
                  "masks": mask_files, "merged": mask_dir / "merged" / "000.png", "frames": None}
        if not sample["merged"].is_file():
            sample["merged"] = None
        if n_frames is not None:
            self._check_frames(sample, n_frames)
        return sample

    @staticmethod
    def _count(video: Path) -> int:
        try:
            n_frames = count_frames(video)
        except (av.error.FFmpegError, OSError) as err:
            raise DataFormatError(f"video {video} is unreadable ({err})") from None
        if n_frames < 1:
            raise DataFormatError(f"video {video} has no frames")
        return n_frames

    def _check_frames(self, sample: dict, n_frames: int) -> None:
        for k, files in sample["masks"].items():
            if len(files) != n_frames:
                folder = files[0].parent if files else k
                raise DataFormatError(f"mask folder {folder} has {len(files)} frames, video has {n_frames}")
        sample["frames"] = usable_frames(n_frames, self.num_frames)

    def _skip(self, sample: dict, err: DataFormatError) -> None:
        name = sample["video"].name
        self.skipped.append((name, str(err)))
        logger.warning("skipping %s: %s", name, err)
        if self.skip_log is not None:
            with open(self.skip_log, "a") as f:  # one short line per append: safe across processes
                f.write(json.dumps({"video": name, "reason": str(err)}) + "\n")

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> dict:
        """Decode clip `index`. In lazy mode a clip found bad here (unreadable, frame counts that disagree) is
        reported (`skipped`, `skip_log`) and the next good clip is returned in its place, so that every
        process still takes its step."""
        for offset in range(len(self.samples)):
            s = self.samples[(index + offset) % len(self.samples)]
            if s.get("bad"):
                continue
            try:
                return self._load(s)
            except DataFormatError as err:
                s["bad"] = True
                self._skip(s, err)
        raise DataFormatError(f"{self.root}: every sample turned out unusable ({self.skipped[:3]})")

    def _load(self, s: dict) -> dict:
        if s["frames"] is None:
            self._check_frames(s, self._count(s["video"]))
        t = s["frames"]
        frames = torch.from_numpy(read_frames(s["video"], t)).permute(0, 3, 1, 2).float() / 127.5 - 1
        video = resize_cover_crop(frames, self.height, self.width)
        masks = torch.zeros(MAX_IDS, t, self.height, self.width, dtype=torch.bool)
        valid = torch.zeros(MAX_IDS, dtype=torch.bool)
        for k, files in s["masks"].items():
            raw = torch.from_numpy(np.stack([read_mask(p) for p in files[:t]])).float()[:, None]
            masks[k - 1] = resize_cover_crop(raw, self.height, self.width)[:, 0] > 0.5
            valid[k - 1] = True
        if s["merged"] is not None:
            id_map = np.asarray(Image.open(s["merged"]).convert("RGB"))
        else:  # build it the same way make-merged would
            id_map = id_map_from_masks({k: read_mask(f[0]) for k, f in s["masks"].items()})
        id_map = torch.from_numpy(id_map.copy()).permute(2, 0, 1)[None].float() / 127.5 - 1
        return {
            "name": s["name"], "prompt": s["prompt"], "video": video,
            "id_map": resize_cover_crop(id_map, self.height, self.width)[0], "masks": masks,
            "mask_valid": valid,
        }


def collate(items: list[dict]) -> dict:
    """Stack a batch; clips must share a frame count (use batch size 1 for short clips)."""
    shapes = {tuple(it["video"].shape) for it in items}
    if len(shapes) > 1:
        names = [it["name"] for it in items]
        raise DataFormatError(f"clips {names} have different shapes {sorted(shapes)}; use --batch-size 1")
    out = {k: [it[k] for it in items] for k in ("name", "prompt")}
    for k in ("video", "id_map", "masks", "mask_valid"):
        out[k] = torch.stack([it[k] for it in items])
    return out
