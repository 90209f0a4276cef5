"""Fixtures for the model-backend tests: tiny models built once per session, small scenarios and frames."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from intergeneval.records import KeyInteraction, ObjectSpec, Question, Scenario  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def tiny_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Point INTERGENEVAL_HOME at a session folder, so tiny models are built once and never in $HOME."""
    home = tmp_path_factory.mktemp("intergeneval-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("INTERGENEVAL_HOME", str(home))
        mp.setenv("HF_HUB_OFFLINE", "1")
        yield home


def make_scenario(n_objects: int = 2, n_interactions: int = 1, sid: str = "s1") -> Scenario:
    """A scenario with `n_objects` objects and `n_interactions` key interactions of ten questions."""
    classes = ["man", "fridge", "dog", "ball", "cup", "door"]
    objects = tuple(ObjectSpec(classes[k], f"a {classes[k]} number {k + 1}") for k in range(n_objects))
    kis = tuple(
        KeyInteraction(f"interaction {i}", tuple(Question(s, f"Is step {s} of interaction {i} visible?")
                                                 for s in range(1, 11)))
        for i in range(n_interactions)
    )
    return Scenario(sid, "A man opens a fridge.", objects, "manipulation", "unidirectional", "human-object",
                    kis)


def random_frames(n: int, h: int = 96, w: int = 128, seed: int = 0) -> np.ndarray:
    """`(n, h, w, 3)` uint8 noise frames."""
    return np.random.default_rng(seed).integers(0, 256, (n, h, w, 3), dtype=np.uint8)


def box_masks(h: int, w: int, boxes: list[tuple[int, int, int, int]]) -> np.ndarray:
    """`(N, h, w)` bool masks, one filled XYXY box each."""
    out = np.zeros((len(boxes), h, w), dtype=bool)
    for k, (x1, y1, x2, y2) in enumerate(boxes):
        out[k, y1:y2, x1:x2] = True
    return out


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread() -> Iterator[None]:
    """Tiny models gain nothing from threads, and on a shared 2-core machine extra threads only wait."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
