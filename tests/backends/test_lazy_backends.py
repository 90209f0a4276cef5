"""Lazy backends: model weights load on first use, so a rerun whose videos are all cached loads no model, and
the fingerprints (hence the cache keys) are the same whether the weights were loaded or not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from intergeneval import checkpoints
from intergeneval.runconfig import EvalConfig
from intergeneval.runner import evaluate
from intergeneval.synthetic import make_scene_set


def _count_model_loads(monkeypatch) -> list[str]:
    """Every `from_pretrained` of a model class (weights) through `checkpoints.load` is recorded."""
    from transformers import PreTrainedModel

    loads: list[str] = []
    real = checkpoints.load

    def counting(loader, *args, **kwargs):
        if isinstance(loader, type) and issubclass(loader, PreTrainedModel):
            loads.append(loader.__name__)
        return real(loader, *args, **kwargs)

    monkeypatch.setattr(checkpoints, "load", counting)
    return loads


def test_a_full_cache_rerun_loads_no_model(tmp_path, monkeypatch):
    scenes = make_scene_set(tmp_path / "scenes", n_videos=2, frames=11, size=(48, 64), text_only=1)
    cfg = EvalConfig(videos=scenes.videos, suite=scenes.suite, out=tmp_path / "out", profile="tiny",
                     bootstrap_samples=50)
    loads = _count_model_loads(monkeypatch)
    first = evaluate(cfg)
    assert first["videos"]["expected"] == 2 and first["videos"]["not_run"] == 0
    # the first run needed every model: judge, tracker, and the detector (one scene has no masks)
    assert sorted(set(loads)) == ["GroundingDinoForObjectDetection", "Qwen2_5_VLForConditionalGeneration",
                                  "Sam2Model", "Sam2VideoModel"]
    out = tmp_path / "out"
    final = [r["scenario_id"] for r in map(json.loads, (out / "per_video.jsonl").read_text().splitlines())
             if r["status"] == "scored"]
    summary_bytes = (out / "summary.json").read_bytes()
    loads.clear()
    again = evaluate(cfg)
    recs = [json.loads(x) for x in (out / "per_video.jsonl").read_text().splitlines()]
    assert len(final) == 2, recs
    assert loads == []  # nothing loaded: every video came from the cache
    assert (out / "summary.json").read_bytes() == summary_bytes
    assert [r["scenario_id"] for r in recs if r.get("cached")] == final
    assert again["fingerprints"] == first["fingerprints"]


def test_fingerprints_do_not_need_the_weights_and_match_once_loaded(tmp_path, monkeypatch):
    from intergeneval.detection.grounding_dino import GroundingDinoDetector
    from intergeneval.judges.qwen import QwenJudge
    from intergeneval.tracking.sam2_hf import Sam2Tracker

    loads = _count_model_loads(monkeypatch)
    judge = QwenJudge("tiny:qwen2.5-vl", constrained=True, threads=1)
    tracker = Sam2Tracker("tiny:sam2.1", threads=1)
    detector = GroundingDinoDetector("tiny:grounding-dino", segmenter="tiny:sam2.1", threads=1)
    before = [b.fingerprint() for b in (judge, tracker, detector)]
    assert loads == []
    assert type(judge.model).__name__ == "Qwen2_5_VLForConditionalGeneration"  # first use loads
    assert type(tracker.model).__name__ == "Sam2VideoModel"
    assert (type(detector.model).__name__, type(detector.segmenter).__name__) == (
        "GroundingDinoForObjectDetection", "Sam2Model")
    assert [b.fingerprint() for b in (judge, tracker, detector)] == before
    assert len(loads) == 4
    judge.model, tracker.model  # noqa: B018 (loaded once, then kept)
    assert len(loads) == 4


def test_weights_that_cannot_load_end_the_run_with_their_message(tmp_path, monkeypatch):
    from intergeneval.errors import BackendUnavailable
    from intergeneval.tracking.sam2_hf import Sam2Tracker

    scenes = make_scene_set(tmp_path / "scenes", n_videos=2, frames=11, size=(48, 64))
    tracker = Sam2Tracker("tiny:sam2.1", threads=1)
    weights = Path(checkpoints.source_of("tiny:sam2.1"))
    gone = str(tmp_path / "gone")
    monkeypatch.setattr(checkpoints, "source_of", lambda m: gone if m == "tiny:sam2.1" else m)
    cfg = EvalConfig(videos=scenes.videos, suite=scenes.suite, out=tmp_path / "out", judge="scripted",
                     judge_options={"answers": str(scenes.answers)}, bootstrap_samples=50)
    with pytest.raises(BackendUnavailable, match="cannot load the SAM2 tracker"):
        evaluate(cfg, tracker=tracker)
    assert weights.is_dir()
