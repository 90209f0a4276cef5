"""What every baseline generator does: load a checkpoint once, then turn a scenario and a seed into frames.

Example (a tiny model of the real classes, built offline):
    >>> from baselines.registry import get_spec, generator_class
    >>> spec = get_spec("tiny-cogvideox-t2v")
    >>> gen = generator_class(spec)(spec, device="cpu")     # doctest: +SKIP
    >>> gen.load(); gen.generate(scenario, seed=42).shape      # doctest: +SKIP
    (9, 32, 32, 3)

Diffusers pipelines are loaded with `from_pretrained(repo, revision=..., torch_dtype=...)`; tiny variants
(`tiny:<name>`) are built once from small configs of the same classes with fixed seeds, saved with
`save_pretrained`, and loaded back through that same call.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from intergeneval.errors import ConfigError
from intergeneval.records import Scenario

from .registry import ModelSpec

log = logging.getLogger(__name__)

DTYPES = ("bf16", "fp16", "fp32")
#: Bumped whenever a tiny builder changes, so stale folders are never reused.
TINY_BUILD_VERSION = 1
TINY_SEED = 0
_TINY_DONE = "BASELINES_TINY.json"


class Generator(ABC):
    """A video generator for one registered model.

    Args:
        spec: the model's settings (already merged with command-line overrides).
        device: "cuda", "cuda:1", "cpu"; None picks CUDA when available.
        cpu_offload: move each sub-model to the GPU only while it runs (diffusers model CPU offload).
        vae_tiling: decode the video in tiles (less peak memory, slightly slower).
        checkpoint: a trained adapter to apply (MATRIX only).
    """

    def __init__(self, spec: ModelSpec, *, device: str | None = None, cpu_offload: bool = False,
                 vae_tiling: bool = False, checkpoint: str | Path | None = None):
        if spec.dtype not in DTYPES:
            raise ConfigError(f"model {spec.name!r}: dtype must be one of {', '.join(DTYPES)}, got {spec.dtype!r}")
        if spec.num_frames % 4 != 1:
            raise ConfigError(f"model {spec.name!r}: num_frames must be 4k+1 (the VAEs compress time by 4), "
                              f"got {spec.num_frames}")
        self.spec = spec
        self.device = device
        self.cpu_offload = cpu_offload
        self.vae_tiling = vae_tiling
        self.checkpoint = checkpoint
        self.resolved_revision: str | None = None

    @property
    def needs_first_frame(self) -> bool:
        """True for image-to-video models: every scenario must carry a first frame."""
        return self.spec.mode == "i2v"

    @abstractmethod
    def load(self) -> None:
        """Load (or build, for tiny variants) the model; called once before `generate`."""

    @abstractmethod
    def generate(self, scenario: Scenario, *, seed: int) -> np.ndarray:
        """Return `(num_frames, height, width, 3)` uint8 RGB frames for one scenario."""

    def card(self) -> dict[str, Any]:
        """Settings to write beside the videos (`model_card.json`); enough to regenerate them."""
        s = self.spec
        return {
            "name": s.name,
            "base_model": s.repo,
            "revision": s.revision,
            "resolved_revision": self.resolved_revision,
            "mode": s.mode,
            "resolution": {"width": s.width, "height": s.height},
            "frames": s.num_frames,
            "fps": s.fps,
            "steps": s.steps,
            "guidance": s.guidance,
            "negative_prompt": s.negative_prompt,
            "dtype": s.dtype,
            "call_options": s.call_options,
            "memory": {"cpu_offload": self.cpu_offload, "vae_tiling": self.vae_tiling},
            "generator": s.generator,
            "scheduler": _scheduler_card(getattr(self, "pipe", None)),
            "paper_name": s.paper_name,
            "tiny": s.tiny,
            **({"note": "tiny randomly initialised model: its videos are noise"} if s.tiny else {}),
        }


class DiffusersGenerator(Generator):
    """A generator backed by one diffusers pipeline class per mode; subclasses add the family's details."""

    #: diffusers pipeline class names by mode ("t2v" / "i2v").
    pipelines: dict[str, str] = {}

    def __init__(self, spec: ModelSpec, **kwargs: Any):
        super().__init__(spec, **kwargs)
        if spec.repo is None:
            raise ConfigError(f"model {spec.name!r} has no checkpoint: {spec.note or 'pass --repo'}")
        if spec.mode not in self.pipelines:
            raise ConfigError(f"model {spec.name!r}: {type(self).__name__} has no {spec.mode} pipeline")
        self.pipe = None

    # -- loading -------------------------------------------------------------------------------------
    def source(self) -> str:
        """The folder or hub id to load: tiny variants are built on first use."""
        repo = self.spec.repo
        assert repo is not None
        if repo.startswith("tiny:"):
            return str(tiny_folder(repo.removeprefix("tiny:"), self.build_tiny))
        return repo

    def build_tiny(self, folder: Path) -> None:
        """Write the tiny pipeline of this family into `folder` (`save_pretrained`)."""
        raise ConfigError(f"{type(self).__name__} has no tiny variant")

    def extra_components(self, source: str, dtype: Any) -> dict[str, Any]:
        """Sub-models loaded separately (e.g. in float32) and handed to `from_pretrained`."""
        return {}

    def load(self) -> None:
        import diffusers

        source = self.source()
        dtype = torch_dtype(self.spec.dtype)
        cls = getattr(diffusers, self.pipelines[self.spec.mode])
        log.info("loading %s from %s (revision %s, %s)", cls.__name__, source, self.spec.revision, self.spec.dtype)
        self.pipe = cls.from_pretrained(
            source, revision=self.spec.revision, dtype=dtype, **self.extra_components(source, dtype)
        )
        self.pipe.set_progress_bar_config(disable=True)
        self.resolved_revision = resolved_revision(self.pipe)
        device = pick_device(self.device)
        if self.cpu_offload:
            if device.startswith("cpu"):
                raise ConfigError("--cpu-offload needs a GPU (it moves sub-models to the GPU while they run)")
            self.pipe.enable_model_cpu_offload(device=device)
        else:
            self.pipe.to(device)
        if self.vae_tiling:
            self.pipe.vae.enable_tiling()
        self._device = device

    # -- generation ----------------------------------------------------------------------------------
    def call_kwargs(self, scenario: Scenario) -> dict[str, Any]:
        """Keyword arguments of the pipeline call for one scenario (family-specific additions go here)."""
        s = self.spec
        kwargs: dict[str, Any] = {
            "prompt": scenario.video_prompt,
            "height": s.height,
            "width": s.width,
            "num_frames": s.num_frames,
            "num_inference_steps": s.steps,
            "guidance_scale": s.guidance,
            **s.call_options,
        }
        if s.negative_prompt:
            kwargs["negative_prompt"] = s.negative_prompt
        if self.needs_first_frame:
            kwargs["image"] = first_frame_image(scenario, s.width, s.height)
        return kwargs

    def generate(self, scenario: Scenario, *, seed: int) -> np.ndarray:
        import torch

        if self.pipe is None:
            raise ConfigError(f"model {self.spec.name!r}: call load() before generate()")
        # A CPU generator gives the same starting noise on every device (diffusers moves it across).
        generator = torch.Generator("cpu").manual_seed(seed)
        with torch.inference_mode():
            out = self.pipe(**self.call_kwargs(scenario), generator=generator, output_type="np")
        frames = to_uint8(out.frames[0])
        s = self.spec
        if frames.shape[:3] != (s.num_frames, s.height, s.width):
            raise ValueError(f"model {s.name!r} returned frames of shape {frames.shape[:3]} for scenario "
                             f"{scenario.id!r}; its settings say {(s.num_frames, s.height, s.width)}")
        return frames


