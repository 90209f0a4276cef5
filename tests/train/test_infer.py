"""Inference loads a trained checkpoint, uses its weights, and writes <scenario id>.mp4 per scenario."""

import json

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file, save_file

from matrix_train.data import count_frames
from matrix_train.infer import get_args, load_model, main
from matrix_train.train import get_args as train_args
from matrix_train.train import main as train_main


def _suite(tmp_path, synth_data):
    frame = tmp_path / "frame.png"
    Image.fromarray(np.full((80, 96, 3), 90, np.uint8)).save(frame)  # another size: cover-crop to 64x64
    shutil_src = synth_data / "mask_annotation" / "000000"
    items = [
        {"id": "s1", "video_prompt": "a square approaches a circle", "first_frame": "frame.png",
         "masks": [str(shutil_src / "id1" / "000.png"), str(shutil_src / "id2" / "000.png")]},
        {"id": "s2", "video_prompt": "a triangle", "first_frame": "frame.png"},
        {"id": "s3", "video_prompt": "no image here"},
    ]
    path = tmp_path / "scenarios.json"
    path.write_text(json.dumps(items))
    return path


@pytest.mark.parametrize("preset", ["tiny-wan", "tiny-cogvideox"])
def test_infer_uses_the_trained_checkpoint(preset, synth_data, tmp_path):
    run = tmp_path / "run"
    train_main(train_args(["--preset", preset, "--data", str(synth_data), "--output", str(run),
                           "--max-steps", "2", "--quiet"]))
    suite = _suite(tmp_path, synth_data)
    out = tmp_path / "videos"
    written = main(get_args(["--preset", preset, "--checkpoint", str(run), "--suite", str(suite),
                             "--out", str(out), "--steps", "2"]))
    assert [p.name for p in written] == ["s1.mp4", "s2.mp4"]  # s3 has no first frame: skipped and recorded
    assert count_frames(out / "s1.mp4") == 9
    gen = json.loads((out / "generation.json").read_text())
    assert gen["skipped"] == [{"id": "s3", "reason": "no first frame"}] and gen["step"] == 2

    # The loaded model carries the checkpoint's tensors ...
    model, _, meta = load_model(run, preset)
    weights = load_file(f"{meta['folder']}/matrix_weights.safetensors")
    params = dict(model.named_parameters())
    assert all(torch.equal(params[k], v) for k, v in weights.items())
    # ... and they change the video: zero the ID-map channels and LoRA, and s1 comes out different.
    altered = {k: (torch.zeros_like(v) if "lora_B" in k else v) for k, v in weights.items()}
    ckpt2 = tmp_path / "run2" / "checkpoint-000002"
    ckpt2.mkdir(parents=True)
    from safetensors import safe_open

    with safe_open(f"{meta['folder']}/matrix_weights.safetensors", "pt") as f:
        metadata = f.metadata()
    save_file(altered, str(ckpt2 / "matrix_weights.safetensors"), metadata=metadata)
    main(get_args(["--checkpoint", str(ckpt2), "--suite", str(suite), "--out", str(tmp_path / "v2"),
                   "--steps", "2", "--limit", "1"]))
    a, b = (out / "s1.mp4").read_bytes(), (tmp_path / "v2" / "s1.mp4").read_bytes()
    assert a != b


def test_preset_mismatch_is_an_error(synth_data, tmp_path):
    train_main(train_args(["--preset", "tiny-wan", "--data", str(synth_data), "--output", str(tmp_path),
                           "--max-steps", "1", "--quiet"]))
    with pytest.raises(ValueError, match="trained with tiny-wan"):
        load_model(tmp_path, "tiny-cogvideox")


def test_device_and_dtype_flags(synth_data, tmp_path, monkeypatch):
    from matrix_train.analyze import get_args as analyze_args
    from matrix_train.analyze import main as analyze_main
    from matrix_train.devices import resolve_device

    run = tmp_path / "run"
    train_main(train_args(["--preset", "tiny-wan", "--data", str(synth_data), "--output", str(run),
                           "--max-steps", "1", "--quiet"]))
    suite = _suite(tmp_path, synth_data)
    written = main(get_args(["--checkpoint", str(run), "--suite", str(suite), "--out", str(tmp_path / "v"),
                             "--steps", "2", "--limit", "1", "--device", "cpu", "--dtype", "bf16"]))
    assert count_frames(written[0]) == 9
    gen = json.loads((tmp_path / "v" / "generation.json").read_text())
    assert (gen["device"], gen["dtype"]) == ("cpu", "bfloat16") and gen["deviations"]
    model, parts, _ = load_model(run, device="cpu", dtype=torch.bfloat16)
    assert {p.dtype for p in model.parameters()} == {torch.bfloat16}
    assert next(parts.text_encoder.parameters()).dtype == torch.bfloat16
    analyze_main(analyze_args(["--preset", "tiny-wan", "--data", str(synth_data), "--out",
                               str(tmp_path / "a"), "--clips", "1", "--timesteps", "1", "--dtype", "bf16"]))
    assert json.loads((tmp_path / "a" / "proposal.json").read_text())["proposed"]
    # Defaults: CUDA + bf16 when a GPU is visible, else CPU + float32; asking for CUDA without one is an
    # error.
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device(None, None) == (torch.device("cuda"), torch.bfloat16)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device(None, None) == (torch.device("cpu"), torch.float32)
    with pytest.raises(SystemExit, match="no CUDA GPU"):
        resolve_device("cuda", None)
