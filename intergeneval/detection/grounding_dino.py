"""Detector `grounding-dino`: GroundingDINO boxes, judge verification one-to-one, SAM2 box masks.

1. Detect (transformers GroundingDINO, default `IDEA-Research/grounding-dino-base`): the prompt is the
   scenario's classes, each once, in object order, as `"class."` joined by spaces (deterministic, unlike the
   reference's set). A query is kept when its best token probability exceeds the box threshold (0.35); it
   is a candidate for every class whose own tokens exceed the text threshold (0.25) — scored per class from
   the token probabilities, not by exact string match of a decoded phrase, which misses merged phrases.
   Near-duplicate boxes are dropped (NMS), and each class keeps its best few candidates.
2. Verify (`verification`): the judge scores every (object, candidate crop) pair; a one-to-one assignment
   picks each object's box, so two objects never share one.
3. Segment (transformers `Sam2Model`, default `facebook/sam2.1-hiera-large`): all boxes in one call, one
   image-encoder pass; mask = logits > 0, single-mask output, as the reference.

Example (options as given to `--detector-option`):
    GroundingDinoDetector(box_threshold=0.35, text_threshold=0.25, max_candidates=5)
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from .. import checkpoints
from ..errors import ConfigError, DetectionError
from ..hashing import sha256_text
from ..judges.base import ChatJudge
from ..records import Scenario
from .base import Candidate
from .verification import MIN_SCORE, VERIFY_INSTRUCTION, assign_one_to_one, judge_scores

log = logging.getLogger(__name__)

DEFAULT_MODEL = "IDEA-Research/grounding-dino-base"
#: Hub commit of DEFAULT_MODEL this version was written against.
DEFAULT_REVISION = "12bdfa3120f3e7ec7b434d90674b3396eccf88eb"
DEFAULT_SEGMENTER = "facebook/sam2.1-hiera-large"
DEFAULT_SEGMENTER_REVISION = "665f8e2ad61cf5f53d65644ff27c8ee525124610"


def detection_prompt(scenario: Scenario) -> tuple[str, list[str]]:
    """The GroundingDINO prompt and its classes: each class once, lower-case, in object order.

    >>> from intergeneval.records import ObjectSpec, Scenario
    >>> objs = (ObjectSpec("Man", "a"), ObjectSpec("dog", "b"), ObjectSpec("man", "c"))
    >>> detection_prompt(Scenario("s", "p", objs, "contact", "unidirectional", "human-animal", ()))
    ('man. dog.', ['man', 'dog'])
    """
    classes: list[str] = []
    for o in scenario.objects:
        c = " ".join(o.cls.lower().split())
        if c not in classes:
            classes.append(c)
    return " ".join(f"{c}." for c in classes), classes


class GroundingDinoDetector:
    """First-frame masks for text-to-video scenarios: detect, verify with the judge, segment.

    Args:
        model: GroundingDINO hub id, folder or `tiny:grounding-dino`.
        revision: its hub commit (default: pinned for the default model).
        segmenter: SAM2 checkpoint for the box-prompted masks (hub id, folder or `tiny:sam2.1`).
        segmenter_revision: its hub commit (default: pinned for the default segmenter).
        box_threshold: lowest box score kept (the reference's 0.35).
        text_threshold: lowest class-token probability for a box to count as that class (0.25).
        max_candidates: best candidates kept per class (crops the judge sees).
        nms_iou: boxes overlapping a better one by more than this are duplicates.
        pad: crops are the box grown by this fraction of its size on each side (the reference's 0.08).
        min_score: lowest judge score that counts as a match.
        device, dtype, threads: as for the other model backends.
    """

    name = "grounding-dino"

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        revision: str | None = None,
        *,
        segmenter: str = DEFAULT_SEGMENTER,
        segmenter_revision: str | None = None,
        box_threshold: float = 0.35,
        text_threshold: float = 0.25,
        max_candidates: int = 5,
        nms_iou: float = 0.7,
        pad: float = 0.08,
        min_score: float = MIN_SCORE,
        device: str | None = None,
        dtype: str | None = None,
        threads: int | None = None,
    ):
        checkpoints.require("transformers", "the grounding-dino detector")
        import torch
        import transformers

        for name, value in (("box_threshold", box_threshold), ("text_threshold", text_threshold),
                            ("nms_iou", nms_iou), ("min_score", min_score)):
            if not 0 <= value <= 1:
                raise ConfigError(f"grounding-dino detector: {name} must be in [0, 1], got {value}")
        if max_candidates < 1 or pad < 0:
            raise ConfigError("grounding-dino detector: max_candidates ≥ 1 and pad ≥ 0 are required")
        self.model_id, self.segmenter_id = str(model), str(segmenter)
        if revision is None and model == DEFAULT_MODEL:
            revision = DEFAULT_REVISION
        if segmenter_revision is None and segmenter == DEFAULT_SEGMENTER:
            segmenter_revision = DEFAULT_SEGMENTER_REVISION
        self.revision, self.segmenter_revision = revision, segmenter_revision
        self.box_threshold, self.text_threshold = float(box_threshold), float(text_threshold)
        self.max_candidates, self.nms_iou = int(max_candidates), float(nms_iou)
        self.pad, self.min_score = float(pad), float(min_score)
        self.device = checkpoints.torch_device(device)
        self.dtype = checkpoints.torch_dtype(dtype, self.device)
        checkpoints.set_threads(threads)
        # GroundingDINO's deformable attention is run in float32: its reduced-precision kernels are fragile.
        dino, sam = (self.model_id, self.revision), (self.segmenter_id, self.segmenter_revision)
        # the configs are read now: a checkpoint that is not there fails before any video
        checkpoints.load(transformers.AutoConfig, *dino, what="the GroundingDINO detector model")
        checkpoints.load(transformers.AutoConfig, *sam, what="the SAM2 segmenter model")
        # the weights load on first use: a run that detects nothing (all cached, or masks given) never does
        self._dino = checkpoints.Lazy(lambda: checkpoints.load(
            transformers.GroundingDinoForObjectDetection, *dino,
            what="the GroundingDINO detector model").to(self.device).eval())
        self._sam = checkpoints.Lazy(lambda: checkpoints.load(
            transformers.Sam2Model, *sam, what="the SAM2 segmenter model",
            dtype=self.dtype).to(self.device).eval())
        self._processor = checkpoints.Lazy(lambda: checkpoints.load(
            transformers.AutoProcessor, *dino, what="the GroundingDINO processor"))
        self._seg_processor = checkpoints.Lazy(lambda: checkpoints.load(
            transformers.Sam2Processor, *sam, what="the SAM2 segmenter processor"))
        self._describe = {
            "detector": checkpoints.describe(self.model_id, self.revision),
            "segmenter": checkpoints.describe(self.segmenter_id, self.segmenter_revision),
        }
        self._torch = torch

    @property
    def model(self) -> Any:
        """The GroundingDINO model (loaded on first use)."""
        return self._dino.get()

    @property
    def segmenter(self) -> Any:
        """The SAM2 model that segments the chosen boxes (loaded on first use)."""
        return self._sam.get()

    @property
    def processor(self) -> Any:
        """GroundingDINO's processor (loaded on first use)."""
        return self._processor.get()

    @property
    def seg_processor(self) -> Any:
        """The segmenter's processor (loaded on first use)."""
        return self._seg_processor.get()

    def fingerprint(self) -> dict[str, Any]:
        """Checkpoints, thresholds, crop padding and the verification prompt."""
        return {
            "backend": self.name,
            **self._describe,
            "box_threshold": self.box_threshold,
            "text_threshold": self.text_threshold,
            "max_candidates": self.max_candidates,
            "nms_iou": self.nms_iou,
            "pad": self.pad,
            "min_score": self.min_score,
            "verify_prompt": sha256_text(VERIFY_INSTRUCTION)[:16],
            "dtype": str(self.dtype).replace("torch.", ""),
        }

    # -- the three steps ------------------------------------------------------------------------------
    def first_masks(self, frame: np.ndarray, scenario: Scenario, *, judge: ChatJudge) -> np.ndarray:
        """One mask per scenario object on `frame`: detect → verify (one-to-one) → segment.

        Raises:
            DetectionError: naming the scenario and the object that was not found, and why.
        """
        frame = np.asarray(frame)
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise DetectionError(f"scenario {scenario.id!r}: frame must be (H, W, 3) uint8, got "
                                 f"{frame.shape} {frame.dtype}")
        try:
            candidates = self.detect(frame, scenario)
        except (RuntimeError, ValueError) as e:
            raise DetectionError(f"scenario {scenario.id!r}: GroundingDINO failed: {type(e).__name__}: "
                                 f"{e}") from None
        for k, o in enumerate(scenario.objects):
            if not any(_norm(o.cls) in c.classes for c in candidates):
                raise DetectionError(
                    f"scenario {scenario.id!r}: object {k + 1} ({o.cls}: {o.appearance!r}) not found: "
                    f"GroundingDINO found no {o.cls!r} box above box threshold {self.box_threshold} / text "
                    f"threshold {self.text_threshold}")
        scores, errors = judge_scores(judge, frame, scenario, candidates, pad=self.pad)
        if scores is None:
            raise DetectionError(f"scenario {scenario.id!r}: the judge gave no valid verification reply "
                                 f"({'; '.join(errors[-2:])})")
        allowed = np.array([[_norm(o.cls) in c.classes for c in candidates] for o in scenario.objects])
        picks = assign_one_to_one(scores, allowed=allowed, min_score=self.min_score)
        for k, (o, pick) in enumerate(zip(scenario.objects, picks, strict=True)):
            if pick is None:
                best = np.nanmax(np.where(allowed[k], scores[k], np.nan)) if allowed[k].any() else np.nan
                raise DetectionError(
                    f"scenario {scenario.id!r}: object {k + 1} ({o.cls}: {o.appearance!r}) not found: no "
                    f"{o.cls!r} box with a judge score ≥ {self.min_score} is left for it once each box "
                    f"serves one object (its best score: {best:.2f})")
        boxes = [candidates[p].box for p in picks if p is not None]
        try:
            masks = self.segment(frame, boxes)
        except (RuntimeError, ValueError) as e:  # includes running out of GPU memory
            raise DetectionError(f"scenario {scenario.id!r}: SAM2 segmentation failed: {type(e).__name__}: "
                                 f"{str(e)[:300]}") from None
        empty = [k + 1 for k in range(len(masks)) if not masks[k].any()]
        if empty:
            raise DetectionError(f"scenario {scenario.id!r}: SAM2 returned an empty mask for object(s) "
                                 f"{empty}")
        log.info("scenario %s: detected %d object(s) among %d candidate box(es)", scenario.id, len(masks),
                 len(candidates))
        return masks

    def detect(self, frame: np.ndarray, scenario: Scenario) -> list[Candidate]:
        """Candidate boxes for the scenario's classes (XYXY pixels), best first within each class."""
        from PIL import Image
        from torchvision.ops import box_convert, nms

        torch = self._torch
        prompt, classes = detection_prompt(scenario)
        h, w = frame.shape[:2]
        with torch.inference_mode():
            inputs = self.processor(images=Image.fromarray(frame), text=prompt, return_tensors="pt")
            inputs = inputs.to(self.device)
            out = self.model(**inputs)
        probs = out.logits[0].sigmoid().float().cpu()  # (queries, text positions)
        boxes = box_convert(out.pred_boxes[0].float().cpu(), "cxcywh", "xyxy") * torch.tensor([w, h, w, h])
        spans = _class_token_positions(self.processor.tokenizer, prompt, classes)
        keep = probs.max(dim=1).values > self.box_threshold
        # (queries, classes): a class's score is its best token's probability
        per_class = torch.stack([probs[:, pos].max(dim=1).values for pos in spans], dim=1)
        box_score = probs.max(dim=1).values
        idx = torch.nonzero(keep).flatten()
        if len(idx) == 0:
            return []
        idx = idx[nms(boxes[idx], box_score[idx], self.nms_iou)]
        chosen: dict[int, list[str]] = {}
        for ci, cls in enumerate(classes):
            members = [int(i) for i in idx if per_class[i, ci] > self.text_threshold]
            members.sort(key=lambda i: (-float(per_class[i, ci]), i))
            for i in members[: self.max_candidates]:
                chosen.setdefault(i, []).append(cls)
        order = sorted(chosen, key=lambda i: (-float(box_score[i]), i))
        return [
            Candidate(box=tuple(float(v) for v in boxes[i].clamp(min=0).tolist()), score=float(box_score[i]),
                      classes=tuple(chosen[i]))
            for i in order
        ]

    def segment(self, frame: np.ndarray, boxes: list[tuple[float, float, float, float]]) -> np.ndarray:
        """Box-prompted SAM2 masks, `(N, H, W)` bool, all boxes in one call (one image-encoder pass)."""
        from PIL import Image

        torch = self._torch
        with torch.inference_mode():
            inputs = self.seg_processor(images=Image.fromarray(frame), input_boxes=[[list(b) for b in boxes]],
                                        return_tensors="pt").to(self.device)
            inputs["pixel_values"] = inputs["pixel_values"].to(self.dtype)
            out = self.segmenter(**inputs, multimask_output=False)
            sizes = inputs["original_sizes"].cpu()
            masks = self.seg_processor.post_process_masks(out.pred_masks.float().cpu(), sizes,
                                                          mask_threshold=0.0, binarize=True)[0]
        return masks[:, 0].numpy().astype(bool)


def _norm(cls: str) -> str:
    return " ".join(cls.lower().split())


def _class_token_positions(tokenizer: Any, prompt: str, classes: list[str]) -> list[list[int]]:
    """For each class, the positions of its tokens in the encoded prompt (from character offsets)."""
    enc = tokenizer(prompt, return_offsets_mapping=True)
    offsets = enc["offset_mapping"]
    out, start = [], 0
    for cls in classes:
        a = prompt.index(cls + ".", start)
        b, start = a + len(cls), a + len(cls) + 1
        pos = [i for i, (s, e) in enumerate(offsets) if e > s and s >= a and e <= b]
        if not pos:
            raise ValueError(f"class {cls!r} has no token in the prompt {prompt!r}")
        out.append(pos)
    return out
