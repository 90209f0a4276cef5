"""Dataset layout, validation (report and skip), palette, make-merged, prompt markers."""

import csv
import shutil

import numpy as np
import pytest
from PIL import Image

from matrix_train.data import PALETTE, MatrixDataset, collate, id_map_from_masks, make_merged
from matrix_train.prompts import marker_ids, parse_markers
from matrix_train.synth import write_synthetic_dataset


def test_synthetic_dataset_layout_and_items(synth_data):
    assert (synth_data / "metadata.csv").is_file()
    ds = MatrixDataset(synth_data, height=64, width=64, num_frames=9)
    assert len(ds) == 4 and ds.skipped == []
    item = ds[0]
    assert item["video"].shape == (9, 3, 64, 64) and -1 <= item["video"].min() < item["video"].max() <= 1
    n_ids = len(list((synth_data / "mask_annotation" / "000000").glob("id*")))
    assert item["mask_valid"].tolist() == [True] * n_ids + [False] * (5 - n_ids)
    assert item["masks"][:n_ids].flatten(1).any(1).all() and not item["masks"][n_ids:].any()
    # The ID map carries id1's colour where id1's frame-0 mask is (id2 may paint over it where they overlap).
    only1 = item["masks"][0, 0] & ~item["masks"][1:, 0].any(0)
    rgb = ((item["id_map"] + 1) * 127.5).round().permute(1, 2, 0)[only1]
    assert (rgb == np.array(PALETTE[1])).all()
    batch = collate([ds[0], ds[1]])
    assert batch["masks"].shape == (2, 5, 9, 64, 64)


def _copy(src, dst):
    shutil.copytree(src, dst)
    return dst


def _rewrite_metadata(root, rows):
    with (root / "metadata.csv").open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["video", "prompt"])
        w.writeheader()
        w.writerows(rows)


def test_bad_samples_are_reported_and_skipped(synth_data, tmp_path):
    root = _copy(synth_data, tmp_path / "d")
    rows = list(csv.DictReader((root / "metadata.csv").open()))
    (root / "videos" / "000001.mp4").write_bytes(b"not a video")  # unreadable
    (root / "mask_annotation" / "000002" / "id1" / "008.png").unlink()  # 8 masks for 9 frames
    rows[3]["prompt"] += " and a <id5> ghost"  # marker without masks
    rows.append({"video": "missing.mp4", "prompt": "a <id1> thing"})
    _rewrite_metadata(root, rows)
    ds = MatrixDataset(root, height=64, width=64, num_frames=9, lazy=False)  # everything decoded up front
    assert len(ds) == 1
    reasons = dict(ds.skipped)
    assert "unreadable" in reasons["000001.mp4"]
    assert "frame counts [8, 9]" in reasons["000002.mp4"]
    assert "[5]" in reasons["000003.mp4"] and "no mask folder" in reasons["000003.mp4"]
    assert "not found" in reasons["missing.mp4"]


def test_angle_bracket_id_folders_and_missing_merged(synth_data, tmp_path):
    root = _copy(synth_data, tmp_path / "d")
    sample = root / "mask_annotation" / "000000"
    for d in list(sample.glob("id*")):
        d.rename(sample / f"<{d.name}>")
    expected = np.asarray(Image.open(sample / "merged" / "000.png").convert("RGB"))
    shutil.rmtree(sample / "merged")
    ds = MatrixDataset(root, height=64, width=64, num_frames=9)
    assert ds.skipped == []
    built = ((ds[0]["id_map"] + 1) * 127.5).round().permute(1, 2, 0).numpy()
    assert (built == expected).all(), "in-memory ID map differs from make-merged's"
    assert make_merged(root) == 1 and (sample / "merged" / "000.png").is_file()


def test_too_many_ids_is_skipped(tmp_path):
    root = write_synthetic_dataset(tmp_path / "d", videos=1, seed=3)
    src = root / "mask_annotation" / "000000" / "id1"
    shutil.copytree(src, src.parent / "id6")
    with pytest.raises(ValueError, match="no usable samples"):
        MatrixDataset(root, height=64, width=64, num_frames=9)


