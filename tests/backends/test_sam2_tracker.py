"""The `sam2` tracker on a tiny SAM2.1 video model (image size 256) built offline from its config."""

from __future__ import annotations

import numpy as np
import pytest

from intergeneval.errors import TrackingError
from intergeneval.registry import TRACKERS, lookup
from intergeneval.tracking.base import Tracker
from intergeneval.tracking.sam2_hf import Sam2Tracker, _prune

from .conftest import box_masks, random_frames

H, W = 96, 128


@pytest.fixture(scope="module")
def tracker() -> Sam2Tracker:
    return lookup(TRACKERS, "sam2", kind="tracker")(model="tiny:sam2.1")


@pytest.fixture(scope="module")
def encoder_calls(tracker):
    """Counts vision-encoder forward passes."""
    calls = [0]
    handle = tracker.model.vision_encoder.register_forward_hook(lambda *_: calls.__setitem__(0, calls[0] + 1))
    yield calls
    handle.remove()


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max(1, (a | b).sum()))


def test_is_a_tracker_with_a_fingerprint_naming_the_tiny_checkpoint(tracker):
    assert isinstance(tracker, Tracker) and tracker.needs_first_masks
    fp = tracker.fingerprint()
    assert fp["backend"] == "sam2" and fp["model"] == "tiny:sam2.1"
    assert "tiny" in fp["revision"] and len(fp["weights"]) == 16 and "meaningless" in fp["note"]
    assert fp["dtype"] == "float32" and fp["mask"] == "logits > 0"


@pytest.mark.parametrize("n_objects", [1, 3])
def test_one_joint_pass_one_encoder_call_per_frame_for_any_object_count(tracker, encoder_calls, n_objects):
    frames = random_frames(5, H, W)
    seeds = box_masks(H, W, [(10 + 30 * k, 10, 40 + 30 * k, 60) for k in range(n_objects)])
    encoder_calls[0] = 0
    out = list(tracker.track("s1", frames, seeds))
    assert [t for t, _ in out] == list(range(5))
    for _, masks in out:
        assert masks.shape == (n_objects, H, W) and masks.dtype == bool
    assert encoder_calls[0] == 5
    # seeded at frame 0: the model's frame-0 output reproduces each input mask (through SAM2's 64² masks)
    assert all(_iou(out[0][1][k], seeds[k]) > 0.9 for k in range(n_objects))


def test_streamed_pass_equals_sam2s_own_whole_video_propagation(tracker):
    """Streaming frames and pruning old state change nothing: same masks as the processor's video session."""
    import torch

    frames = random_frames(6, H, W, seed=3)
    seeds = box_masks(H, W, [(5, 5, 50, 40), (60, 30, 120, 90)])
    mine = dict(tracker.track("s1", frames, seeds))
    proc, model = tracker.processor, tracker.model
    with torch.inference_mode():
        session = proc.init_video_session(video=list(frames), inference_device="cpu", dtype=torch.float32)
        proc.add_inputs_to_inference_session(inference_session=session, frame_idx=0, obj_ids=[1, 2],
                                             input_masks=list(seeds))
        ref = {}
        for o in model.propagate_in_video_iterator(session, start_frame_idx=0):
            logits = proc.post_process_masks([o.pred_masks], original_sizes=[[H, W]], binarize=False)[0]
            ref[o.frame_idx] = (logits[:, 0] > 0).numpy()
    assert sorted(ref) == sorted(mine)
    for t in ref:
        np.testing.assert_array_equal(mine[t], ref[t])


def test_reduced_resolution_tracks_small_and_returns_full_size_masks(tracker):
    small = Sam2Tracker(model="tiny:sam2.1", max_side=64)
    frames = random_frames(3, H, W)
    seeds = box_masks(H, W, [(10, 10, 70, 80)])
    out = dict(small.track("s1", frames, seeds))
    assert out[0].shape == (1, H, W)
    assert _iou(out[0][0], seeds[0]) > 0.8
    assert small.fingerprint()["max_side"] == 64 != tracker.fingerprint()["max_side"]


def test_bad_inputs_raise_tracking_errors_naming_the_scenario(tracker):
    frames = random_frames(2, H, W)
    with pytest.raises(TrackingError, match="'s9'.*needs first-frame masks"):
        list(tracker.track("s9", frames, None))
    with pytest.raises(TrackingError, match="'s9'.*must be \\(N, 96, 128\\)"):
        list(tracker.track("s9", frames, np.ones((1, 10, 10), bool)))
    with pytest.raises(TrackingError, match="object\\(s\\) \\[1\\] is empty"):
        list(tracker.track("s9", frames, box_masks(H, W, [(0, 0, 9, 9), (0, 0, 0, 0)])))
    with pytest.raises(TrackingError, match="uint8"):
        list(tracker.track("s9", frames.astype(np.float32), box_masks(H, W, [(0, 0, 9, 9)])))


def test_prune_keeps_the_memory_window_and_the_conditioning_frame():
    class Session:
        processed_frames = {t: object() for t in range(30)}
        output_dict_per_obj = {0: {"cond_frame_outputs": {0: "seed"},
                                   "non_cond_frame_outputs": {t: t for t in range(1, 30)}}}

    s = Session()
    for t in range(30):
        _prune(s, t, keep=8)
    assert s.processed_frames == {}
    assert sorted(s.output_dict_per_obj[0]["non_cond_frame_outputs"]) == list(range(22, 30))
    assert s.output_dict_per_obj[0]["cond_frame_outputs"] == {0: "seed"}


def test_a_missing_checkpoint_fails_at_construction_naming_model_and_download(monkeypatch):
    from intergeneval.errors import BackendUnavailable

    # read once at import, so the constant is patched rather than the environment
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)

    with pytest.raises(BackendUnavailable, match="facebook/sam2.1-hiera-large.*665f8e2.*hf download"):
        Sam2Tracker()
