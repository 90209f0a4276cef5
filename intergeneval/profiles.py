"""Named model sets (`--profile`): which judge, tracker and detector a run uses, with their options.

- `default`: the real checkpoints, by hub id and pinned revision: Qwen2.5-VL-7B-Instruct judge, SAM2.1
  hiera-large tracker, GroundingDINO-base detector (SAM2.1 hiera-large segments its boxes).
- `tiny`: randomly initialised models of the SAME classes, built offline with fixed seeds by
  `intergeneval.tiny` and loaded with the same `from_pretrained` code. It runs everywhere in seconds; its
  scores are meaningless (every fingerprint says so). The judge decodes under the reply grammar, so its
  replies validate and the whole pipeline runs instead of ending in missing answers. Tiny models run on
  one CPU thread (`threads=1`, process-wide): they gain nothing from more, and lose a lot on a busy machine.

Options named explicitly on a run override the profile's.

Example:
    >>> from intergeneval.profiles import resolve_profile
    >>> p = resolve_profile("tiny")
    >>> p["judge"], p["judge_options"]["model"], p["tracker"], p["detector"]
    ('qwen', 'tiny:qwen2.5-vl', 'sam2', 'grounding-dino')
"""

from __future__ import annotations

import copy
from typing import Any

from .errors import ConfigError, did_you_mean

# Ids and revisions are repeated here rather than imported, so resolving a profile loads no backend module.
_QWEN = ("Qwen/Qwen2.5-VL-7B-Instruct", "cc594898137f460bfe9f0759e9844b3ce807cfb5")
_SAM2 = ("facebook/sam2.1-hiera-large", "665f8e2ad61cf5f53d65644ff27c8ee525124610")
_GDINO = ("IDEA-Research/grounding-dino-base", "12bdfa3120f3e7ec7b434d90674b3396eccf88eb")

PROFILES: dict[str, dict[str, Any]] = {
    "default": {
        "judge": "qwen",
        "judge_options": {"model": _QWEN[0], "revision": _QWEN[1]},
        "tracker": "sam2",
        "tracker_options": {"model": _SAM2[0], "revision": _SAM2[1]},
        "detector": "grounding-dino",
        "detector_options": {"model": _GDINO[0], "revision": _GDINO[1], "segmenter": _SAM2[0],
                             "segmenter_revision": _SAM2[1]},
    },
    "tiny": {
        "judge": "qwen",
        # small frames (at most 16 visual tokens each) keep the tiny judge fast
        "judge_options": {"model": "tiny:qwen2.5-vl", "constrained": True, "max_pixels": 112 * 112,
                          "threads": 1},
        "tracker": "sam2",
        "tracker_options": {"model": "tiny:sam2.1", "threads": 1},
        "detector": "grounding-dino",
        # random scores: any verified candidate counts, so detection does not fail at random
        "detector_options": {"model": "tiny:grounding-dino", "segmenter": "tiny:sam2.1", "min_score": 0.0,
                             "threads": 1},
    },
}


def profile_names() -> list[str]:
    """The known profile names."""
    return sorted(PROFILES)


def resolve_profile(name: str) -> dict[str, Any]:
    """Return a copy of profile `name`: keys judge, judge_options, tracker, tracker_options, detector,
    detector_options.

    Raises:
        ConfigError: unknown name (with suggestions).
    """
    if name not in PROFILES:
        raise ConfigError(f"unknown model profile {name!r}.{did_you_mean(name, PROFILES)} "
                          f"Known: {', '.join(profile_names())}")
    return copy.deepcopy(PROFILES[name])
