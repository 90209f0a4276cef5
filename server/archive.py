"""Safe extraction of an uploaded zip or tar of `<scenario id>.mp4` files.

Every entry is checked before a byte of it is written: no absolute path, no `..`, no backslash or drive
letter, no over-long name, no link or device, at most `max_files` files, and at most
`max_uncompressed_bytes` and `max_ratio` times the archive's own size in all: the declared sizes are summed
from the headers before anything is extracted, and the bytes actually inflated are counted too, so a lying
zip bomb is cut off as well. Reading the archive itself is bounded too: compressed tars are inflated a read
at a time, a tar's metadata records (long names, pax headers) are capped, sparse tar entries and zip entries
compressed other than stored/deflated are refused, and the number of entries (a zip's central directory
before it is parsed) is capped. Files are written flat into the destination under their checked base name,
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

import bz2
import gzip
import hashlib
import lzma
import os
import re
import shutil
import stat
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
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
#: A tar's metadata records (GNU long names, pax headers), which `tarfile` reads whole into memory: each, and
#: all of one archive's together.
MAX_TAR_RECORD_BYTES = 64 << 10
MAX_TAR_RECORDS_BYTES = 8 << 20
#: Central directory bytes a zip may have per entry it may hold (a directory of more is not parsed).
ZIP_DIRECTORY_BYTES_PER_ENTRY = 512
#: What reading a hostile archive can raise besides the archive modules' own errors.
_READ_ERRORS = (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, RuntimeError, ValueError, IndexError,
                struct.error, zlib.error, lzma.LZMAError)


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

    @property
    def max_entries(self) -> int:
        """Entries of any kind (folders, macOS metadata, refused ones included) read before the archive is
        refused as having too many files."""
        return 4 * self.max_files + 16


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


#: Zip compressions read: stored and deflated (what every zip tool writes by default). Python inflates bzip2
#: and lzma entries a whole compressed block at a time (a few hundred bytes can become gigabytes at once).
_ZIP_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}
_ZIP_METHOD_NAMES = {zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "lzma"}


def _check_zip_directory(path: Path, max_entries: int) -> None:
    """Refuse (`_TooManyEntries`) a zip whose central directory could list more than `max_entries` entries,
    before `zipfile` parses it into one object per entry."""
    with open(path, "rb") as f:
        end = zipfile._EndRecData(f)  # the end-of-directory record (zip64 aware), as zipfile itself reads it
    if end is None:
        raise zipfile.BadZipFile("no end of central directory record")
    if end[zipfile._ECD_SIZE] > max_entries * ZIP_DIRECTORY_BYTES_PER_ENTRY:
        raise _TooManyEntries(f"its central directory has {end[zipfile._ECD_SIZE]} bytes")


class _TooManyEntries(Exception):
    """The archive holds (or says it holds) more entries than its limits allow."""


def _zip_members(path: Path, max_entries: int) -> Iterator[_Member]:
    _check_zip_directory(path, max_entries)
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                kind = "link"
            elif info.is_dir():
                kind = "dir"
            elif info.flag_bits & 0x1:
                kind = "encrypted"
            elif info.compress_type not in _ZIP_METHODS:
                method = _ZIP_METHOD_NAMES.get(info.compress_type, f"method {info.compress_type}")
                kind = "compression:" + method
            else:
                kind = "file"
            yield _Member(info.filename, kind, info.file_size, lambda info=info: z.open(info))


class RefusedTarHeader(tarfile.HeaderError):
    """A tar header this service does not read (the archive is a tar, but refused)."""


class _BoundedTarInfo(tarfile.TarInfo):
    """Tar headers that `tarfile` would read into memory without bound are refused before it reads them:
    metadata records over `MAX_TAR_RECORD_BYTES` (or past `MAX_TAR_RECORDS_BYTES` in one archive), and sparse
    entries (GNU or pax), whose maps run on for as long as the archive says."""

    def _proc_member(self, tarfile_: tarfile.TarFile) -> tarfile.TarInfo:
        if self.type in (tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK, tarfile.XHDTYPE, tarfile.XGLTYPE,
                         tarfile.SOLARIS_XHDTYPE):
            total = getattr(tarfile_, "_ige_record_bytes", 0) + self.size
            tarfile_._ige_record_bytes = total
            if self.size > MAX_TAR_RECORD_BYTES or total > MAX_TAR_RECORDS_BYTES:
                raise RefusedTarHeader(f"a metadata record of {self.size} bytes ({total} in all; at most "
                                          f"{MAX_TAR_RECORD_BYTES} each and {MAX_TAR_RECORDS_BYTES} in all)")
        if self.type == tarfile.GNUTYPE_SPARSE:
            raise RefusedTarHeader("sparse entries are not accepted")
        return super()._proc_member(tarfile_)

    def _refuse_sparse(self, *_args: object) -> None:
        raise RefusedTarHeader("sparse entries are not accepted")

    _proc_gnusparse_00 = _proc_gnusparse_01 = _proc_gnusparse_10 = _refuse_sparse


#: Compressed tars by their first bytes: Python's own readers inflate at most what each read asks for
#: (`tarfile`'s stream mode would inflate a whole compressed block at once).
_TAR_COMPRESSIONS = ((b"\x1f\x8b", gzip.open), (b"BZh", bz2.open), (b"\xfd7zXZ\x00", lzma.open))


@contextmanager
def _open_tar(path: Path) -> Iterator[tarfile.TarFile]:
    """The tar in `path` (plain, gzip, bzip2 or xz), read in one pass with bounded inflation and headers."""
    with open(path, "rb") as f:
        head = f.read(6)
    with ExitStack() as stack:
        opener = next((o for magic, o in _TAR_COMPRESSIONS if head.startswith(magic)), open)
        raw = stack.enter_context(opener(path, "rb"))
        yield stack.enter_context(tarfile.open(fileobj=raw, mode="r|", tarinfo=_BoundedTarInfo))


def _tar_members(path: Path) -> Iterator[_Member]:
    # Stream mode ("r|"): one pass over a compressed tar, each member readable while it is current.
    with _open_tar(path) as t:
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
        with _open_tar(path):  # opening reads the first header (bounded)
            return "tar"
    except RefusedTarHeader:
        return "tar"  # a tar, refused with its reason when it is read
    except _READ_ERRORS:
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


def _declared(members: Iterator[_Member], budget: int, max_entries: int) -> tuple[int, str | None]:
    """Sum the files' declared sizes from the headers alone (nothing is written); stops at the first entry
    that takes the sum past `budget` and returns it. A zip's sizes come from its central directory; a tar's
    from its headers, read in one pass that inflates no more than `budget` bytes.

    Raises:
        _TooManyEntries: more than `max_entries` entries of any kind.
    """
    total = 0
    for n, m in enumerate(members, 1):
        if n > max_entries:
            raise _TooManyEntries(f"it has more than {max_entries} entries")
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
        members = _zip_members(archive, limits.max_entries) if kind == "zip" else _tar_members(archive)
        declared_total, at = _declared(members, budget, limits.max_entries)
    except _TooManyEntries as e:
        out.problems.append(Problem("too_many_files", f"more than {limits.max_files} files in the archive "
                                    f"({e})", [archive.name]))
        return out
    except _READ_ERRORS as e:
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
        members = _zip_members(archive, limits.max_entries) if kind == "zip" else _tar_members(archive)
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
            if m.kind.startswith("compression:"):
                bad("unsupported_compression", f"entry {m.name!r} is compressed with {m.kind[12:]}: only "
                    "stored or deflated zip entries are read (the default of zip tools)", m.name)
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
    except _READ_ERRORS as e:
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
