"""HunyuanVideo-I2V (`HunyuanVideoImageToVideoPipeline`), image-to-video.

Example:
    python -m baselines generate --model hunyuanvideo-i2v --suite SUITE_WITH_FIRST_FRAMES --out videos/hy \\
        --cpu-offload --vae-tiling

The checkpoint is the diffusers-format conversion `hunyuanvideo-community/HunyuanVideo-I2V`. Its text
encoder is a LLaVA-LLaMA-3 that reads the first frame with the prompt, and it is CFG-distilled (guidance 1).
The tiny variant (`tiny-hunyuanvideo-i2v`) is the same classes: a 3-layer LLaVA (CLIP vision tower of 2×2
patches), a 1-layer CLIP text model, a 1+1-block transformer and a 4-block VAE of 8 channels, with
character-level tokenizers. Because the real prompt template's offsets (`crop_start`, `image_emb_*`) are
counted in the real tokenizer's tokens, the tiny folder carries its own template (`prompt_template.json`).
"""

from __future__ import annotations

import json
import string
from pathlib import Path
from typing import Any

from intergeneval.records import Scenario

from .base import TINY_SEED, DiffusersGenerator

TEMPLATE_FILE = "prompt_template.json"
#: The tiny template: the real one's structure (system turn with <image>, user turn, assistant header).
_TINY_TEMPLATE = (
    "<|start_header_id|>system<|end_header_id|>\n\n<image>\nDescribe the video.<|eot_id|>"
    "<|start_header_id|>user<|end_header_id|>\n\n{}<|eot_id|>"
    "<|start_header_id|>assistant<|end_header_id|>\n\n"
)
_LLAMA_SPECIAL = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>",
                  "<|eot_id|>", "<image>", "<pad>", "system", "user", "assistant"]


