"""The `sam2-meta` tracker (Meta's sam2 package, installed by `make sam2-meta`) on a tiny random hiera-t."""

from __future__ import annotations

import numpy as np
import pytest

sam2 = pytest.importorskip("sam2", reason="Meta's sam2 package is not installed (run `make sam2-meta`)")

from intergeneval.errors import TrackingError  # noqa: E402
from intergeneval.tracking.base import Tracker  # noqa: E402
from intergeneval.tracking.sam2_meta import Sam2MetaTracker  # noqa: E402

from .conftest import box_masks, random_frames  # noqa: E402

H, W = 96, 128


@pytest.fixture(scope="module")
def tracker() -> Sam2MetaTracker:
    return Sam2MetaTracker(config="tiny", device="cpu")


@pytest.mark.parametrize("n_objects", [1, 3])
def test_one_joint_pass_one_image_encoder_call_per_frame(tracker, n_objects):
    calls = [0]
    encoder = tracker.predictor.image_encoder
    handle = encoder.register_forward_hook(lambda *_: calls.__setitem__(0, calls[0] + 1))
    try:
        frames = random_frames(5, H, W)
        seeds = box_masks(H, W, [(10 + 30 * k, 10, 40 + 30 * k, 60) for k in range(n_objects)])
        out = list(tracker.track("s1", frames, seeds))
    finally:
        handle.remove()
    assert [t for t, _ in out] == list(range(5))
    assert all(m.shape == (n_objects, H, W) and m.dtype == bool for _, m in out)
    assert calls[0] == 5
    for k in range(n_objects):  # frame 0 reproduces the seed masks (mask input used as output)
        inter = (out[0][1][k] & seeds[k]).sum()
        assert inter / (out[0][1][k] | seeds[k]).sum() > 0.9


def test_protocol_fingerprint_and_errors(tracker):
    assert isinstance(tracker, Tracker)
    fp = tracker.fingerprint()
    assert fp["backend"] == "sam2-meta" and fp["sam2_version"] == "1.1.0" and "tiny" in fp["model"]
    with pytest.raises(TrackingError, match="needs first-frame masks"):
        list(tracker.track("s1", random_frames(2, H, W), None))
    with pytest.raises(TrackingError, match="is empty"):
        list(tracker.track("s1", random_frames(2, H, W), np.zeros((1, H, W), bool)))
