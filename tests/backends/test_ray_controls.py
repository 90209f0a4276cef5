"""--engine ray with negative controls (derived from a video's decoded frames, so that video is scored whole
by one tracker actor): the same summary and controls report as the local engine, with the tiny SAM2."""

from __future__ import annotations

from pathlib import Path

import pytest

ray = pytest.importorskip("ray")

from intergeneval.runconfig import EvalConfig  # noqa: E402
from intergeneval.runner import evaluate  # noqa: E402
from intergeneval.synthetic import make_scene_set  # noqa: E402


def test_ray_scores_videos_with_controls_as_the_local_engine(tmp_path):
    scenes = make_scene_set(tmp_path / "scenes", n_videos=1, frames=11, size=(64, 96))

    def cfg(out: Path, **kw) -> EvalConfig:
        return EvalConfig(videos=scenes.videos, suite=scenes.suite, out=out, judge="scripted",
                          judge_options={"answers": str(scenes.answers)}, tracker="sam2",
                          tracker_options={"model": "tiny:sam2.1", "threads": 1}, bootstrap_samples=50,
                          controls=("frozen",), **kw)

    local = evaluate(cfg(tmp_path / "local"))
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        remote = evaluate(cfg(tmp_path / "ray", engine="ray"))
    finally:
        ray.shutdown()
    assert local["controls"]["by_kind"]["frozen"]["controls"] >= 1
    assert remote["controls"] == local["controls"]
    same = (tmp_path / "local" / "summary.json").read_bytes()
    assert (tmp_path / "ray" / "summary.json").read_bytes() == same
