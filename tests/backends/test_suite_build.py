"""`build_suite`: a frozen suite from the reference's meta.json (detect → verify → segment on the prompt
image, judge-written questions) or from structured fields (template questions)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from intergeneval.errors import DataFormatError, JudgeError
from intergeneval.formats import load_suite
from intergeneval.judges.base import ChatJudge, JudgeRequest, JudgeVideo
from intergeneval.questions import build_questions
from intergeneval.suite_build import build_suite, parse_questions_reply
from intergeneval.video import load_mask

from .conftest import make_scenario, random_frames


def _good_questions(video: JudgeVideo) -> dict:
    sc, colors = video.scenario, video.colors
    a = f"{sc.objects[0].appearance} ({colors[0]} bbox)"
    b = f"{sc.objects[1].appearance} ({colors[1]} bbox)"
    return {"key_interactions": [{"text": f"{a} opens {b}",
                                  "questions": [f"Does {a} touch {b} at step {k}?" for k in range(1, 11)]}]}


class _Scripted(ChatJudge):
    """Scripted replies by request kind: verification scores prefer candidate i for object i."""

    name = "scripted-build"

    def __init__(self, questions=_good_questions):
        super().__init__()
        self.questions, self.kinds = questions, []

    def complete(self, video: JudgeVideo, request: JudgeRequest) -> str:
        self.kinds.append(request.kind)
        if request.kind == "questions":
            got = self.questions(video)
            return got if isinstance(got, str) else json.dumps(got)
        n, c = len(video.scenario.objects), len(video.frames)
        scores = [{"object": i + 1, "scores": [1.0 if j == i else 0.6 for j in range(c)]} for i in range(n)]
        return json.dumps(scores)


@pytest.fixture(scope="module")
def detector():
    from intergeneval.detection.grounding_dino import GroundingDinoDetector

    return GroundingDinoDetector("tiny:grounding-dino", segmenter="tiny:sam2.1")


def _reference_folder(root: Path, n: int = 2) -> Path:
    """A reference EVAL_DATA folder: meta.json and images/NNN.png, no masks, no questions."""
    (root / "images").mkdir(parents=True)
    entries = []
    for i in range(n):
        entries.append({"video_text_prompt": f"A man opens a fridge, take {i}.",
                        "image_text_prompt": "A kitchen.", "interaction_direction": "unidirectional",
                        "num_objects": 2, "interaction_type": "contact",
                        "objects": [{"class": "man", "appearance": "man in a red shirt"},
                                    {"class": "fridge", "appearance": "white fridge"}]})
        Image.fromarray(random_frames(1, 96, 128, seed=10 + i)[0]).save(root / "images" / f"{i:03d}.png")
    (root / "meta.json").write_text(json.dumps(entries))
    return root / "meta.json"


def test_reference_meta_becomes_a_frozen_suite_with_masks_and_judge_questions(tmp_path, detector):
    src = _reference_folder(tmp_path / "ref")
    judge = _Scripted()
    report = build_suite(src, tmp_path / "out", judge=judge, detector=detector, questions="judge",
                         suite_id="ref-i2v", version="1")
    suite = load_suite(tmp_path / "out" / "suite.json")  # frozen: questions required, hash checked
    assert (suite.suite_id, suite.version, len(suite.scenarios)) == ("ref-i2v", "1", 2)
    assert report.masks_made == report.questions_made == ["000", "001"] and report.skipped == []
    for sc in suite.scenarios:
        assert sc.first_frame.name == f"{sc.id}.png" and len(sc.masks) == 2
        masks = [load_mask(p) for p in sc.masks]
        assert all(m.shape == (96, 128) and m.any() for m in masks)
        qs = [q.text for q in sc.key_interactions[0].questions]
        assert [q.slot for q in sc.key_interactions[0].questions] == list(range(1, 11))
        assert all("man in a red shirt (red bbox)" in q and "white fridge (green bbox)" in q for q in qs)
    assert judge.kinds.count("verify") == 2 and judge.kinds.count("questions") == 2


def test_rebuilding_a_built_suite_keeps_everything_and_its_hash(tmp_path, detector):
    src = _reference_folder(tmp_path / "ref", n=1)
    first = build_suite(src, tmp_path / "a", judge=_Scripted(), detector=detector, questions="judge")
    judge = _Scripted(questions=lambda v: pytest.fail("frozen questions must never be regenerated"))
    again = build_suite(tmp_path / "a" / "suite.json", tmp_path / "b", judge=judge, detector=detector,
                        questions="judge")
    assert again.suite.content_hash == first.suite.content_hash
    assert again.masks_made == again.questions_made == [] and judge.kinds == []


def test_structured_fields_give_the_template_questions(tmp_path):
    shipped_file = Path(__file__).parents[2] / "intergeneval/suites/intergeneval-open-v1.json"
    shipped = json.loads(shipped_file.read_text())
    scenario = dict(shipped["scenarios"][0])
    expected = scenario.pop("key_interactions")
    head = {k: shipped[k] for k in ("format", "schema_version", "suite_id", "version", "protocol")}
    (tmp_path / "src.json").write_text(json.dumps({**head, "scenarios": [scenario]}))
    report = build_suite(tmp_path / "src.json", tmp_path / "out")
    built = json.loads(report.path.read_text())["scenarios"][0]["key_interactions"]
    assert built == expected == build_questions(scenario["fields"], scenario["objects"])
    assert report.questions_made == [scenario["id"]]


def test_failures_name_the_scenario_or_are_skipped_with_keep_going(tmp_path, detector):
    src = _reference_folder(tmp_path / "ref")
    unnamed = {"key_interactions": [{"text": "x", "questions": ["Is it open?"] * 10}]}
    bad = _Scripted(questions=lambda v: unnamed)
    named = "(?s)2 scenario\\(s\\).*000: scenario '000': no valid questions"
    with pytest.raises(DataFormatError, match=named):
        build_suite(src, tmp_path / "out", judge=bad, detector=detector, questions="judge")
    with pytest.raises(DataFormatError, match="000: has no questions and no structured 'fields'"):
        build_suite(src, tmp_path / "out", judge=_Scripted(), detector=detector, questions="templates")
    with pytest.raises(DataFormatError, match="has a first frame but no masks"):
        build_suite(src, tmp_path / "out", judge=_Scripted(), questions="judge")
    def good_for_000(video):  # scenario 000 gets valid questions, 001 never does
        return _good_questions(video) if video.scenario.id == "000" else "not json"

    report = build_suite(src, tmp_path / "out", judge=_Scripted(questions=good_for_000), detector=detector,
                         questions="judge", keep_going=True)
    assert [s.id for s in report.suite.scenarios] == ["000"] and report.skipped[0].startswith("001: ")


def test_question_replies_must_write_every_entity_as_appearance_and_roster_colour():
    sc = make_scenario(n_objects=2)
    colors = ("red", "green")
    a, b = "a man number 1 (red bbox)", "a fridge number 2 (green bbox)"

    def reply(qs):
        return json.dumps({"key_interactions": [{"text": "t", "questions": qs}]})

    assert len(parse_questions_reply(reply([f"Does {a} open {b}?"] * 10), sc, colors)[0]["questions"]) == 10
    for qs, match in [
        ([f"Does {a} open {b}?"] * 9, "exactly 10"),
        (["Does the man open the fridge?"] * 10, "names no object"),
        ([f"Does {a} open the door (blue bbox)?"] * 10, "'blue' is not in the roster"),
        (["Does the fellow (red bbox) open it?"] * 10, "does not follow the appearance"),
    ]:
        with pytest.raises(JudgeError, match=match):
            parse_questions_reply(reply(qs), sc, colors)


def test_attached_images_must_name_known_scenarios(tmp_path, detector):
    src = _reference_folder(tmp_path / "ref", n=1)
    (tmp_path / "imgs").mkdir()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "imgs" / "999.png")
    with pytest.raises(DataFormatError, match="unknown scenario id\\(s\\): 999"):
        build_suite(src, tmp_path / "out", judge=_Scripted(), detector=detector, images=tmp_path / "imgs")
