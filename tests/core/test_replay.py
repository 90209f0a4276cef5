"""The replay tracker reads .npz arrays and the reference's PNG track folders, and checks shapes."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from intergeneval.errors import TrackingError
from intergeneval.tracking.replay import ReplayTracker


def test_npz_tracks_replay_frame_by_frame(tmp_path):
    masks = np.zeros((3, 2, 4, 5), bool)
    masks[1, 0, 1:3, 1:4] = True
    np.savez(tmp_path / "v.npz", masks=masks)
    frames = np.zeros((3, 4, 5, 3), np.uint8)
    got = list(ReplayTracker(tmp_path).track("v", frames, None))
    assert [t for t, _ in got] == [0, 1, 2]
    assert got[1][1].sum() == 6 and got[0][1].sum() == 0


def test_png_layout_and_missing_frame(tmp_path):
    for k in (1, 2):
        d = tmp_path / "007" / f"id{k}"
        d.mkdir(parents=True)
        for t in range(2):
            Image.fromarray(np.full((4, 5), 255 * (k == 2), np.uint8)).save(d / f"{t:03d}.png")
    frames = np.zeros((2, 4, 5, 3), np.uint8)
    got = list(ReplayTracker(tmp_path).track("007", frames, None))
    assert got[0][1].shape == (2, 4, 5) and not got[0][1][0].any() and got[0][1][1].all()
    with pytest.raises(TrackingError, match="003.png|002.png"):
        list(ReplayTracker(tmp_path).track("007", np.zeros((3, 4, 5, 3), np.uint8), None))


def test_shape_mismatch_and_unknown_scenario(tmp_path):
    np.savez(tmp_path / "v.npz", masks=np.zeros((2, 1, 4, 4), bool))
    with pytest.raises(TrackingError, match="shape"):
        list(ReplayTracker(tmp_path).track("v", np.zeros((2, 4, 5, 3), np.uint8), None))
    with pytest.raises(TrackingError, match="no mask tracks"):
        list(ReplayTracker(tmp_path).track("absent", np.zeros((2, 4, 4, 3), np.uint8), None))


def test_in_memory_arrays(tmp_path):
    masks = np.zeros((2, 1, 3, 3), bool)
    masks[1, 0, 1, 1] = True
    tracker = ReplayTracker(arrays={"a": masks})
    got = list(tracker.track("a", np.zeros((2, 3, 3, 3), np.uint8), None))
    assert got[1][1].sum() == 1 and got[0][1].sum() == 0
    masks2 = masks.copy()
    masks2[0, 0, 0, 0] = True
    assert ReplayTracker(arrays={"a": masks2}).fingerprint() != tracker.fingerprint()
    with pytest.raises(TrackingError, match="either"):
        ReplayTracker()


def test_a_folder_fingerprint_lists_every_file_with_its_size(tmp_path):
    # Caches made before the listing was rewritten stay valid: the same (path, size) list, so the same digest.
    import os

    from intergeneval.hashing import sha256_json

    root = tmp_path / "tracks"
    (root / "v" / "id1").mkdir(parents=True)
    (root / "v" / "id1" / "000.png").write_bytes(b"x" * 5)
    (root / "v" / ".hidden").write_bytes(b"y")
    (root / "v.npz").write_bytes(b"z" * 3)
    outside = tmp_path / "elsewhere"
    (outside / "deep").mkdir(parents=True)
    (outside / "deep" / "001.png").write_bytes(b"w" * 7)
    os.symlink(outside / "deep" / "001.png", root / "v" / "id1" / "001.png")  # a linked file counts
    os.symlink(outside / "deep", root / "linked-folder")  # a linked folder is not walked into
    os.symlink(tmp_path / "gone", root / "broken")  # nor is a broken link a file
    expected = sorted((str(p.relative_to(root)), p.stat().st_size) for p in root.rglob("*") if p.is_file())
    assert expected == [("v.npz", 3), ("v/.hidden", 1), ("v/id1/000.png", 5),
                        ("v/id1/001.png", 7)]
    assert ReplayTracker(root).fingerprint() == {"backend": "replay", "tracks": sha256_json(expected)[:16]}
    (root / "v" / "id1" / "000.png").write_bytes(b"x" * 6)
    assert ReplayTracker(root).fingerprint()["tracks"] != sha256_json(expected)[:16]


def test_a_mask_frame_that_is_a_folder_is_missing(tmp_path):
    d = tmp_path / "v" / "id1"
    d.mkdir(parents=True)
    Image.fromarray(np.zeros((4, 5), np.uint8)).save(d / "000.png")
    (d / "001.png").mkdir()
    with pytest.raises(TrackingError, match=r"001\.png: missing mask frame"):
        list(ReplayTracker(tmp_path).track("v", np.zeros((2, 4, 5, 3), np.uint8), None))
