"""Training presets: one frozen-schema config per backbone, overridable from YAML/TOML files or flags.

Example:
    >>> cfg = get_preset("tiny-wan")
    >>> cfg.sga_layers, cfg.spa_layers
    ((1,), (0,))
    >>> apply_overrides(cfg, {"lambda_sga": 0.02}).lambda_sga
    0.02

Every checkpoint stores `asdict(cfg)` (see `to_dict`), so a run can be rebuilt from its checkpoint alone.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class MatrixConfig:
    """Everything that defines a MATRIX run. Paper/released-code constants appear only as preset values."""

    preset: str = field(metadata={"help": "preset name this config started from"})
    family: str = field(metadata={"help": "'wan' or 'cogvideox': which diffusers transformer class"})
    # Where the frozen parts come from. `pretrained` None = build tiny components offline from `tiny_*`.
    pretrained: str | None = field(default=None, metadata={"help": "HF repo id of the diffusers pipeline"})
    revision: str | None = field(
        default=None,
        metadata={"help": "HF commit to load; the resolved commit is recorded in every checkpoint"},
    )
    tiny_transformer: dict[str, Any] = field(default_factory=dict, metadata={"help": "tiny model config"})
    tiny_text_encoder: dict[str, Any] = field(default_factory=dict, metadata={"help": "tiny T5 config"})
    # Geometry.
    height: int = field(default=480, metadata={"help": "training/inference height in pixels"})
    width: int = field(default=832, metadata={"help": "training/inference width in pixels"})
    num_frames: int = field(default=81, metadata={"help": "pixel frames, must be 4k+1"})
    fps: int = field(default=16, metadata={"help": "frame rate of written videos"})
    text_len: int = field(default=512, metadata={"help": "text tokens fed to the transformer"})
    marker_mode: str = field(
        default="strip",
        metadata={"help": "'strip': <idK> removed, span = the marked word; 'keep': markers as special "
                          "tokens"},
    )
    use_clip_image: bool = field(
        default=False, metadata={"help": "Wan only: CLIP image tokens in attn2 (MATRIX trains without)"}
    )
    # What is supervised and adapted.
    sga_layers: tuple[int, ...] = field(default=(),
                                        metadata={"help": "blocks whose v2t attention is aligned"})
    spa_layers: tuple[int, ...] = field(default=(),
                                        metadata={"help": "blocks whose v2v attention is aligned"})
    lora_rank: int = field(default=16, metadata={"help": "LoRA rank"})
    lora_alpha: int = field(default=16, metadata={"help": "LoRA alpha (scale = alpha / rank)"})
    lora_ffn: bool = field(default=False, metadata={"help": "also put LoRA on the FFNs of its blocks"})
    lora_layers: str = field(
        default="supervised",
        metadata={"help": "'supervised': LoRA on the SGA/SPA blocks only (MATRIX); 'all': on every block "
                          "(the paper's 'LoRA without layer selection' baseline)"},
    )
    # Losses.
    lambda_sga: float = field(default=0.01, metadata={"help": "weight of the SGA loss"})
    lambda_spa: float = field(default=0.005, metadata={"help": "weight of the SPA loss"})
    beta_bce: float = field(default=1.0, metadata={"help": "per-map BCE weight"})
    beta_dice: float = field(default=0.0, metadata={"help": "per-map (1 - Dice) weight (paper form)"})
    beta_l2: float = field(default=0.0, metadata={"help": "per-map L2-on-sigmoid weight (paper form)"})
    pos_weight_cap: float = field(default=10.0, metadata={"help": "BCE pos_weight = min(neg/pos, cap)"})
    loss_grid: str = field(default="pixel",
                           metadata={"help": "'pixel': head to 1/8 res; 'token': token grid"})
    head: str = field(
        default="affine",
        metadata={"help": "'affine': logits = positive affine of the upsampled map (2 scalars; NOT the "
                          "paper's head); 'affine+conv': plus a zero-initialised conv residual; 'decoder': "
                          "the paper's kind, a learned causal upsampling conv decoder "
                          "(identity-initialised)"},
    )
    head_monotone: bool = field(
        default=True,
        metadata={"help": "decoder head: non-negative kernels and increasing activations, so more attention "
                          "inside a mask always raises its logits (false = unconstrained, as the paper; it "
                          "then learns to decode the map and SGA stops moving the attention)"},
    )
    head_channels: int = field(default=16, metadata={"help": "hidden channels of the conv heads"})
    head_learning_rate: float | None = field(
        default=None, metadata={"help": "AdamW learning rate of the heads (null: learning_rate)"}
    )
    # Diffusion objective.
    objective: str = field(default="flow",
                           metadata={"help": "'flow' (Wan, v = eps - x0) or 'v_ddpm' (CogVideoX)"})
    flow_shift: float = field(default=5.0, metadata={"help": "flow-matching timestep shift"})
    # Optimisation.
    learning_rate: float = field(default=1e-5, metadata={"help": "AdamW learning rate"})
    weight_decay: float = field(default=0.01, metadata={"help": "AdamW weight decay"})
    lr_schedule: str = field(default="constant", metadata={"help": "'constant' or 'cosine'"})
    warmup_steps: int = field(default=5, metadata={"help": "linear warm-up steps"})
    max_steps: int = field(default=1000, metadata={"help": "optimizer steps"})
    batch_size: int = field(default=1, metadata={"help": "clips per step per process"})
    checkpoint_every: int = field(default=500, metadata={"help": "save a checkpoint every N steps"})
    mixed_precision: str = field(default="bf16",
                                 metadata={"help": "accelerate mixed precision (no/bf16/fp16)"})
    gradient_checkpointing: bool = field(default=True,
                                         metadata={"help": "checkpoint every transformer block"})
    seed: int = field(default=0, metadata={"help": "seed for model build, data order, noise and timesteps"})
    # Attention capture.
    capture_chunk: int = field(default=4096, metadata={"help": "query/key chunk of the capture kernels"})
    # Inference.
    infer_steps: int = field(default=50, metadata={"help": "denoising steps"})
    guidance_scale: float = field(default=6.0, metadata={"help": "classifier-free guidance"})

    def __post_init__(self) -> None:
        self.sga_layers = tuple(int(x) for x in self.sga_layers)
        self.spa_layers = tuple(int(x) for x in self.spa_layers)
        self.validate()

    def validate(self) -> None:
        """Raise ValueError on inconsistent settings; called on build and after every override."""
        problems = []
        if self.family not in ("wan", "cogvideox"):
            problems.append(f"family must be 'wan' or 'cogvideox', got {self.family!r}")
        if (self.num_frames - 1) % 4:
            problems.append(f"num_frames must be 4k+1, got {self.num_frames}")
        if self.height % 16 or self.width % 16:
            problems.append(f"height and width must be multiples of 16, got {self.height}x{self.width}")
        if self.marker_mode not in ("strip", "keep"):
            problems.append(f"marker_mode must be 'strip' or 'keep', got {self.marker_mode!r}")
        if self.loss_grid not in ("pixel", "token"):
            problems.append(f"loss_grid must be 'pixel' or 'token', got {self.loss_grid!r}")
        if self.head not in HEADS:
            problems.append(f"head must be one of {HEADS}, got {self.head!r}")
        elif self.head != "affine" and self.loss_grid != "pixel":
            problems.append(f"head {self.head!r} needs loss_grid 'pixel'")
        if self.lora_layers not in ("supervised", "all"):
            problems.append(f"lora_layers must be 'supervised' or 'all', got {self.lora_layers!r}")
        if self.objective not in ("flow", "v_ddpm"):
            problems.append(f"objective must be 'flow' or 'v_ddpm', got {self.objective!r}")
        if self.lr_schedule not in ("constant", "cosine"):
            problems.append(f"lr_schedule must be 'constant' or 'cosine', got {self.lr_schedule!r}")
        if self.use_clip_image and self.family != "wan":
            problems.append("use_clip_image applies to the wan family only")
        if self.pretrained is None and not self.tiny_transformer:
            problems.append("a config needs either `pretrained` or `tiny_transformer`")
        if problems:
            raise ValueError(f"invalid config for preset {self.preset!r}: " + "; ".join(problems))

    @property
    def latent_frames(self) -> int:
        return (self.num_frames - 1) // 4 + 1

    @property
    def token_grid(self) -> tuple[int, int, int]:
        """(F_lat, h, w) of the video tokens: VAE 4x temporal / 8x spatial, then 2x2 patches."""
        return self.latent_frames, self.height // 16, self.width // 16

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @property
    def uses_sga(self) -> bool:
        return self.lambda_sga > 0 and bool(self.sga_layers)

    @property
    def uses_spa(self) -> bool:
        return self.lambda_spa > 0 and bool(self.spa_layers)

    @property
    def head_lr(self) -> float:
        return self.learning_rate if self.head_learning_rate is None else self.head_learning_rate

    def deviations(self) -> list[str]:
        """Where this run departs from the paper's MATRIX (App. D): written into every checkpoint, inference
        record and analysis, so that results are never reported as the paper's method when they are not."""
        out = []
        if self.uses_sga or self.uses_spa:
            if self.head == "affine":
                out.append("head=affine: SGA/SPA logits are a positive affine copy of the attention map "
                           "(2 scalars per head), not the paper's learned decoder head")
            elif self.head == "affine+conv":
                out.append("head=affine+conv: affine map plus a zero-initialised conv residual, not the "
                           "paper's decoder head")
            elif self.head_monotone:
                out.append("head=decoder, identity-initialised, with non-negative kernels (monotone in "
                           "the map); the paper's decoder is unconstrained, the released one randomly "
                           "initialised")
            else:
                out.append("head=decoder, identity-initialised (the released head was randomly initialised)")
            if self.beta_dice == 0 and self.beta_l2 == 0:
                out.append("per-map loss is BCE only (the paper: BCE + Dice + L2; the released code: BCE)")
        else:
            out.append("no alignment losses (lambda_sga = lambda_spa = 0 or no supervised layers): a LoRA "
                       f"baseline with LoRA on {self.lora_layers} blocks")
        if self.marker_mode == "keep":
            out.append("marker_mode=keep: spans are <idK> special tokens (the released code), not words")
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MatrixConfig:
        data = dict(data)
        if "head_residual" in data:  # configs written before `head` existed
            data["head"] = "affine+conv" if data.pop("head_residual") else "affine"
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown config keys {unknown}; known keys: {sorted(known)}")
        return cls(**data)


