"""Out of GPU memory, simulated on the CPU with the tiny models: the model's forward raises
`torch.OutOfMemoryError` (what CUDA raises). Once: the backend retries with its lighter setting and the video
is scored as if nothing happened. Every time: that video fails with a status and a reason naming the
out-of-memory error, and the next video of the same run is scored."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from intergeneval.errors import TrackingError
from intergeneval.judges.base import JudgeVideo
from intergeneval.judges.qwen import QwenJudge
from intergeneval.profiles import resolve_profile
from intergeneval.runconfig import EvalConfig
from intergeneval.runner import evaluate
from intergeneval.synthetic import make_scene_set
from intergeneval.tracking import sam2_hf
from intergeneval.tracking.sam2_hf import Sam2Tracker

from .conftest import box_masks, make_scenario, random_frames

H, W = 48, 64
OOM_TEXT = "out of GPU memory"


@pytest.fixture(scope="module")
def tracker() -> Sam2Tracker:
    return Sam2Tracker(**resolve_profile("tiny")["tracker_options"])


@pytest.fixture(scope="module")
def judge() -> QwenJudge:
    judge = QwenJudge(**resolve_profile("tiny")["judge_options"])
    assert judge.batch_calls > 1, "the tiny judge batches its calls, so the batch fallback is exercised"
    return judge


@pytest.fixture(scope="module")
def scenes(tmp_path_factory):
    return make_scene_set(tmp_path_factory.mktemp("oom-scenes"), n_videos=2, frames=11, size=(H, W))


def _oom_forward(monkeypatch: pytest.MonkeyPatch, model: Any, fail: Callable[[int], bool]) -> list[int]:
    """Make `model`'s forward raise CUDA's out-of-memory error on the calls `fail(n)` picks (n from 1).

    Returns the list of call numbers, which grows with every forward call.
    """
    import torch

    real = model.forward
    calls: list[int] = []

    @functools.wraps(real)  # generate() checks its keyword arguments against forward's signature
    def forward(*args: Any, **kwargs: Any) -> Any:
        calls.append(len(calls) + 1)
        if fail(len(calls)):
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB (simulated)")
        return real(*args, **kwargs)

    monkeypatch.setattr(model, "forward", forward)
    return calls


def _as_on_a_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tracker treats its device as one that offloading to the CPU relieves (on the CPU it would not)."""
    monkeypatch.setattr(sam2_hf, "_offload_frees", lambda device: True)


def _spy_sessions(monkeypatch: pytest.MonkeyPatch, tracker: Sam2Tracker) -> list[dict[str, Any]]:
    """Record the keyword arguments of every SAM2 video session the tracker opens (one per pass)."""
    real = tracker.processor.init_video_session
    seen: list[dict[str, Any]] = []

    def init(**kwargs: Any) -> Any:
        seen.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(tracker.processor, "init_video_session", init)
    return seen


def _state_devices(sessions: list[dict[str, Any]]) -> list[tuple[Any, Any]]:
    return [(s["inference_state_device"], s["video_storage_device"]) for s in sessions]


# ------------------------------------------------------------------------------------------- tracker
def test_sam2_out_of_memory_once_retries_with_state_on_the_cpu_and_tracks_the_same(tracker, monkeypatch,
                                                                                    caplog):
    frames = random_frames(7, H, W, seed=5)
    seeds = box_masks(H, W, [(4, 4, 30, 30), (34, 14, 60, 44)])
    clean = list(tracker.track("s1", frames, seeds))
    _as_on_a_gpu(monkeypatch)
    sessions = _spy_sessions(monkeypatch, tracker)
    calls = _oom_forward(monkeypatch, tracker.model, lambda n: n == 4)  # frame 3 of the first pass
    with caplog.at_level(logging.WARNING, logger=sam2_hf.__name__):
        got = list(tracker.track("s1", frames, seeds))

    assert [t for t, _ in got] == list(range(7)), "every frame once, in order, across the retry"
    for (t, mine), (_, ref) in zip(got, clean, strict=True):
        np.testing.assert_array_equal(mine, ref, err_msg=f"frame {t}")
    assert _state_devices(sessions) == [(tracker.device, tracker.device), ("cpu", "cpu")]
    assert len(calls) == 3 + 1 + 7, "frames 0-2, the failed frame 3, then the whole video again"
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(OOM_TEXT in m and "frame 3" in m and "state on the CPU" in m for m in warned), warned


