"""SGA on tiny-wan, fast: its gradient reaches the SGA layers' LoRA and points toward the masks, and a short
SGA-only training lowers the loss by moving attention mass into the masks (the slow test: the full gain)."""

import pytest
import torch

from matrix_train.analyze import mass_inside
from matrix_train.assembly import build_matrix_model
from matrix_train.components import load_components, load_transformer
from matrix_train.data import MatrixDataset, collate
from matrix_train.model import alignment_loss, layer_mean_maps
from matrix_train.presets import apply_overrides, get_preset
from matrix_train.step import losses_from_prepared, prepare_batch
from matrix_train.targets import capture_request, pixel_tracks, token_grid_tracks
from matrix_train.train import make_schedule, param_groups

GRID = (3, 4, 4)  # tiny-wan: 9 frames, 64x64


@pytest.fixture(scope="module")
def sga_setup(synth_data):
    cfg = apply_overrides(get_preset("tiny-wan"), {"lambda_spa": 0.0, "spa_layers": []})
    parts = load_components(cfg)
    ds = MatrixDataset(synth_data, height=cfg.height, width=cfg.width, num_frames=cfg.num_frames)
    prepared = [prepare_batch(parts, collate([ds[i]]), "cpu") for i in range(len(ds))]
    return cfg, prepared


def _span_tracks(p):
    _, _, span_ids, valid = p.sga
    return (p.masks[:, None] & span_ids[..., None, None, None]).any(2), valid


def _fixed_noise(p, schedule, seed):
    noise = torch.randn(p.latents.shape, generator=torch.Generator().manual_seed(seed))
    return schedule.noisy(p.latents, noise, torch.tensor([500]))


def _sga_maps(model, p, schedule, seed):
    x_t, t, _, _ = _fixed_noise(p, schedule, seed)
    model.capture.begin(capture_request(p.sga, p.spa))
    model.predict(x_t, p.frame_cond, p.id_cond, p.text, t)
    maps = layer_mean_maps(model.capture, "sga", model.cfg.sga_layers)
    model.capture.release()
    return maps


def _eval(model, prepared, schedule):
    """(mean SGA loss, mean fraction of v2t attention mass inside the span's track) at fixed noise."""
    losses, inside = [], []
    with torch.no_grad():
        for i, p in enumerate(prepared):
            maps = _sga_maps(model, p, schedule, i)
            tracks, valid = _span_tracks(p)
            losses.append(float(alignment_loss(model.cfg, model.sga_head, maps, tracks, valid, GRID).mean()))
            sel = valid[0].nonzero().flatten()
            tok = token_grid_tracks(tracks[0, sel], GRID).flatten(1)
            inside.append(float(mass_inside(maps[0, sel], tok).mean()))
    return sum(losses) / len(losses), sum(inside) / len(inside)


@pytest.mark.parametrize("head", ["affine", "decoder"])
def test_sga_gradient_reaches_lora_and_points_to_the_masks(sga_setup, head):
    cfg, prepared = sga_setup
    cfg = apply_overrides(cfg, {"head": head})
    model = build_matrix_model(cfg, load_transformer(cfg))
    schedule = make_schedule(cfg)
    p = prepared[0]
    loss = losses_from_prepared(model, p, schedule, torch.Generator().manual_seed(0), "cpu")["sga"]
    trainable = {n: q for n, q in model.named_parameters() if q.requires_grad}
    grads = torch.autograd.grad(loss, list(trainable.values()), allow_unused=True)
    grads = dict(zip(trainable, grads, strict=True))
    for layer in cfg.sga_layers:
        for proj in ("to_q", "to_k"):  # lora_A gets none while lora_B is still 0 (peft's init)
            g = grads[f"transformer.blocks.{layer}.attn2.{proj}.lora_B.default.weight"]
            assert g is not None and g.abs().sum() > 0, f"no SGA gradient on layer {layer} {proj}"

    # d loss / d map must say "more attention inside the mask, less outside". A sign-free learned head gave
    # a gradient nearly orthogonal to the masks, and the v2t attention never moved.
    maps = _sga_maps(model, p, schedule, 0).detach().requires_grad_()
    tracks, valid = _span_tracks(p)
    loss = alignment_loss(model.cfg, model.sga_head, maps, tracks, valid, GRID).sum()
    (grad_map,) = torch.autograd.grad(loss, maps)
    # Share of each token's head-output cells (its pixel frames x 2x2) inside the pixel-grid target.
    pix = pixel_tracks(tracks).float()  # (B, S, T, 8, 8)
    cover = torch.cat([pix[:, :, :1], pix[:, :, 1:].unflatten(2, (-1, 4)).mean(3)], 2)
    cover = torch.nn.functional.avg_pool3d(cover.flatten(0, 1), (1, 2, 2)).reshape(*valid.shape, -1)
    sel = valid[0].nonzero().flatten()
    inside, outside = cover[0, sel] == 1, cover[0, sel] == 0
    assert inside.any() and outside.any()
    assert (grad_map[0, sel][inside] < 0).all() and (grad_map[0, sel][outside] > 0).all()


@pytest.mark.parametrize("head", ["affine", "decoder"])
def test_short_sga_training_moves_attention_into_the_masks(sga_setup, head):
    """Both the default affine head and the paper-like learned decoder head (identity-initialised,
    monotone). The decoder as first built (random init) lowered the loss but moved the mass by 3 % only."""
    cfg, prepared = sga_setup
    cfg = apply_overrides(cfg, {"head": head, "learning_rate": 1e-2, "head_learning_rate": 1e-2})
    torch.manual_seed(0)
    model = build_matrix_model(cfg, load_transformer(cfg))
    schedule = make_schedule(cfg)
    loss0, inside0 = _eval(model.eval(), prepared, schedule)
    # A high learning rate keeps this short. Measured at 150 steps, mass inside 0.0786 -> affine 0.0954,
    # decoder 0.0964 (+21 %, +23 %); other noise seeds and base models: +17 % to +32 % (docs/training.md).
    opt = torch.optim.AdamW(param_groups(model, cfg))
    g = torch.Generator().manual_seed(0)
    model.train()
    for step in range(150):
        out = losses_from_prepared(model, prepared[step % len(prepared)], schedule, g, "cpu")
        out["sga"].backward()  # SGA alone: the change below is SGA's doing
        opt.step()
        opt.zero_grad()
    loss1, inside1 = _eval(model.eval(), prepared, schedule)
    assert loss1 < loss0 - 0.05, (loss0, loss1)
    assert inside1 > 1.15 * inside0, (inside0, inside1)
