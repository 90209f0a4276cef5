"""Detection: the one-to-one assignment (pure), verification replies, and the grounding-dino detector on tiny
GroundingDINO + SAM2 models with a scripted verification judge."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from intergeneval.detection.base import Candidate, Detector
from intergeneval.detection.grounding_dino import GroundingDinoDetector, detection_prompt
from intergeneval.detection.verification import assign_one_to_one, parse_verify_reply, verify_user_text
from intergeneval.errors import DetectionError, JudgeParseError
from intergeneval.judges.base import ChatJudge, JudgeRequest, JudgeVideo
from intergeneval.records import ObjectSpec, Scenario

from .conftest import random_frames


# ------------------------------------------------------------------------------------ assignment (pure)
def _brute_force(scores, allowed, min_score):
    """Best assignment by trying every injective map: most matches, then highest total (reference)."""
    n, c = scores.shape
    best = (-1, -1.0)
    for picks in itertools.product([None, *range(c)], repeat=n):
        used = [p for p in picks if p is not None]
        if len(used) != len(set(used)):
            continue
        if any(p is not None and not (allowed[i, p] and scores[i, p] >= min_score)
               for i, p in enumerate(picks)):
            continue
        value = (len(used), round(sum(scores[i, p] for i, p in enumerate(picks) if p is not None), 9))
        best = max(best, value)
    return best


def _value(scores, picks):
    used = [(i, p) for i, p in enumerate(picks) if p is not None]
    return len(used), round(sum(scores[i, p] for i, p in used), 9)


def test_two_objects_preferring_the_same_box_get_different_boxes():
    scores = np.array([[0.9, 0.8, 0.1], [0.95, 0.2, 0.1]])
    assert assign_one_to_one(scores) == [1, 0]  # 0.8 + 0.95 beats 0.9 + 0.2


def test_assignment_respects_allowed_pairs_and_the_minimum_score():
    scores = np.array([[0.9, 0.6], [0.8, 0.4]])
    allowed = np.array([[True, True], [False, True]])
    assert assign_one_to_one(scores, allowed=allowed, min_score=0.5) == [0, None]
    assert assign_one_to_one(scores, allowed=allowed, min_score=0.3) == [0, 1]
    assert assign_one_to_one(np.zeros((2, 0))) == [None, None]


def test_matching_more_objects_beats_a_higher_total():
    scores = np.array([[1.0, 0.6], [0.6, 0.0]])
    assert assign_one_to_one(scores) == [1, 0]


def test_ties_are_broken_deterministically_by_the_lower_candidate_index():
    scores = np.full((2, 3), 0.7)
    assert assign_one_to_one(scores) == [0, 1]


@pytest.mark.parametrize("seed", range(25))
def test_assignment_is_optimal_against_brute_force(seed):
    rng = np.random.default_rng(seed)
    n, c = rng.integers(1, 5), rng.integers(0, 5)
    scores = np.round(rng.random((n, c)), 1)
    allowed = rng.random((n, c)) > 0.3
    picks = assign_one_to_one(scores, allowed=allowed, min_score=0.5)
    used = [p for p in picks if p is not None]
    assert len(used) == len(set(used))
    assert _value(scores, picks) == _brute_force(scores, allowed, 0.5)


def test_many_objects_fall_back_to_a_greedy_one_to_one_assignment():
    rng = np.random.default_rng(1)
    scores = rng.random((14, 20))
    picks = assign_one_to_one(scores, min_score=0.0)
    assert None not in picks and len(set(picks)) == 14


# --------------------------------------------------------------------------------- verification replies
def test_verify_reply_parsing_needs_every_object_once_with_one_score_per_candidate():
    ok = json.dumps([{"object": 1, "scores": [0.1, 0.9]}, {"object": 2, "scores": [1, 0]}])
    np.testing.assert_array_equal(parse_verify_reply(ok, n_objects=2, n_candidates=2), [[0.1, 0.9], [1, 0]])
    for bad, match in [
        (json.dumps([{"object": 1, "scores": [0.1, 0.9]}]), "no scores for object"),
        (json.dumps([{"object": 1, "scores": [0.1]}, {"object": 2, "scores": [0, 1]}]), "must list 2"),
        (json.dumps([{"object": 3, "scores": [0, 1]}]), "not 1..2"),
        (json.dumps([{"object": 1, "scores": [0, 1.5]}, {"object": 2, "scores": [0, 1]}]), "in \\[0, 1\\]"),
        (json.dumps([{"object": 1, "scores": [0, 1]}] * 2), "twice"),
        ("no idea", "not JSON"),
    ]:
        with pytest.raises(JudgeParseError, match=match):
            parse_verify_reply(bad, n_objects=2, n_candidates=2)


def _scenario(*objects: tuple[str, str]) -> Scenario:
    specs = tuple(ObjectSpec(c, a) for c, a in objects)
    return Scenario("scene-7", "A man opens a fridge.", specs, "contact", "unidirectional", "human-object",
                    ())


def test_prompt_lists_each_class_once_in_object_order_and_the_user_text_names_candidates():
    sc = _scenario(("Fridge", "white"), ("man", "red shirt"), ("man", "blue shirt"))
    assert detection_prompt(sc) == ("fridge. man.", ["fridge", "man"])
    text = verify_user_text(sc, [Candidate((0, 0, 1, 1), 0.9, ("man",))])
    assert '"appearance": "red shirt"' in text and '"detected_as": ["man"]' in text


# -------------------------------------------------------------------------------- the tiny detector
class _ScriptedVerifier(ChatJudge):
    """Scores candidate j for object i as `prefer(i, j)`: a scripted verification reply."""

    name = "scripted-verifier"

    def __init__(self, prefer, reply=None):
        super().__init__()
        self.prefer, self.reply, self.calls = prefer, reply, []

    def complete(self, video: JudgeVideo, request: JudgeRequest) -> str:
        self.calls.append((request.kind, len(video.frames)))
        if self.reply is not None:
            return self.reply
        n = len(video.scenario.objects)
        return json.dumps([{"object": i + 1, "scores": [self.prefer(i, j) for j in range(len(video.frames))]}
                           for i in range(n)])


@pytest.fixture(scope="module")
def detector() -> GroundingDinoDetector:
    return GroundingDinoDetector("tiny:grounding-dino", segmenter="tiny:sam2.1")


FRAME = random_frames(1, 96, 128, seed=4)[0]
SCENE = _scenario(("man", "a man in a red shirt"), ("fridge", "a white fridge"), ("man", "a man in blue"))


def test_detector_protocol_and_fingerprint(detector):
    assert isinstance(detector, Detector)
    fp = detector.fingerprint()
    assert fp["backend"] == "grounding-dino" and (fp["box_threshold"], fp["text_threshold"]) == (0.35, 0.25)
    assert fp["detector"]["model"] == "tiny:grounding-dino" and fp["segmenter"]["model"] == "tiny:sam2.1"
    assert fp["verify_prompt"]


def test_first_masks_detect_verify_one_to_one_and_segment(detector):
    candidates = detector.detect(FRAME, SCENE)
    men = [j for j, c in enumerate(candidates) if "man" in c.classes]
    assert len(men) >= 2, "the tiny detector's random boxes give several 'man' candidates on this frame"
    fridge = next(j for j, c in enumerate(candidates) if "fridge" in c.classes and j not in men[:2])
    # both men (objects 1 and 3) prefer the same best box: one-to-one gives them different ones
    judge = _ScriptedVerifier(lambda i, j: (0.9 if j == fridge else 0.0) if i == 1 else
                              (1.0 if j == men[0] else (0.6 if j == men[1] else 0.0)))
    masks = detector.first_masks(FRAME, SCENE, judge=judge)
    assert masks.shape == (3, 96, 128) and masks.dtype == bool and all(m.any() for m in masks)
    assert judge.calls == [("verify", len(candidates))]
    boxes = [candidates[men[0]].box, candidates[fridge].box, candidates[men[1]].box]
    expected = detector.segment(FRAME, boxes)
    np.testing.assert_array_equal(masks, expected)


def test_an_object_with_no_matching_box_fails_naming_scenario_and_object(detector):
    strict = GroundingDinoDetector("tiny:grounding-dino", segmenter="tiny:sam2.1", box_threshold=1.0)
    named = "'scene-7': object 1 \\(man: 'a man in a red shirt'\\) not found"
    with pytest.raises(DetectionError, match=named):
        strict.first_masks(FRAME, SCENE, judge=_ScriptedVerifier(lambda i, j: 1.0))
    with pytest.raises(DetectionError, match="object 2 \\(fridge.*judge score ≥ 0.5 is left"):
        detector.first_masks(FRAME, SCENE, judge=_ScriptedVerifier(lambda i, j: 0.0 if i == 1 else 1.0))


def test_invalid_verification_replies_are_retried_then_fail(detector):
    judge = _ScriptedVerifier(None, reply="the second crop, I think")
    with pytest.raises(DetectionError, match="no valid verification reply"):
        detector.first_masks(FRAME, SCENE, judge=judge)
    assert len(judge.calls) == judge.attempts


def test_tiny_qwen_judge_verifies_with_constrained_replies(detector):
    from intergeneval.judges.qwen import QwenJudge

    judge = QwenJudge("tiny:qwen2.5-vl", constrained=True)
    lenient = GroundingDinoDetector("tiny:grounding-dino", segmenter="tiny:sam2.1", min_score=0.0)
    masks = lenient.first_masks(FRAME, SCENE, judge=judge)
    assert masks.shape == (3, 96, 128)
