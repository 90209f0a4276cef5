"""First-frame masks: loading PNGs and resizing them to the video (stretch and cover)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from PIL import Image

from intergeneval.errors import DataFormatError
from intergeneval.video import load_mask, resize_mask


def _save(path, array, mode=None):
    Image.fromarray(array, mode=mode).save(path)
    return path


def test_load_grey_mask(tmp_path):
    m = np.zeros((6, 8), np.uint8)
    m[1:3, 2:5] = 255
    m[5, 7] = 1  # any non-zero value is foreground
    got = load_mask(_save(tmp_path / "id1.png", m))
    assert got.dtype == bool and got.shape == (6, 8)
    assert (got == (m > 0)).all()


def test_load_rgb_mask_with_equal_channels(tmp_path):
    m = np.zeros((6, 8), np.uint8)
    m[2:4, 1:3] = 255
    got = load_mask(_save(tmp_path / "rgb.png", np.stack([m] * 3, axis=2)))
    assert (got == (m > 0)).all()


def test_load_refuses_a_colour_mask_naming_the_file(tmp_path):
    rgb = np.zeros((6, 8, 3), np.uint8)
    rgb[1, 1] = (255, 0, 0)
    path = _save(tmp_path / "colour.png", rgb)
    with pytest.raises(DataFormatError, match="colour.png") as e:
        load_mask(path)
    assert "channels" in str(e.value)


def test_load_palette_and_bilevel_masks(tmp_path):
    m = np.zeros((5, 5), np.uint8)
    m[1:4, 2] = 255
    Image.fromarray(m).convert("1").save(tmp_path / "bits.png")
    assert (load_mask(tmp_path / "bits.png") == (m > 0)).all()
    Image.fromarray(m).convert("P").save(tmp_path / "pal.png")
    assert (load_mask(tmp_path / "pal.png") == (m > 0)).all()


def test_load_missing_or_broken_file(tmp_path):
    with pytest.raises(DataFormatError, match="does not exist"):
        load_mask(tmp_path / "nope.png")
    (tmp_path / "broken.png").write_text("not a png")
    with pytest.raises(DataFormatError, match="broken.png"):
        load_mask(tmp_path / "broken.png")


def _reference_bilinear(mask: np.ndarray, h: int, w: int) -> np.ndarray:
    """OpenCV INTER_LINEAR sampling in exact arithmetic, pixel by pixel; kept where the value is ≥ 1/2."""
    sh, sw = mask.shape
    out = np.zeros((h, w), bool)

    def tap(d, src, dst):
        f = (d + Fraction(1, 2)) * Fraction(src, dst) - Fraction(1, 2)
        i = math.floor(f)
        f -= i
        if i < 0:
            i, f = 0, Fraction(0)
        if i >= src - 1:
            i, f = src - 1, Fraction(0)
        return i, min(i + 1, src - 1), f

    for y in range(h):
        y0, y1, fy = tap(y, sh, h)
        for x in range(w):
            x0, x1, fx = tap(x, sw, w)
            v = ((1 - fy) * ((1 - fx) * int(mask[y0, x0]) + fx * int(mask[y0, x1]))
                 + fy * ((1 - fx) * int(mask[y1, x0]) + fx * int(mask[y1, x1])))
            out[y, x] = v >= Fraction(1, 2)  # uint8 rounding (half up), then the reference's > 0.5
    return out


@pytest.mark.parametrize(("src", "dst"), [((7, 9), (13, 5)), ((10, 10), (4, 6)), ((5, 8), (5, 8)),
                                          ((12, 7), (24, 14)), ((3, 3), (10, 11))])
def test_stretch_matches_opencv_bilinear(src, dst):
    rng = np.random.default_rng(sum(src) * 31 + sum(dst))
    for _ in range(5):
        mask = rng.random(src) < 0.4
        got = resize_mask(mask, dst)
        assert got.shape == dst and got.dtype == bool
        assert (got == _reference_bilinear(mask, *dst)).all()


def test_stretch_keeps_a_block_in_place():
    mask = np.zeros((100, 200), bool)
    mask[20:60, 50:150] = True
    got = resize_mask(mask, (50, 80))
    ys, xs = np.nonzero(got)
    assert (ys.min(), ys.max(), xs.min(), xs.max()) == (10, 29, 20, 59)


def test_cover_crops_the_centre():
    # A 2:1 mask into a square video: resized to 50x100, then the middle 50 columns are kept.
    mask = np.zeros((100, 200), bool)
    mask[:, :50] = True  # the left quarter falls outside the crop
    mask[40:60, 90:110] = True  # a centre square stays, scaled by 1/2
    got = resize_mask(mask, (50, 50), mode="cover")
    assert got.shape == (50, 50)
    ys, xs = np.nonzero(got)
    assert (ys.min(), ys.max(), xs.min(), xs.max()) == (20, 29, 20, 29)


def test_cover_with_a_taller_mask_crops_rows():
    mask = np.zeros((300, 100), bool)
    mask[140:160, :] = True
    got = resize_mask(mask, (40, 60), mode="cover")  # resized to 180x60, rows 70..109 kept
    ys, _ = np.nonzero(got)
    assert got.shape == (40, 60) and (ys.min(), ys.max()) == (14, 25)


def test_cover_with_the_same_aspect_ratio_is_a_stretch():
    rng = np.random.default_rng(0)
    mask = rng.random((48, 64)) < 0.3
    assert (resize_mask(mask, (240, 320), mode="cover") == resize_mask(mask, (240, 320))).all()


def test_bad_arguments():
    with pytest.raises(ValueError, match="stretch' or 'cover"):
        resize_mask(np.zeros((4, 4), bool), (2, 2), mode="crop")
    with pytest.raises(ValueError, match="positive"):
        resize_mask(np.zeros((4, 4), bool), (0, 2))
