"""Archive safety: every dangerous entry is refused, every problem listed, nothing written outside (or at all)."""

from __future__ import annotations

import io
import stat
import tarfile
import zipfile
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
