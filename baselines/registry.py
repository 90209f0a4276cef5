"""Baseline models by name: which generator class runs them (imported lazily), which checkpoint, which settings.

Example:
    >>> spec = MODELS["wan2.1-t2v-1.3b"]
    >>> spec.repo, spec.mode, spec.num_frames, spec.fps
    ('Wan-AI/Wan2.1-T2V-1.3B-Diffusers', 't2v', 81, 16)
    >>> [name for name, s in MODELS.items() if s.tiny][:2]
    ['tiny-cogvideox-t2v', 'tiny-cogvideox-i2v']

Revisions: `revision=None` means the checkpoint's newest commit is loaded and the commit actually loaded
is read back from the Hugging Face cache and written into `model_card.json` (`resolved_revision`). The
development machines cannot reach the hub, so no commit could be verified here; pin one with `--revision`
(it is recorded too) and add it to the spec once checked.
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib
from dataclasses import dataclass, field
from typing import Any

from intergeneval.errors import BackendUnavailable, ConfigError


@dataclass(frozen=True)
class ModelSpec:
    """One registered baseline: its generator class, checkpoint and default generation settings."""

    name: str
    generator: str = field(metadata={"help": "'module:Class' of the generator, imported on use"})
    mode: str = field(metadata={"help": "'t2v' (text only) or 'i2v' (needs each scenario's first frame)"})
    repo: str | None = field(metadata={"help": "Hugging Face id of the diffusers checkpoint; tiny:<name>"})
    revision: str | None = field(default=None, metadata={"help": "pinned commit (None: newest, recorded)"})
    height: int = 480
    width: int = 720
    num_frames: int = 49
    fps: int = 8
    #: Denoising steps and guidance scale; 0 means "from the checkpoint's own config" (MATRIX).
    steps: int = 50
    guidance: float = 6.0
    dtype: str | None = field(default="bf16", metadata={
        "help": "bf16, fp16 or fp32 (the transformer's dtype); None (MATRIX): bf16 on CUDA, else fp32"})
    negative_prompt: str = ""
    #: Pipeline keyword arguments beyond the common ones (max_sequence_length, use_dynamic_cfg, …).
    call_options: dict[str, Any] = field(default_factory=dict)
    paper_name: str | None = field(default=None, metadata={"help": "the row name in the paper's Table 1"})
    note: str = ""

    @property
    def tiny(self) -> bool:
        """True for the offline tiny variants (random weights: their videos are noise)."""
        return bool(self.repo and self.repo.startswith("tiny:"))


_COG = "baselines.cogvideox:CogVideoXGenerator"
_WAN = "baselines.wan:WanGenerator"
_HUNYUAN = "baselines.hunyuan:HunyuanI2VGenerator"
_MATRIX = "baselines.matrix:MatrixGenerator"
_WAN_NEGATIVE = (
    "static, blurred details, subtitles, overall grey, worst quality, low quality, JPEG artifacts, ugly, "
    "deformed, extra fingers, poorly drawn hands, poorly drawn face, fused fingers, still picture, "
    "cluttered background, three legs, many people in the background, walking backwards"
)
#: Tiny variants share one geometry: 9 frames of 32×32, 2 steps; a video takes well under a second on a CPU.
_TINY = dict(height=32, width=32, num_frames=9, fps=8, steps=2, guidance=3.0, dtype="fp32")

MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec("cogvideox-2b-t2v", _COG, "t2v", "THUDM/CogVideoX-2b", dtype="fp16",
                  note="trained in fp16 (the model card's advice); 720x480, 49 frames at 8 fps"),
        ModelSpec("cogvideox-5b-t2v", _COG, "t2v", "THUDM/CogVideoX-5b"),
        ModelSpec("cogvideox-2b-i2v", _COG, "i2v", None, dtype="fp16", paper_name="CogVideoX-2B-I2V",
                  note="no official CogVideoX-2B image-to-video checkpoint is published; the paper does not say "
                       "which one it used. Pass --repo/--revision of a diffusers-format CogVideoX I2V checkpoint."),
        ModelSpec("cogvideox-5b-i2v", _COG, "i2v", "THUDM/CogVideoX-5b-I2V", paper_name="CogVideoX-5B-I2V",
                  call_options={"use_dynamic_cfg": True}),
        ModelSpec("wan2.1-t2v-1.3b", _WAN, "t2v", "Wan-AI/Wan2.1-T2V-1.3B-Diffusers", height=480, width=832,
                  num_frames=81, fps=16, guidance=5.0, negative_prompt=_WAN_NEGATIVE),
        ModelSpec("wan2.1-i2v-14b-480p", _WAN, "i2v", "Wan-AI/Wan2.1-I2V-14B-480P-Diffusers", height=480,
                  width=832, num_frames=81, fps=16, guidance=5.0, negative_prompt=_WAN_NEGATIVE),
        ModelSpec("hunyuanvideo-i2v", _HUNYUAN, "i2v", "hunyuanvideo-community/HunyuanVideo-I2V", height=480,
                  width=832, num_frames=81, fps=24, guidance=1.0,
                  note="diffusers-format conversion of tencent/HunyuanVideo-I2V; CFG-distilled (guidance 1)"),
        ModelSpec("matrix", _MATRIX, "i2v", None, steps=0, guidance=0.0, dtype=None,
                  paper_name="MATRIX (CogVideoX-5B-I2V + LoRA)",
                  note="a matrix_train checkpoint (--checkpoint) on its base model; geometry, steps and guidance "
                       "come from the checkpoint's config unless --steps/--guidance are given"),
        # Offline tiny variants of the same classes, for tests and demos.
        ModelSpec("tiny-cogvideox-t2v", _COG, "t2v", "tiny:cogvideox-t2v", **_TINY,
                  call_options={"max_sequence_length": 16}),
        ModelSpec("tiny-cogvideox-i2v", _COG, "i2v", "tiny:cogvideox-i2v", **_TINY,
                  call_options={"max_sequence_length": 16}),
        ModelSpec("tiny-wan-t2v", _WAN, "t2v", "tiny:wan-t2v", **_TINY, call_options={"max_sequence_length": 16}),
        ModelSpec("tiny-wan-i2v", _WAN, "i2v", "tiny:wan-i2v", **_TINY, call_options={"max_sequence_length": 16}),
        ModelSpec("tiny-hunyuanvideo-i2v", _HUNYUAN, "i2v", "tiny:hunyuanvideo-i2v", **{**_TINY, "guidance": 1.0},
                  call_options={"max_sequence_length": 16}),
        ModelSpec("tiny-matrix", _MATRIX, "i2v", "tiny:matrix", **_TINY,
                  note="an untrained MATRIX model of matrix_train's tiny-cogvideox preset, unless --checkpoint"),
    )
}


def get_spec(name: str) -> ModelSpec:
    """The registered spec called `name`; unknown names get close matches and the full list."""
    if name not in MODELS:
        close = difflib.get_close_matches(name, MODELS, n=3)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise ConfigError(f"unknown model {name!r}.{hint} Known: {', '.join(MODELS)}")
    return MODELS[name]


def with_overrides(spec: ModelSpec, **changes: Any) -> ModelSpec:
    """A copy of `spec` with the given (non-None) settings replaced."""
    return dataclasses.replace(spec, **{k: v for k, v in changes.items() if v is not None})


def generator_class(spec: ModelSpec) -> type:
    """Import and return the generator class of `spec` (diffusers and torch load only here)."""
    module, _, attr = spec.generator.partition(":")
    try:
        return getattr(importlib.import_module(module), attr)
    except ModuleNotFoundError as e:
        if e.name and e.name.startswith("baselines"):
            raise ConfigError(f"model {spec.name!r}: generator module {e.name} is missing") from None
        raise BackendUnavailable(
            f"model {spec.name!r} needs the package {e.name!r}: pip install 'intergeneval[baselines]'"
        ) from None
