"""Small suite factories for the core tests."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

SLOT_TEXTS = [f"question {k}" for k in range(1, 11)]


def scenario(sid: str = "s1", **over: Any) -> dict[str, Any]:
    """A valid scenario dict; keyword arguments replace fields."""
    base = {
        "id": sid,
        "video_prompt": "A man opens a fridge.",
        "objects": [{"class": "man", "appearance": "a man in a red shirt"},
                    {"class": "fridge", "appearance": "a white fridge"}],
        "interaction_type": "manipulation",
        "direction": "unidirectional",
        "pairing": "human-object",
        "key_interactions": [{"text": "man opens fridge",
                              "questions": [{"slot": k + 1, "text": t} for k, t in enumerate(SLOT_TEXTS)]}],
    }
    base.update(over)
    return base


def suite_dict(scenarios: list[dict[str, Any]] | None = None, **over: Any) -> dict[str, Any]:
    """A valid suite dict without a content hash."""
    d = {"format": "intergeneval-suite", "schema_version": 1, "suite_id": "test-suite", "version": "1",
         "protocol": "intergeneval-v1", "scenarios": scenarios or [scenario()]}
    d.update(over)
    return copy.deepcopy(d)


@pytest.fixture
def write_suite_file(tmp_path: Path):
    """Write a suite dict as JSON and return its path."""
    def write(d: dict[str, Any], name: str = "suite.json") -> Path:
        p = tmp_path / name
        p.write_text(json.dumps(d))
        return p
    return write
