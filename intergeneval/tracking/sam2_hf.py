"""Tracker `sam2`: SAM2.1 video tracking through transformers (`Sam2VideoModel` + `Sam2VideoProcessor`).

One joint pass for all objects of a video, seeded with their masks at frame 0; a pixel belongs to an object
where the upsampled mask logit is > 0. Frames come from the array already decoded by the pipeline (never
re-read from disk) and are streamed one at a time, so memory does not grow with the video's length: the
processed frame is dropped once used, and per-object outputs older than SAM2's memory window are pruned.
Each frame's image features are computed once and shared by all objects.

Example (options as given to `--tracker-option`):
    Sam2Tracker(model="facebook/sam2.1-hiera-large", dtype="bfloat16", offload_state=True)
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import numpy as np

from .. import checkpoints
from ..errors import ConfigError, TrackingError

log = logging.getLogger(__name__)

DEFAULT_MODEL = "facebook/sam2.1-hiera-large"
#: Hub commit of DEFAULT_MODEL (transformers weights) this version was written against.
DEFAULT_REVISION = "665f8e2ad61cf5f53d65644ff27c8ee525124610"
#: Frames preprocessed per batch (about 12 MB each at 1024² in float32).
_CHUNK = 8


class Sam2Tracker:
    """SAM2.1 video tracker (transformers).

    Args:
        model: hub id, local folder, or `tiny:sam2.1`.
        revision: hub commit; defaults to the pinned one for the default model.
        device: torch device (default: CUDA if present, else CPU).
        dtype: compute dtype (default: bfloat16 on GPU, float32 on CPU).
        offload_state: keep SAM2's memory bank and per-object outputs on the CPU (slower, bounded GPU
            memory). Turned on automatically, once, when a video runs out of GPU memory.
        max_side: frames whose longer side exceeds this are downscaled before SAM2 and the masks upsampled
            back (saves host memory and preprocessing on very large videos; SAM2 itself always runs at its
            checkpoint's resolution, 1024² for the real models).
        threads: torch CPU threads for the whole process (None: torch's default).
    """

    needs_first_masks = True
    name = "sam2"

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        revision: str | None = None,
        *,
        device: str | None = None,
        dtype: str | None = None,
        offload_state: bool = False,
        max_side: int | None = None,
        threads: int | None = None,
    ):
        checkpoints.require("transformers", "the sam2 tracker")
        import torch
        import transformers

        if max_side is not None and max_side < 64:
            raise ConfigError(f"sam2 tracker: max_side must be at least 64 pixels, got {max_side}")
        self.model_id = str(model)
        default_revision = DEFAULT_REVISION if model == DEFAULT_MODEL else None
        self.revision = revision if revision is not None else default_revision
        self.device = checkpoints.torch_device(device)
        self.dtype = checkpoints.torch_dtype(dtype, self.device)
        checkpoints.set_threads(threads)
        self.offload_state = offload_state
        self.max_side = max_side
        # the config is read now: a checkpoint that is not there fails before any video
        cfg = checkpoints.load(transformers.Sam2VideoConfig, self.model_id, self.revision,
                               what="the SAM2 tracker model")
        # Outputs further back than this are never read again by a forward pass (memory frames and
        # object pointers): keeping them would make memory grow with the video's length.
        self._keep = max(cfg.num_maskmem, cfg.max_object_pointers_in_encoder) + 1
        self._describe = checkpoints.describe(self.model_id, self.revision)
        self._torch = torch
        # model and processor load on first use: a run whose videos are all cached never needs them
        self._weights = checkpoints.Lazy(lambda: checkpoints.load(
            transformers.Sam2VideoModel, self.model_id, self.revision, what="the SAM2 tracker model",
            dtype=self.dtype).to(self.device).eval())
        self._processor = checkpoints.Lazy(lambda: checkpoints.load(
            transformers.Sam2VideoProcessor, self.model_id, self.revision, what="the SAM2 tracker processor"))

    @property
    def model(self) -> Any:
        """The model (its weights are loaded on first use)."""
        return self._weights.get()

    @property
    def processor(self) -> Any:
        """The stock video processor (loaded on first use)."""
        return self._processor.get()


    def fingerprint(self) -> dict[str, Any]:
        """Checkpoint, dtype and the options that change masks."""
        return {
            "backend": self.name,
            **self._describe,
            "model_class": "Sam2VideoModel",
            "dtype": str(self.dtype).replace("torch.", ""),
            "mask": "logits > 0",
            "max_side": self.max_side,
        }

    def track(
        self, scenario_id: str, frames: np.ndarray, first_masks: np.ndarray | None
    ) -> Iterator[tuple[int, np.ndarray]]:
        """Yield `(t, masks (N, H, W) bool)` for every frame, all objects tracked jointly from frame 0.

        Raises:
            TrackingError: bad inputs, or the model failed (out of GPU memory even with state offloaded).
        """
        if first_masks is None:
            raise TrackingError(f"scenario {scenario_id!r}: the sam2 tracker needs first-frame masks")
        frames = np.asarray(frames)
        masks = np.asarray(first_masks, dtype=bool)
        if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
            raise TrackingError(f"scenario {scenario_id!r}: frames must be (T, H, W, 3) uint8, got "
                                f"{frames.shape} {frames.dtype}")
        t_count, h, w = frames.shape[:3]
        if masks.ndim != 3 or masks.shape[1:] != (h, w):
            raise TrackingError(f"scenario {scenario_id!r}: first masks must be (N, {h}, {w}), got "
                                f"{masks.shape}")
        if len(masks) == 0 or t_count == 0:
            for t in range(t_count):
                yield t, np.zeros((len(masks), h, w), dtype=bool)
            return
        empty = [k for k in range(len(masks)) if not masks[k].any()]
        if empty:
            raise TrackingError(f"scenario {scenario_id!r}: first-frame mask of object(s) {empty} is empty")
        torch = self._torch
        done = 0
        offload = self.offload_state or not _offload_frees(self.device)
        while True:
            try:
                for t, out in self._propagate(frames, masks, start=done, offload=offload):
                    done = t + 1
                    yield t, out
                return
            except torch.cuda.OutOfMemoryError as e:
                torch.cuda.empty_cache()
                if offload:
                    raise TrackingError(f"scenario {scenario_id!r}: SAM2 ran out of GPU memory at frame "
                                        f"{done} even with its state on the CPU: {str(e)[:200]}") from None
                log.warning("scenario %s: SAM2 out of GPU memory at frame %d; retrying with its state on the "
                            "CPU", scenario_id, done)
                offload = True
            except (RuntimeError, ValueError) as e:
                raise TrackingError(f"scenario {scenario_id!r}: SAM2 failed at frame {done}: "
                                    f"{type(e).__name__}: {str(e)[:300]}") from None

    def _propagate(
        self, frames: np.ndarray, masks: np.ndarray, *, start: int, offload: bool
    ) -> Iterator[tuple[int, np.ndarray]]:
        """One joint forward pass; frames before `start` are tracked again but not yielded (a retry)."""
        torch = self._torch
        h, w = frames.shape[1:3]
        scale = 1.0 if self.max_side is None else min(1.0, self.max_side / max(h, w))
        size = (max(1, round(h * scale)), max(1, round(w * scale)))
        seeds = masks if scale == 1.0 else _resize_masks(masks, size)
        with torch.inference_mode():
            session = self.processor.init_video_session(
                inference_device=self.device,
                inference_state_device="cpu" if offload else self.device,
                video_storage_device="cpu" if offload else self.device,
                dtype=self.dtype,
            )
            ids = tuple(range(1, len(masks) + 1))  # the processor consumes the list it is given
            self.processor.add_inputs_to_inference_session(
                inference_session=session, frame_idx=0, obj_ids=list(ids), input_masks=list(seeds),
                original_size=size,
            )
            for t, pixels in self._pixels(frames, size):
                out = self.model(inference_session=session, frame_idx=t, frame=pixels)
                _prune(session, t, self._keep)
                if t < start:
                    continue
                logits = self.processor.post_process_masks([out.pred_masks], original_sizes=[list(size)],
                                                           binarize=False)[0]
                order = [out.object_ids.index(i) for i in ids]
                got = (logits[order, 0] > 0).cpu().numpy()
                if scale != 1.0:
                    got = _resize_masks(got, (h, w))
                yield t, got

    def _pixels(self, frames: np.ndarray, size: tuple[int, int]) -> Iterator[tuple[int, Any]]:
        """Frames preprocessed for SAM2 a few at a time (batched, yet memory stays bounded)."""
        for a in range(0, len(frames), _CHUNK):
            chunk = frames[a : a + _CHUNK]
            if chunk.shape[1:3] != size:
                chunk = np.stack([_resize_frame(f, size) for f in chunk])
            batch = self.processor.video_processor(videos=[chunk], device=self.device, return_tensors="pt")
            for k, pixels in enumerate(batch.pixel_values_videos[0]):
                yield a + k, pixels


def _offload_frees(device: Any) -> bool:
    """Whether moving SAM2's state to the CPU frees memory on `device` (a GPU: yes; the CPU itself: no)."""
    return device.type != "cpu"


def _prune(session: Any, t: int, keep: int) -> None:
    """Drop what a forward-only pass never reads again: frame t's pixels and outputs older than `keep`."""
    frames = getattr(session, "processed_frames", None)
    if isinstance(frames, dict):
        frames.pop(t, None)
    old = t - keep
    if old < 1:
        return
    for per_obj in getattr(session, "output_dict_per_obj", {}).values():
        per_obj.get("non_cond_frame_outputs", {}).pop(old, None)


def _resize_frame(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.fromarray(frame).resize((size[1], size[0]), Image.BILINEAR))


def _resize_masks(masks: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    from PIL import Image

    out = np.zeros((len(masks), *size), dtype=bool)
    for k, m in enumerate(masks):
        img = Image.fromarray(m.astype(np.uint8) * 255).resize((size[1], size[0]), Image.BILINEAR)
        out[k] = np.asarray(img) > 127
    return out
