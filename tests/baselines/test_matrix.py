"""The MATRIX baseline samples a matrix_train checkpoint: its weights, its geometry, the masks' ID map."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch

from baselines.registry import generator_class, get_spec, with_overrides
from baselines.run import CARD, generate_videos
from intergeneval.errors import ConfigError


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A tiny-cogvideox MATRIX checkpoint whose zero-initialised parts (LoRA B, the ID-map input channels of
    the patch embedding) are random, so that the adapter and the ID map change the output."""
    from matrix_train.assembly import build_matrix_model, trainable_state_dict
    from matrix_train.checkpoints import checkpoint_dir, save_checkpoint
    from matrix_train.components import load_transformer
    from matrix_train.presets import get_preset

    cfg = get_preset("tiny-cogvideox")
    model = build_matrix_model(cfg, load_transformer(cfg))
    g = torch.Generator().manual_seed(1)
    weights = {}
    for k, v in trainable_state_dict(model).items():
        if "lora_B" in k or "patch_embed" in k:  # zero at init (LoRA B; the widened ID-map input channels)
            v = v + torch.randn(v.shape, generator=g) * 0.5
        weights[k] = v
    out = tmp_path_factory.mktemp("matrix-run")
    save_checkpoint(checkpoint_dir(out, 7), weights, cfg, 7)
    return out


def _gen(name, **kw):
    spec = get_spec(name)
    return generator_class(spec)(spec, device="cpu", **kw)


def test_matrix_needs_a_checkpoint():
    with pytest.raises(ConfigError, match="needs --checkpoint"):
        _gen("matrix")


def test_checkpoint_sets_geometry_and_its_weights_change_the_video(checkpoint, i2v_suite, tmp_path):
    trained = _gen("matrix", checkpoint=checkpoint)
    s = trained.spec
    assert (s.height, s.width, s.num_frames, s.fps) == (64, 64, 9, 8) and s.repo == "tiny:tiny-cogvideox"
    report = generate_videos(trained, i2v_suite, tmp_path, limit=1)
    assert report.generated == [i2v_suite.scenarios[0].id]
    card = json.loads((tmp_path / CARD).read_text())
    assert card["adapter"]["step"] == 7 and card["adapter"]["trained"] is True
    assert card["adapter"]["checkpoint"] == str(checkpoint)
    untrained = _gen("tiny-matrix")
    untrained.load()
    scenario = i2v_suite.scenarios[0]
    a = trained.generate(scenario, seed=1)
    b = untrained.generate(scenario, seed=1)
    assert a.shape == b.shape == (9, 64, 64, 3) and not np.array_equal(a, b)


def test_the_masks_id_map_conditions_the_video(checkpoint, i2v_suite):
    gen = _gen("matrix", checkpoint=checkpoint)
    gen.load()
    scenario = i2v_suite.scenarios[0]
    with_masks = gen.generate(scenario, seed=2)
    without = gen.generate(dataclasses.replace(scenario, masks=None), seed=2)
    assert not np.array_equal(with_masks, without)


def test_explicit_steps_override_the_checkpoint(checkpoint):
    spec = with_overrides(get_spec("matrix"), steps=3)
    gen = generator_class(spec)(spec, device="cpu", checkpoint=checkpoint)
    assert gen.spec.steps == 3 and gen.spec.guidance == 3.0  # guidance from the tiny preset's config


def test_device_and_dtype_default_as_matrix_train_infer(checkpoint, monkeypatch):
    """No --device/--dtype: CUDA + bf16 when a GPU is visible, else CPU + float32 (`matrix_train infer`'s
    defaults); an explicit --dtype wins; --device cuda without a GPU is a clear error."""
    spec = get_spec("matrix")
    cpu = generator_class(spec)(spec, checkpoint=checkpoint)
    assert (cpu.device, cpu.spec.dtype) == ("cpu", "fp32")
    fp16 = with_overrides(spec, dtype="fp16")
    assert generator_class(spec)(fp16, checkpoint=checkpoint).spec.dtype == "fp16"
    with pytest.raises(ConfigError, match="no CUDA device"):
        generator_class(spec)(spec, device="cuda", checkpoint=checkpoint)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    gpu = generator_class(spec)(spec, checkpoint=checkpoint)
    assert (gpu.device, gpu.spec.dtype) == ("cuda", "bf16")


def test_bf16_on_cpu_samples_in_bf16_from_the_command_line(checkpoint, i2v_suite, tmp_path, monkeypatch):
    from baselines.__main__ import main as cli_main
    from matrix_train import infer

    loaded = {}
    load_model = infer.load_model

    def spy(*args, **kwargs):
        loaded["model"], loaded["parts"], meta = load_model(*args, **kwargs)
        return loaded["model"], loaded["parts"], meta

    monkeypatch.setattr(infer, "load_model", spy)
    assert cli_main(["generate", "--model", "matrix", "--checkpoint", str(checkpoint), "--suite",
                     str(i2v_suite.source), "--out", str(tmp_path), "--limit", "1", "--device", "cpu",
                     "--dtype", "bf16"]) == 0
    card = json.loads((tmp_path / CARD).read_text())
    assert card["dtype"] == "bf16" and card["adapter"]["device"] == "cpu" and card["adapter"]["deviations"]
    assert {p.dtype for p in loaded["model"].parameters()} == {torch.bfloat16}
    assert next(loaded["parts"].text_encoder.parameters()).dtype == torch.bfloat16
    assert (tmp_path / f"{i2v_suite.scenarios[0].id}.mp4").stat().st_size > 0