HEADS = ("affine", "affine+conv", "decoder")

_TINY_WAN = dict(
    patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=16, in_channels=36, out_channels=16,
    text_dim=32, freq_dim=32, ffn_dim=64, num_layers=2, cross_attn_norm=True, rope_max_seq_len=64,
)
_TINY_COGVIDEOX = dict(
    num_attention_heads=2, attention_head_dim=16, in_channels=32, out_channels=16, time_embed_dim=8,
    text_embed_dim=32, num_layers=2, sample_width=8, sample_height=8, sample_frames=9, patch_size=2,
    temporal_compression_ratio=4, max_text_seq_length=16, use_rotary_positional_embeddings=True,
)
_TINY_T5 = dict(vocab_size=512, d_model=32, d_kv=8, d_ff=64, num_layers=1, num_heads=4)

# Heads get their own learning rate on the real presets: Adam moves a parameter by about the learning rate per
# step, so at the Wan preset's 1e-5 the affine head's two scalars could move by 0.11 at most in 11k steps.
PRESETS: dict[str, dict[str, Any]] = {
    # The paper's setting (App. D): SGA 7, 11; SPA 12; LoRA r128 a64; cosine schedule, 4,000 steps.
    # Revision: the hub commit that public code pins for this repo, e.g. tedlasai/gencam
    # cogvideox/ImageToVideo.py (".../models--THUDM--CogVideoX-5b-I2V/snapshots/a6f0f485...") and other
    # projects' `REVISION = "a6f0f485..."` for THUDM/CogVideoX-5b-I2V (now also served as zai-org/...).
    # Not checked against the hub from here (no access); override with --set revision=<sha> or null.
    "cogvideox-5b-i2v": dict(
        family="cogvideox", pretrained="THUDM/CogVideoX-5b-I2V",
        revision="a6f0f4858a8395e7429d82493864ce92bf73af11", height=480, width=720, num_frames=49, fps=8,
        text_len=226, sga_layers=(7, 11), spa_layers=(12,), lora_rank=128, lora_alpha=64, objective="v_ddpm",
        lr_schedule="cosine", max_steps=4000, learning_rate=1e-4, warmup_steps=100, head_learning_rate=1e-3,
    ),
    # The released code's setting: SGA 20, 24; SPA 6, 8; LoRA r16 a16; lr 1e-5 constant.
    # Revision: the hub snapshot that sgl-project/sglang's MUSA CI cases loaded
    # (python/sglang/multimodal_gen/test/server/musa/testcase_configs_musa.py, one of its versions:
    # ".../models--Wan-AI--Wan2.1-I2V-14B-480P-Diffusers/snapshots/b184e23a..."); public docs pin the same
    # "Wan-AI/Wan2.1-I2V-14B-480P-Diffusers@b184e23a...". Not checked against the hub from here (no access).
    "wan2.1-i2v-14b": dict(
        family="wan", pretrained="Wan-AI/Wan2.1-I2V-14B-480P-Diffusers",
        revision="b184e23a8a16b20f108f727c902e769e873ffc73", height=480, width=832, num_frames=81,
        fps=16, text_len=512, sga_layers=(20, 24), spa_layers=(6, 8), lora_rank=16, lora_alpha=16,
        objective="flow", flow_shift=5.0, learning_rate=1e-5, lr_schedule="constant", max_steps=11000,
        head_learning_rate=1e-3,
    ),
    # Same classes, tiny configs built offline with fixed seeds: for tests and demos on CPU.
    # lambda_sga 10 and lr 3e-3: a randomly initialised tiny model has no v2t alignment to start from, and
    # with lambda_sga 1 / lr 1e-3 the v2t score rose only 0.093 -> 0.096-0.102 in 300 steps (3 seeds);
    # with these values 0.093 -> 0.127-0.140 (docs/training.md).
    "tiny-wan": dict(
        family="wan", tiny_transformer=_TINY_WAN, tiny_text_encoder=_TINY_T5, height=64, width=64,
        num_frames=9, fps=8, text_len=16, sga_layers=(1,), spa_layers=(0,), lora_rank=4, lora_alpha=4,
        objective="flow", flow_shift=3.0, learning_rate=3e-3, max_steps=100, checkpoint_every=50,
        mixed_precision="no", gradient_checkpointing=False, head_channels=8, capture_chunk=32, infer_steps=4,
        guidance_scale=3.0, lambda_sga=10.0, lambda_spa=1.0,
    ),
    "tiny-cogvideox": dict(
        family="cogvideox", tiny_transformer=_TINY_COGVIDEOX, tiny_text_encoder=_TINY_T5, height=64, width=64,
        num_frames=9, fps=8, text_len=16, sga_layers=(1,), spa_layers=(0,), lora_rank=4, lora_alpha=4,
        objective="v_ddpm", learning_rate=1e-3, max_steps=100, checkpoint_every=50, mixed_precision="no",
        gradient_checkpointing=False, head_channels=8, capture_chunk=32, infer_steps=4, guidance_scale=3.0,
        lambda_sga=1.0, lambda_spa=1.0,
    ),
}


