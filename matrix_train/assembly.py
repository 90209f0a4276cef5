"""Model assembly: base transformer + widened zero-initialised patch embedding + LoRA + capture + heads.

Example:
    >>> from matrix_train.presets import get_preset
    >>> cfg = get_preset("tiny-wan")
    >>> model = build_matrix_model(cfg, load_transformer(cfg))   # doctest: +SKIP
    >>> pred = model.predict(noisy, first_frame_cond, id_map_cond, text, timestep)   # doctest: +SKIP

`MatrixModel` (model.py) is one nn.Module (transformer + heads, losses in `forward`) so that accelerate can
wrap it for DDP/FSDP unchanged. Its trainable parameters are exactly: LoRA, the patch embedding, the heads
(only those a loss uses); all kept in float32.
"""

from __future__ import annotations

import torch
from peft import LoraConfig
from torch import nn

from .attention_capture import install_capture
from .model import MatrixModel, patch_embedding
from .presets import MatrixConfig

# Extra input channels for the first-frame ID map: Wan 4 indicator + 16 latent (the released 36 -> 56);
# CogVideoX 16 latent (32 -> 48), mirroring how each family already takes its first frame.
ID_MAP_CHANNELS = {"wan": 20, "cogvideox": 16}


def widen_patch_embedding(transformer, family: str, extra: int) -> None:
    """Append `extra` zero-initialised input channels to the patch embedding (so step 0 = base model)."""
    old = patch_embedding(transformer, family)
    if not isinstance(old, nn.Conv3d | nn.Conv2d):
        raise NotImplementedError(f"patch embedding {type(old).__name__} (CogVideoX 1.5) is not supported")
    cls = type(old)
    new = cls(
        old.in_channels + extra, old.out_channels, kernel_size=old.kernel_size, stride=old.stride,
        bias=old.bias is not None, device=old.weight.device, dtype=torch.float32,
    )
    with torch.no_grad():
        new.weight.zero_()
        new.weight[:, : old.in_channels] = old.weight.float()
        if old.bias is not None:
            new.bias.copy_(old.bias.float())
    if family == "wan":
        transformer.patch_embedding = new
    else:
        transformer.patch_embed.proj = new
    transformer.register_to_config(in_channels=old.in_channels + extra)


def lora_targets(cfg: MatrixConfig, num_blocks: int | None = None) -> list[str]:
    """Full module names: q/k/v/out of the supervised attention (and FFNs if `lora_ffn`); with
    `lora_layers: all`, of every attention in all `num_blocks` blocks (the paper's LoRA-only baseline)."""
    names = []
    proj = ("to_q", "to_k", "to_v", "to_out.0")
    every = cfg.lora_layers == "all"
    if every and num_blocks is None:
        raise ValueError("lora_layers 'all' needs the transformer's block count")
    if cfg.family == "wan":
        sga = range(num_blocks) if every else cfg.sga_layers
        spa = range(num_blocks) if every else cfg.spa_layers
        for layer, attn in [*((i, "attn2") for i in sga), *((i, "attn1") for i in spa)]:
            names += [f"blocks.{layer}.{attn}.{p}" for p in proj]
        ffn = [f"blocks.{i}.ffn.net.{p}" for i in {*sga, *spa} for p in ("0.proj", "2")]
    else:
        layers = range(num_blocks) if every else sorted({*cfg.sga_layers, *cfg.spa_layers})
        names += [f"transformer_blocks.{i}.attn1.{p}" for i in layers for p in proj]
        ffn = [f"transformer_blocks.{i}.ff.net.{p}" for i in layers for p in ("0.proj", "2")]
    return sorted(set(names + (ffn if cfg.lora_ffn else [])))


def block_count(transformer, family: str) -> int:
    return len(transformer.blocks if family == "wan" else transformer.transformer_blocks)


def build_matrix_model(cfg: MatrixConfig, transformer: nn.Module) -> MatrixModel:
    """Widen the patch embedding, add LoRA on the supervised blocks, install capture there, add the heads."""
    transformer.requires_grad_(False)
    widen_patch_embedding(transformer, cfg.family, ID_MAP_CHANNELS[cfg.family])
    targets = lora_targets(cfg, block_count(transformer, cfg.family))
    names = {n for n, _ in transformer.named_modules()}
    missing = [t for t in targets if t not in names]
    if missing:
        # The released code's FFN targets silently matched nothing; here a wrong name is an error.
        raise ValueError(f"LoRA targets not found in {type(transformer).__name__}: {missing}")
    if targets:
        transformer.add_adapter(
            LoraConfig(r=cfg.lora_rank, lora_alpha=cfg.lora_alpha, init_lora_weights=True,
                       target_modules=targets)
        )
    model = MatrixModel(cfg, transformer)
    install_capture(transformer, cfg.family, model.capture, cfg.sga_layers, cfg.spa_layers)
    patch_embedding(transformer, cfg.family).requires_grad_(True)
    for _, param in model.named_parameters():
        if param.requires_grad:
            param.data = param.data.float()  # fp32 masters for everything trained (bf16 loses small updates)
    return model


def trainable_state_dict(model: MatrixModel) -> dict[str, torch.Tensor]:
    """LoRA, patch embedding and head weights, by their names in `MatrixModel`."""
    return {n: p.detach().cpu().contiguous() for n, p in model.named_parameters() if p.requires_grad}


def load_trainable_state_dict(model: MatrixModel, state: dict[str, torch.Tensor]) -> None:
    """Load a `trainable_state_dict` (strict on the trainable names, so nothing is silently dropped)."""
    own = dict(model.named_parameters())
    expected = {n for n, p in own.items() if p.requires_grad}
    missing, unexpected = sorted(expected - set(state)), sorted(set(state) - expected)
    if missing or unexpected:
        raise ValueError(f"checkpoint does not match the model: missing {missing[:5]}, "
                         f"unexpected {unexpected[:5]}")
    with torch.no_grad():
        for name, tensor in state.items():
            own[name].copy_(tensor.to(own[name].dtype))
