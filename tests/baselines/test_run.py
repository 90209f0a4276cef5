"""The generation loop with a real tiny CogVideoX: names, model card, seeds, resume, shards, refusals."""

from __future__ import annotations

import json

import numpy as np
import pytest

from baselines.__main__ import main as cli_main
from baselines.registry import MODELS, generator_class, get_spec, with_overrides
from baselines.run import CARD, LOG, generate_videos, parse_shard, select
from intergeneval.errors import ConfigError
from intergeneval.video import decode

MODEL = "tiny-cogvideox-t2v"


@pytest.fixture(scope="module")
def generator():
    spec = get_spec(MODEL)
    return generator_class(spec)(spec, device="cpu")


def test_videos_are_named_by_scenario_and_carry_the_models_geometry(generator, open_suite, tmp_path):
    report = generate_videos(generator, open_suite, tmp_path, limit=2)
    ids = [s.id for s in open_suite.scenarios[:2]]
    assert report.generated == ids and sorted(p.stem for p in tmp_path.glob("*.mp4")) == sorted(ids)
    spec = generator.spec
    for sid in ids:
        video = decode(tmp_path / f"{sid}.mp4")
        assert video.frames.shape == (spec.num_frames, spec.height, spec.width, 3)
        assert video.frames.std() > 1.0  # a real decoded video, not a constant frame
    card = json.loads((tmp_path / CARD).read_text())
    assert card["name"] == MODEL and card["seed"] == 42 and card["frames"] == spec.num_frames
    assert card["resolution"] == {"width": spec.width, "height": spec.height}
    assert card["steps"] == spec.steps and card["guidance"] == spec.guidance and card["fps"] == spec.fps
    assert card["suite"] == {"id": open_suite.suite_id, "version": open_suite.version,
                             "content_hash": open_suite.content_hash}
    lines = [json.loads(x) for x in (tmp_path / LOG).read_text().splitlines()]
    assert [(x["id"], x["seed"]) for x in lines] == [(sid, 42) for sid in ids]


def test_same_seed_same_frames_other_seed_other_frames(generator, open_suite):
    generator.load()
    scenario = open_suite.scenarios[0]
    a, b = generator.generate(scenario, seed=7), generator.generate(scenario, seed=7)
    c = generator.generate(scenario, seed=8)
    assert a.dtype == np.uint8 and np.array_equal(a, b) and not np.array_equal(a, c)


def test_resume_skips_complete_videos_and_redoes_broken_ones(generator, open_suite, tmp_path):
    generate_videos(generator, open_suite, tmp_path, limit=2)
    first, second = (tmp_path / f"{s.id}.mp4" for s in open_suite.scenarios[:2])
    second.write_bytes(second.read_bytes()[: len(second.read_bytes()) // 3])  # a cut-off file
    before = first.stat().st_mtime_ns
    report = generate_videos(generator, open_suite, tmp_path, limit=3)
    assert report.skipped == [open_suite.scenarios[0].id]
    assert report.regenerated == [open_suite.scenarios[1].id]
    assert report.generated == [s.id for s in open_suite.scenarios[1:3]]
    assert first.stat().st_mtime_ns == before
    assert decode(second).info.frames == generator.spec.num_frames
    assert not list(tmp_path.glob(".*partial*"))


def test_a_folder_made_with_other_settings_is_refused(generator, open_suite, tmp_path):
    generate_videos(generator, open_suite, tmp_path, limit=1)
    with pytest.raises(ConfigError, match=r"other settings \(seed: 42 there, 5 now\)"):
        generate_videos(generator, open_suite, tmp_path, limit=1, seed=5)
    other = with_overrides(generator.spec, steps=3)
    with pytest.raises(ConfigError, match="steps"):
        generate_videos(generator_class(other)(other, device="cpu"), open_suite, tmp_path, limit=1)


def test_image_to_video_models_refuse_a_suite_without_first_frames_before_loading(open_suite, tmp_path):
    spec = get_spec("tiny-cogvideox-i2v")
    gen = generator_class(spec)(spec, device="cpu")
    with pytest.raises(ConfigError, match=r"120 of 120 scenarios .* no first frame .*`intergeneval suite build`"):
        generate_videos(gen, open_suite, tmp_path)
    assert gen.pipe is None and not list(tmp_path.iterdir())


def test_shards_partition_the_selection(open_suite):
    parts = [select(open_suite, shard=(i, 3), limit=10) for i in range(3)]
    ids = [s.id for part in parts for s in part]
    assert sorted(ids) == sorted(s.id for s in open_suite.scenarios[:10]) and len(set(ids)) == 10
    assert parse_shard("2/3") == (2, 3) and parse_shard(None) == (0, 1)
    for bad in ("3/3", "1-2", "0/0"):
        with pytest.raises(ConfigError, match="--shard"):
            parse_shard(bad)


def test_registry_names_every_model_of_the_issue_and_a_tiny_variant_per_family():
    for name in ("cogvideox-2b-t2v", "cogvideox-5b-t2v", "cogvideox-2b-i2v", "cogvideox-5b-i2v", "wan2.1-t2v-1.3b",
                 "wan2.1-i2v-14b-480p", "hunyuanvideo-i2v", "matrix"):
        spec = get_spec(name)
        assert not spec.tiny and spec.num_frames % 4 == 1 and spec.mode in ("t2v", "i2v")
        tiny = [s for s in MODELS.values() if s.tiny and s.generator == spec.generator]
        assert tiny, f"{name} has no tiny variant"
    with pytest.raises(ConfigError, match="Did you mean: cogvideox-5b-i2v"):
        get_spec("cogvideox-5b-i2")


def test_a_model_without_a_published_checkpoint_fails_with_advice():
    spec = get_spec("cogvideox-2b-i2v")
    with pytest.raises(ConfigError, match="no official CogVideoX-2B image-to-video checkpoint.*--repo"):
        generator_class(spec)(spec, device="cpu")


def test_command_line_generates_and_reports(open_suite, tmp_path, capsys):
    args = ["generate", "--model", MODEL, "--suite", "intergeneval-open-v1", "--out", str(tmp_path),
            "--limit", "3", "--shard", "1/2", "--device", "cpu", "--vae-tiling"]
    assert cli_main(args) == 0
    out = capsys.readouterr().out
    assert f"generated {open_suite.scenarios[1].id}" in out and "1 generated" in out
    assert json.loads((tmp_path / CARD).read_text())["memory"]["vae_tiling"] is True
    assert cli_main(["generate", "--model", "nope", "--suite", "x", "--out", str(tmp_path)]) == 1
    assert "unknown model 'nope'" in capsys.readouterr().err