def test_palette_and_id_map():
    a = np.zeros((4, 4), bool)
    a[0, 0] = True
    b = np.zeros((4, 4), bool)
    b[0, 0] = b[1, 1] = True
    out = id_map_from_masks({1: a, 2: b})
    assert tuple(out[0, 0]) == PALETTE[2] and tuple(out[1, 1]) == PALETTE[2] and tuple(out[3, 3]) == (0, 0, 0)
    assert PALETTE[1] == (255, 0, 0) and PALETTE[5] == (255, 0, 255)


@pytest.mark.parametrize(
    ("prompt", "mode", "text", "marked"),
    [
        ("a <id1> dog <id1,id2> chases a <id2> cat", "strip", "a dog chases a cat",
         [("dog", (1,)), ("chases", (1, 2)), ("cat", (2,))]),
        ("a <id1> dog <id1+id2> chases a <id2> cat", "keep", "a <id1> dog <id1+id2> chases a <id2> cat",
         [("<id1>", (1,)), ("<id1+id2>", (1, 2)), ("<id2>", (2,))]),
        ("<id3> bird-like drone.", "strip", "bird-like drone.", [("bird-like drone", (3,))]),
        # The whole noun phrase after a marker (it was the next word only: "young").
        ("a <id1> young woman hands a cup to <id2> old man.", "strip",
         "a young woman hands a cup to old man.", [("young woman", (1,)), ("old man", (2,))]),
        ("a <id1> person passes a ball to another <id2> person", "strip",
         "a person passes a ball to another person", [("person", (1,)), ("person", (2,))]),
        ("<id1> the dog chases <id2> red ball", "strip", "the dog chases red ball",
         [("dog", (1,)), ("red ball", (2,))]),
        ("a <id1> man holding a <id2> coffee cup", "strip", "a man holding a coffee cup",
         [("man", (1,)), ("coffee cup", (2,))]),
        ("<id1> two dogs chase <id2> cat", "strip", "two dogs chase cat", [("dogs", (1,)), ("cat", (2,))]),
        ("a <id1> man in a black shirt hugs <id2> wedding ring", "strip",
         "a man in a black shirt hugs wedding ring", [("man", (1,)), ("wedding ring", (2,))]),
    ],
)
def test_parse_markers(prompt, mode, text, marked):
    got_text, spans = parse_markers(prompt, mode)
    assert got_text == text
    assert [(got_text[s:e], ids) for s, e, ids in spans] == marked
    assert marker_ids(prompt) == {k for _, ids in marked for k in ids}


def test_dangling_marker_raises():
    with pytest.raises(ValueError, match="not followed by a word"):
        parse_markers("a dog <id1>", "strip")


def test_lazy_dataset_decodes_nothing_at_start_and_skips_bad_clips_when_met(
    synth_data, tmp_path, monkeypatch
):
    """11K clips must start in seconds: building the dataset opens no video. A clip found bad on first decode
    is reported (in `skipped` and the skip log) and the next good clip takes its place."""
    import json

    import matrix_train.data as data

    root = _copy(synth_data, tmp_path / "d")
    (root / "videos" / "000001.mp4").write_bytes(b"not a video")
    (root / "mask_annotation" / "000002" / "id1" / "008.png").unlink()
    rows = list(csv.DictReader((root / "metadata.csv").open()))
    _rewrite_metadata(root, rows * 50)  # 200 rows
    opened = []
    real_open = data.av.open
    monkeypatch.setattr(data.av, "open", lambda *a, **k: opened.append(a[0]) or real_open(*a, **k))
    ds = MatrixDataset(root, height=64, width=64, num_frames=9, skip_log=tmp_path / "skipped.jsonl")
    assert opened == []  # no video opened at start-up
    # The bad clip is found from file counts alone.
    assert len(ds) == 150 and "frame counts [8, 9]" in dict(ds.skipped)["000002.mp4"]
    assert ds[1]["name"] == "000003"  # 000001 is unreadable: reported, and the next good clip comes instead
    assert "unreadable" in dict(ds.skipped)["000001.mp4"]
    logged = [json.loads(x) for x in (tmp_path / "skipped.jsonl").read_text().splitlines()]
    assert [r["video"] for r in logged] == ["000001.mp4"]
    assert ds[0]["name"] == "000000" and ds[4]["name"] == "000003"  # 000001's later rows are skipped too
