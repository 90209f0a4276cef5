"""Checks a submission's videos before a job is queued: ids against the suite, decodability, frames/fps/size.

Physics-IQ's verified track is the model: every problem is listed at once (missing and unexpected ids, each
undecodable file, each video outside the limits) so the submitter fixes everything in one round.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from intergeneval.records import Suite

from .archive import Problem

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class VideoLimits:
    """What a submitted video must satisfy; `size` pins one (width, height) when set."""

    min_frames: int = 2
    max_frames: int = 1000
    min_fps: float = 1.0
    max_fps: float = 120.0
    min_side: int = 16
    max_side: int = 4096
    size: tuple[int, int] | None = None

    def as_dict(self) -> dict[str, Any]:
        """The JSON form shown by `GET /api/v1/suites`."""
        return {"min_frames": self.min_frames, "max_frames": self.max_frames, "min_fps": self.min_fps,
                "max_fps": self.max_fps, "min_side": self.min_side, "max_side": self.max_side,
                "size": list(self.size) if self.size else None}


@dataclass(frozen=True, slots=True)
class Probe:
    """What decoding a video showed."""

    frames: int
    fps: float
    width: int
    height: int
    codec: str


def probe_video(path: Path, *, max_frames: int | None = None) -> Probe:
    """Decode every frame of a video (without keeping them) to prove it is readable; count what it holds.

    The library's rules decide what is broken (`intergeneval.video`): unreadable container, no frame, a
    decoding error part-way, or fewer frames than the header states beyond the truncation tolerance.

    Raises:
        ValueError: the file is not a usable video, naming it and what is wrong.
    """
    import av  # PyAV: a core dependency, imported here to keep `import server` light

    from intergeneval import video
    from intergeneval.errors import VideoError

    try:
        header = video.probe(path)
    except VideoError as e:
        raise ValueError(f"{path.name}: {e.status}: {e.reason.replace(str(path), path.name)}") from None
    frames = 0
    width = height = 0
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            for frame in container.decode(stream):
                frames += 1
                width, height = frame.width, frame.height
                if max_frames is not None and frames > max_frames:
                    break  # enough to refuse it; no need to decode a 2-hour file
    except (av.FFmpegError, OSError, ValueError) as e:
        why = str(e).replace(str(path), path.name)  # PyAV names the file by its server path
        raise ValueError(f"{path.name}: decoding failed after {frames} frame(s): "
                         f"{type(e).__name__}: {why}") from None
    if frames == 0:
        raise ValueError(f"{path.name}: no frame could be decoded")
    stop_early = max_frames is not None and frames > max_frames
    if not stop_early and header.frames and header.frames - frames > video.truncation_tolerance(header.frames):
        raise ValueError(f"{path.name}: only {frames} frames decode but the header states {header.frames}: "
                         "the file is probably cut off")
    return Probe(frames=frames, fps=header.fps, width=width, height=height, codec=header.codec)


def check_videos(files: dict[str, Path], suite: Suite, limits: VideoLimits) -> tuple[dict[str, Any], list[Problem]]:
    """Check extracted videos against the suite and the limits.

    Args:
        files: scenario id → video path.
        suite: the suite the submission is for.
        limits: frame, fps and resolution bounds.

    Returns:
        (probe report {"frames": [min, max], "fps": [min, max], "sizes": [[w, h], ...], "codecs": [...]},
        problems): the report covers the videos that decoded.
    """
    problems: list[Problem] = []
    expected = [s.id for s in suite.scenarios]
    missing = [sid for sid in expected if sid not in files]
    unexpected = sorted(set(files) - set(expected))
    if missing:
        problems.append(Problem("missing_ids", f"no video for {len(missing)} scenario id(s) of suite "
                                f"{suite.suite_id} v{suite.version}", missing))
    if unexpected:
        problems.append(Problem("unexpected_ids", f"{len(unexpected)} video(s) match no scenario id of suite "
                                f"{suite.suite_id} v{suite.version}", [f"{s}.mp4" for s in unexpected]))
    probes: dict[str, Probe] = {}
    by_code: dict[str, list[tuple[str, str]]] = {}
    for sid in sorted(set(files) & set(expected)):
        name = f"{sid}.mp4"
        try:
            p = probe_video(files[sid], max_frames=limits.max_frames)
        except ValueError as e:
            by_code.setdefault("undecodable", []).append((name, str(e)))
            continue
        probes[sid] = p
        if not limits.min_frames <= p.frames <= limits.max_frames:
            shown = f"more than {limits.max_frames}" if p.frames > limits.max_frames else str(p.frames)
            by_code.setdefault("frames", []).append(
                (name, f"{name}: {shown} frames, allowed {limits.min_frames}–{limits.max_frames}"))
        if not limits.min_fps <= p.fps <= limits.max_fps:
            by_code.setdefault("fps", []).append(
                (name, f"{name}: {p.fps:g} fps, allowed {limits.min_fps:g}–{limits.max_fps:g}"))
        if limits.size and (p.width, p.height) != tuple(limits.size):
            by_code.setdefault("resolution", []).append(
                (name, f"{name}: {p.width}×{p.height}, the suite requires {limits.size[0]}×{limits.size[1]}"))
        elif not (limits.min_side <= min(p.width, p.height) and max(p.width, p.height) <= limits.max_side):
            by_code.setdefault("resolution", []).append(
                (name, f"{name}: {p.width}×{p.height}, sides allowed {limits.min_side}–{limits.max_side}"))
    for code, entries in by_code.items():
        first = entries[0][1]
        message = first if len(entries) == 1 else f"{first} (and {len(entries) - 1} more)"
        problems.append(Problem(code, message, [n for n, _ in entries]))
    report: dict[str, Any] = {}
    if probes:
        ps = list(probes.values())
        report = {
            "frames": [min(p.frames for p in ps), max(p.frames for p in ps)],
            "fps": [min(p.fps for p in ps), max(p.fps for p in ps)],
            "sizes": sorted({(p.width, p.height) for p in ps}),
            "codecs": sorted({p.codec for p in ps}),
        }
        report["sizes"] = [list(s) for s in report["sizes"]]
    return report, problems
