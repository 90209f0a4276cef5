"""Model assembly: step 0 = base model, trainables are exactly LoRA + patch embedding + heads,
presets/config."""

import re

import pytest
import torch

from matrix_train.assembly import ID_MAP_CHANNELS, build_matrix_model, lora_targets, trainable_state_dict
from matrix_train.components import load_transformer
from matrix_train.presets import PRESETS, apply_overrides, get_preset, load_config_file, parse_set_flags


@pytest.mark.parametrize("preset", ["tiny-wan", "tiny-cogvideox"])
def test_step_zero_reproduces_base_model(preset):
    cfg = get_preset(preset)
    base = load_transformer(cfg).eval()
    model = build_matrix_model(cfg, load_transformer(cfg)).eval()
    g = torch.Generator().manual_seed(0)
    f, h, w = 3, 8, 8
    base_in = 36 if cfg.family == "wan" else 32
    x = torch.randn(1, base_in, f, h, w, generator=g)
    id_cond = torch.randn(1, ID_MAP_CHANNELS[cfg.family], f, h, w, generator=g) * 3  # must have no effect
    text = torch.randn(1, cfg.text_len, 32, generator=g)
    t = torch.tensor([400])
    with torch.no_grad():
        if cfg.family == "wan":
            ref = base(x, t, text).sample
        else:
            rotary = model.rotary(f, h, w, "cpu")
            ref = base(x.permute(0, 2, 1, 3, 4), text, t, image_rotary_emb=rotary).sample
            ref = ref.permute(0, 2, 1, 3, 4)
        got = model.predict(x[:, :16], x[:, 16:], id_cond, text, t)
    assert got.shape == ref.shape
    assert torch.allclose(got, ref, atol=1e-5), (got - ref).abs().max()


@pytest.mark.parametrize("preset", ["tiny-wan", "tiny-cogvideox"])
def test_trainables_and_patch_embedding(preset):
    cfg = get_preset(preset)
    model = build_matrix_model(cfg, load_transformer(cfg))
    names = set(trainable_state_dict(model))
    assert all(("lora_" in n) or ("patch_embed" in n) or n.startswith(("sga_head.", "spa_head."))
               for n in names)
    assert any("lora_A" in n for n in names) and any("lora_B" in n for n in names)
    assert all(p.dtype == torch.float32 for p in model.parameters() if p.requires_grad)
    conf = model.transformer.config
    assert conf.in_channels == (56 if cfg.family == "wan" else 48)
    # LoRA sits on the supervised blocks only.
    lora_blocks = {n.split(".")[2] for n in names if "lora_" in n}
    assert lora_blocks == {str(i) for i in {*cfg.sga_layers, *cfg.spa_layers}}


def test_lora_targets_follow_presets():
    wan = get_preset("wan2.1-i2v-14b")
    targets = lora_targets(wan)
    assert "blocks.20.attn2.to_q" in targets and "blocks.6.attn1.to_out.0" in targets and len(targets) == 16
    cog = get_preset("cogvideox-5b-i2v")
    assert {t.split(".")[1] for t in lora_targets(cog)} == {"7", "11", "12"}
    assert (cog.lora_rank, cog.lora_alpha, wan.lora_rank, wan.lora_alpha) == (128, 64, 16, 16)


def test_wrong_lora_target_is_an_error():
    cfg = apply_overrides(get_preset("tiny-wan"), {"sga_layers": [7]})
    with pytest.raises(ValueError, match="LoRA targets not found"):
        build_matrix_model(cfg, load_transformer(cfg))


def test_presets_and_overrides(tmp_path):
    assert set(PRESETS) >= {"cogvideox-5b-i2v", "wan2.1-i2v-14b", "tiny-cogvideox", "tiny-wan"}
    assert get_preset("wan2.1-i2v-14b").pretrained == "Wan-AI/Wan2.1-I2V-14B-480P-Diffusers"
    assert get_preset("cogvideox-5b-i2v").pretrained == "THUDM/CogVideoX-5b-I2V"
    for name in ("wan2.1-i2v-14b", "cogvideox-5b-i2v"):  # pinned hub commits (sources in presets.py)
        assert re.fullmatch("[0-9a-f]{40}", get_preset(name).revision), name
    assert apply_overrides(get_preset("wan2.1-i2v-14b"), parse_set_flags(["revision=null"])).revision is None
    with pytest.raises(ValueError, match="Did you mean: tiny-wan"):
        get_preset("tiny-wna")
    (tmp_path / "c.yaml").write_text("lambda_sga: 0.02\nsga_layers: [0, 1]\n")
    (tmp_path / "c.toml").write_text("lora_rank = 8\nlr_schedule = 'cosine'\n")
    cfg = apply_overrides(get_preset("tiny-wan"), load_config_file(tmp_path / "c.yaml"))
    cfg = apply_overrides(cfg, load_config_file(tmp_path / "c.toml"))
    cfg = apply_overrides(cfg, parse_set_flags(["spa_layers=[1]", "beta_dice=0.5"]))
    assert (cfg.lambda_sga, cfg.sga_layers, cfg.lora_rank, cfg.spa_layers, cfg.beta_dice) == (
        0.02, (0, 1), 8, (1,), 0.5)
    with pytest.raises(ValueError, match="Did you mean: lambda_sga"):
        apply_overrides(cfg, {"lambda_sgaa": 1})
    with pytest.raises(ValueError, match="4k\\+1"):
        apply_overrides(cfg, {"num_frames": 10})
