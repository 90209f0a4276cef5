"""Loading checkpoints for the model backends: one code path for hub ids, local folders and tiny models.

Every backend loads with `from_pretrained(source, revision=...)`; `tiny:<name>` resolves to a folder built
offline by `intergeneval.tiny`. A checkpoint that cannot be loaded raises one `BackendUnavailable` naming the
model, the revision and how to get it, before any video is processed.

Example:
    >>> describe("Qwen/Qwen2.5-VL-7B-Instruct", "cc594898137f460bfe9f0759e9844b3ce807cfb5")["revision"]
    'cc594898137f460bfe9f0759e9844b3ce807cfb5'
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import tiny
from .errors import BackendUnavailable, ConfigError

log = logging.getLogger(__name__)

#: Files above this size are fingerprinted by size and their first and last MiB (full hashes of
#: multi-GB local weights would cost a minute per run).
_FULL_HASH_LIMIT = 64 << 20


def source_of(model: str) -> str:
    """Where `from_pretrained` loads `model` from: a tiny model's folder, or the id/path unchanged."""
    return tiny.resolve(model)


def is_local(source: str) -> bool:
    """True when `source` is a folder on disk (its revision is then its content, not a hub commit)."""
    return Path(source).expanduser().is_dir()


def load(loader: Any, model: str, revision: str | None, *, what: str, **kwargs: Any) -> Any:
    """`loader.from_pretrained` with the revision pinned, mapping every failure to `BackendUnavailable`.

    Args:
        loader: a transformers class with `from_pretrained` (model or processor).
        model: hub id, local folder or `tiny:<name>`.
        revision: hub commit or tag (ignored for folders).
        what: what is loaded, for the message ("judge model", "SAM2 tracker", ...).
    """
    source = source_of(model)
    extra = {} if is_local(source) or revision is None else {"revision": revision}
    try:
        return loader.from_pretrained(source, **extra, **kwargs)
    except (OSError, ValueError, KeyError) as e:
        rev = f" --revision {revision}" if revision else ""
        hint = (
            f"the folder {source} is not a complete checkpoint" if is_local(source)
            else f"download it first (`hf download {model}{rev}`), or use `--profile tiny` (no downloads)"
        )
        raise BackendUnavailable(f"cannot load {what} {model!r} (revision {revision or 'default'}): {hint}. "
                                 f"Cause: {type(e).__name__}: {str(e)[:300]}") from None


class _KnownBenign(logging.Filter):
    """Drops transformers' warning about building `Sam2Model` from a `sam2_video` checkpoint: the detector
    segments its boxes with the image part of the SAM2.1 video checkpoint, which is what it is meant to do."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not ("model of type `sam2_video`" in message and "model of type `sam2`" in message)


logging.getLogger("transformers.configuration_utils").addFilter(_KnownBenign())


def quiet_progress_bars() -> None:
    """Turn off the download and weight-loading bars of transformers and huggingface_hub (the CLI shows its
    own progress). An explicit `HF_HUB_DISABLE_PROGRESS_BARS` wins; nothing is imported for this."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    if os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] in ("0", "false", "False"):
        return
    if "huggingface_hub" in sys.modules:  # imported before the variable was set: tell it directly
        from huggingface_hub.utils import disable_progress_bars

        disable_progress_bars()
    if "transformers" in sys.modules:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()


class Lazy:
    """A value built on first use, once, under a lock: a backend's model weights.

    Model backends read their identity (config, processor, revision: all a fingerprint needs) when they are
    built and load their weights through a `Lazy`, so a run whose videos are all cached loads no model, and
    a worker answering `/health` loads nothing.
    """

    def __init__(self, build: Callable[[], Any]):
        self._build, self._value = build, None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """Whether the value has been built."""
        return self._value is not None

    def get(self) -> Any:
        """The value, built now if this is its first use."""
        if self._value is None:
            with self._lock:
                if self._value is None:
                    self._value = self._build()
        return self._value


def describe(model: str, revision: str | None, source: str | None = None) -> dict[str, Any]:
    """The part of a fingerprint naming a checkpoint: id, revision, and a content digest for folders."""
    out: dict[str, Any] = {"model": model, "revision": revision}
    src = source if source is not None else (model if not tiny.is_tiny(model) else None)
    if tiny.is_tiny(model):
        out["revision"] = f"tiny-v{tiny.BUILD_VERSION}"
        out["weights"] = folder_digest(Path(source_of(model)))
        out["note"] = tiny.NOTE
    elif src is not None and is_local(src):
        out["revision"] = None
        out["weights"] = folder_digest(Path(src).expanduser())
    return out


def folder_digest(folder: Path) -> str:
    """sha256 over a checkpoint folder's files (names and contents; big files by size and both ends)."""
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if not p.is_file() or p.name.startswith("."):
            continue
        h.update(str(p.relative_to(folder)).encode() + b"\0")
        size = p.stat().st_size
        with open(p, "rb") as f:
            if size <= _FULL_HASH_LIMIT:
                h.update(f.read())
            else:
                h.update(str(size).encode() + f.read(1 << 20))
                f.seek(size - (1 << 20))
                h.update(f.read())
    return h.hexdigest()[:16]


def torch_device(device: str | None) -> Any:
    """The torch device to run on: the given one, else CUDA when present, else CPU."""
    import torch

    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except RuntimeError as e:
        raise ConfigError(f"device {device!r} is not a torch device: {e}") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {device!r} was asked for, but torch sees no CUDA GPU on this machine")
    return dev


def torch_dtype(dtype: str | None, device: Any) -> Any:
    """bfloat16 (float16 where unsupported) on GPU, float32 on CPU, unless `dtype` names one."""
    import torch

    if dtype is not None:
        value = getattr(torch, str(dtype).replace("torch.", ""), None)
        if not isinstance(value, torch.dtype):
            raise ConfigError(f"dtype {dtype!r} is not a torch dtype (use float32, bfloat16 or float16)")
        return value
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


def set_threads(threads: int | None) -> None:
    """Set torch's CPU thread count for the whole process (None leaves it alone).

    Tiny models gain nothing from several threads, and on a busy machine extra threads mostly wait for
    each other: the tiny profile uses one.
    """
    if threads is None:
        return
    if threads < 1:
        raise ConfigError(f"threads must be at least 1, got {threads}")
    import torch

    torch.set_num_threads(int(threads))


def versions(*packages: str) -> dict[str, str | None]:
    """Installed versions of `packages` (None where absent), read without importing them."""
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {}
    for name in packages:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def require(module: str, backend: str) -> None:
    """Import `module` or raise `BackendUnavailable` naming the extra that provides it."""
    import importlib

    try:
        importlib.import_module(module)
    except ImportError as e:
        raise BackendUnavailable(
            f"{backend} needs {module!r} ({e}): pip install 'intergeneval[models]'"
        ) from None
