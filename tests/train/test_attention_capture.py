"""Captured maps equal a naive full-softmax reference; outputs equal the stock processors; grads reach
LoRA."""

import math

import pytest
import torch
from diffusers import CogVideoXTransformer3DModel, WanTransformer3DModel
from diffusers.models.embeddings import get_3d_rotary_pos_embed
from peft import LoraConfig

from matrix_train.attention_capture import (
    CaptureContext,
    CaptureRequest,
    column_probs,
    install_capture,
    row_probs,
)
from matrix_train.presets import get_preset

TOL = 1e-5


def _naive_probs(q, k):
    """(B, H, M, d), (B, H, N, d) -> (B, M, N): full softmax per head, then the head mean."""
    scale = 1.0 / math.sqrt(q.shape[-1])
    return torch.softmax(q.double() @ k.double().transpose(-1, -2) * scale, dim=-1).mean(1)


@pytest.mark.parametrize(("m", "n", "chunk"), [(7, 5, 3), (33, 50, 8), (16, 16, 64)])
def test_column_probs_matches_naive(m, n, chunk):
    g = torch.Generator().manual_seed(m + n)
    q, k = torch.randn(2, 3, m, 8, generator=g) * 2, torch.randn(2, 3, n, 8, generator=g) * 2
    cols = torch.tensor([[0, n - 1, 2], [1, 1, 3]])
    got = column_probs(q, k, cols, scale=1 / math.sqrt(8), chunk=chunk)
    ref = torch.stack([_naive_probs(q, k)[b][:, cols[b]] for b in range(2)])
    assert got.shape == (2, m, 3)
    assert (got.double() - ref).abs().max() < TOL


@pytest.mark.parametrize(("r", "n", "chunk", "start"), [(4, 30, 7, 0), (9, 41, 8, 5), (3, 12, 100, 2)])
def test_row_probs_matches_naive(r, n, chunk, start):
    g = torch.Generator().manual_seed(r * n)
    q, k = torch.randn(2, 4, r, 8, generator=g) * 2, torch.randn(2, 4, n, 8, generator=g) * 2
    w = torch.rand(2, 3, r, generator=g)
    got = row_probs(q, k, w, scale=1 / math.sqrt(8), chunk=chunk, out_start=start)
    ref = w.double() @ _naive_probs(q, k)[:, :, start:]
    assert got.shape == (2, 3, n - start)
    assert (got.double() - ref).abs().max() < TOL
    # Rows of a softmax sum to one over all keys: a sanity check on the normaliser.
    full = row_probs(q, k, torch.eye(r).expand(2, r, r), scale=1 / math.sqrt(8), chunk=chunk)
    assert torch.allclose(full.sum(-1), torch.ones(2, r), atol=1e-5)


def _tiny_wan():
    torch.manual_seed(0)
    return WanTransformer3DModel(**get_preset("tiny-wan").tiny_transformer).eval()


def _rotate_pairs(x, cos, sin):
    # Independent RoPE: (even + i*odd) * (cos + i*sin), with cos/sin repeated per pair.
    z = torch.view_as_complex(x.double().unflatten(-1, (-1, 2)).contiguous())
    rot = torch.complex(cos[..., 0::2].double(), sin[..., 0::2].double())
    return torch.view_as_real(z * rot).flatten(-2)


def _request(batch, n_text, n_video, n_rows, g):
    cols = torch.randint(0, n_text, (batch, 3), generator=g)
    rows = torch.randint(0, n_video, (batch, n_rows), generator=g)
    return CaptureRequest(
        sga_cols=cols, sga_weights=torch.rand(batch, 2, 3, generator=g),
        spa_rows=rows, spa_weights=torch.rand(batch, 2, n_rows, generator=g),
    )


@pytest.mark.parametrize("kind", ["spa", "sga"])
def test_wan_processor_maps_and_output(kind):
    model = _tiny_wan()
    g = torch.Generator().manual_seed(1)
    latents = torch.randn(2, 36, 3, 8, 8, generator=g)
    rotary = model.rope(latents)
    block = model.blocks[0]
    attn = block.attn1 if kind == "spa" else block.attn2
    x = torch.randn(2, 48, 32, generator=g)
    context = torch.randn(2, 16, 32, generator=g) if kind == "sga" else None
    with torch.no_grad():
        stock = attn(x, context, None, rotary if kind == "spa" else None)
        ctx = CaptureContext(chunk=5)
        ctx.begin(_request(2, 16, 48, 6, g))
        install_capture(model, "wan", ctx, sga_layers=(0,) if kind == "sga" else (),
                        spa_layers=(0,) if kind == "spa" else ())
        got = attn(x, context, None, rotary if kind == "spa" else None)
    assert torch.allclose(got, stock, atol=1e-6), "capture changed the attention output"

    # Naive reference from independently computed q, k; checked against the stock output first.
    src = x if context is None else context
    with torch.no_grad():
        q = attn.norm_q(attn.to_q(x)).unflatten(2, (2, -1))
        k = attn.norm_k(attn.to_k(src)).unflatten(2, (2, -1))
        v = attn.to_v(src).unflatten(2, (2, -1)).transpose(1, 2).double()
        if kind == "spa":
            q, k = _rotate_pairs(q, *rotary), _rotate_pairs(k, *rotary)
        q, k = q.transpose(1, 2).double(), k.transpose(1, 2).double()
        per_head = torch.softmax(q @ k.transpose(-1, -2) / 4.0, -1)
        naive_out = attn.to_out[0]((per_head @ v).transpose(1, 2).flatten(2).float())
        assert torch.allclose(naive_out, stock, atol=1e-5), "reference q/k do not reproduce diffusers"
        p = per_head.mean(1)  # (B, N, keys)
    req = ctx.request
    if kind == "sga":
        ref = torch.stack([req.sga_weights[b].double() @ p[b][:, req.sga_cols[b]].T for b in range(2)])
        got_map = ctx.maps["sga.0"]
    else:
        ref = torch.stack([req.spa_weights[b].double() @ p[b][req.spa_rows[b]] for b in range(2)])
        got_map = ctx.maps["spa.0"]
    assert got_map.shape == ref.shape == (2, 2, 48)
    assert (got_map.double() - ref).abs().max() < TOL


