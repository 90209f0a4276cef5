"""Safe extraction of an uploaded zip or tar of `<scenario id>.mp4` files.

Every entry is checked before a byte of it is written: no absolute path, no `..`, no backslash or drive
letter, no over-long name, no link or device, at most `max_files` files, and at most
`max_uncompressed_bytes` and `max_ratio` times the archive's own size in all: the declared sizes are summed
from the headers before anything is extracted, and the bytes actually inflated are counted too, so a lying
zip bomb is cut off as well. Files are written flat into the destination under their checked base name,
opened exclusively, so nothing lands outside it. Videos may sit at the archive's top level or in one
folder; macOS metadata (`__MACOSX/`, `._*`, `.DS_Store`) is ignored.

Example:
    >>> import io, zipfile, tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with zipfile.ZipFile(d / "a.zip", "w") as z:
    ...     z.writestr("../evil.mp4", b"x")
    >>> r = extract_archive(d / "a.zip", d / "out", ArchiveLimits())
    >>> [p.code for p in r.problems], d.joinpath("out").exists(), sorted(x.name for x in d.iterdir())
    (['unsafe_path'], False, ['a.zip'])
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import tarfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from .storage import StorageFull, is_full

_CHUNK = 1 << 20
_DRIVE = re.compile(r"^[A-Za-z]:")
_IGNORED_PARTS = ("__MACOSX",)
_IGNORED_NAMES = (".DS_Store",)


#: Bytes an archive may always declare, whatever its compression ratio (tiny archives of tiny files).
RATIO_SLACK = 1 << 20
#: The longest entry base name (file systems refuse names over 255 bytes).
MAX_NAME_BYTES = 200


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    """Bounds on one archive's contents.

    Videos barely compress, so an archive declaring far more bytes than `max_ratio` times its own size is a
    bomb: it is refused from its headers, before anything is extracted.
    """

    max_files: int = 2000
    max_uncompressed_bytes: int = 16 << 30
    max_ratio: float = 20.0

    def budget(self, archive_bytes: int) -> int:
        """The most bytes an archive of this size may declare and inflate to."""
        return min(self.max_uncompressed_bytes, int(self.max_ratio * archive_bytes) + RATIO_SLACK)


@dataclass(slots=True)
class Problem:
    """One reason to refuse a submission, with a machine-readable code and the entries concerned."""

    code: str
    message: str
    items: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form used in error bodies."""
        return {"code": self.code, "message": self.message, "items": self.items}


@dataclass(slots=True)
class Extracted:
    """The result of an extraction: files by scenario id with their sha256, or the problems found."""

    files: dict[str, Path] = field(default_factory=dict)
    sha256: dict[str, str] = field(default_factory=dict)
    total_bytes: int = 0
    problems: list[Problem] = field(default_factory=list)


@dataclass(slots=True)
class _Member:
    name: str
    kind: str  # "file", "dir", "link", "special"
    size: int
    open: Any  # () -> binary file object, for files


def _zip_members(path: Path) -> Iterator[_Member]:
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                kind = "link"
            elif info.is_dir():
                kind = "dir"
            elif info.flag_bits & 0x1:
                kind = "encrypted"
            else:
                kind = "file"
            yield _Member(info.filename, kind, info.file_size, lambda info=info: z.open(info))


def _tar_members(path: Path) -> Iterator[_Member]:
    # Stream mode ("r|*"): one pass over a compressed tar, each member readable while it is current.
    with tarfile.open(path, mode="r|*") as t:
        for m in t:
            if m.issym() or m.islnk():
                kind = "link"
            elif m.isdir():
                kind = "dir"
            elif m.isfile():
                kind = "file"
            else:
                kind = "special"
            yield _Member(m.name, kind, m.size, lambda m=m: t.extractfile(m))


def archive_kind(path: Path) -> str | None:
    """'zip', 'tar' or None (not an archive this service reads)."""
    if zipfile.is_zipfile(path):
        return "zip"
    try:
        if tarfile.is_tarfile(path):
            return "tar"
    except (OSError, tarfile.TarError, EOFError):
        return None
    return None


def _unsafe(name: str) -> str | None:
    """Why an entry name is unsafe, or None."""
    if "\x00" in name:
        return "contains a NUL byte"
    if "\\" in name:
        return "contains a backslash"
    if name.startswith("/") or _DRIVE.match(name):
        return "is an absolute path"
    if ".." in PurePosixPath(name).parts:
        return "climbs out of the archive with '..'"
    if len(PurePosixPath(name).name.encode("utf-8", "replace")) > MAX_NAME_BYTES:
        return f"has a file name longer than {MAX_NAME_BYTES} bytes"
    return None


def _declared(members: Iterator[_Member], budget: int) -> tuple[int, str | None]:
    """Sum the files' declared sizes from the headers alone (nothing is written); stops at the first entry
    that takes the sum past `budget` and returns it. A zip's sizes come from its central directory; a tar's
    from its headers, read in one pass that inflates no more than `budget` bytes."""
    total = 0
    for m in members:
        if m.kind == "file":
            total += max(m.size, 0)
            if total > budget:
                return total, m.name
    return total, None





def _ignored(parts: tuple[str, ...]) -> bool:
    return any(p in _IGNORED_PARTS for p in parts) or parts[-1] in _IGNORED_NAMES or parts[-1].startswith("._")


