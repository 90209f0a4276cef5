"""Frozen records passed between the suite loader, the pipeline, the metrics and the writers.

Arrays follow one convention: frames are `(H, W, 3)` uint8 RGB, masks `(H, W)` bool, boxes XYXY pixels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class Question:
    """One frozen question; `slot` (1–10) decides whether it scores KISA (1–6) or SGI (7–10)."""

    slot: int
    text: str


@dataclass(frozen=True, slots=True)
class KeyInteraction:
    """One key interaction of a scenario and its ten questions, in slot order."""

    text: str
    questions: tuple[Question, ...]


@dataclass(frozen=True, slots=True)
class ObjectSpec:
    """An interacting instance; its index in the scenario gives its colour."""

    cls: str
    appearance: str


@dataclass(frozen=True, slots=True)
class Scenario:
    """One task of a suite: a prompt, its objects and its frozen questions."""

    id: str
    video_prompt: str
    objects: tuple[ObjectSpec, ...]
    interaction_type: str
    direction: str
    pairing: str
    key_interactions: tuple[KeyInteraction, ...]
    image_prompt: str | None = None
    #: First-frame image for image-to-video models (absolute path once loaded).
    first_frame: Path | None = None
    #: One first-frame mask per object (absolute paths), or None when the suite gives none (T2V).
    masks: tuple[Path, ...] | None = None
    #: Structured fields the question templates were filled from (subject, object, action, steps, outcome).
    fields: dict[str, Any] = field(default_factory=dict)
    #: sha256 of the scenario's canonical JSON and of the bytes of its image and masks.
    content_hash: str = ""


@dataclass(frozen=True, slots=True)
class Suite:
    """A versioned, hashed set of scenarios."""

    suite_id: str
    version: str
    scenarios: tuple[Scenario, ...]
    content_hash: str
    protocol: str
    source: Path | None = None
    description: str = ""

    def scenario(self, scenario_id: str) -> Scenario:
        """Return the scenario with this id (KeyError names it and a few that exist)."""
        for s in self.scenarios:
            if s.id == scenario_id:
                return s
        known = ", ".join(s.id for s in self.scenarios[:5])
        raise KeyError(f"suite {self.suite_id!r} has no scenario {scenario_id!r} (it has {known}, …)")


@dataclass(frozen=True, slots=True)
class Answer:
    """The judge's answer to one question; `answer` is None when it is missing (never a success)."""

    slot: int
    answer: str | None
    frame: int | None = None

    @property
    def missing(self) -> bool:
        """True when no valid answer was obtained for this question."""
        return self.answer is None


@dataclass(frozen=True, slots=True)
class Changes:
    """Frames (sampled, ≠ 0) where the judge saw an object emerge or a roster instance disappear."""

    emergence: tuple[int, ...]
    disappearance: tuple[int, ...]
    emergence_reason: str = ""
    disappearance_reason: str = ""
