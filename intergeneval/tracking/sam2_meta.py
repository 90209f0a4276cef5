"""Tracker `sam2-meta`: SAM2.1 video tracking with Meta's own `sam2` code (the reference's implementation).

Needs Meta's package (`make sam2-meta`: `SAM2_BUILD_CUDA=0 pip install --no-deps --no-build-isolation
sam2==1.1.0` plus `hydra-core iopath`); it is not a normal dependency because its build would pull another
torch. Same contract as `sam2`: one joint pass for all objects seeded with masks at frame 0 (`add_new_mask`,
then `propagate_in_video` forward), mask = logits > 0 at the video's resolution. Frames come from the decoded
array: a lazy frame sequence normalises each frame when SAM2 asks for it (Meta's `init_state` only reads
files), so memory does not hold the whole resized video; per-object outputs older than SAM2's memory window
are pruned as tracking goes.

The inference state is built with the keys `SAM2VideoPredictor.init_state` of sam2 1.1.0 sets; other
versions are refused with a clear error rather than run on a state they may not expect.

Example (options as given to `--tracker-option`):
    Sam2MetaTracker(config="configs/sam2.1/sam2.1_hiera_l.yaml", checkpoint="facebook/sam2.1-hiera-large")
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .. import checkpoints
from ..errors import BackendUnavailable, ConfigError, TrackingError

log = logging.getLogger(__name__)

DEFAULT_CONFIG = "configs/sam2.1/sam2.1_hiera_l.yaml"
DEFAULT_CHECKPOINT = "facebook/sam2.1-hiera-large"
DEFAULT_REVISION = "665f8e2ad61cf5f53d65644ff27c8ee525124610"
_CKPT_FILE = {"facebook/sam2.1-hiera-large": "sam2.1_hiera_large.pt", "facebook/sam2.1-hiera-base-plus":
              "sam2.1_hiera_base_plus.pt", "facebook/sam2.1-hiera-small": "sam2.1_hiera_small.pt",
              "facebook/sam2.1-hiera-tiny": "sam2.1_hiera_tiny.pt"}
SUPPORTED_VERSION = "1.1.0"
INSTALL = ("make sam2-meta  (SAM2_BUILD_CUDA=0 pip install --no-deps --no-build-isolation sam2==1.1.0, "
           "then pip install hydra-core iopath)")
#: The tiny variant: hiera-t at 256 px with fewer blocks, random weights (seed 0), for tests and demos.
TINY_OVERRIDES = (
    "++model.image_size=256",
    "++model.image_encoder.trunk.stages=[1,1,2,1]",
    "++model.image_encoder.trunk.global_att_blocks=[3]",
    "++model.memory_attention.num_layers=1",
    "++model.memory_attention.layer.dim_feedforward=256",
    "++model.memory_attention.layer.self_attention.feat_sizes=[16,16]",
    "++model.memory_attention.layer.cross_attention.feat_sizes=[16,16]",
)


class Sam2MetaTracker:
    """SAM2.1 video tracker running Meta's `sam2` package.

    Args:
        config: Hydra config inside the sam2 package (default: SAM2.1 hiera-large), or "tiny".
        checkpoint: a hub id (its `.pt` file is downloaded at `revision`), a local `.pt` path, or None for
            random weights (only with `config="tiny"`).
        revision: hub commit of the checkpoint (default: pinned for the default checkpoint).
        device: torch device (default: CUDA if present, else CPU).
        dtype: autocast dtype on GPU (default bfloat16; CPU runs float32).
        offload_state: keep SAM2's per-object state on the CPU (Meta's `offload_state_to_cpu`).
        overrides: extra Hydra overrides.
        threads: torch CPU threads for the whole process (None: torch's default).
    """

    needs_first_masks = True
    name = "sam2-meta"

    def __init__(
        self,
        config: str = DEFAULT_CONFIG,
        checkpoint: str | None = DEFAULT_CHECKPOINT,
        revision: str | None = None,
        *,
        device: str | None = None,
        dtype: str | None = None,
        offload_state: bool = False,
        overrides: list[str] | tuple[str, ...] = (),
        threads: int | None = None,
    ):
        try:
            import sam2  # noqa: F401
            from sam2.build_sam import build_sam2_video_predictor
        except ImportError as e:
            raise BackendUnavailable(f"tracker 'sam2-meta' needs Meta's sam2 package ({e}): "
                                     f"{INSTALL}") from None
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version("sam2")
        except PackageNotFoundError:
            found = "unknown"
        if found != SUPPORTED_VERSION:
            raise BackendUnavailable(f"tracker 'sam2-meta' supports sam2 {SUPPORTED_VERSION}, found {found}: "
                                     f"{INSTALL}")
        import torch

        self.device = checkpoints.torch_device(device)
        on_gpu = self.device.type == "cuda"
        self.dtype = checkpoints.torch_dtype(dtype, self.device) if on_gpu else torch.float32
        checkpoints.set_threads(threads)
        self.offload_state = offload_state
        tiny = config == "tiny"
        self.config = "configs/sam2.1/sam2.1_hiera_t.yaml" if tiny else config
        self.overrides = [*(TINY_OVERRIDES if tiny else ()), *overrides]
        if tiny and checkpoint == DEFAULT_CHECKPOINT:
            checkpoint = None
        if checkpoint is None and not tiny:
            raise ConfigError("tracker 'sam2-meta': checkpoint=None (random weights) is only for "
                              "config='tiny'")
        self.checkpoint = checkpoint
        self.revision = revision if revision is not None else (
            DEFAULT_REVISION if checkpoint == DEFAULT_CHECKPOINT else None)
        ckpt_path = self._checkpoint_path()  # located (downloaded) now; built on first use
        self._torch = torch
        self._version = found

        def build() -> Any:
            torch.manual_seed(0)  # random weights (tiny) are the same on every machine
            try:
                return build_sam2_video_predictor(self.config, ckpt_path=ckpt_path, device=str(self.device),
                                                  hydra_overrides_extra=list(self.overrides))
            except Exception as e:  # Hydra and checkpoint loading raise many kinds; all mean "cannot build"
                raise BackendUnavailable(f"tracker 'sam2-meta': cannot build {self.config} with {ckpt_path}: "
                                         f"{type(e).__name__}: {str(e)[:300]}") from None

        # the weights load on first use: a run whose videos are all cached never needs them
        self._weights = checkpoints.Lazy(build)

    @property
    def predictor(self) -> Any:
        """Meta's video predictor (built, and its weights loaded, on first use)."""
        return self._weights.get()

    @property
    def _keep(self) -> int:
        cfg = self.predictor
        return max(int(cfg.num_maskmem), int(getattr(cfg, "max_obj_ptrs_in_encoder", 16))) + 1

    def fingerprint(self) -> dict[str, Any]:
        """Package version, config and overrides, checkpoint and revision, dtype."""
        return {
            "backend": self.name,
            "sam2_version": self._version,
            "config": self.config,
            "overrides": list(self.overrides),
            "model": self.checkpoint if self.checkpoint is not None else "tiny:sam2.1-meta (random weights)",
            "revision": self.revision,
            "dtype": str(self.dtype).replace("torch.", ""),
            "mask": "logits > 0",
        }

    def _checkpoint_path(self) -> str | None:
        if self.checkpoint is None:
            return None
        if Path(self.checkpoint).expanduser().is_file():
            return str(Path(self.checkpoint).expanduser())
        filename = _CKPT_FILE.get(self.checkpoint)
        if filename is None:
            raise ConfigError(f"tracker 'sam2-meta': checkpoint {self.checkpoint!r} is neither a .pt file "
                              f"nor one of {', '.join(_CKPT_FILE)}")
        from huggingface_hub import hf_hub_download

        try:
            return hf_hub_download(self.checkpoint, filename, revision=self.revision)
        except Exception as e:  # offline, missing file or revision: one clear message
            raise BackendUnavailable(
                f"cannot load the sam2-meta checkpoint {self.checkpoint!r} (revision {self.revision}): "
                f"download it first (`hf download {self.checkpoint} {filename} --revision {self.revision}`). "
                f"Cause: {type(e).__name__}: {str(e)[:200]}") from None

    def track(
        self, scenario_id: str, frames: np.ndarray, first_masks: np.ndarray | None
    ) -> Iterator[tuple[int, np.ndarray]]:
        """Yield `(t, masks (N, H, W) bool)` for every frame, all objects tracked jointly from frame 0."""
        if first_masks is None:
            raise TrackingError(f"scenario {scenario_id!r}: the sam2-meta tracker needs first-frame masks")
        frames = np.asarray(frames)
        masks = np.asarray(first_masks, dtype=bool)
        if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
            raise TrackingError(f"scenario {scenario_id!r}: frames must be (T, H, W, 3) uint8, got "
                                f"{frames.shape} {frames.dtype}")
        t_count, h, w = frames.shape[:3]
        if masks.ndim != 3 or masks.shape[1:] != (h, w):
            raise TrackingError(f"scenario {scenario_id!r}: first masks must be (N, {h}, {w}), got "
                                f"{masks.shape}")
        if len(masks) == 0:
            for t in range(t_count):
                yield t, np.zeros((0, h, w), dtype=bool)
            return
        empty = [k for k in range(len(masks)) if not masks[k].any()]
        if empty:
            raise TrackingError(f"scenario {scenario_id!r}: first-frame mask of object(s) {empty} is empty")
        torch = self._torch
        autocast = (torch.autocast("cuda", dtype=self.dtype) if self.device.type == "cuda"
                    else torch.autocast("cpu", enabled=False))
        try:
            with torch.inference_mode(), autocast:
                state = self._init_state(frames)
                for k, m in enumerate(masks):
                    self.predictor.add_new_mask(state, frame_idx=0, obj_id=k + 1, mask=m)
                for t, obj_ids, logits in self.predictor.propagate_in_video(state, start_frame_idx=0):
                    order = [list(obj_ids).index(k + 1) for k in range(len(masks))]
                    yield t, (logits[order, 0] > 0).cpu().numpy()
                    _prune(state, t, self._keep)
        except torch.cuda.OutOfMemoryError as e:
            torch.cuda.empty_cache()
            raise TrackingError(f"scenario {scenario_id!r}: SAM2 (meta) ran out of GPU memory: "
                                f"{str(e)[:200]} (try offload_state=True)") from None
        except (RuntimeError, ValueError, AssertionError) as e:
            raise TrackingError(f"scenario {scenario_id!r}: SAM2 (meta) failed: {type(e).__name__}: "
                                f"{str(e)[:300]}") from None

    def _init_state(self, frames: np.ndarray) -> dict[str, Any]:
        """The inference state `init_state` builds, over our decoded frames instead of files (sam2 1.1.0)."""
        torch = self._torch
        p = self.predictor
        storage = torch.device("cpu") if self.offload_state else self.device
        state: dict[str, Any] = {
            "images": _LazyFrames(frames, p.image_size, self.device),
            "num_frames": len(frames),
            "offload_video_to_cpu": True,
            "offload_state_to_cpu": self.offload_state,
            "video_height": int(frames.shape[1]),
            "video_width": int(frames.shape[2]),
            "device": self.device,
            "storage_device": storage,
            "point_inputs_per_obj": {},
            "mask_inputs_per_obj": {},
            "cached_features": {},
            "constants": {},
            "obj_id_to_idx": OrderedDict(),
            "obj_idx_to_id": OrderedDict(),
            "obj_ids": [],
            "output_dict_per_obj": {},
            "temp_output_dict_per_obj": {},
            "frames_tracked_per_obj": {},
        }
        p._get_image_feature(state, frame_idx=0, batch_size=1)  # as init_state: warm frame 0's features
        return state


class _LazyFrames:
    """Frames normalised for SAM2 when it asks (as Meta's loader: square resize, ImageNet mean/std)."""

    def __init__(self, frames: np.ndarray, size: int, device: Any):
        import torch

        self.frames, self.size, self.device = frames, size, device
        self.mean = torch.tensor([0.485, 0.456, 0.406])[:, None, None]
        self.std = torch.tensor([0.229, 0.224, 0.225])[:, None, None]

    def __len__(self) -> int:
        return len(self.frames)

    def __getitem__(self, t: int) -> Any:
        import torch
        from PIL import Image

        img = Image.fromarray(self.frames[t]).resize((self.size, self.size))  # as sam2's JPEG-folder loader
        x = torch.from_numpy(np.asarray(img, dtype=np.float32) / 255.0).permute(2, 0, 1)
        return (x - self.mean) / self.std


def _prune(state: dict[str, Any], t: int, keep: int) -> None:
    """Drop per-object outputs older than SAM2's memory window (a forward pass never reads them again)."""
    old = t - keep
    if old < 1:
        return
    for per_obj in state.get("output_dict_per_obj", {}).values():
        per_obj.get("non_cond_frame_outputs", {}).pop(old, None)
