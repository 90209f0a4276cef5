"""Decoding only the sampled frames' pixels (for trackers that replay given masks): the same pixels, counts
and statuses as a full decode."""

from __future__ import annotations

import numpy as np
import pytest

from intergeneval import video
from intergeneval.errors import VideoError


def _write(path, n: int, size=(48, 64), seed: int = 0):
    rng = np.random.default_rng(seed)
    frames = rng.integers(0, 256, (n, *size, 3), dtype=np.uint8)
    video.encode_video(path, frames, fps=8)
    return path


@pytest.mark.parametrize(("n", "stride"), [(21, 5), (23, 5), (2, 5), (11, 1), (49, 5), (7, 10)])
def test_sampled_frames_match_the_full_decode(tmp_path, n, stride):
    p = _write(tmp_path / "v.mp4", n)
    full = video.decode(p)
    part = video.decode(p, sampled_only=stride)
    assert part.info == full.info and part.frames.shape == full.frames.shape and len(part.frames) == n
    for t in video.sample_indices(n, stride):
        np.testing.assert_array_equal(part.frames[t], full.frames[t])
    skipped = [t for t in range(n) if t not in video.sample_indices(n, stride)]
    if skipped:
        with pytest.raises(IndexError, match=f"frame {skipped[0]} was not decoded"):
            part.frames[skipped[0]]


def test_sampled_decode_refuses_the_same_videos(tmp_path):
    single = _write(tmp_path / "one.mp4", 1)
    for kwargs in ({}, {"sampled_only": 5}):
        with pytest.raises(VideoError) as e:
            video.decode(single, **kwargs)
        assert e.value.status == "single_frame"
    cut = tmp_path / "cut.mp4"
    data = _write(tmp_path / "whole.mp4", 30, seed=1).read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    statuses = set()
    for kwargs in ({}, {"sampled_only": 5}):
        with pytest.raises(VideoError) as e:
            video.decode(cut, **kwargs)
        statuses.add(e.value.status)
    assert len(statuses) == 1