def extract_archive(archive: Path, dest: Path, limits: ArchiveLimits) -> Extracted:
    """Check every entry of `archive` and extract its videos flat into `dest` (created, must be empty).

    On any problem the returned `problems` list them all, and `dest` is removed: the caller never has to
    clean up after a refused archive. The declared sizes are checked against the limits and the compression
    ratio before anything is written.

    Raises:
        StorageFull: the server's disk filled up while extracting (`dest` removed); not the archive's fault.
    """
    out = Extracted()
    kind = archive_kind(archive)
    if kind is None:
        out.problems.append(Problem("not_an_archive", f"{archive.name}: not a zip or tar archive"))
        return out
    size = archive.stat().st_size
    budget = limits.budget(size)
    try:
        members = _zip_members(archive) if kind == "zip" else _tar_members(archive)
        declared_total, at = _declared(members, budget)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, RuntimeError, ValueError) as e:
        why = e.strerror if isinstance(e, OSError) and e.strerror else f"{type(e).__name__}: {e}"
        out.problems.append(Problem("not_an_archive", f"{archive.name}: cannot read the archive: {why}",
                                    [archive.name]))
        return out
    if at is not None:
        bound = (f"more than {limits.max_uncompressed_bytes} bytes"
                 if budget == limits.max_uncompressed_bytes else
                 f"more than {limits.max_ratio:g} times its compressed size of {size} bytes")
        out.problems.append(Problem("too_large_uncompressed", f"the archive declares {declared_total}+ bytes "
                                    f"uncompressed, {bound} (a zip bomb?); nothing was extracted", [at]))
        return out
    dest.mkdir(parents=True, exist_ok=False)
    found: dict[str, list[Problem]] = {}

    def bad(code: str, message: str, item: str) -> None:
        found.setdefault(code, []).append(Problem(code, message, [item]))

    folders: set[str] = set()
    files = 0
    declared = 0
    try:
        members = _zip_members(archive) if kind == "zip" else _tar_members(archive)
        for m in members:
            why = _unsafe(m.name)
            if why:
                bad("unsafe_path", f"entry {m.name!r} {why}", m.name)
                continue
            parts = tuple(p for p in PurePosixPath(m.name).parts if p not in ("", "."))
            if not parts or m.kind == "dir" or _ignored(parts):
                continue
            if m.kind in ("link", "special", "encrypted"):
                what = {"link": "is a link", "special": "is a device, fifo or other special file",
                        "encrypted": "is encrypted"}[m.kind]
                bad("link" if m.kind != "encrypted" else "unsafe_path", f"entry {m.name!r} {what}", m.name)
                continue
            files += 1
            declared += max(m.size, 0)
            if files > limits.max_files:
                bad("too_many_files", f"more than {limits.max_files} files in the archive", m.name)
                break
            if declared > limits.max_uncompressed_bytes:
                bad("too_large_uncompressed",
                    f"more than {limits.max_uncompressed_bytes} bytes uncompressed", m.name)
                break
            if len(parts) > 2:
                bad("nested_folder_conflict", f"entry {m.name!r} is nested too deep: put the videos at the "
                    "top level or in one folder", m.name)
                continue
            if len(parts) == 2:
                folders.add(parts[0])
            base = parts[-1]
            if not base.lower().endswith(".mp4") or len(base) <= 4:
                bad("not_a_video", f"entry {m.name!r} is not a <scenario id>.mp4 file", m.name)
                continue
            sid = base[:-4]
            if sid in out.files:
                bad("duplicate_id", f"scenario id {sid!r} appears twice", m.name)
                continue
            if found:  # already refused: keep listing problems, write nothing more
                out.files[sid] = dest / base
                continue
            target = dest / base
            with m.open() as src, _exclusive(target) as dst:
                digest, n = _copy(src, dst, budget=min(budget - out.total_bytes, max(m.size, 0)))
            if digest is None:
                bad("too_large_uncompressed",
                    f"more than {limits.max_uncompressed_bytes} bytes uncompressed (entry {m.name!r} inflates "
                    "past its declared size)", m.name)
                break
            out.total_bytes += n
            out.files[sid] = target
            out.sha256[sid] = digest
    except OSError as e:
        if is_full(e):
            shutil.rmtree(dest, ignore_errors=True)
            raise StorageFull() from None
        # strerror only: the message would name the server's folders
        why = e.strerror or type(e).__name__
        bad("not_an_archive", f"{archive.name}: cannot extract it: {why}", archive.name)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, RuntimeError, ValueError) as e:
        bad("not_an_archive", f"{archive.name}: cannot read the archive: {type(e).__name__}: {e}", archive.name)
    if len(folders) > 1:
        bad("nested_folder_conflict", f"videos are spread over several folders ({', '.join(sorted(folders))})",
            ", ".join(sorted(folders)))
    if not found and not out.files:
        bad("missing_ids", "the archive holds no .mp4 file", archive.name)
    for code, probs in found.items():
        items = [i for p in probs for i in p.items]
        message = probs[0].message if len(probs) == 1 else f"{probs[0].message} (and {len(probs) - 1} more)"
        out.problems.append(Problem(code, message, items[:100]))
    if out.problems:
        shutil.rmtree(dest, ignore_errors=True)
        out.files.clear()
        out.sha256.clear()
    return out


@contextmanager
def _exclusive(path: Path) -> Iterator[IO[bytes]]:
    # O_EXCL | O_NOFOLLOW: never follow or overwrite whatever might already sit at the path.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
    with os.fdopen(fd, "wb") as f:
        yield f


def _copy(src: IO[bytes], dst: IO[bytes], *, budget: int) -> tuple[str | None, int]:
    """Copy with a byte budget; returns (sha256, bytes), or (None, bytes) when the budget ran out."""
    h = hashlib.sha256()
    n = 0
    while block := src.read(_CHUNK):
        n += len(block)
        if n > budget:
            return None, n
        h.update(block)
        dst.write(block)
    return h.hexdigest(), n
