"""Wan2.1: text-to-video 1.3B (`WanPipeline`) and image-to-video 14B 480p (`WanImageToVideoPipeline`).

Example:
    python -m baselines generate --model wan2.1-t2v-1.3b --suite intergeneval-open-v1 --out videos/wan13b

The VAE (and, for I2V, the CLIP image encoder) are loaded in float32 whatever `--dtype` says: Wan's
reference code decodes in float32, and a bf16 VAE visibly bands. The tiny variants (`tiny-wan-t2v`,
`tiny-wan-i2v`) are the same classes with 2 transformer blocks of 2 heads, a VAE of base width 3 and a
1-layer UMT5, built offline with fixed seeds.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from .base import TINY_SEED, DiffusersGenerator

log = logging.getLogger(__name__)


class WanGenerator(DiffusersGenerator):
    """Wan2.1 through diffusers."""

    pipelines = {"t2v": "WanPipeline", "i2v": "WanImageToVideoPipeline"}

    def load(self) -> None:
        from diffusers import UniPCMultistepScheduler

        _ensure_ftfy()
        super().load()
        # Wan's recipe: UniPC with flow shift 3.0 at 480p, 5.0 at 720p (set explicitly, whatever the repo ships).
        shift = 3.0 if self.spec.height * self.spec.width <= 480 * 832 else 5.0
        self.pipe.scheduler = UniPCMultistepScheduler.from_config(self.pipe.scheduler.config, flow_shift=shift)

    def extra_components(self, source: str, dtype: Any) -> dict[str, Any]:
        import torch
        from diffusers import AutoencoderKLWan

        kw = {"revision": self.spec.revision, "dtype": torch.float32}
        parts: dict[str, Any] = {"vae": AutoencoderKLWan.from_pretrained(source, subfolder="vae", **kw)}
        if self.spec.mode == "i2v":
            from transformers import CLIPVisionModel

            parts["image_encoder"] = CLIPVisionModel.from_pretrained(source, subfolder="image_encoder", **kw)
        return parts

    def build_tiny(self, folder: Path) -> None:
        import diffusers
        import torch
        from diffusers import AutoencoderKLWan, UniPCMultistepScheduler, WanTransformer3DModel
        from transformers import UMT5Config, UMT5EncoderModel

        from .tiny_text import t5_tokenizer

        i2v = self.spec.mode == "i2v"
        tokenizer = t5_tokenizer()
        heads, head_dim, clip_dim = 2, 12, 8
        torch.manual_seed(TINY_SEED)
        # I2V input: 16 noise channels + 4 first-frame mask channels + 16 first-frame latent channels.
        transformer = WanTransformer3DModel(
            patch_size=(1, 2, 2), num_attention_heads=heads, attention_head_dim=head_dim,
            in_channels=36 if i2v else 16, out_channels=16, text_dim=16, freq_dim=32, ffn_dim=32, num_layers=2,
            cross_attn_norm=True, qk_norm="rms_norm_across_heads", rope_max_seq_len=32,
            image_dim=clip_dim if i2v else None, added_kv_proj_dim=heads * head_dim if i2v else None,
        )
        torch.manual_seed(TINY_SEED + 1)
        vae = AutoencoderKLWan(base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1,
                               temperal_downsample=[False, True, True])
        torch.manual_seed(TINY_SEED + 2)
        text_encoder = UMT5EncoderModel(UMT5Config(vocab_size=len(tokenizer), d_model=16, d_kv=4, d_ff=32,
                                                   num_layers=1, num_heads=4, pad_token_id=0, eos_token_id=1))
        scheduler = UniPCMultistepScheduler(prediction_type="flow_prediction", use_flow_sigmas=True,
                                            num_train_timesteps=1000, flow_shift=3.0)
        parts: dict[str, Any] = dict(tokenizer=tokenizer, text_encoder=text_encoder, vae=vae,
                                     transformer=transformer, scheduler=scheduler)
        if i2v:
            from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModel

            torch.manual_seed(TINY_SEED + 3)
            parts["image_encoder"] = CLIPVisionModel(CLIPVisionConfig(
                hidden_size=clip_dim, projection_dim=clip_dim, intermediate_size=16, num_hidden_layers=2,
                num_attention_heads=2, image_size=32, patch_size=16,
            ))
            parts["image_processor"] = CLIPImageProcessor(size={"shortest_edge": 32},
                                                          crop_size={"height": 32, "width": 32})
        getattr(diffusers, self.pipelines[self.spec.mode])(**parts).save_pretrained(folder)


def _ensure_ftfy() -> None:
    """diffusers 0.42's Wan I2V pipeline calls `ftfy.fix_text` without checking that ftfy is installed.

    ftfy repairs mis-decoded Unicode (mojibake); on well-formed text it returns the text unchanged, which
    the suite's prompts are. Without ftfy the prompt is used as written (logged), instead of a NameError.
    The `baselines` extra should list ftfy so that this never triggers.
    """
    import importlib.util

    if importlib.util.find_spec("ftfy") is not None:
        return
    import types

    from diffusers.pipelines.wan import pipeline_wan_i2v

    if not hasattr(pipeline_wan_i2v, "ftfy"):
        log.warning("ftfy is not installed: Wan prompts are used without Unicode repair (pip install ftfy)")
        pipeline_wan_i2v.ftfy = types.SimpleNamespace(fix_text=lambda text: text)
