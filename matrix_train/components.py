"""Frozen parts of a preset (VAE, text encoder, tokenizer, optional CLIP) and the conditioning they produce.

Example:
    >>> parts = load_components(get_preset("tiny-wan"))          # doctest: +SKIP
    >>> parts.encode_video(video).shape                            # doctest: +SKIP
    torch.Size([1, 16, 3, 8, 8])

Real presets load the diffusers pipeline's own subfolders from the hub (revision recorded); tiny presets
build the same classes from tiny configs with fixed seeds, offline. Internally latents are (B, C, F, h, w).
"""

from __future__ import annotations

import logging
import re
import zlib
from dataclasses import dataclass, field
from typing import Any

import torch

from .presets import MatrixConfig
from .prompts import MAX_IDS, parse_markers

logger = logging.getLogger(__name__)

_WORDS = re.compile(r"<id\d+(?:[,+]id\d+)*>|[\w'-]+|[^\w\s]")


class WordTokenizer:
    """Offline tokenizer for tiny presets: words hashed (crc32) into a fixed vocabulary, with char offsets.

    Ids: 0 pad, 1 end, 2..2+MAX_IDS-1 the `<idK>` markers (keep mode), then hashed words.
    """

    pad_token_id, eos_token_id = 0, 1

    def __init__(self, vocab_size: int):
        self.vocab_size = vocab_size

    def __call__(self, text: str, max_length: int) -> tuple[list[int], list[tuple[int, int]]]:
        ids, offsets = [], []
        first_word = 2 + MAX_IDS
        for m in _WORDS.finditer(text):
            word = m.group(0)
            if word.startswith("<id"):
                token = 1 + int(re.findall(r"\d+", word)[0])
            else:
                token = first_word + zlib.crc32(word.lower().encode()) % (self.vocab_size - first_word)
            ids.append(token)
            offsets.append(m.span())
        ids, offsets = [*ids[: max_length - 1], self.eos_token_id], [*offsets[: max_length - 1], (0, 0)]
        return ids, offsets


