"""Tiny, randomly initialised models of the real classes, built offline with fixed seeds.

The `tiny` profile runs the real pipeline (Qwen2.5-VL judge, SAM2.1 tracker, GroundingDINO detector) on
machines without GPUs or model downloads. Each model is built once from a small config, saved with
`save_pretrained` under `tiny_home()`, and then loaded back through the same `from_pretrained` code as the
real checkpoints. Backends name them `tiny:<name>`. Their weights are random: scores are meaningless.

Example:
    >>> from intergeneval.tiny import TINY_MODELS, is_tiny
    >>> sorted(TINY_MODELS)
    ['grounding-dino', 'qwen2.5-vl', 'qwen3-vl', 'sam2.1']
    >>> is_tiny("tiny:qwen2.5-vl"), is_tiny("Qwen/Qwen2.5-VL-7B-Instruct")
    (True, False)
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import ConfigError

log = logging.getLogger(__name__)

PREFIX = "tiny:"
#: Bumped whenever a builder changes, so stale folders are never reused.
BUILD_VERSION = 2
SEED = 0
#: Written last into a finished folder; a folder without it is an interrupted build.
_DONE = "INTERGENEVAL_TINY.json"
#: Every tiny model's folder says what it is, so any output made with it can say so.
NOTE = "tiny randomly initialised model: scores are meaningless"


def tiny_home() -> Path:
    """Folder of the built tiny models: `$INTERGENEVAL_HOME/tiny`, default `~/.cache/intergeneval/tiny`."""
    base = os.environ.get("INTERGENEVAL_HOME")
    root = Path(base).expanduser() if base else Path.home() / ".cache" / "intergeneval"
    return root / "tiny"


def is_tiny(model: str | os.PathLike) -> bool:
    """True for a `tiny:<name>` model reference."""
    return str(model).startswith(PREFIX)


def tiny_path(name: str) -> Path:
    """Return the folder of tiny model `name`, building it first if needed (a few seconds, once).

    Raises:
        ConfigError: `name` is not a known tiny model.
    """
    if name not in TINY_MODELS:
        raise ConfigError(f"unknown tiny model {name!r}; known: {', '.join(sorted(TINY_MODELS))}")
    folder = tiny_home() / f"{name}-v{BUILD_VERSION}"
    if (folder / _DONE).is_file():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    # Build beside the target and rename: concurrent builders never see (or leave) half a folder.
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=folder.parent))
    try:
        log.info("building tiny model %s in %s", name, folder)
        TINY_MODELS[name](tmp)
        (tmp / _DONE).write_text(json.dumps({"name": name, "version": BUILD_VERSION, "note": NOTE}) + "\n")
        try:
            os.replace(tmp, folder)
        except OSError:  # another process finished first; its folder is as good as ours
            if not (folder / _DONE).is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return folder


def resolve(model: str | os.PathLike) -> str:
    """Turn `tiny:<name>` into its built folder; return other ids and paths unchanged."""
    model = str(model)
    return str(tiny_path(model[len(PREFIX) :])) if is_tiny(model) else model


# ------------------------------------------------------------------------------------------ Qwen2.5-VL
_QWEN_SPECIAL = [
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>", "<|image_pad|>",
    "<|video_pad|>",
]
# A chat template in Qwen's layout; it renders `image`/`image_url` and `video` parts as Qwen does, which
# `transformers serve` relies on (it turns `image_url` parts into `image` parts).
_QWEN_CHAT_TEMPLATE = (
    "{%- for message in messages -%}"
    "{{- '<|im_start|>' + message['role'] + '\\n' -}}"
    "{%- if message['content'] is string -%}{{- message['content'] -}}"
    "{%- else -%}{%- for part in message['content'] -%}"
    "{%- if part['type'] == 'text' -%}{{- part['text'] -}}"
    "{%- elif part['type'] in ('image', 'image_url') -%}{{- '<|vision_start|><|image_pad|><|vision_end|>' -}}"
    "{%- elif part['type'] == 'video' -%}{{- '<|vision_start|><|video_pad|><|vision_end|>' -}}"
    "{%- endif -%}{%- endfor -%}{%- endif -%}"
    "{{- '<|im_end|>\\n' -}}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}"
)


def _tokenizer_corpus() -> list[str]:
    """What the tiny tokenizer is trained on: the judge's prompts and replies, so they tokenize short."""
    from .detection.verification import VERIFY_INSTRUCTION
    from .judges.base import CHANGES_INSTRUCTION, QA_INSTRUCTION

    lines = [QA_INSTRUCTION, CHANGES_INSTRUCTION, VERIFY_INSTRUCTION]
    for q in range(1, 11):
        for a in ("yes", "no", "no (visually implausible)"):
            for f in ("null", "0", "5", "10", "15", "20", "45", "48"):
                lines.append(f'{{"question_id": {q}, "answer": "{a}", "frame_index": {f}}}, ')
    lines += [
        '{"emergence": "no", "emergence_frames": [], "emergence_reason": "", "disappearance": "yes", '
        '"disappearance_frames": [5, 10], "disappearance_reason": ""}',
        '[{"object": 1, "scores": [0.0, 0.5, 1.0]}, {"object": 2, "scores": [0.9, 0.1]}]',
        "Video prompt: a man in a red shirt opens the white fridge door. Questions to answer: Frame 0: "
        "Available frames: [0, 5, 10, 15]. Input data: roster class colour reference_frame frames_to_compare",
    ]
    return lines * 4


