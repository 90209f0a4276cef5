"""Model assembly: base transformer + widened zero-initialised patch embedding + LoRA + capture + heads.

Example:
    >>> cfg = get_preset("tiny-wan")
    >>> model = build_matrix_model(cfg, load_transformer(cfg))   # doctest: +SKIP
    >>> pred = model(noisy, first_frame_cond, id_map_cond, text, timestep)   # doctest: +SKIP

`MatrixModel` is one nn.Module (transformer + heads) so that accelerate can wrap it for DDP/FSDP unchanged.
Its trainable parameters are exactly: LoRA, the patch embedding, the heads; all kept in float32.
"""

from __future__ import annotations

import torch
from peft import LoraConfig
from torch import nn

from .attention_capture import CaptureContext, install_capture
from .head import CausalMaskHead
from .presets import MatrixConfig

# Extra input channels for the first-frame ID map: Wan 4 indicator + 16 latent (the released 36 -> 56);
# CogVideoX 16 latent (32 -> 48), mirroring how each family already takes its first frame.
ID_MAP_CHANNELS = {"wan": 20, "cogvideox": 16}


def patch_embedding(transformer, family: str) -> nn.Module:
    return transformer.patch_embedding if family == "wan" else transformer.patch_embed.proj


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


def lora_targets(cfg: MatrixConfig) -> list[str]:
    """Full module names: q/k/v/out of the supervised attention (and FFNs if `lora_ffn`)."""
    names = []
    proj = ("to_q", "to_k", "to_v", "to_out.0")
    if cfg.family == "wan":
        for layer, attn in [*((i, "attn2") for i in cfg.sga_layers), *((i, "attn1") for i in cfg.spa_layers)]:
            names += [f"blocks.{layer}.{attn}.{p}" for p in proj]
        ffn = [f"blocks.{i}.ffn.net.{p}" for i in {*cfg.sga_layers, *cfg.spa_layers} for p in ("0.proj", "2")]
    else:
        layers = sorted({*cfg.sga_layers, *cfg.spa_layers})
        names += [f"transformer_blocks.{i}.attn1.{p}" for i in layers for p in proj]
        ffn = [f"transformer_blocks.{i}.ff.net.{p}" for i in layers for p in ("0.proj", "2")]
    return sorted(set(names + (ffn if cfg.lora_ffn else [])))


class MatrixModel(nn.Module):
    """Transformer with MATRIX additions; `forward` returns the prediction, maps land in `capture.maps`."""

    def __init__(self, cfg: MatrixConfig, transformer: nn.Module):
        super().__init__()
        self.cfg = cfg
        self.transformer = transformer
        self.capture = CaptureContext(chunk=cfg.capture_chunk)
        self.sga_head = CausalMaskHead(cfg.head_channels, grid=cfg.loss_grid, residual=cfg.head_residual)
        self.spa_head = CausalMaskHead(cfg.head_channels, grid=cfg.loss_grid, residual=cfg.head_residual)

    def forward(self, noisy, frame_cond, id_cond, text, timestep, image_tokens=None):
        """All latents (B, C, F, h, w); returns the prediction (B, 16, F, h, w)."""
        x = torch.cat([noisy, frame_cond, id_cond], dim=1)
        if self.cfg.family == "wan":
            return self.transformer(
                hidden_states=x, timestep=timestep, encoder_hidden_states=text,
                encoder_hidden_states_image=image_tokens, return_dict=False,
            )[0]
        x = x.permute(0, 2, 1, 3, 4)  # CogVideoX takes (B, F, C, h, w)
        out = self.transformer(
            hidden_states=x, encoder_hidden_states=text, timestep=timestep,
            image_rotary_emb=self.rotary(x.shape[1], *x.shape[-2:], x.device), return_dict=False,
        )[0]
        return out.permute(0, 2, 1, 3, 4)

    def rotary(self, frames: int, h: int, w: int, device):
        """CogVideoX 3-D RoPE exactly as its image-to-video pipeline builds it (None if the model has none)."""
        conf = self.transformer.config
        if not conf.use_rotary_positional_embeddings:
            return None
        from diffusers.models.embeddings import get_3d_rotary_pos_embed
        from diffusers.pipelines.cogvideo.pipeline_cogvideox_image2video import get_resize_crop_region_for_grid

        p = conf.patch_size
        grid = (h // p, w // p)
        crops = get_resize_crop_region_for_grid(grid, conf.sample_width // p, conf.sample_height // p)
        cos, sin = get_3d_rotary_pos_embed(conf.attention_head_dim, crops, grid, frames, device=device)
        return cos, sin


def build_matrix_model(cfg: MatrixConfig, transformer: nn.Module) -> MatrixModel:
    """Widen the patch embedding, add LoRA on the supervised blocks, install capture there, add the heads."""
    transformer.requires_grad_(False)
    widen_patch_embedding(transformer, cfg.family, ID_MAP_CHANNELS[cfg.family])
    targets = lora_targets(cfg)
    names = {n for n, _ in transformer.named_modules()}
    missing = [t for t in targets if t not in names]
    if missing:
        # The released code's FFN targets silently matched nothing; here a wrong name is an error.
        raise ValueError(f"LoRA targets not found in {type(transformer).__name__}: {missing}")
    if targets:
        transformer.add_adapter(
            LoraConfig(r=cfg.lora_rank, lora_alpha=cfg.lora_alpha, init_lora_weights=True, target_modules=targets)
        )
    model = MatrixModel(cfg, transformer)
    install_capture(transformer, cfg.family, model.capture, cfg.sga_layers, cfg.spa_layers)
    patch_embedding(transformer, cfg.family).requires_grad_(True)
    for name, param in model.named_parameters():
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
        raise ValueError(f"checkpoint does not match the model: missing {missing[:5]}, unexpected {unexpected[:5]}")
    with torch.no_grad():
        for name, tensor in state.items():
            own[name].copy_(tensor.to(own[name].dtype))