@dataclass
class Components:
    """Frozen encoders of one preset and helpers that turn a batch into model inputs."""

    cfg: MatrixConfig
    vae: Any
    text_encoder: Any
    tokenizer: Any
    image_encoder: Any = None
    image_processor: Any = None
    resolved_revision: str | None = None
    _hf_tokenizer: bool = field(default=False)

    # ---- text ------------------------------------------------------------------------------------------
    def tokenize(self, prompt: str) -> tuple[torch.Tensor, torch.Tensor, list[tuple[int, int]], list]:
        """Parse markers and tokenize: (ids (L,), attention mask (L,), offsets, spans)."""
        text, spans = parse_markers(prompt, self.cfg.marker_mode)
        n = self.cfg.text_len
        if self._hf_tokenizer:
            enc = self.tokenizer(text, max_length=n, truncation=True, return_offsets_mapping=True)
            ids, offsets = enc["input_ids"], [tuple(o) for o in enc["offset_mapping"]]
            # A lone word-start piece (SentencePiece "▁", byte-level "Ġ") carries no part of the word, yet its
            # offsets overlap the word's first character: give it an empty range so no span selects it.
            pieces = self.tokenizer.convert_ids_to_tokens(ids)
            offsets = [
                (0, 0) if not piece.strip("▁Ġ ") else o for piece, o in zip(pieces, offsets, strict=True)
            ]
            pad = self.tokenizer.pad_token_id
        else:
            ids, offsets = self.tokenizer(text, n)
            pad = self.tokenizer.pad_token_id
        mask = [1] * len(ids) + [0] * (n - len(ids))
        ids = ids + [pad] * (n - len(ids))
        return torch.tensor(ids), torch.tensor(mask), offsets, spans

    @torch.no_grad()
    def encode_text(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(B, L) -> (B, L, text_dim). Wan zeroes embeddings past each prompt (as its pipeline does)."""
        device = next(self.text_encoder.parameters()).device
        ids, mask = ids.to(device), mask.to(device)
        if self.cfg.family == "wan":
            emb = self.text_encoder(ids, attention_mask=mask).last_hidden_state
            return emb * mask[..., None].to(emb.dtype)
        return self.text_encoder(ids).last_hidden_state  # CogVideoX's pipeline passes no mask

    # ---- video -----------------------------------------------------------------------------------------
    @torch.no_grad()
    def encode_video(self, video: torch.Tensor) -> torch.Tensor:
        """(B, T, 3, H, W) in [-1, 1] -> normalised latents (B, 16, F, h, w); the posterior mode, so that
        training is a deterministic function of the seed (bit-exact resume)."""
        vae = self.vae
        x = video.permute(0, 2, 1, 3, 4).to(next(vae.parameters()).device, next(vae.parameters()).dtype)
        z = vae.encode(x).latent_dist.mode().float()
        if self.cfg.family == "wan":
            mean = torch.tensor(vae.config.latents_mean, device=z.device).view(1, -1, 1, 1, 1)
            std = torch.tensor(vae.config.latents_std, device=z.device).view(1, -1, 1, 1, 1)
            return (z - mean) / std
        return z * vae.config.scaling_factor

    def first_frame_condition(self, image: torch.Tensor, num_frames: int) -> torch.Tensor:
        """Image-to-video conditioning of one frame (B, 3, H, W) in [-1, 1].

        Wan: 4-channel first-frame indicator + VAE([image, zeros...]) -> (B, 20, F, h, w).
        CogVideoX: VAE(image) at latent frame 0, zeros after -> (B, 16, F, h, w).
        """
        b, _, h, w = image.shape
        f = (num_frames - 1) // 4 + 1
        if self.cfg.family == "wan":
            frames = torch.zeros(b, num_frames, 3, h, w, dtype=image.dtype, device=image.device)
            frames[:, 0] = image
            lat = self.encode_video(frames)
            indicator = torch.zeros(b, 4, f, *lat.shape[-2:], device=lat.device)
            indicator[:, :, 0] = 1
            return torch.cat([indicator, lat], dim=1)
        lat = self.encode_video(image[:, None])  # (B, 16, 1, h, w)
        pad = torch.zeros(b, lat.shape[1], f - 1, *lat.shape[-2:], device=lat.device)
        return torch.cat([lat, pad], dim=2)

    @torch.no_grad()
    def image_tokens(self, image: torch.Tensor) -> torch.Tensor | None:
        """CLIP penultimate hidden states of the first frame (Wan with use_clip_image), else None."""
        if not self.cfg.use_clip_image:
            return None
        pixels = self.image_processor(images=((image + 1) * 127.5).clamp(0, 255).byte(), return_tensors="pt")
        device = next(self.image_encoder.parameters()).device
        out = self.image_encoder(pixels["pixel_values"].to(device), output_hidden_states=True)
        return out.hidden_states[-2]

    def to(self, device) -> Components:
        for m in (self.vae, self.text_encoder, self.image_encoder):
            if m is not None:
                m.to(device)
        return self


def _resolved_revision(model) -> str | None:
    m = re.search(r"snapshots/([0-9a-f]{40})", str(getattr(model.config, "_name_or_path", "")))
    return m.group(1) if m else None


def build_tiny_transformer(cfg: MatrixConfig):
    from diffusers import CogVideoXTransformer3DModel, WanTransformer3DModel

    torch.manual_seed(cfg.seed)
    cls = WanTransformer3DModel if cfg.family == "wan" else CogVideoXTransformer3DModel
    return cls(**cfg.tiny_transformer)


def load_transformer(cfg: MatrixConfig, dtype: torch.dtype = torch.float32):
    """The preset's base transformer (input channels still the base model's)."""
    if cfg.pretrained is None:
        return build_tiny_transformer(cfg)
    from diffusers import CogVideoXTransformer3DModel, WanTransformer3DModel

    cls = WanTransformer3DModel if cfg.family == "wan" else CogVideoXTransformer3DModel
    return cls.from_pretrained(cfg.pretrained, subfolder="transformer", revision=cfg.revision,
                               torch_dtype=dtype)


def load_components(cfg: MatrixConfig, dtype: torch.dtype = torch.float32) -> Components:
    """VAE, text encoder and tokenizer for `cfg` (tiny: built offline with seed `cfg.seed + 1`)."""
    from diffusers import AutoencoderKLCogVideoX, AutoencoderKLWan
    from transformers import T5Config, T5EncoderModel

    if cfg.pretrained is None:
        torch.manual_seed(cfg.seed + 1)
        if cfg.family == "wan":
            vae = AutoencoderKLWan(
                base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1,
                temperal_downsample=[False, True, True], latents_mean=[0.0] * 16, latents_std=[1.0] * 16,
            )
        else:
            vae = AutoencoderKLCogVideoX(
                in_channels=3, out_channels=3, down_block_types=("CogVideoXDownBlock3D",) * 4,
                up_block_types=("CogVideoXUpBlock3D",) * 4, block_out_channels=(8, 8, 8, 8),
                latent_channels=16, layers_per_block=1, norm_num_groups=2, temporal_compression_ratio=4,
            )
        text_encoder = T5EncoderModel(T5Config(**cfg.tiny_text_encoder))
        tokenizer = WordTokenizer(cfg.tiny_text_encoder["vocab_size"])
        parts = Components(cfg, vae.eval(), text_encoder.eval(), tokenizer)
        parts.vae.requires_grad_(False)
        parts.text_encoder.requires_grad_(False)
        return parts

    from transformers import AutoTokenizer, UMT5EncoderModel

    kw = dict(revision=cfg.revision)
    tokenizer = AutoTokenizer.from_pretrained(cfg.pretrained, subfolder="tokenizer", **kw)
    if cfg.marker_mode == "keep":
        # The released code's markers as added special tokens (they hit unused, untrained embedding rows).
        markers = [f"<id{k}>" for k in range(1, MAX_IDS + 1)]
        tokenizer.add_special_tokens({"additional_special_tokens": markers})
    if cfg.family == "wan":
        vae = AutoencoderKLWan.from_pretrained(cfg.pretrained, subfolder="vae", torch_dtype=torch.float32,
                                               **kw)
        enc_cls = UMT5EncoderModel
    else:
        vae = AutoencoderKLCogVideoX.from_pretrained(cfg.pretrained, subfolder="vae", torch_dtype=dtype, **kw)
        enc_cls = T5EncoderModel
    text_encoder = enc_cls.from_pretrained(cfg.pretrained, subfolder="text_encoder", torch_dtype=dtype, **kw)
    parts = Components(cfg, vae.eval(), text_encoder.eval(), tokenizer, _hf_tokenizer=True)
    parts.resolved_revision = _resolved_revision(vae)
    if cfg.use_clip_image:
        from transformers import CLIPImageProcessor, CLIPVisionModel

        parts.image_encoder = CLIPVisionModel.from_pretrained(
            cfg.pretrained, subfolder="image_encoder", torch_dtype=dtype, **kw
        ).eval()
        parts.image_processor = CLIPImageProcessor.from_pretrained(
            cfg.pretrained, subfolder="image_processor", **kw
        )
        parts.image_encoder.requires_grad_(False)
    parts.vae.requires_grad_(False)
    parts.text_encoder.requires_grad_(False)
    return parts
