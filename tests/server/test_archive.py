"""Archive safety: every dangerous entry is refused, every problem listed, nothing written outside (or at all)."""

from __future__ import annotations

import bz2
import io
import lzma
import stat
import struct
import tarfile
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import pytest

from server.archive import ArchiveLimits, archive_kind, extract_archive


def _zip(entries: dict[str, bytes], *, links: dict[str, str] | None = None, deflate: bool = False) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            z.writestr(info, target)
    return buf.getvalue()


def _extract(tmp_path: Path, data: bytes, name: str = "a.zip", limits: ArchiveLimits | None = None):
    archive = tmp_path / "upload" / name
    archive.parent.mkdir(exist_ok=True)
    archive.write_bytes(data)
    dest = tmp_path / "upload" / "videos"
    return extract_archive(archive, dest, limits or ArchiveLimits()), dest


def _everything_under(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def test_valid_zip_extracts_flat_with_hashes(tmp_path):
    r, dest = _extract(tmp_path, _zip({"videos/001.mp4": b"a", "videos/002.mp4": b"bb"}))
    assert r.problems == []
    assert sorted(r.files) == ["001", "002"]
    assert (dest / "002.mp4").read_bytes() == b"bb"
    assert r.sha256["001"] == "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"  # sha256(b"a")
    assert r.total_bytes == 3


@pytest.mark.parametrize(("entry", "code"), [
    ("../../slip.mp4", "unsafe_path"),
    ("/etc/abs.mp4", "unsafe_path"),
    ("C:/win.mp4", "unsafe_path"),
    ("a\\..\\b.mp4", "unsafe_path"),
    ("readme.txt", "not_a_video"),
    ("a/b/c/deep.mp4", "nested_folder_conflict"),
])
def test_dangerous_or_wrong_zip_entries_are_refused_and_nothing_is_written(tmp_path, entry, code):
    before = _everything_under(tmp_path)
    r, dest = _extract(tmp_path, _zip({entry: b"x", "001.mp4": b"y"}))
    assert [p.code for p in r.problems] == [code]
    assert entry in r.problems[0].items
    assert not dest.exists()
    # Only the uploaded archive itself (and its folder) is new.
    assert _everything_under(tmp_path) - before == {"upload", "upload/a.zip"}
    assert not list(tmp_path.parent.rglob("slip.mp4"))


def test_every_problem_is_listed_at_once(tmp_path):
    r, _ = _extract(tmp_path, _zip({"../x.mp4": b"1", "notes.txt": b"2", "001.mp4": b"3", "d/001.mp4": b"4"},
                                   links={"link.mp4": "/etc/passwd"}))
    assert {p.code for p in r.problems} == {"unsafe_path", "not_a_video", "duplicate_id", "link"}


def test_symlink_in_zip_is_refused(tmp_path):
    r, dest = _extract(tmp_path, _zip({"001.mp4": b"x"}, links={"002.mp4": "../../etc/passwd"}))
    assert [p.code for p in r.problems] == ["link"]
    assert not dest.exists()


@pytest.mark.parametrize("kind", ["sym", "hard", "dev"])
def test_links_and_devices_in_tar_are_refused(tmp_path, tarrer, kind):
    info = tarfile.TarInfo("002.mp4")
    if kind == "sym":
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
    elif kind == "hard":
        info.type, info.linkname = tarfile.LNKTYPE, "001.mp4"
    else:
        info.type = tarfile.CHRTYPE
    r, dest = _extract(tmp_path, tarrer([("001.mp4", b"x"), info]), name="a.tar.gz")
    assert [p.code for p in r.problems] == ["link"]
    assert not dest.exists()


def test_tar_slip_refused(tmp_path, tarrer):
    r, dest = _extract(tmp_path, tarrer([("../../evil.mp4", b"x")], mode="w"), name="a.tar")
    assert [p.code for p in r.problems] == ["unsafe_path"]
    assert not (tmp_path.parent / "evil.mp4").exists() and not dest.exists()


def test_zip_bomb_is_refused_by_declared_size(tmp_path):
    # 64 MiB of zeros deflates to ~64 KiB; the bound is 1 MiB.
    bomb = _zip({"001.mp4": b"\0" * (64 << 20)}, deflate=True)
    assert len(bomb) < 1 << 20
    r, dest = _extract(tmp_path, bomb, limits=ArchiveLimits(max_uncompressed_bytes=1 << 20))
    assert [p.code for p in r.problems] == ["too_large_uncompressed"]
    assert not dest.exists()


def test_zip_bomb_with_a_lying_header_is_refused(tmp_path):
    data = bytearray(_zip({"001.mp4": b"\0" * (8 << 20)}, deflate=True))
    # Patch the declared uncompressed size (local header offset 22, central directory +24) to 10 bytes.
    local = data.find(b"PK\x03\x04")
    central = data.find(b"PK\x01\x02")
    data[local + 22:local + 26] = (10).to_bytes(4, "little")
    data[central + 24:central + 28] = (10).to_bytes(4, "little")
    r, dest = _extract(tmp_path, bytes(data), limits=ArchiveLimits(max_uncompressed_bytes=1 << 20))
    # zipfile inflates only the declared 10 bytes, so the entry fails its CRC instead of filling the disk.
    assert [p.code for p in r.problems] == ["not_an_archive"] and "CRC" in r.problems[0].message
    assert not dest.exists()


def test_too_many_files(tmp_path):
    r, _ = _extract(tmp_path, _zip({f"{i:03d}.mp4": b"x" for i in range(6)}), limits=ArchiveLimits(max_files=5))
    assert [p.code for p in r.problems] == ["too_many_files"]


def test_not_an_archive(tmp_path):
    r, dest = _extract(tmp_path, b"this is not an archive at all", name="a.zip")
    assert [p.code for p in r.problems] == ["not_an_archive"]
    assert not dest.exists()


def test_mac_metadata_is_ignored_and_two_folders_are_refused(tmp_path):
    r, _ = _extract(tmp_path, _zip({"v/001.mp4": b"x", "__MACOSX/v/._001.mp4": b"junk", "v/.DS_Store": b"j"}))
    assert r.problems == [] and list(r.files) == ["001"]
    second = tmp_path / "second"
    second.mkdir()
    r, _ = _extract(second, _zip({"a/001.mp4": b"x", "b/002.mp4": b"y"}))
    assert [p.code for p in r.problems] == ["nested_folder_conflict"]


def test_archive_kind(tmp_path, tarrer):
    (tmp_path / "z").write_bytes(_zip({"001.mp4": b"x"}))
    (tmp_path / "t").write_bytes(tarrer([("001.mp4", b"x")]))
    (tmp_path / "n").write_bytes(b"nope")
    assert [archive_kind(tmp_path / n) for n in "ztn"] == ["zip", "tar", None]


# --------------------------------------------------------------------------------------------- memory bombs
# Archives whose parsing, not their extracted files, would make the server hold far more than the upload: the
# bytes a server keeps in memory while checking one archive stay a few MiB, whatever the archive claims.
MiB = 1 << 20


def _inflate_to(comp: str, chunks) -> bytes:
    co = {"gz": lambda: zlib.compressobj(9, zlib.DEFLATED, 31), "bz2": lambda: bz2.BZ2Compressor(9),
          "xz": lzma.LZMACompressor}[comp]()
    return b"".join(co.compress(c) for c in chunks) + co.flush()


def _zeros(n: int):
    return (bytes(MiB) for _ in range(n // MiB))


def _tar_record_bomb(kind: str, size: int, comp: str) -> bytes:
    """A tar opening with a long-name (`L`) or pax (`x`) record of `size` bytes: tarfile reads such records
    whole into memory."""
    info = tarfile.TarInfo("././@LongLink" if kind == "L" else "pax")
    info.type, info.size = (tarfile.GNUTYPE_LONGNAME if kind == "L" else tarfile.XHDTYPE), size
    head = info.tobuf(format=tarfile.GNU_FORMAT if kind == "L" else tarfile.USTAR_FORMAT)[:512]
    record = b"10 a=bcdef\n" * (MiB // 11)
    return _inflate_to(comp, [head, *(_zeros(size) if kind == "L" else (record for _ in range(size // MiB)))])


def _tar_stream_bomb(size: int, comp: str) -> bytes:
    """A tar of one small member followed by `size` zero bytes: a few hundred bytes of bzip2."""
    info = tarfile.TarInfo("notes.txt")
    info.size = 10
    return _inflate_to(comp, [info.tobuf()[:512], b"0123456789" + bytes(502), *_zeros(size)])


def _zip_member_bomb(method: int, size: int) -> bytes:
    """A zip whose one entry declares 1000 bytes and inflates (bzip2 or lzma) to `size`."""
    if method == zipfile.ZIP_BZIP2:
        data = _inflate_to("bz2", _zeros(size))
    else:
        co = lzma.LZMACompressor(format=lzma.FORMAT_RAW, filters=[{"id": lzma.FILTER_LZMA1}])
        props = lzma._encode_filter_properties({"id": lzma.FILTER_LZMA1})
        data = (struct.pack("<BBH", 9, 4, len(props)) + props + b"".join(co.compress(c) for c in _zeros(size))
                + co.flush())
    name = b"001.mp4"
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 63, 0, method, 0, 0, 0, len(data), 1000, len(name), 0)
    central = struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 63, 63, 0, method, 0, 0, 0, len(data), 1000,
                          len(name), 0, 0, 0, 0, 0, 0)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, len(central) + len(name),
                      len(local) + len(name) + len(data), 0)
    return local + name + data + central + name + end


def _peak_while(fn) -> tuple[object, int]:
    tracemalloc.start()
    try:
        return fn(), tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(("make", "name"), [
    (lambda: _tar_record_bomb("L", 32 * MiB, "xz"), "a.tar.xz"),
    (lambda: _tar_record_bomb("x", 32 * MiB, "gz"), "a.tar.gz"),
    (lambda: _tar_stream_bomb(64 * MiB, "bz2"), "a.tar.bz2"),
    (lambda: _zip_member_bomb(zipfile.ZIP_BZIP2, 64 * MiB), "a.zip"),
    (lambda: _zip_member_bomb(zipfile.ZIP_LZMA, 32 * MiB), "a.zip"),
], ids=["tar-long-name", "tar-pax-record", "tar-bz2-stream", "zip-bzip2-entry", "zip-lzma-entry"])
def test_archives_that_inflate_while_being_read_stay_bounded_in_memory(tmp_path, make, name):
    bomb = make()
    assert len(bomb) < 200_000
    r, peak = _peak_while(lambda: _extract(tmp_path, bomb, name=name))
    result, dest = r
    assert result.problems and not dest.exists(), result
    assert peak < 16 * MiB, f"{peak / MiB:.0f} MiB held while checking a {len(bomb)}-byte archive"


def test_zip_entries_in_other_compressions_are_refused_by_name(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_BZIP2) as z:
        z.writestr("001.mp4", b"x" * 100)
    r, dest = _extract(tmp_path, buf.getvalue())
    assert [(p.code, p.items) for p in r.problems] == [("unsupported_compression", ["001.mp4"])]
    assert "bzip2" in r.problems[0].message and not dest.exists()


def test_a_flood_of_entries_is_refused_before_they_are_all_read(tmp_path):
    limits = ArchiveLimits(max_files=10)
    n = 30_000
    entry = struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 0, 0, 0, 0, 0, 0, 11, 0, 0, 0, 0, 0, 0)
    directory = b"".join(entry + b"%07d.mp4" % i for i in range(n))
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, len(directory), 0, 0)
    only_directory = directory + end
    empty_files = _inflate_to("gz", [*(tarfile.TarInfo(f"{i:07d}.mp4").tobuf()[:512] for i in range(n)),
                                     bytes(1024)])
    for data, name in ((only_directory, "a.zip"), (empty_files, "a.tar.gz")):
        (result, dest), peak = _peak_while(lambda d=data, n=name: _extract(tmp_path, d, n, limits))
        assert [p.code for p in result.problems] == ["too_many_files"] and not dest.exists(), result
        assert peak < 4 * MiB, f"{name}: {peak / MiB:.0f} MiB held for {n} entries"


def test_sparse_tar_entries_are_refused(tmp_path):
    info = tarfile.TarInfo("001.mp4")
    head = bytearray(info.tobuf(format=tarfile.GNU_FORMAT)[:512])
    head[156:157], head[482] = b"S", 1  # a GNU sparse member whose map goes on in extension blocks
    head[148:156] = b" " * 8
    head[148:156] = b"%06o\0 " % sum(head)
    more = bytearray(512)
    for k in range(21):
        more[k * 24:k * 24 + 24] = b"%011o\0" % 1 * 2
    more[504] = 1
    for blocks, truncated in ((3, True), (20_000, False)):  # cut off mid-map; a map of 420,000 runs
        tail = [] if truncated else [bytes(512) * 2]
        data = _inflate_to("gz", [bytes(head), *(bytes(more) for _ in range(blocks)), *tail])
        (result, dest), peak = _peak_while(lambda data=data: _extract(tmp_path, data, "a.tar.gz"))
        assert [p.code for p in result.problems] == ["not_an_archive"] and not dest.exists(), result
        assert "sparse" in result.problems[0].message and peak < 4 * MiB
