"""CogVideoX 2B/5B, text-to-video (`CogVideoXPipeline`) and image-to-video (`CogVideoXImageToVideoPipeline`).

Example:
    python -m baselines generate --model cogvideox-5b-i2v --suite SUITE_WITH_FIRST_FRAMES --out videos/cog5b

The tiny variants (`tiny-cogvideox-t2v`, `tiny-cogvideox-i2v`) are the same classes with a 1-layer
transformer, a 4-block VAE of 8 channels and a 1-layer T5, built offline with fixed seeds.
"""

from __future__ import annotations

from pathlib import Path

from .base import TINY_SEED, DiffusersGenerator


class CogVideoXGenerator(DiffusersGenerator):
    """CogVideoX through diffusers; I2V scenarios are conditioned on their first frame."""

    pipelines = {"t2v": "CogVideoXPipeline", "i2v": "CogVideoXImageToVideoPipeline"}

    def build_tiny(self, folder: Path) -> None:
        import diffusers
        import torch
        from diffusers import AutoencoderKLCogVideoX, CogVideoXDDIMScheduler, CogVideoXTransformer3DModel
        from transformers import T5Config, T5EncoderModel

        from .tiny_text import t5_tokenizer

        i2v = self.spec.mode == "i2v"
        tokenizer = t5_tokenizer()
        torch.manual_seed(TINY_SEED)
        # I2V concatenates the first frame's latents to the noise: twice the input channels.
        transformer = CogVideoXTransformer3DModel(
            num_attention_heads=2, attention_head_dim=16, in_channels=32 if i2v else 16, out_channels=16,
            time_embed_dim=8, text_embed_dim=16, num_layers=1, sample_width=4, sample_height=4, sample_frames=9,
            patch_size=2, temporal_compression_ratio=4, max_text_seq_length=16,
            use_rotary_positional_embeddings=True,
        )
        torch.manual_seed(TINY_SEED + 1)
        vae = AutoencoderKLCogVideoX(
            in_channels=3, out_channels=3, down_block_types=("CogVideoXDownBlock3D",) * 4,
            up_block_types=("CogVideoXUpBlock3D",) * 4, block_out_channels=(8, 8, 8, 8), latent_channels=16,
            layers_per_block=1, norm_num_groups=2, temporal_compression_ratio=4,
        )
        torch.manual_seed(TINY_SEED + 2)
        text_encoder = T5EncoderModel(T5Config(vocab_size=len(tokenizer), d_model=16, d_kv=4, d_ff=32,
                                               num_layers=1, num_heads=4, pad_token_id=0, eos_token_id=1))
        scheduler = CogVideoXDDIMScheduler(prediction_type="v_prediction", timestep_spacing="trailing",
                                           rescale_betas_zero_snr=True, clip_sample=False)
        cls = getattr(diffusers, self.pipelines[self.spec.mode])
        pipe = cls(tokenizer=tokenizer, text_encoder=text_encoder, vae=vae, transformer=transformer,
                   scheduler=scheduler)
        pipe.save_pretrained(folder)