class HunyuanI2VGenerator(DiffusersGenerator):
    """HunyuanVideo-I2V through diffusers."""

    pipelines = {"i2v": "HunyuanVideoImageToVideoPipeline"}

    def load(self) -> None:
        super().load()
        template = Path(self.source()) / TEMPLATE_FILE
        self.prompt_template = json.loads(template.read_text()) if template.is_file() else None

    def call_kwargs(self, scenario: Scenario) -> dict[str, Any]:
        kwargs = super().call_kwargs(scenario)
        if self.pipe.transformer.config.image_condition_type == "latent_concat":
            # The pipeline drops the first latent frame's 4 decoded frames (the conditioning image), so it
            # is asked for 4 more: `num_frames` stays the length of the written video.
            kwargs["num_frames"] = self.spec.num_frames + 4
        if getattr(self, "prompt_template", None) is not None:
            kwargs["prompt_template"] = self.prompt_template
        return kwargs

    def build_tiny(self, folder: Path) -> None:
        import torch
        from diffusers import (
            AutoencoderKLHunyuanVideo,
            FlowMatchEulerDiscreteScheduler,
            HunyuanVideoImageToVideoPipeline,
            HunyuanVideoTransformer3DModel,
        )
        from transformers import (
            CLIPImageProcessor,
            CLIPTextConfig,
            CLIPTextModel,
            CLIPTokenizer,
            CLIPVisionConfig,
            LlamaConfig,
            LlamaTokenizer,
            LlavaConfig,
            LlavaForConditionalGeneration,
        )

        chars = string.ascii_letters + string.digits + string.punctuation
        # Character-level tokenizers (BPE without merges): every prompt tokenizes, offsets are easy to count.
        llama_vocab = {t: i for i, t in enumerate(["<unk>", *_LLAMA_SPECIAL, "▁", "\n", *chars])}
        tokenizer = LlamaTokenizer(vocab=llama_vocab, merges=[], unk_token="<unk>", bos_token="<|begin_of_text|>",
                                   eos_token="<|end_of_text|>", pad_token="<pad>",
                                   additional_special_tokens=_LLAMA_SPECIAL[2:6] + _LLAMA_SPECIAL[7:])
        clip_vocab = {t: i for i, t in enumerate(
            ["<|startoftext|>", "<|endoftext|>", *chars, *(c + "</w>" for c in chars)])}
        tokenizer_2 = CLIPTokenizer(vocab=clip_vocab, merges=[])
        image_token = tokenizer.convert_tokens_to_ids("<image>")
        vision_patches = 4  # a 28x28 image in 14x14 patches
        torch.manual_seed(TINY_SEED)
        text_encoder = LlavaForConditionalGeneration(LlavaConfig(
            vision_config=CLIPVisionConfig(hidden_size=8, intermediate_size=16, num_hidden_layers=2,
                                           num_attention_heads=2, image_size=28, patch_size=14),
            text_config=LlamaConfig(vocab_size=len(tokenizer), hidden_size=16, intermediate_size=32,
                                    num_hidden_layers=3, num_attention_heads=2, num_key_value_heads=1,
                                    max_position_embeddings=1024, pad_token_id=tokenizer.pad_token_id),
            image_token_index=image_token, vision_feature_layer=-1, vision_feature_select_strategy="default",
            pad_token_id=tokenizer.pad_token_id,
        ))
        torch.manual_seed(TINY_SEED + 1)
        text_encoder_2 = CLIPTextModel(CLIPTextConfig(
            vocab_size=len(tokenizer_2), hidden_size=8, intermediate_size=16, num_hidden_layers=1,
            num_attention_heads=2, max_position_embeddings=77, projection_dim=8,
            bos_token_id=tokenizer_2.bos_token_id, eos_token_id=tokenizer_2.eos_token_id,
            pad_token_id=tokenizer_2.pad_token_id,
        ))
        torch.manual_seed(TINY_SEED + 2)
        # latent_concat: noise (16) + first-frame latents (16) + a first-frame mask channel.
        transformer = HunyuanVideoTransformer3DModel(
            in_channels=33, out_channels=16, num_attention_heads=2, attention_head_dim=8, num_layers=1,
            num_single_layers=1, num_refiner_layers=1, patch_size=2, patch_size_t=1, guidance_embeds=False,
            text_embed_dim=16, pooled_projection_dim=8, rope_axes_dim=(2, 2, 4),
            image_condition_type="latent_concat",
        )
        torch.manual_seed(TINY_SEED + 3)
        vae = AutoencoderKLHunyuanVideo(latent_channels=16, block_out_channels=(8, 8, 8, 8), layers_per_block=1,
                                        norm_num_groups=4, temporal_compression_ratio=4)
        pipe = HunyuanVideoImageToVideoPipeline(
            text_encoder=text_encoder, tokenizer=tokenizer, transformer=transformer, vae=vae,
            scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0), text_encoder_2=text_encoder_2,
            tokenizer_2=tokenizer_2,
            image_processor=CLIPImageProcessor(size={"shortest_edge": 28}, crop_size={"height": 28, "width": 28}),
        )
        pipe.save_pretrained(folder)
        (folder / TEMPLATE_FILE).write_text(json.dumps(_template_for(tokenizer, vision_patches), indent=2))


def _template_for(tokenizer: Any, image_tokens: int) -> dict[str, Any]:
    """The tiny template with its offsets counted in `tokenizer`'s tokens (as the real one's are in its own)."""
    prefix = tokenizer(_TINY_TEMPLATE.split("{}")[0]).input_ids
    full = tokenizer(_TINY_TEMPLATE.format("x")).input_ids
    if full[: len(prefix)] != prefix:
        raise ValueError("tiny Hunyuan template: the prefix does not tokenize as the start of the prompt")
    start = full.index(tokenizer.convert_tokens_to_ids("<image>"))
    return {"template": _TINY_TEMPLATE, "crop_start": len(prefix), "image_emb_start": start,
            "image_emb_end": start + image_tokens, "image_emb_len": image_tokens}
