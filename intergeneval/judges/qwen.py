"""Judge `qwen`: Qwen2.5-VL (or Qwen3-VL / Qwen2-VL) through transformers, on the overlaid frames in memory.

The stock `AutoProcessor` and `qwen-vl-utils` prepare the frames (numpy → PIL, never files). Decoding is
greedy with seed 42 and a bounded number of new tokens. A video's visual input is encoded ONCE for all of
its calls (the QA call of every key interaction and the changes call): the vision features are kept per
video, and the key/value cache of the prompt up to the last image is reused whenever the next call shares it
(always with `layout="frames-first"`). `constrained=True` restricts decoding to valid replies
(`reply_grammar`): on by default for the tiny profile, whose random weights otherwise write garbage.

Several videos may be judged at once (`--concurrency N`): their calls meet here, and the first attempts
waiting at the same moment, of one video or of several, are generated together in one left-padded batch
(up to `batch_calls` rows). The model itself runs one batch or call at a time; while it does, the calls of
the other videos queue up for the next batch, so a busy GPU gets fuller batches and an idle one never waits.

Example (options as given to `--judge-option`):
    QwenJudge(model="Qwen/Qwen2.5-VL-7B-Instruct", dtype="bfloat16", max_pixels=448 * 448)
"""

from __future__ import annotations

import copy
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import checkpoints, config
from ..errors import ConfigError, JudgeError
from ..hashing import sha256_json
from .base import (
    CHANGES_INSTRUCTION,
    QA_INSTRUCTION,
    ChatJudge,
    JudgeRequest,
    JudgeVideo,
    changes_user_text,
    qa_user_text,
)
from .reply_grammar import Grammar, ReplyConstraint, TokenTrie, grammar_for

log = logging.getLogger(__name__)

DEFAULT_MODEL = "Qwen/Qwen2.5-VL-7B-Instruct"
#: Hub commit of DEFAULT_MODEL this version was written against.
DEFAULT_REVISION = "cc594898137f460bfe9f0759e9844b3ce807cfb5"
#: `frames-first` layout: the frames open the user turn, so every call about a video shares one prefix
#: (system line + frames); the instruction and the call's text follow the frames.
FRAMES_FIRST_SYSTEM = "You are a careful judge of generated videos. You answer in JSON only."
_PER_TOKEN = ("input_ids", "attention_mask", "mm_token_type_ids")
_PER_VISUAL = ("image_grid_thw", "video_grid_thw", "second_per_grid_ts")
_MODEL_CLASSES = {
    "qwen2_5_vl": "Qwen2_5_VLForConditionalGeneration",
    "qwen3_vl": "Qwen3VLForConditionalGeneration",
    "qwen2_vl": "Qwen2VLForConditionalGeneration",
}


@dataclass
class _VideoState:
    """What is kept about the video being judged: PIL frames, vision features, a prompt-prefix cache."""

    images: list[Any]
    features: dict[str, Any] | None = None
    prefix_ids: Any = None  # (1, L) token ids the cache holds
    prefix_cache: Any = None


#: Videos whose frames, vision features and prompt-prefix cache are kept (the videos in flight).
_KEPT_VIDEOS = 8


