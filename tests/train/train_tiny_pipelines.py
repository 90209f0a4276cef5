"""Tiny diffusers pipeline folders built offline (fixed seeds), laid out like the hub repos of the presets.

`wan_i2v_folder`: a WanImageToVideoPipeline like Wan2.1-I2V-14B-480P-Diffusers, small: transformer with the
image branch (attn2 add_k/add_v, image embedder), a CLIPVisionModel image encoder + CLIPImageProcessor, UMT5,
and a SentencePiece-only tokenizer (spiece.model, no tokenizer.json), as CogVideoX-5b-I2V ships.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import torch

CORPUS = ["a young woman hands a cup to an old man", "a person passes a ball to another person",
          "the red square approaches a blue circle", "a man holding a coffee cup near a triangle"] * 20


def spiece_tokenizer_folder(out: Path, vocab_size: int = 40) -> Path:
    """A T5-style tokenizer folder with only spiece.model + tokenizer_config.json (trained here; the small
    vocabulary makes unseen words split into a lone '▁' piece plus characters)."""
    import sentencepiece as spm

    out.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(CORPUS), model_writer=buf, vocab_size=vocab_size, model_type="unigram",
        pad_id=0, eos_id=1, unk_id=2, bos_id=-1, character_coverage=1.0, minloglevel=2,
    )
    (out / "spiece.model").write_bytes(buf.getvalue())
    (out / "tokenizer_config.json").write_text(json.dumps(
        {"tokenizer_class": "T5Tokenizer", "extra_ids": 0, "model_max_length": 512}))
    return out


def qwen_style_tokenizer(vocab_size: int = 120):
    """A byte-level BPE tokenizer ('Ġ' marks a space), trained here, as a fast transformers tokenizer."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=["<|endoftext|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(CORPUS, trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>", pad_token="<|endoftext|>")


def wan_i2v_folder(out: Path, seed: int = 0) -> Path:
    """Save a tiny WanImageToVideoPipeline (text length 512, CLIP image branch) to `out`; returns `out`."""
    from diffusers import (
        AutoencoderKLWan,
        FlowMatchEulerDiscreteScheduler,
        WanImageToVideoPipeline,
        WanTransformer3DModel,
    )
    from transformers import (
        AutoTokenizer,
        CLIPImageProcessor,
        CLIPVisionConfig,
        CLIPVisionModel,
        UMT5Config,
        UMT5EncoderModel,
    )

    torch.manual_seed(seed)
    transformer = WanTransformer3DModel(
        patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=16, in_channels=36, out_channels=16,
        text_dim=32, freq_dim=32, ffn_dim=64, num_layers=2, cross_attn_norm=True, rope_max_seq_len=64,
        image_dim=24, added_kv_proj_dim=32,
    )
    vae = AutoencoderKLWan(base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1,
                           temperal_downsample=[False, True, True], latents_mean=[0.0] * 16,
                           latents_std=[1.0] * 16)
    tokenizer = AutoTokenizer.from_pretrained(spiece_tokenizer_folder(out / "_spiece"))
    text_encoder = UMT5EncoderModel(UMT5Config(vocab_size=64, d_model=32, d_kv=8, d_ff=64, num_layers=1,
                                               num_heads=4))
    image_encoder = CLIPVisionModel(CLIPVisionConfig(hidden_size=24, intermediate_size=48,
                                                     num_hidden_layers=2, num_attention_heads=2,
                                                     image_size=32, patch_size=8))
    image_processor = CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    pipe = WanImageToVideoPipeline(tokenizer=tokenizer, text_encoder=text_encoder, vae=vae,
                                   scheduler=FlowMatchEulerDiscreteScheduler(shift=3.0),
                                   image_processor=image_processor, image_encoder=image_encoder,
                                   transformer=transformer)
    pipe.save_pretrained(out)
    # The hub repos ship the SentencePiece model only: drop the converted tokenizer.json save_pretrained
    # wrote.
    for name in ("tokenizer.json",):
        (out / "tokenizer" / name).unlink(missing_ok=True)
    (out / "tokenizer" / "spiece.model").write_bytes((out / "_spiece" / "spiece.model").read_bytes())
    shutil.rmtree(out / "_spiece")
    return out