def _qwen_tokenizer(split_words: bool = False) -> Any:
    """A byte-level BPE with Qwen's special tokens, trained on the judge's prompts and replies.

    `split_words`: pre-split on spaces and punctuation as Qwen's own tokenizer does, so replies take about as
    many tokens as with the real one (`benchmarks/gpu_fullsize.py`); the tiny model's tokenizer does not.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import Qwen2Tokenizer

    bpe = Tokenizer(models.BPE())
    # no pre-split on spaces and punctuation: merges span whole reply items, so a ten-answer reply is
    # about 25 tokens instead of 200 and the tiny judge decodes it in a fraction of the time
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=split_words)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=800, special_tokens=_QWEN_SPECIAL, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(_tokenizer_corpus(), trainer)
    return Qwen2Tokenizer(tokenizer_object=bpe, eos_token="<|im_end|>", pad_token="<|endoftext|>")


def _qwen_common(tok: Any) -> tuple[dict[str, int], dict[str, Any], dict[str, Any]]:
    """Special token ids, the text config and the token-id fields shared by the Qwen-VL configs."""
    ids = {t: tok.convert_tokens_to_ids(t) for t in _QWEN_SPECIAL}
    text = dict(
        vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=32768,
        # mrope_section must sum to head_dim / 2 (64 / 4 heads / 2 = 8)
        rope_parameters={"rope_type": "default", "rope_theta": 1e4, "mrope_section": [2, 3, 3]},
        eos_token_id=ids["<|im_end|>"], pad_token_id=ids["<|endoftext|>"], bos_token_id=None,
    )
    tokens = dict(
        image_token_id=ids["<|image_pad|>"], video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"], vision_end_token_id=ids["<|vision_end|>"],
    )
    return ids, text, tokens


def _save_qwen(folder: Path, model: Any, ids: dict[str, int], processor: Any) -> None:
    model.generation_config.eos_token_id = [ids["<|im_end|>"], ids["<|endoftext|>"]]
    model.generation_config.pad_token_id = ids["<|endoftext|>"]
    model.generation_config.do_sample = False
    model.save_pretrained(folder)
    processor.save_pretrained(folder)


def _build_qwen(folder: Path) -> None:
    import torch
    from transformers import (
        Qwen2_5_VLConfig,
        Qwen2_5_VLForConditionalGeneration,
        Qwen2_5_VLProcessor,
        Qwen2VLImageProcessor,
        Qwen2VLVideoProcessor,
    )

    tok = _qwen_tokenizer()
    ids, text, tokens = _qwen_common(tok)
    config = Qwen2_5_VLConfig(
        text_config=text,
        vision_config=dict(depth=2, hidden_size=32, intermediate_size=64, num_heads=2, out_hidden_size=64,
                           fullatt_block_indexes=[1], window_size=56),
        eos_token_id=ids["<|im_end|>"], pad_token_id=ids["<|endoftext|>"], **tokens,
    )
    torch.manual_seed(SEED)
    model = Qwen2_5_VLForConditionalGeneration(config).eval()
    # Small images keep the tiny judge fast: at most 64 visual tokens per frame.
    size = {"shortest_edge": 56 * 56, "longest_edge": 28 * 28 * 64}
    processor = Qwen2_5_VLProcessor(image_processor=Qwen2VLImageProcessor(size=size),
                                    video_processor=Qwen2VLVideoProcessor(size=size), tokenizer=tok,
                                    chat_template=_QWEN_CHAT_TEMPLATE)
    _save_qwen(folder, model, ids, processor)


def _build_qwen3(folder: Path) -> None:
    """Qwen3-VL: 16-pixel patches, interleaved M-RoPE, one deepstack layer."""
    import torch
    from transformers import (
        Qwen2VLImageProcessor,
        Qwen3VLConfig,
        Qwen3VLForConditionalGeneration,
        Qwen3VLProcessor,
        Qwen3VLVideoProcessor,
    )

    tok = _qwen_tokenizer()
    ids, text, tokens = _qwen_common(tok)
    text["head_dim"] = 16
    text["rope_parameters"] = {**text["rope_parameters"], "mrope_interleaved": True}
    config = Qwen3VLConfig(
        text_config=text,
        vision_config=dict(depth=2, hidden_size=32, intermediate_size=64, num_heads=2, out_hidden_size=64,
                           patch_size=16, deepstack_visual_indexes=[0], num_position_embeddings=64),
        **tokens,
    )
    torch.manual_seed(SEED)
    model = Qwen3VLForConditionalGeneration(config).eval()
    size = {"shortest_edge": 64 * 64, "longest_edge": 32 * 32 * 64}
    processor = Qwen3VLProcessor(image_processor=Qwen2VLImageProcessor(size=size, patch_size=16),
                                 video_processor=Qwen3VLVideoProcessor(size=size, patch_size=16), tokenizer=tok,
                                 chat_template=_QWEN_CHAT_TEMPLATE)
    _save_qwen(folder, model, ids, processor)


# ------------------------------------------------------------------------------------------------ SAM2.1
def _build_sam2(folder: Path) -> None:
    """SAM2.1 video model at image size 256 (feature and RoPE sizes of the default config divided by 4), with
    narrow layers (2 M parameters): 49 frames of one object track in about 2 s on one CPU thread."""
    import torch
    from transformers import (
        Sam2ImageProcessor,
        Sam2VideoConfig,
        Sam2VideoModel,
        Sam2VideoProcessor,
        Sam2VideoVideoProcessor,
    )

    width = 128  # SAM2's hidden size; the memory channels stay 64 (the memory cross-attention expects 64)
    config = Sam2VideoConfig(
        image_size=256,
        vision_config=dict(
            backbone_config=dict(
                model_type="sam2_hiera_det_model", image_size=[256, 256], hidden_size=24,
                embed_dim_per_stage=[24, 48, 96, 192], num_attention_heads_per_stage=[1, 1, 2, 2],
                blocks_per_stage=[1, 1, 2, 1],
                # a global-attention block may not open a stage (its query pooling needs a window)
                global_attention_blocks=[3], window_positional_embedding_background_size=[4, 4],
            ),
            backbone_channel_list=[192, 96, 48, 24],
            backbone_feature_sizes=[[64, 64], [32, 32], [16, 16]],
            fpn_hidden_size=width,
        ),
        prompt_encoder_config=dict(image_size=256, hidden_size=width),
        mask_decoder_config=dict(hidden_size=width, mlp_dim=4 * width, iou_head_hidden_dim=width,
                                 num_attention_heads=2),
        memory_attention_hidden_size=width,
        memory_attention_rope_feat_sizes=[16, 16],
        memory_attention_num_layers=1,
        memory_attention_feed_forward_hidden_size=2 * width,
        memory_encoder_hidden_size=width,
        mask_downsampler_embed_dim=width,
        memory_fuser_embed_dim=width,
        memory_fuser_intermediate_dim=2 * width,
    )
    torch.manual_seed(SEED)
    Sam2VideoModel(config).eval().save_pretrained(folder)
    processor = Sam2VideoProcessor(
        image_processor=Sam2ImageProcessor(size={"height": 256, "width": 256},
                                           mask_size={"height": 64, "width": 64}),
        video_processor=Sam2VideoVideoProcessor(size={"height": 256, "width": 256}),
        target_size=256,
    )
    processor.save_pretrained(folder)


# ---------------------------------------------------------------------------------------- GroundingDINO
def _detection_tokenizer() -> Any:
    """A BERT word-piece tokenizer whose vocabulary is the detection words (and BERT's special tokens)."""
    from transformers import BertTokenizer

    words = sorted(set(" ".join(_DETECTION_WORDS).split()))
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "."]
    # transformers 5: a dict vocabulary; `vocab_file=` silently maps every word to [UNK].
    return BertTokenizer(vocab={w: i for i, w in enumerate(specials + words)}, do_lower_case=True)