class QwenJudge(ChatJudge):
    """A local Qwen-VL judge; calls from several threads (videos in flight) are batched together.

    Args:
        model: hub id, local folder, or `tiny:qwen2.5-vl`.
        revision: hub commit; defaults to the pinned one for the default model.
        device: torch device (default: CUDA if present, else CPU).
        dtype: weights dtype (default: bfloat16 on GPU, float32 on CPU).
        max_new_tokens: bound on generated tokens per call (raised to the longest valid reply when
            `constrained`, so a constrained reply is never cut).
        frames_as: "images" (each frame labelled `Frame <index>:`, the protocol's layout) or "video"
            (one video input; its frame indices are listed in the text).
        layout: "protocol" (user text, then the frames) or "frames-first" (frames, then instruction and text;
            lets every call about a video reuse one prompt-prefix cache).
        max_pixels: per-frame pixel budget given to qwen-vl-utils (None: its default).
        min_pixels: per-frame lower bound (None: its default).
        constrained: decode only valid replies (`reply_grammar`).
        attn_implementation: passed to `from_pretrained` (e.g. "sdpa", "flash_attention_2").
        threads: torch CPU threads for the whole process (None: torch's default).
        batch_calls: most first attempts generated together in one batch: a video's own calls (the QA call
            of each key interaction and the changes call) and those of other videos waiting at the same time
            (1 = one call at a time). Decoding several replies at once costs little more than one on a GPU.
            Retries are always single calls. Qwen2-VL/Qwen2.5-VL only. A batch that runs out of GPU memory
            is retried at once as single calls, and the rest of those videos' calls run one at a time; a
            single call that runs out of memory is a failed attempt.
        attempts: validation attempts per call (ChatJudge).
    """

    name = "qwen"
    thread_safe = True  # callers queue for batches; the model runs one batch or call at a time

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        revision: str | None = None,
        *,
        device: str | None = None,
        dtype: str | None = None,
        max_new_tokens: int = 1024,
        frames_as: str = "images",
        layout: str = "protocol",
        max_pixels: int | None = None,
        min_pixels: int | None = None,
        constrained: bool = False,
        attn_implementation: str | None = None,
        threads: int | None = None,
        batch_calls: int = 4,
        attempts: int = config.JUDGE_ATTEMPTS,
    ):
        super().__init__(attempts=attempts)
        if frames_as not in ("images", "video"):
            raise ConfigError(f"qwen judge: frames_as must be 'images' or 'video', got {frames_as!r}")
        if layout not in ("protocol", "frames-first"):
            raise ConfigError(f"qwen judge: layout must be 'protocol' or 'frames-first', got {layout!r}")
        if max_new_tokens < 1:
            raise ConfigError(f"qwen judge: max_new_tokens must be positive, got {max_new_tokens}")
        if batch_calls < 1:
            raise ConfigError(f"qwen judge: batch_calls must be at least 1, got {batch_calls}")
        checkpoints.require("transformers", "the qwen judge")
        import torch
        import transformers

        self.model_id = str(model)
        default_revision = DEFAULT_REVISION if model == DEFAULT_MODEL else None
        self.revision = revision if revision is not None else default_revision
        self.max_new_tokens = max_new_tokens
        self.frames_as, self.layout = frames_as, layout
        self.max_pixels, self.min_pixels = max_pixels, min_pixels
        self.constrained = constrained
        self.device = checkpoints.torch_device(device)
        self.dtype = checkpoints.torch_dtype(dtype, self.device)
        checkpoints.set_threads(threads)

        what = "the qwen judge model"
        cfg = checkpoints.load(transformers.AutoConfig, self.model_id, self.revision, what=what)
        cls_name = _MODEL_CLASSES.get(cfg.model_type)
        if cls_name is None:
            raise ConfigError(f"qwen judge: {self.model_id!r} is a {cfg.model_type!r} model; supported: "
                              f"{', '.join(sorted(_MODEL_CLASSES))}")
        kwargs: dict[str, Any] = {"dtype": self.dtype}
        if attn_implementation:
            kwargs["attn_implementation"] = attn_implementation
        self._model_class = cls_name
        # the weights load on first use: a run whose videos are all cached never needs them
        self._weights = checkpoints.Lazy(lambda: self._load(getattr(transformers, cls_name), kwargs))
        self._processor = checkpoints.Lazy(self._load_processor)
        # repeating the vision features per row is only done for models whose features are per-image tensors
        self.batch_calls = batch_calls if cfg.model_type in ("qwen2_5_vl", "qwen2_vl") else 1
        self._vision_end = cfg.vision_end_token_id
        self._describe = checkpoints.describe(self.model_id, self.revision)
        # The processor's behaviour is its checkpoint's files (described above) run by these libraries.
        self._processor_id = checkpoints.versions("transformers", "qwen-vl-utils")
        self._trie: TokenTrie | None = None
        self._grammars: dict[tuple, Grammar | None] = {}
        self._gpu = threading.RLock()  # the model and the per-video states: one caller at a time
        self._states: OrderedDict[str, _VideoState] = OrderedDict()  # by video key, oldest first
        # first attempts waiting for a batch, replies made in one ahead of their call, whether one is running
        self._queue = threading.Condition()
        self._pending: list[tuple[JudgeVideo, JudgeRequest]] = []
        self._replies: dict[str, tuple[str, str | BaseException]] = {}  # call key -> (video key, reply)
        self._batching = False
        self._unbatched: set[str] = set()  # videos whose batched calls ran out of GPU memory
        self._torch = torch

    def _load(self, model_class: Any, kwargs: dict[str, Any]) -> tuple[Any, list[int]]:
        model = checkpoints.load(model_class, self.model_id, self.revision, what="the qwen judge model",
                                 **kwargs)
        model.to(self.device).eval()
        log.info("qwen judge %s loaded on %s (%s)", self.model_id, self.device, self.dtype)
        return model, self._eos_ids(model)

    def _load_processor(self) -> Any:
        checkpoints.require("qwen_vl_utils", "the qwen judge")
        import transformers

        processor = checkpoints.load(transformers.AutoProcessor, self.model_id, self.revision,
                                     what="the qwen judge processor")
        processor.tokenizer.padding_side = "left"  # batched calls: every row's reply starts at one position
        return processor

    @property
    def model(self) -> Any:
        """The model (its weights are loaded on first use)."""
        return self._weights.get()[0]

    @property
    def processor(self) -> Any:
        """The stock processor (loaded on first use)."""
        return self._processor.get()

    @property
    def tokenizer(self) -> Any:
        """The processor's tokenizer."""
        return self.processor.tokenizer

    @property
    def _patch_size(self) -> int:
        return int(getattr(self.processor.image_processor, "patch_size", 14))

    @property
    def _eos(self) -> list[int]:
        return self._weights.get()[1]

    # -- identity -------------------------------------------------------------------------------------
    def fingerprint(self) -> dict[str, Any]:
        """Model, revision (or weights digest), processor, dtype, prompt layout and decoding parameters."""
        system = FRAMES_FIRST_SYSTEM if self.layout == "frames-first" else None
        layout_hash = sha256_json({"layout": self.layout, "frames_as": self.frames_as, "system": system})[:16]
        return {
            **super().fingerprint(),
            **self._describe,
            "model_class": self._model_class,
            "processor": self._processor_id,
            "dtype": str(self.dtype).replace("torch.", ""),
            "frames_as": self.frames_as,
            "layout": self.layout,
            "layout_hash": layout_hash,
            "max_pixels": self.max_pixels,
            "min_pixels": self.min_pixels,
            "decoding": {"greedy": True, "temperature": 0, "seed": config.JUDGE_SEED,
                         "max_new_tokens": self.max_new_tokens, "constrained": self.constrained},
            "batch_calls": self.batch_calls,
        }


    # -- one call -------------------------------------------------------------------------------------
    def complete(self, video: JudgeVideo, request: JudgeRequest) -> str:
        """Generate the reply to one call; the video's vision features and prompt prefix are reused."""
        torch = self._torch
        batched = (self.batch_calls > 1 and request.attempt == 1 and request.kind in ("qa", "changes")
                   and video.key not in self._unbatched)
        try:
            with torch.inference_mode():
                if batched:
                    try:
                        return self._complete_batched(video, request)
                    except _BatchFailed as failed:
                        if not isinstance(failed.error, torch.cuda.OutOfMemoryError):
                            raise _judge_error(video, failed.error) from None
                        self._unbatched.add(video.key)
                        self._forget(video.key)
                    # out of the handler, the failed batch's tensors are unreferenced: freeing returns them
                    self._free()
                    log.warning("qwen judge: out of GPU memory on a batch of calls about scenario %s; this "
                                "video's calls now run one at a time", video.scenario.id)
                with self._gpu:
                    return self._complete(video, request)
        except torch.cuda.OutOfMemoryError as e:
            self._free()
            raise JudgeError(f"qwen judge ran out of GPU memory on scenario {video.scenario.id!r}: "
                             f"{str(e)[:200]} (lower max_pixels or use a smaller model)") from None
        except (RuntimeError, ValueError, IndexError) as e:
            raise _judge_error(video, e) from None

    def _free(self) -> None:
        """After running out of GPU memory: drop the videos' features and prefix caches."""
        with self._gpu:
            self._states.clear()
            self._torch.cuda.empty_cache()

    def _complete(self, video: JudgeVideo, request: JudgeRequest) -> str:
        torch = self._torch
        state = self._state(video)
        inputs = self._inputs(video, request, state)
        ids = inputs["input_ids"]
        cut, cache = 0, None
        if state.images:  # a text-only call (question writing) has nothing to reuse
            cut = self._prefix_length(ids)
            cache = self._prefix_cache(state, inputs, cut)
        kwargs = {k: v for k, v in inputs.items() if not k.startswith("pixel_values")}
        processors = []
        max_new = self.max_new_tokens
        grammar = self._grammar(video, request) if self.constrained else None
        if grammar is not None:  # kinds without a grammar (free text) are decoded unconstrained
            processors.append(ReplyConstraint([grammar], self._token_trie(), ids.shape[1]))
            max_new = max(max_new, grammar.longest() + 1)
        from transformers import LogitsProcessorList

        # rope_deltas is state on the model that any other forward overwrites; None makes generate
        # recompute it from the full ids, the grids and mm_token_type_ids (exact with a reused prefix).
        self.model.model.rope_deltas = None
        torch.manual_seed(config.JUDGE_SEED)
        try:
            out = self.model.generate(
                **kwargs,
                past_key_values=cache,
                max_new_tokens=max_new,
                do_sample=False,
                logits_processor=LogitsProcessorList(processors),
                eos_token_id=self._eos,
                pad_token_id=self.tokenizer.pad_token_id,
            )
        finally:
            if cache is not None and cache.get_seq_length() > cut:
                # back to the shared prefix (transformers 5.23 takes the negative count to drop)
                cache.crop(cut - cache.get_seq_length())
        return self.tokenizer.decode(out[0, ids.shape[1] :], skip_special_tokens=True)

    def _complete_batched(self, video: JudgeVideo, request: JudgeRequest) -> str:
        """This call's reply from a batch: its own, or one that another caller's batch made ahead.

        The call and the video's later first attempts join the queue; whoever finds no batch running takes
        the oldest `batch_calls` queued calls (its own or not) and generates them together, then everyone
        looks for their reply again.
        """
        key = _call_key(video, request)
        with self._queue:
            queued = {_call_key(v, r) for v, r in self._pending} | set(self._replies)
            self._pending += [(video, r) for r in self._siblings(video, request)
                              if _call_key(video, r) not in queued]
        while True:
            with self._queue:
                while key not in self._replies and self._batching:
                    self._queue.wait()
                if key in self._replies:
                    reply = self._replies.pop(key)[1]
                    if isinstance(reply, BaseException):
                        raise _BatchFailed(reply)
                    return reply
                self._batching = True
                rows, self._pending = self._pending[: self.batch_calls], self._pending[self.batch_calls :]
            results = self._run_batch(rows)
            with self._queue:
                self._replies.update(results)
                self._batching = False
                self._queue.notify_all()

    def _forget(self, video_key: str) -> None:
        """Drop a video's queued calls and the replies made for them (its calls now run one at a time)."""
        with self._queue:
            self._pending = [(v, r) for v, r in self._pending if v.key != video_key]
            self._replies = {k: got for k, got in self._replies.items() if got[0] != video_key}

    def _run_batch(self, rows: list[tuple[JudgeVideo, JudgeRequest]]) -> dict[str, tuple[str, Any]]:
        """The replies of `rows`; an exception becomes every row's reply (re-raised by its caller)."""
        try:
            with self._gpu:
                if len(rows) == 1:
                    replies: list[Any] = [self._complete(*rows[0])]
                else:
                    replies = self._generate_batch(rows)
        except Exception as e:  # out of GPU memory, or the model failed: every waiting caller is told
            replies = [e] * len(rows)
        return {_call_key(v, r): (v.key, reply) for (v, r), reply in zip(rows, replies, strict=True)}

    def _siblings(self, video: JudgeVideo, request: JudgeRequest) -> list[JudgeRequest]:
        """This call, then the first attempts still to come for the video: later key interactions, changes.

        They are built as `ChatJudge` builds them; a prefetched reply is only used for a call whose
        instruction and text match exactly, so a difference costs time, never a wrong answer.
        """
        if request.kind != "qa" or request.interaction is None:
            return [request]
        sc = video.scenario
        later = [
            JudgeRequest("qa", QA_INSTRUCTION, qa_user_text(sc.video_prompt, [q.text for q in ki.questions],
                                                            video.frame_indices), i, 1)
            for i, ki in enumerate(sc.key_interactions) if i > request.interaction
        ]
        changes_text = changes_user_text(sc, video.colors, video.frame_indices)
        changes = JudgeRequest("changes", CHANGES_INSTRUCTION, changes_text, None, 1)
        return [request, *later, changes][: self.batch_calls]

    def _generate_batch(self, rows: list[tuple[JudgeVideo, JudgeRequest]]) -> list[str]:
        """One left-padded batched `generate` for several calls, of one video or several; each video's frames
        are encoded once (its features are reused for every row about it)."""
        torch = self._torch
        states = {}
        for video, request in rows:
            if video.key not in states:
                state = states[video.key] = self._state(video)
                if state.features is None:
                    state.features = self._encode(self._inputs(video, request, state))
        texts = [self.processor.apply_chat_template(self._messages(v, r, states[v.key]), tokenize=False,
                                                    add_generation_prompt=True) for v, r in rows]
        if self.frames_as == "images":
            images = [image for v, _ in rows for image in states[v.key].images]
            batch = self.processor(text=texts, images=images, padding=True, return_tensors="pt")
        else:
            batch = self.processor(text=texts, videos=[states[v.key].images for v, _ in rows],
                                   do_sample_frames=False, padding=True, return_tensors="pt")
        inputs = {k: (v.to(self.device) if hasattr(v, "to") else v) for k, v in batch.items()
                  if not k.startswith("pixel_values")}
        features = {}
        for modality, out in states[rows[0][0].key].features.items():
            merged = copy.copy(out)
            # row by row, each row's own frames, in the order the processor placed their tokens
            merged.pooler_output = tuple(f for v, _ in rows
                                         for f in states[v.key].features[modality].pooler_output)
            features[modality] = merged
        processors, max_new = [], self.max_new_tokens
        if self.constrained:
            grammars = [self._grammar(v, r) for v, r in rows]
            processors.append(ReplyConstraint(grammars, self._token_trie(), inputs["input_ids"].shape[1]))
            max_new = max([max_new, *(g.longest() + 1 for g in grammars if g is not None)])
        from transformers import LogitsProcessorList

        self.model.model.rope_deltas = None
        torch.manual_seed(config.JUDGE_SEED)
        out = self.model.generate(
            **inputs, mm_encoder_outputs=features, max_new_tokens=max_new, do_sample=False,
            logits_processor=LogitsProcessorList(processors), eos_token_id=self._eos,
            pad_token_id=self.tokenizer.pad_token_id,
        )
        start = inputs["input_ids"].shape[1]
        return [self.tokenizer.decode(row[start:], skip_special_tokens=True) for row in out]

    # -- per-video state ------------------------------------------------------------------------------
    def _state(self, video: JudgeVideo) -> _VideoState:
        """The video's kept state (made now if new); the oldest videos' are dropped past `_KEPT_VIDEOS`."""
        state = self._states.get(video.key)
        if state is not None:
            self._states.move_to_end(video.key)
            return state
        from PIL import Image
        from qwen_vl_utils import fetch_image

        while len(self._states) >= _KEPT_VIDEOS:
            self._states.popitem(last=False)
        sizing = {k: v for k, v in (("max_pixels", self.max_pixels), ("min_pixels", self.min_pixels)) if v}
        images = [
            fetch_image({"image": Image.fromarray(np.asarray(f, dtype=np.uint8)), **sizing},
                        image_patch_size=self._patch_size)
            for f in video.frames
        ]
        state = self._states[video.key] = _VideoState(images)
        return state

    def _messages(self, video: JudgeVideo, request: JudgeRequest, state: _VideoState) -> list[dict[str, Any]]:
        visual: list[dict[str, Any]] = []
        if state.images and self.frames_as == "images":
            for index, image in zip(video.frame_indices, state.images, strict=True):
                visual += [{"type": "text", "text": f"\nFrame {index}: "}, {"type": "image", "image": image}]
        elif state.images:
            listed = f"\nThe video shows frames {list(video.frame_indices)} in order: "
            visual = [{"type": "text", "text": listed}, {"type": "video", "video": state.images}]
        if self.layout == "protocol":
            return [{"role": "system", "content": request.system},
                    {"role": "user", "content": [{"type": "text", "text": request.user}, *visual]}]
        return [{"role": "system", "content": FRAMES_FIRST_SYSTEM},
                {"role": "user",
                 "content": [*visual, {"type": "text", "text": f"\n{request.system}\n\n{request.user}"}]}]

    def _inputs(self, video: JudgeVideo, request: JudgeRequest, state: _VideoState) -> dict[str, Any]:
        messages = self._messages(video, request, state)
        text = self.processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        if self.frames_as == "images":
            batch = self.processor(text=[text], images=state.images or None, return_tensors="pt")
        elif not state.images:
            batch = self.processor(text=[text], return_tensors="pt")
        else:
            # the frames are already sized by qwen-vl-utils; the processor pads an odd count to even
            batch = self.processor(text=[text], videos=[state.images], do_sample_frames=False,
                                   return_tensors="pt")
        return {k: (v.to(self.device) if hasattr(v, "to") else v) for k, v in batch.items()}

    def _prefix_length(self, ids: Any) -> int:
        """Tokens up to and including the last `<|vision_end|>`: the part that holds the frames."""
        where = (ids[0] == self._vision_end).nonzero()
        if len(where) == 0:
            raise JudgeError("the prompt holds no frames (no vision end token)")
        return int(where[-1]) + 1

    def _prefix_cache(self, state: _VideoState, inputs: dict[str, Any], cut: int) -> Any:
        """The key/value cache of `inputs[:cut]`: reused when the video's last prefix matches, else made."""
        ids = inputs["input_ids"]
        same = state.prefix_ids is not None and state.prefix_ids.shape[1] == cut
        if same and bool((state.prefix_ids == ids[:, :cut]).all()):
            return state.prefix_cache
        if state.features is None:
            state.features = self._encode(inputs)
        head = {k: inputs[k][:, :cut] for k in _PER_TOKEN if k in inputs}
        grids = {k: inputs[k] for k in _PER_VISUAL if k in inputs}
        self.model.model.rope_deltas = None
        out = self.model(**head, **grids, mm_encoder_outputs=dict(state.features), use_cache=True)
        state.prefix_ids, state.prefix_cache = ids[:, :cut].clone(), out.past_key_values
        return state.prefix_cache

    def _encode(self, inputs: dict[str, Any]) -> dict[str, Any]:
        """Run the vision encoder once for the video's frames."""
        inner = self.model.model
        if "pixel_values" in inputs:
            return {"image": inner.get_image_features(inputs["pixel_values"], inputs["image_grid_thw"],
                                                      return_dict=True)}
        return {"video": inner.get_video_features(inputs["pixel_values_videos"], inputs["video_grid_thw"],
                                                  return_dict=True)}

    # -- constrained decoding -------------------------------------------------------------------------
    def _grammar(self, video: JudgeVideo, request: JudgeRequest) -> Grammar | None:
        slots: tuple[int, ...] = ()
        if request.kind == "qa" and request.interaction is not None:
            slots = tuple(q.slot for q in video.scenario.key_interactions[request.interaction].questions)
        key = (request.kind, video.frame_indices, slots, len(video.scenario.objects))
        if key not in self._grammars:
            expr = grammar_for(request.kind, frames=video.frame_indices, slots=slots,
                               n_objects=len(video.scenario.objects))
            self._grammars[key] = Grammar(expr) if expr is not None else None
        return self._grammars[key]

    def _token_trie(self) -> TokenTrie:
        if self._trie is None:
            self._trie = TokenTrie(self.tokenizer, self._eos)
        return self._trie

    def _eos_ids(self, model: Any) -> list[int]:
        eos = model.generation_config.eos_token_id
        ids = list(eos) if isinstance(eos, list | tuple) else ([eos] if eos is not None else [])
        im_end = self.tokenizer.convert_tokens_to_ids("<|im_end|>")
        if isinstance(im_end, int) and im_end >= 0 and im_end not in ids:
            ids.append(im_end)
        return ids


class _BatchFailed(Exception):
    """The batch a call was in raised `error` (every caller in it is told, in its own thread)."""

    def __init__(self, error: BaseException):
        super().__init__(str(error))
        self.error = error


def _judge_error(video: JudgeVideo, e: BaseException) -> JudgeError:
    return JudgeError(f"qwen judge failed on scenario {video.scenario.id!r}: {type(e).__name__}: "
                      f"{str(e)[:300]}")


def _call_key(video: JudgeVideo, request: JudgeRequest) -> str:
    """Identifies one call exactly: the video, the kind, the key interaction and the full prompt text."""
    return sha256_json([video.key, request.kind, request.interaction, request.system, request.user])