# ---------------------------------------------------------------------------------------------- helpers
def _scheduler_card(pipe: Any) -> dict[str, Any] | None:
    """The sampler actually used (class and the settings that change samples), once a pipeline is loaded."""
    if pipe is None:
        return None
    conf = dict(pipe.scheduler.config)
    keys = ("prediction_type", "timestep_spacing", "flow_shift", "shift", "use_flow_sigmas",
            "rescale_betas_zero_snr")
    return {"class": type(pipe.scheduler).__name__, **{k: conf[k] for k in keys if k in conf}}


def torch_dtype(name: str) -> Any:
    """`bf16` / `fp16` / `fp32` → the torch dtype."""
    import torch

    return {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[name]


def pick_device(device: str | None) -> str:
    """The requested device, or CUDA when available, else CPU; a missing GPU is a clear error."""
    import torch

    if device is None:
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"--device {device}: no CUDA device is available on this machine")
    return device


def to_uint8(frames: Any) -> np.ndarray:
    """Pipeline output (T, H, W, 3) floats in [0, 1] → uint8 RGB."""
    arr = np.asarray(frames, dtype=np.float32)
    if arr.ndim != 4 or arr.shape[-1] != 3:
        raise ValueError(f"expected (T, H, W, 3) frames from the pipeline, got shape {arr.shape}")
    return (np.clip(arr, 0.0, 1.0) * 255.0).round().astype(np.uint8)