def test_sam2_out_of_memory_every_time_fails_after_one_offloaded_retry(tracker, monkeypatch):
    frames = random_frames(5, H, W, seed=6)
    seeds = box_masks(H, W, [(4, 4, 30, 30)])
    _as_on_a_gpu(monkeypatch)
    sessions = _spy_sessions(monkeypatch, tracker)
    _oom_forward(monkeypatch, tracker.model, lambda n: n >= 3)
    expected = r"scenario 's7'.*out of GPU memory at frame 2 even with its state on the CPU.*simulated"
    with pytest.raises(TrackingError, match=expected):
        list(tracker.track("s7", frames, seeds))
    assert _state_devices(sessions) == [(tracker.device, tracker.device), ("cpu", "cpu")]


def test_sam2_on_the_cpu_fails_at_once_since_offloading_cannot_help(tracker, monkeypatch):
    frames = random_frames(4, H, W, seed=7)
    seeds = box_masks(H, W, [(4, 4, 30, 30)])
    sessions = _spy_sessions(monkeypatch, tracker)
    _oom_forward(monkeypatch, tracker.model, lambda n: n == 2)
    with pytest.raises(TrackingError, match=OOM_TEXT):
        list(tracker.track("s1", frames, seeds))
    assert len(sessions) == 1


# --------------------------------------------------------------------------------------------- judge
def _judge_video(key: str, seed: int = 0) -> JudgeVideo:
    indices = (0, 5, 10)
    frames = tuple(random_frames(len(indices), 84, 112, seed=seed))
    return JudgeVideo(key, make_scenario(n_objects=2, n_interactions=2), indices, frames, ("red", "green"))


def test_qwen_out_of_memory_in_a_batch_retries_one_call_at_a_time_with_the_same_replies(judge, monkeypatch,
                                                                                         caplog):
    def judged(video: JudgeVideo) -> tuple[list, Any]:
        return [judge.answer(video, i) for i in range(2)], judge.changes(video)

    clean_qa, clean_changes = judged(_judge_video("clean"))
    encoder = [0]
    hook = judge.model.model.visual.register_forward_hook(lambda *_: encoder.__setitem__(0, encoder[0] + 1))
    batches: list[int] = []
    real_batch = judge._generate_batch
    monkeypatch.setattr(judge, "_generate_batch",
                        lambda rows: (batches.append(len(rows)), real_batch(rows))[1])
    _oom_forward(monkeypatch, judge.model, lambda n: n == 1)  # the batch's first forward
    try:
        with caplog.at_level(logging.WARNING, logger="intergeneval.judges.qwen"):
            qa, changes = judged(_judge_video("oom"))
        assert batches == [3], "after the failed batch the video's calls ran one at a time"
        assert encoder[0] == 2, "the failed batch's features were dropped and the frames encoded again"
        judge.answer(_judge_video("next", seed=1), 0)
        assert batches == [3, 3], "the next video is batched again"
    finally:
        hook.remove()

    for got, ref in zip(qa, clean_qa, strict=True):
        assert got.answers == ref.answers and got.missing == 0
        assert got.attempts == 1 and got.errors == [], "running out of memory cost no validation attempt"
    assert changes.changes == clean_changes.changes and changes.changes is not None and changes.attempts == 1
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(OOM_TEXT in m and "one at a time" in m for m in warned), warned


