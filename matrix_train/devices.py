"""Where `infer` and `analyze` run: `--device` / `--dtype`, defaulting to CUDA + bf16 when there is a GPU
(as `train` does through accelerate), else CPU + float32.

Example:
    >>> resolve_device("cpu", None)
    (device(type='cpu'), torch.float32)
"""

from __future__ import annotations

import torch

DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


def resolve_device(device: str | None, dtype: str | None) -> tuple[torch.device, torch.dtype]:
    """(device, dtype) from the flags; a CUDA device without a GPU is an error, not a silent CPU run."""
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit(f"--device {device}: no CUDA GPU is visible to torch (use --device cpu)")
    if dtype is None:
        dtype = "bf16" if dev.type == "cuda" else "fp32"
    if dtype not in DTYPES:
        raise SystemExit(f"--dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    return dev, DTYPES[dtype]


def add_device_flags(parser) -> None:
    parser.add_argument("--device", help="torch device (default: cuda when available, else cpu)")
    parser.add_argument("--dtype", choices=tuple(DTYPES),
                        help="weights' dtype (default: bf16 on CUDA, else fp32)")


def place(model, parts, device: torch.device, dtype: torch.dtype):
    """Move the model (cast to `dtype`, LoRA and patch embedding included) and the frozen parts to `device`.
    The VAE keeps the dtype it was loaded in (Wan's runs in float32, as its pipeline does)."""
    model.to(device=device, dtype=dtype)
    parts.to(device)
    for m in (parts.text_encoder, parts.image_encoder):
        if m is not None:
            m.to(dtype=dtype)
    return model, parts