def first_frame_image(scenario: Scenario, width: int, height: int) -> Image.Image:
    """The scenario's first frame, scaled to cover `width`×`height` and centre-cropped (no distortion)."""
    if scenario.first_frame is None:
        raise ConfigError(f"scenario {scenario.id!r} has no first frame; image-to-video models need one "
                          "(build them with `intergeneval suite build`)")
    img = Image.open(scenario.first_frame).convert("RGB")
    scale = max(width / img.width, height / img.height)
    size = (max(width, round(img.width * scale)), max(height, round(img.height * scale)))
    img = img.resize(size, Image.Resampling.BICUBIC)
    left, top = (size[0] - width) // 2, (size[1] - height) // 2
    return img.crop((left, top, left + width, top + height))


def resolved_revision(pipe: Any) -> str | None:
    """The hub commit a pipeline was loaded from (read from the cache path), or None for local folders."""
    path = str(getattr(pipe, "name_or_path", "") or getattr(getattr(pipe, "config", None), "_name_or_path", ""))
    m = re.search(r"snapshots/([0-9a-f]{40})", path)
    return m.group(1) if m else None


def tiny_home() -> Path:
    """Where tiny baselines are built: `$INTERGENEVAL_HOME/tiny/baselines` (default `~/.cache/intergeneval`)."""
    base = os.environ.get("INTERGENEVAL_HOME")
    root = Path(base).expanduser() if base else Path.home() / ".cache" / "intergeneval"
    return root / "tiny" / "baselines"


def tiny_folder(name: str, build: Callable[[Path], None]) -> Path:
    """Folder of tiny model `name`, built by `build(folder)` on first use (atomically: a crash leaves none)."""
    folder = tiny_home() / f"{name}-v{TINY_BUILD_VERSION}"
    if (folder / _TINY_DONE).is_file():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=folder.parent))
    try:
        build(tmp)
        (tmp / _TINY_DONE).write_text(json.dumps({"name": name, "version": TINY_BUILD_VERSION, "seed": TINY_SEED,
                                                  "note": "tiny randomly initialised model"}))
        if folder.exists():  # an interrupted or concurrent build: replace it
            shutil.rmtree(folder, ignore_errors=True)
        try:
            os.replace(tmp, folder)
        except OSError:
            if not (folder / _TINY_DONE).is_file():  # nobody else finished it either
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    log.info("built tiny baseline %s in %s", name, folder)
    return folder