def get_preset(name: str) -> MatrixConfig:
    """Return a fresh config for preset `name`; unknown names raise with the closest matches."""
    if name not in PRESETS:
        close = difflib.get_close_matches(name, PRESETS, n=2)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise ValueError(f"Unknown preset {name!r}.{hint} Available: {', '.join(PRESETS)}")
    return MatrixConfig(preset=name, **json.loads(json.dumps(PRESETS[name])))


def load_config_file(path: str | Path) -> dict[str, Any]:
    """Read overrides from a .yaml/.yml/.toml/.json file (a flat mapping of config keys)."""
    path = Path(path)
    text = path.read_text()
    if path.suffix in (".yaml", ".yml"):
        import yaml

        data = yaml.safe_load(text) or {}
    elif path.suffix == ".toml":
        data = tomllib.loads(text)
    elif path.suffix == ".json":
        data = json.loads(text)
    else:
        raise ValueError(f"{path}: config files must be .yaml, .yml, .toml or .json")
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of config keys, got {type(data).__name__}")
    return data


def apply_overrides(cfg: MatrixConfig, overrides: dict[str, Any]) -> MatrixConfig:
    """Return a copy of `cfg` with `overrides` applied and re-validated; unknown keys raise."""
    known = {f.name for f in dataclasses.fields(cfg)}
    for key in overrides:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=2)
            hint = f" Did you mean: {', '.join(close)}?" if close else ""
            raise ValueError(f"Unknown config key {key!r}.{hint}")
    merged = {**cfg.to_dict(), **overrides}
    return MatrixConfig(**merged)


def parse_set_flags(items: list[str]) -> dict[str, Any]:
    """Parse `--set key=value` flags; values are read as YAML scalars/lists (`sga_layers=[7,11]`)."""
    import yaml

    out = {}
    for item in items:
        if "=" not in item:
            raise ValueError(f"--set expects key=value, got {item!r}")
        key, value = item.split("=", 1)
        out[key.strip()] = yaml.safe_load(value)
    return out