# -------------------------------------------------------------------------------------------- runner
def _run(scenes, out: Path, judge: QwenJudge, tracker: Sam2Tracker,
         progress: Callable[..., None] | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    cfg = EvalConfig(videos=scenes.videos, suite=scenes.suite, out=out, bootstrap_samples=50, evidence=False)
    summary = evaluate(cfg, judge=judge, tracker=tracker, progress=progress)
    return summary, [json.loads(x) for x in (out / "per_video.jsonl").read_text().splitlines() if x.strip()]


def _first_video_only(monkeypatch: pytest.MonkeyPatch, model: Any) -> Callable[..., None]:
    """Every forward of `model` runs out of memory until the run's first video is done; returns `progress`."""
    first = [True]
    _oom_forward(monkeypatch, model, lambda n: first[0])
    return lambda event: event.kind == "video" and first.__setitem__(0, False)


def _assert_second_video_scored(record: dict[str, Any], scenes) -> None:
    assert record["scenario_id"] == scenes.ids[1]
    assert record["status"] == "scored", record["reason"]
    assert record["scores"]["if"] is not None and record["diagnostics"]["missing_answers"] == 0


def test_run_goes_on_after_a_video_whose_tracking_runs_out_of_memory(scenes, judge, tracker, tmp_path,
                                                                      monkeypatch, caplog):
    _as_on_a_gpu(monkeypatch)
    sessions = _spy_sessions(monkeypatch, tracker)
    progress = _first_video_only(monkeypatch, tracker.model)
    with caplog.at_level(logging.WARNING, logger=sam2_hf.__name__):
        summary, (first, second) = _run(scenes, tmp_path, judge, tracker, progress)

    assert first["scenario_id"] == scenes.ids[0] and first["status"] == "tracking_error"
    assert f"scenario {scenes.ids[0]!r}" in first["reason"] and OOM_TEXT in first["reason"]
    assert "even with its state on the CPU" in first["reason"] and "scores" not in first
    assert any(scenes.ids[0] in r.getMessage() and "retrying" in r.getMessage() for r in caplog.records)
    # the first video's offloaded retry, then the second video's one pass, not offloaded
    assert _state_devices(sessions) == [(tracker.device,) * 2, ("cpu", "cpu"), (tracker.device,) * 2]
    _assert_second_video_scored(second, scenes)
    assert summary["videos"]["scored"] == 1 and summary["videos"]["failed"] == 1
    assert summary["videos"]["failures"][0]["status"] == "tracking_error"

    # a failure is not cached: the next run (memory to spare now) scores it, and reuses the second video
    _, (again, cached) = _run(scenes, tmp_path, judge, tracker)
    assert again["status"] == "scored" and not again.get("cached")
    assert cached.get("cached") is True and cached["scores"] == second["scores"]


def test_run_goes_on_after_a_video_whose_judge_runs_out_of_memory(scenes, judge, tracker, tmp_path,
                                                                   monkeypatch):
    progress = _first_video_only(monkeypatch, judge.model)
    summary, (first, second) = _run(scenes, tmp_path, judge, tracker, progress)

    assert first["scenario_id"] == scenes.ids[0] and first["status"] == "judge_error"
    assert OOM_TEXT in first["reason"]
    assert all(v is None for v in first["scores"].values()), "no score from a video the judge never answered"
    n_questions = sum(len(i["answers"]) for i in first["interactions"])
    assert n_questions > 0 and first["diagnostics"]["missing_answers"] == n_questions
    for interaction in first["interactions"]:
        assert all(a["answer"] is None for a in interaction["answers"])
        assert len(interaction["errors"]) == interaction["attempts"] > 1
        assert all(OOM_TEXT in e for e in interaction["errors"])
    assert first["changes"] is None and all(OOM_TEXT in e for e in first["changes_errors"])
    _assert_second_video_scored(second, scenes)
    assert summary["videos"]["scored"] == 1 and summary["videos"]["failed"] == 1
    assert summary["videos"]["failures"][0] == {**summary["videos"]["failures"][0],
                                                 "scenario_id": scenes.ids[0], "status": "judge_error"}
