"""Real tokenizer kinds, built offline: a SentencePiece-only T5 folder (as CogVideoX-5b-I2V ships) and a
byte-level BPE (Qwen-style); spans cover whole noun phrases and never a lone word-start piece. A tiny Wan I2V
pipeline folder (CLIP image branch, text length 512) trains through the real loading code."""

import json
import tomllib
from pathlib import Path

import pytest
import torch
from train_tiny_pipelines import qwen_style_tokenizer, spiece_tokenizer_folder, wan_i2v_folder
from transformers import AutoTokenizer

from matrix_train.attention_capture import CaptureContext, CaptureRequest, install_capture
from matrix_train.components import Components
from matrix_train.presets import apply_overrides, get_preset
from matrix_train.targets import build_sga
from matrix_train.train import get_args, main

ROOT = Path(__file__).resolve().parents[2]
PROMPT = "a <id1> young woman hands a cup to <id2> old man."


def test_train_extra_declares_the_sentencepiece_conversion_dependencies():
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["train"]
    names = {d.split("=")[0].split(">")[0].split("<")[0].split("[")[0].strip().lower() for d in extra}
    assert {"sentencepiece", "protobuf"} <= names


def _span_pieces(tokenizer):
    cfg = apply_overrides(get_preset("tiny-wan"), {"text_len": 512})
    parts = Components(cfg, None, None, tokenizer, _hf_tokenizer=True)
    ids, _, offsets, spans = parts.tokenize(PROMPT)
    cols, weights, _, _ = build_sga([spans], [offsets], torch.ones(1, 5, dtype=torch.bool))
    pieces = tokenizer.convert_ids_to_tokens(ids.tolist())
    return [[pieces[int(cols[0, c])] for c in weights[0, s].nonzero().flatten()] for s in range(len(spans))]


def test_spiece_only_folder_loads_and_spans_are_noun_phrases(tmp_path):
    folder = spiece_tokenizer_folder(tmp_path / "tok")
    assert sorted(p.name for p in folder.iterdir()) == ["spiece.model", "tokenizer_config.json"]
    tok = AutoTokenizer.from_pretrained(folder)  # converted with sentencepiece + protobuf
    assert "▁" in tok.tokenize("a young woman")  # unseen words split into a lone "▁" + pieces here
    young_woman, old_man = _span_pieces(tok)
    assert "▁" not in young_woman and "▁" not in old_man
    assert "".join(young_woman).replace("▁", "") == "youngwoman"
    assert "".join(old_man).replace("▁", "") == "oldman"


def test_qwen_style_spans_are_noun_phrases():
    tok = qwen_style_tokenizer()
    young_woman, old_man = _span_pieces(tok)
    assert "Ġ" not in young_woman and "Ġ" not in old_man
    assert "".join(young_woman).replace("Ġ", "") == "youngwoman"
    assert "".join(old_man).replace("Ġ", "") == "oldman"


@pytest.fixture(scope="module")
def wan_folder(tmp_path_factory):
    return wan_i2v_folder(tmp_path_factory.mktemp("wan-i2v"))


def test_wan_i2v_text_map_is_normalised_over_the_512_text_keys_only(wan_folder):
    from diffusers import WanTransformer3DModel

    model = WanTransformer3DModel.from_pretrained(wan_folder, subfolder="transformer").eval()
    attn = model.blocks[1].attn2
    g = torch.Generator().manual_seed(0)
    x = torch.randn(1, 48, 32, generator=g)
    context = torch.randn(1, 17 + 512, 32, generator=g)  # [257-like image tokens | 512 text tokens]
    with torch.no_grad():
        stock = attn(x, context)
        ctx = CaptureContext(chunk=100)
        install_capture(model, "wan", ctx, sga_layers=(1,))
        ctx.begin(CaptureRequest(sga_cols=torch.arange(512)[None], sga_weights=torch.ones(1, 1, 512)))
        got = attn(x, context)
    assert torch.allclose(got, stock, atol=1e-6)
    # Summed over every text column, the text softmax gives 1 per query: the image keys are not in it.
    assert torch.allclose(ctx.maps["sga.1"], torch.ones(1, 1, 48), atol=1e-5)


def test_tiny_wan_i2v_pipeline_folder_trains(wan_folder, synth_data, tmp_path):
    sets = [f"pretrained={wan_folder}", "revision=null", "use_clip_image=true", "text_len=512"]
    assert apply_overrides(get_preset("tiny-wan"), {"text_len": 512}).text_len == 512
    set_flags = [x for s in sets for x in ("--set", s)]
    ckpt = main(get_args(["--preset", "tiny-wan", "--data", str(synth_data), "--output",
                          str(tmp_path / "run"), "--max-steps", "2", "--quiet", *set_flags]))
    rows = [json.loads(x) for x in (tmp_path / "run" / "loss_log.jsonl").read_text().splitlines()]
    assert len(rows) == 2 and all(r["sga"] > 0 and r["spa"] > 0 and r["total"] == r["total"] for r in rows)
    config = json.loads((ckpt / "config.json").read_text())
    assert config["use_clip_image"] and config["text_len"] == 512


def test_lora_loads_into_the_stock_pipeline(wan_folder, synth_data, tmp_path):
    """The checkpoint's diffusers_lora/ loads with pipe.load_lora_weights: with the base patch embedding and a
    zero ID-map input, the MATRIX model and the stock transformer + loaded LoRA compute the same prediction.
    (MATRIX also trains the patch embedding, which a stock pipeline cannot take: docs/training.md.)"""
    from diffusers import WanImageToVideoPipeline

    from matrix_train.infer import load_model

    sets = [f"pretrained={wan_folder}", "revision=null", "use_clip_image=true", "text_len=512"]
    set_flags = [x for s in sets for x in ("--set", s)]
    ckpt = main(get_args(["--preset", "tiny-wan", "--data", str(synth_data), "--output",
                          str(tmp_path / "run"), "--max-steps", "2", "--learning-rate", "0.05", "--quiet",
                          *set_flags]))
    model, _, _ = load_model(ckpt)
    assert any(p.abs().sum() > 0 for n, p in model.named_parameters() if "lora_B" in n)
    pipe = WanImageToVideoPipeline.from_pretrained(wan_folder)
    g = torch.Generator().manual_seed(0)
    x, text = torch.randn(1, 36, 3, 8, 8, generator=g), torch.randn(1, 512, 32, generator=g)
    image, t = torch.randn(1, 17, 24, generator=g), torch.tensor([500.0])
    with torch.no_grad():
        patch = model.transformer.patch_embedding
        patch.weight[:, :36] = pipe.transformer.patch_embedding.weight
        patch.bias.copy_(pipe.transformer.patch_embedding.bias)
        ours = model.predict(x[:, :16], x[:, 16:], torch.zeros(1, 20, 3, 8, 8), text, t, image)
        before = pipe.transformer(x, t, text, encoder_hidden_states_image=image).sample
        pipe.load_lora_weights(ckpt / "diffusers_lora")
        after = pipe.transformer(x, t, text, encoder_hidden_states_image=image).sample
    assert not torch.allclose(before, ours, atol=1e-4)  # the trained LoRA matters ...
    assert torch.allclose(after, ours, atol=1e-5)  # ... and the stock pipeline now applies it exactly