def _build_grounding_dino(folder: Path) -> None:
    import torch
    from transformers import (
        GroundingDinoConfig,
        GroundingDinoForObjectDetection,
        GroundingDinoImageProcessor,
        GroundingDinoProcessor,
    )

    tok = _detection_tokenizer()
    config = GroundingDinoConfig(
        backbone_config=dict(
            model_type="swin", embed_dim=16, depths=[1, 1, 1, 1], num_heads=[1, 1, 1, 1], window_size=7,
            out_features=["stage2", "stage3", "stage4"], image_size=224,
        ),
        text_config=dict(
            model_type="bert", vocab_size=len(tok), hidden_size=32, num_hidden_layers=1,
            num_attention_heads=2, intermediate_size=64, max_position_embeddings=256,
        ),
        d_model=32, encoder_layers=1, decoder_layers=2, encoder_ffn_dim=64, decoder_ffn_dim=64,
        encoder_attention_heads=2, decoder_attention_heads=2, num_queries=20, num_feature_levels=4,
        max_text_len=256,
    )
    torch.manual_seed(SEED)
    GroundingDinoForObjectDetection(config).eval().save_pretrained(folder)
    image_processor = GroundingDinoImageProcessor(size={"shortest_edge": 224, "longest_edge": 320})
    GroundingDinoProcessor(image_processor=image_processor, tokenizer=tok).save_pretrained(folder)


#: Class words the tiny detector's vocabulary knows (others tokenize to [UNK], which still runs).
_DETECTION_WORDS = [
    "man woman person child boy girl hand dog cat horse bird ball cup bottle door fridge box chair table",
    "book phone bag rope tree rock water car bicycle kite hat apple bowl knife pen toy stick wave sand",
]

#: name -> builder writing a model + processor folder.
TINY_MODELS: dict[str, Callable[[Path], None]] = {
    "qwen2.5-vl": _build_qwen,
    "qwen3-vl": _build_qwen3,
    "sam2.1": _build_sam2,
    "grounding-dino": _build_grounding_dino,
}
