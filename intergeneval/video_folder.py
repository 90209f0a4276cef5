"""Which file in a videos folder is the video of which scenario, and which files no scenario uses.

A scenario's video is `<scenario id>` with a video extension, any case: `.mp4` first, then `.mov`, `.webm`,
`.mkv`, `.avi`, `.m4v` (PyAV decodes them all). Nothing is ignored silently: files whose name is no scenario
id, and second files for one id, are listed as unused, with why.

Example:
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> for name in ("a.mp4", "b.WEBM", "b.mov", "zz.mp4", "notes.txt"):
    ...     _ = (d / name).write_bytes(b"")
    >>> found = scan(d, ["a", "b", "c"])
    >>> sorted((k, v.name) for k, v in found.paths.items())
    [('a', 'a.mp4'), ('b', 'b.mov')]
    >>> found.unused
    ['b.WEBM: b.mov is scored for scenario b', 'zz.mp4: no scenario has the id zz']
    >>> found.missing_reason("c")
    'no video for scenario c (expected c.mp4)'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

#: Video extensions read, in order of preference when one scenario id has several files.
VIDEO_SUFFIXES = (".mp4", ".mov", ".webm", ".mkv", ".avi", ".m4v")


@dataclass
class VideoFolder:
    """The result of `scan`."""

    folder: Path
    paths: dict[str, Path] = field(default_factory=dict)  # scenario id -> the file scored
    unused: list[str] = field(default_factory=list)  # "<file>: why it is not scored"
    others: dict[str, list[str]] = field(default_factory=dict)  # scenario id -> files of other kinds

    def path(self, sid: str) -> Path:
        """The video of scenario `sid`, or where an `.mp4` would be when there is none."""
        return self.paths.get(sid, self.folder / f"{sid}.mp4")

    def missing_reason(self, sid: str) -> str:
        """Why scenario `sid` has no video, naming files of the same name that are not videos."""
        found = self.others.get(sid)
        if found:
            kinds = ", ".join(VIDEO_SUFFIXES)
            return f"no video for scenario {sid}: found {', '.join(found)}, expected one of {kinds}"
        return f"no video for scenario {sid} (expected {sid}.mp4)"


def scan(folder: str | Path, scenario_ids: Iterable[str]) -> VideoFolder:
    """Match the files of `folder` to `scenario_ids` (see the module docstring)."""
    folder = Path(folder)
    ids = set(scenario_ids)
    result = VideoFolder(folder)
    candidates: dict[str, list[Path]] = {}
    for p in sorted(folder.iterdir()):
        if p.name.startswith(".") or not p.is_file():
            continue
        if p.suffix.lower() not in VIDEO_SUFFIXES:
            if p.stem in ids:
                result.others.setdefault(p.stem, []).append(p.name)
            continue
        if p.stem in ids:
            candidates.setdefault(p.stem, []).append(p)
        else:
            result.unused.append(f"{p.name}: no scenario has the id {p.stem}")
    for sid, files in candidates.items():
        files.sort(key=lambda f: (VIDEO_SUFFIXES.index(f.suffix.lower()), f.suffix != f.suffix.lower(),
                                  f.name))
        result.paths[sid] = files[0]
        result.unused += [f"{f.name}: {files[0].name} is scored for scenario {sid}" for f in files[1:]]
    result.unused.sort()
    return result
