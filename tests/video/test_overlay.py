"""Overlay pixels: fill values, the OpenCV thickness-2 box footprint, empty masks, many objects."""

from __future__ import annotations

import numpy as np
import pytest

from intergeneval.video import bounding_box, color, draw_box, draw_overlay, overlay_sampled

GREY = (100, 50, 200)


def _frame(h: int = 30, w: int = 40) -> np.ndarray:
    return np.full((h, w, 3), GREY, dtype=np.uint8)


def _painted(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    return (before != after).any(axis=2)


def _expected_band(h: int, w: int, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
    """The thickness-2 footprint, pixel by pixel: within 1 px of a side, between that side's end points."""
    out = np.zeros((h, w), bool)
    for y in range(h):
        for x in range(w):
            on_horizontal = (abs(y - y0) <= 1 or abs(y - y1) <= 1) and x0 <= x <= x1
            on_vertical = (abs(x - x0) <= 1 or abs(x - x1) <= 1) and y0 <= y <= y1
            out[y, x] = on_horizontal or on_vertical
    return out


def _art(rows: list[str]) -> np.ndarray:
    return np.array([[c == "#" for c in r] for r in rows])


def test_box_of_a_single_pixel_mask():
    # Mask pixel (3, 3): boundingRect (3, 3, 1, 1); the reference draws (3, 3)-(4, 4) with thickness 2.
    frame = _frame(7, 7)
    mask = np.zeros((1, 7, 7), bool)
    mask[0, 3, 3] = True
    out = draw_overlay(frame, mask, fill=False)
    assert (_painted(frame, out) == _art([
        ".......",
        ".......",
        "...##..",
        "..####.",
        "..####.",
        "...##..",
        ".......",
    ])).all()
    assert (out[3, 3] == (255, 0, 0)).all()


def test_box_band_position_and_width():
    frame = _frame()
    mask = np.zeros((1, 30, 40), bool)
    mask[0, 5:10, 10:15] = True  # rows 5..9, cols 10..14: the box is drawn from (10, 5) to (15, 10)
    out = draw_overlay(frame, mask, fill=False)
    painted = _painted(frame, out)
    assert (painted == _expected_band(30, 40, 10, 5, 15, 10)).all()
    # 3 px wide, centred on the drawn edge: at column 12 the rows 4-6 and 9-11 are painted.
    assert np.flatnonzero(painted[:, 12]).tolist() == [4, 5, 6, 9, 10, 11]
    assert np.flatnonzero(painted[7]).tolist() == [9, 10, 11, 14, 15, 16]
    # OpenCV leaves the outer diagonal corner pixels alone.
    for y, x in ((4, 9), (4, 16), (11, 9), (11, 16)):
        assert not painted[y, x]
    assert (out[painted] == (255, 0, 0)).all()
    assert (out[~painted] == GREY).all()


def test_box_is_clipped_at_the_frame_border():
    frame = _frame(12, 16)
    mask = np.zeros((1, 12, 16), bool)
    mask[0, 0:6, 10:16] = True  # touches the top and right borders
    out = draw_overlay(frame, mask, fill=False)
    assert (_painted(frame, out) == _expected_band(12, 16, 10, 0, 16, 6)).all()


def test_fill_blends_half_colour_half_pixel():
    frame = _frame()
    mask = np.zeros((2, 30, 40), bool)
    mask[0, 5:15, 5:15] = True
    mask[1, 18:28, 20:35] = True
    out = draw_overlay(frame, mask, fill=True)
    # Inside, away from the band: ⌊(colour + pixel) / 2⌋ per channel, as uint8 truncation of 0.5·c + 0.5·p.
    assert tuple(out[10, 10]) == ((255 + 100) // 2, (0 + 50) // 2, (0 + 200) // 2)
    assert tuple(out[23, 27]) == ((0 + 100) // 2, (255 + 50) // 2, (0 + 200) // 2)
    # Outside the masks and bands nothing changes; boxes are drawn over the fill.
    assert tuple(out[0, 39]) == GREY
    assert tuple(out[5, 9]) == (255, 0, 0)
    assert (frame == GREY).all()  # the input is not modified


def test_fill_only_when_asked():
    frame = _frame()
    mask = np.zeros((1, 30, 40), bool)
    mask[0, 5:15, 5:15] = True
    assert tuple(draw_overlay(frame, mask, fill=False)[10, 10]) == GREY


def test_later_fill_blends_over_an_earlier_box():
    # The reference fills and boxes object by object, so object 1's fill lands on object 0's box.
    frame = _frame()
    mask = np.zeros((2, 30, 40), bool)
    mask[0, 5:10, 5:10] = True  # drawn (5, 5)-(10, 10): right band at columns 9..11, rows 5..10
    mask[1, 2:20, 8:30] = True  # drawn (8, 2)-(30, 20): left band at columns 7..9, rows 2..20
    out = draw_overlay(frame, mask, fill=True)
    # (y 7, x 11): on object 0's red band, inside object 1, off object 1's band -> green blended over red.
    assert tuple(out[7, 11]) == ((255 + 0) // 2, (0 + 255) // 2, 0)
    # Object 1's box is drawn last, over everything before it.
    assert tuple(out[7, 8]) == (0, 255, 0)
    # Inside object 1 only, off every band: green over grey. On object 0's band outside object 1: red.
    assert tuple(out[15, 15]) == ((0 + 100) // 2, (255 + 50) // 2, (0 + 200) // 2)
    assert tuple(out[10, 5]) == (255, 0, 0)


def test_empty_mask_draws_nothing():
    frame = _frame()
    masks = np.zeros((3, 30, 40), bool)
    masks[2, 3:6, 3:6] = True
    out = draw_overlay(frame, masks, fill=True)
    painted = _painted(frame, out)
    # Only object 2 (blue) appears; objects 0 and 1 have no box and no fill.
    blue_fill = ((0 + 100) // 2, (0 + 50) // 2, (255 + 200) // 2)
    assert set(map(tuple, out[painted].reshape(-1, 3))) <= {(0, 0, 255), blue_fill}
    assert painted.sum() > 0
    assert (draw_overlay(frame, np.zeros((2, 30, 40), bool), fill=True) == frame).all()


def test_eight_objects_get_the_extended_palette():
    frame = np.zeros((40, 90, 3), np.uint8)
    masks = np.zeros((8, 40, 90), bool)
    for k in range(8):
        masks[k, 10:20, 3 + 11 * k : 9 + 11 * k] = True
    out = draw_overlay(frame, masks, fill=False)
    for k in range(8):
        assert tuple(out[10, 3 + 11 * k + 2]) == color(k)[1]  # top band, inside the box
    assert color(6)[0] == "orange" and color(7)[0] == "purple"


def test_draw_box_corners_may_come_in_any_order():
    a, b = _frame(), _frame()
    draw_box(a, (5, 5, 15, 12), (1, 2, 3))
    draw_box(b, (15, 12, 5, 5), (1, 2, 3))
    assert (a == b).all()


def test_overlay_sampled_fills_frame_zero_only():
    frames = np.stack([_frame()] * 3)
    mask = np.zeros((1, 30, 40), bool)
    mask[0, 5:15, 5:15] = True
    out = overlay_sampled(frames, (0, 2), {0: mask, 2: mask})
    assert len(out) == 2
    assert tuple(out[0][10, 10]) != GREY and tuple(out[1][10, 10]) == GREY
    assert tuple(out[1][5, 5]) == (255, 0, 0)
    with pytest.raises(ValueError, match="no masks for sampled frame 2"):
        overlay_sampled(frames, (0, 2), {0: mask})


def test_shape_checks():
    with pytest.raises(ValueError, match="masks must be"):
        draw_overlay(_frame(), np.zeros((1, 10, 10), bool), fill=True)
    with pytest.raises(ValueError, match="uint8"):
        draw_overlay(_frame().astype(np.float32), np.zeros((1, 30, 40), bool), fill=True)


def _reference_box(mask: np.ndarray):
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return None
    return min(xs), min(ys), max(xs), max(ys)


def test_bounding_box_matches_a_reference_on_random_masks():
    rng = np.random.default_rng(3)
    for _ in range(200):
        h, w = rng.integers(1, 20, size=2)
        mask = rng.random((h, w)) < rng.choice([0.0, 0.01, 0.1, 0.5])
        assert bounding_box(mask) == _reference_box(mask)
