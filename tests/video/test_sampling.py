"""Frame sampling and the palette, against separately written references."""

from __future__ import annotations

import pytest

from intergeneval import config
from intergeneval.video import PALETTE, color, sample_indices


def _reference_sampling(t: int, s: int) -> tuple[int, ...]:
    """The protocol's sentence taken literally: {0} ∪ {s, 2s, … < T−1} ∪ {T−1}."""
    if t == 0:
        return ()
    chosen = {0, t - 1}
    k = s
    while k < t - 1:
        chosen.add(k)
        k += s
    return tuple(sorted(chosen))


@pytest.mark.parametrize("t", [0, 1, 2, 5, 6, 7, 10, 11, 49, 81])
@pytest.mark.parametrize("s", [1, 2, 3, 5, 7])
def test_sample_indices_match_the_protocol(t, s):
    assert sample_indices(t, s) == _reference_sampling(t, s)


def test_paper_frame_counts():
    assert sample_indices(49) == (0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 48)
    assert len(sample_indices(81)) == 17 and sample_indices(81)[-3:] == (70, 75, 80)
    assert config.STRIDE == 5


def test_bad_arguments():
    with pytest.raises(ValueError, match="stride"):
        sample_indices(10, 0)
    with pytest.raises(ValueError, match="non-negative"):
        sample_indices(-1)


def test_palette_starts_with_the_protocol_colours():
    assert PALETTE[:6] == (
        ("red", (255, 0, 0)), ("green", (0, 255, 0)), ("blue", (0, 0, 255)),
        ("yellow", (255, 255, 0)), ("magenta", (255, 0, 255)), ("cyan", (0, 255, 255)),
    )


def test_palette_names_and_colours_are_distinct():
    names = [n for n, _ in PALETTE]
    rgbs = [c for _, c in PALETTE]
    assert len(set(names)) == len(names) and len(set(rgbs)) == len(rgbs)


def test_colour_defined_past_the_named_palette():
    seen = [color(i) for i in range(60)]
    assert seen[:len(PALETTE)] == list(PALETTE)
    extra = seen[len(PALETTE):]
    assert [n for n, _ in extra] == [f"colour-{i}" for i in range(len(PALETTE), 60)]
    for _, rgb in extra:
        assert all(0 <= v <= 255 for v in rgb) and max(rgb) == 255  # saturated, valid
    assert [color(i) for i in range(60)] == seen  # the same every call
    for (_, a), (_, b) in zip(extra, extra[1:], strict=False):
        assert a != b
    with pytest.raises(ValueError):
        color(-1)
