"""Backends by short name, imported lazily so `import intergeneval` loads no heavy dependency.

Example:
    >>> from intergeneval.registry import JUDGES, lookup
    >>> lookup(JUDGES, "scripted", kind="judge").__name__
    'ScriptedJudge'
"""

from __future__ import annotations

import difflib
import importlib
from typing import Any

from .errors import BackendUnavailable, ConfigError

#: name -> "module:Class" (relative to the package) and the extra that provides its dependencies.
JUDGES: dict[str, tuple[str, str]] = {
    "scripted": ("intergeneval.judges.scripted:ScriptedJudge", ""),
    "qwen": ("intergeneval.judges.qwen:QwenJudge", "models"),
    "openai": ("intergeneval.judges.openai_chat:OpenAIJudge", "judge-openai"),
}
TRACKERS: dict[str, tuple[str, str]] = {
    "replay": ("intergeneval.tracking.replay:ReplayTracker", ""),
    "sam2": ("intergeneval.tracking.sam2_hf:Sam2Tracker", "models"),
    "sam2-meta": ("intergeneval.tracking.sam2_meta:Sam2MetaTracker", "models + `make sam2-meta`"),
}
DETECTORS: dict[str, tuple[str, str]] = {
    "grounding-dino": ("intergeneval.detection.grounding_dino:GroundingDinoDetector", "models"),
}


def lookup(table: dict[str, tuple[str, str]], name: str, *, kind: str) -> Any:
    """Import and return the class registered as `name`; unknown names get suggestions."""
    if name not in table:
        close = difflib.get_close_matches(name, table, n=3)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise ConfigError(f"unknown {kind} {name!r}.{hint} Known: {', '.join(sorted(table))}")
    target, extra = table[name]
    module, _, attr = target.partition(":")
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as e:
        if e.name and e.name.startswith("intergeneval"):
            raise ConfigError(f"{kind} {name!r} is registered but not implemented in this version ({e.name})") from None
        raise BackendUnavailable(
            f"{kind} {name!r} needs the package {e.name!r}: pip install 'intergeneval[{extra}]'"
        ) from None
    return getattr(mod, attr)