def _tiny_cogvideox():
    torch.manual_seed(0)
    return CogVideoXTransformer3DModel(**get_preset("tiny-cogvideox").tiny_transformer).eval()


def test_cogvideox_joint_processor_maps_and_output():
    model = _tiny_cogvideox()
    attn = model.transformer_blocks[1].attn1
    g = torch.Generator().manual_seed(2)
    n_text, n_video = 16, 3 * 4 * 4
    cos, sin = get_3d_rotary_pos_embed(16, ((0, 0), (4, 4)), (4, 4), 3)
    x, text = torch.randn(2, n_video, 32, generator=g), torch.randn(2, n_text, 32, generator=g)
    with torch.no_grad():
        stock_v, stock_t = attn(hidden_states=x, encoder_hidden_states=text, image_rotary_emb=(cos, sin))
        ctx = CaptureContext(chunk=7)
        ctx.begin(_request(2, n_text, n_video, 5, g))
        install_capture(model, "cogvideox", ctx, sga_layers=(1,), spa_layers=(1,))
        got_v, got_t = attn(hidden_states=x, encoder_hidden_states=text, image_rotary_emb=(cos, sin))
    assert torch.allclose(got_v, stock_v, atol=1e-6) and torch.allclose(got_t, stock_t, atol=1e-6)

    with torch.no_grad():
        joint = torch.cat([text, x], 1)
        q = attn.norm_q(attn.to_q(joint).unflatten(2, (2, -1)).transpose(1, 2))
        k = attn.norm_k(attn.to_k(joint).unflatten(2, (2, -1)).transpose(1, 2))
        v = attn.to_v(joint).unflatten(2, (2, -1)).transpose(1, 2).double()
        q = torch.cat([q[:, :, :n_text].double(), _rotate_pairs(q[:, :, n_text:], cos, sin)], 2)
        k = torch.cat([k[:, :, :n_text].double(), _rotate_pairs(k[:, :, n_text:], cos, sin)], 2)
        per_head = torch.softmax(q @ k.transpose(-1, -2) / 4.0, -1)  # over all L + N keys
        naive_out = attn.to_out[0]((per_head @ v).transpose(1, 2).flatten(2).float())
        assert torch.allclose(naive_out[:, n_text:], stock_v, atol=1e-5)
        p = per_head.mean(1)[:, n_text:]  # video queries
    req = ctx.request
    ref_sga = torch.stack([req.sga_weights[b].double() @ p[b][:, req.sga_cols[b]].T for b in range(2)])
    ref_spa = torch.stack([req.spa_weights[b].double() @ p[b][req.spa_rows[b], n_text:] for b in range(2)])
    assert (ctx.maps["sga.1"].double() - ref_sga).abs().max() < TOL
    assert (ctx.maps["spa.1"].double() - ref_spa).abs().max() < TOL


def test_capture_only_on_selected_blocks_and_model_output_unchanged():
    model = _tiny_wan()
    g = torch.Generator().manual_seed(3)
    latents, text = torch.randn(1, 36, 3, 8, 8, generator=g), torch.randn(1, 16, 32, generator=g)
    t = torch.tensor([500])
    with torch.no_grad():
        before = model(latents, t, text).sample
        ctx = CaptureContext(chunk=16)
        installed = install_capture(model, "wan", ctx, sga_layers=(1,), spa_layers=(0,))
        ctx.begin(_request(1, 16, 48, 4, g))
        after = model(latents, t, text).sample
    assert sorted(installed) == ["blocks.0.attn1", "blocks.1.attn2"]
    assert type(model.blocks[0].attn2.processor).__name__ == "WanAttnProcessor"
    assert sorted(ctx.maps) == ["sga.1", "spa.0"]
    assert torch.allclose(before, after, atol=1e-6)
    with pytest.raises(ValueError, match="out of range"):
        install_capture(model, "wan", ctx, sga_layers=(5,))


@pytest.mark.parametrize("checkpointing", [False, True])
def test_gradients_reach_lora(checkpointing):
    model = _tiny_wan().train()
    model.requires_grad_(False)
    targets = ["blocks.1.attn2.to_q", "blocks.0.attn1.to_k"]
    model.add_adapter(LoraConfig(r=4, lora_alpha=4, target_modules=targets))
    if checkpointing:
        model.enable_gradient_checkpointing()
    ctx = CaptureContext(chunk=8)
    install_capture(model, "wan", ctx, sga_layers=(1,), spa_layers=(0,))
    g = torch.Generator().manual_seed(4)
    ctx.begin(_request(1, 16, 48, 4, g))
    model(torch.randn(1, 36, 3, 8, 8, generator=g), torch.tensor([300]), torch.randn(1, 16, 32, generator=g))
    (ctx.maps["sga.1"].square().sum() + ctx.maps["spa.0"].square().sum()).backward()
    grads = {n: p.grad for n, p in model.named_parameters() if "lora_B" in n}
    assert len(grads) == 2
    for name, grad in grads.items():
        assert grad is not None and grad.abs().sum() > 0, f"no gradient reached {name}"
