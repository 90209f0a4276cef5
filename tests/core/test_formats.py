"""Suite loading: validation messages name the file, the scenario and the field; hashes catch changes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from intergeneval.errors import DataFormatError
from intergeneval.formats import append_jsonl, load_suite, read_jsonl, validate_suite, write_suite

from .conftest import scenario, suite_dict


def test_valid_suite_loads_with_slots_and_hash(write_suite_file):
    path = write_suite_file(suite_dict([scenario("a"), scenario("b", pairing="human-human")]))
    s = load_suite(path)
    assert [x.id for x in s.scenarios] == ["a", "b"]
    assert [q.slot for q in s.scenarios[0].key_interactions[0].questions] == list(range(1, 11))
    assert s.content_hash.startswith("sha256:")
    assert s.scenarios[0].content_hash != s.scenarios[1].content_hash


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"interaction_type": "hugging"}, "interaction_type"),
        ({"pairing": "robot-robot"}, "pairing"),
        ({"direction": "sideways"}, "direction"),
        ({"video_prompt": " "}, "video_prompt"),
        ({"objects": []}, "objects"),
        ({"objects": [{"class": "man"}]}, "objects[0].appearance"),
        ({"masks": ["nope.png", "nope2.png"]}, "masks[0]"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_field_is_named_with_file_and_scenario(write_suite_file, change, field):
    path = write_suite_file(suite_dict([scenario("bad-one", **change)]))
    problems = validate_suite(path)
    assert any(str(path) in p and "'bad-one'" in p and f"'{field}'" in p for p in problems), problems
    with pytest.raises(DataFormatError, match="bad-one"):
        load_suite(path)


def test_question_slots_must_be_one_to_ten(write_suite_file):
    sc = scenario("q")
    sc["key_interactions"][0]["questions"][9]["slot"] = 0  # the judge-style 0-based mistake
    problems = validate_suite(write_suite_file(suite_dict([sc])))
    assert any("slots must be exactly 1..10" in p for p in problems)


def test_missing_questions_reported_unless_building(write_suite_file):
    path = write_suite_file(suite_dict([scenario("nq", key_interactions=[])]))
    assert any("intergeneval suite build" in p for p in validate_suite(path))
    assert load_suite(path, require_questions=False).scenarios[0].key_interactions == ()


def test_duplicate_ids_and_bad_header(write_suite_file):
    path = write_suite_file(suite_dict([scenario("x"), scenario("x")], schema_version=7))
    problems = validate_suite(path)
    assert any("duplicate id" in p for p in problems)
    assert any("schema_version" in p for p in problems)


def test_stored_hash_must_match_content(tmp_path):
    path = tmp_path / "suite.json"
    write_suite(path, suite_dict())
    assert load_suite(path).content_hash == json.loads(path.read_text())["content_hash"]
    raw = json.loads(path.read_text())
    raw["scenarios"][0]["video_prompt"] = "A man closes a fridge."
    path.write_text(json.dumps(raw))
    with pytest.raises(DataFormatError, match="new suite version"):
        load_suite(path)


def test_mask_bytes_enter_the_scenario_hash(tmp_path):
    for k in (1, 2):
        Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / f"m{k}.png")
    d = suite_dict([scenario("m", masks=["m1.png", "m2.png"])])
    path = tmp_path / "suite.json"
    path.write_text(json.dumps(d))
    before = load_suite(path).scenarios[0]
    assert before.masks == (tmp_path / "m1.png", tmp_path / "m2.png")
    Image.fromarray(np.full((8, 8), 255, np.uint8)).save(tmp_path / "m1.png")
    assert load_suite(path).scenarios[0].content_hash != before.content_hash


def test_invalid_json_and_missing_file_are_clear(tmp_path):
    bad = tmp_path / "broken.json"
    bad.write_text("{not json")
    assert "not valid JSON" in validate_suite(bad)[0]
    assert "no such suite" in validate_suite(tmp_path / "absent.json")[0]


def _reference_tree(root: Path, *, with_questions: bool) -> Path:
    meta = [
        {"video_text_prompt": "A man opens a fridge.", "image_text_prompt": "A man stands by a fridge.",
         "interaction_direction": "unidirectional", "num_objects": 2, "interaction_type": "transport_move",
         "objects": [{"class": "man", "appearance": "a man"}, {"class": "fridge", "appearance": "a fridge"}]},
        {"video_text_prompt": "Two people shake hands.", "interaction_direction": "bidirectional",
         "num_objects": 2, "interaction_type": "social_contact",
         "objects": [{"class": "person", "appearance": "a woman"}, {"class": "person", "appearance": "a man"}]},
    ]
    (root / "meta.json").write_text(json.dumps(meta))
    (root / "images").mkdir()
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(root / "images" / "000.png")
    (root / "masks" / "000").mkdir(parents=True)
    for k in (1, 2):
        Image.fromarray(np.zeros((16, 16), np.uint8)).save(root / "masks" / "000" / f"id{k}.png")
    if with_questions:
        (root / "questions").mkdir()
        for sid in ("000", "001"):
            items = [{"key_interaction": "ki", "questions": [f"q{k}" for k in range(1, 11)]}]
            (root / "questions" / f"{sid}.json").write_text(json.dumps({"video_id": sid, "items": items}))
    return root / "meta.json"


def test_reference_meta_loads_as_a_suite(tmp_path):
    meta = _reference_tree(tmp_path, with_questions=True)
    s = load_suite(tmp_path)  # the folder works as well as the file
    assert load_suite(meta).content_hash == s.content_hash
    a, b = s.scenarios
    assert (a.id, a.interaction_type, b.interaction_type) == ("000", "transport", "social")
    assert a.first_frame == tmp_path / "images" / "000.png" and b.first_frame is None
    assert a.masks is not None and len(a.masks) == 2 and b.masks is None
    assert a.image_prompt == "A man stands by a fridge." and a.pairing == "unspecified"
    assert [q.slot for q in b.key_interactions[0].questions] == list(range(1, 11))


def test_reference_meta_without_questions_needs_a_build(tmp_path):
    _reference_tree(tmp_path, with_questions=False)
    assert any("'000'" in p and "key_interactions" in p for p in validate_suite(tmp_path))
    assert len(load_suite(tmp_path, require_questions=False).scenarios) == 2


def test_jsonl_survives_a_torn_last_line(tmp_path):
    p = tmp_path / "x.jsonl"
    append_jsonl(p, {"a": 1})
    append_jsonl(p, {"a": 2})
    with open(p, "a") as f:
        f.write('{"a": 3')  # a crash mid-write
    assert [r["a"] for r in read_jsonl(p)] == [1, 2]
    p.write_text('{"a": 1}\nnot json\n{"a": 3}\n')
    with pytest.raises(DataFormatError, match="line 2"):
        list(read_jsonl(p))
