"""`intergeneval suite build` from prompts and fields, through the real command: appearances with an article,
pairings beyond a person acting, and the example of docs/suite-format.md."""

from __future__ import annotations

import json
import re
from pathlib import Path

from intergeneval import config

DOCS = Path(__file__).parents[2] / "docs"


def _scenario(sid, pairing="human-object", appearance="man in a blue coat"):
    return {"id": sid, "video_prompt": "A man pushes a door open.",
            "objects": [{"class": "man", "appearance": appearance}, {"class": "door", "appearance": "red door"}],
            "interaction_type": "contact", "direction": "unidirectional", "pairing": pairing,
            "fields": {"subject": 1, "object": 2, "action": "pushes {2} open", "passive": "pushed open",
                       "before": "{1}: stand in front of {2}",
                       "steps": ["{1}: walk to {2}", "{1}: touch {2}", "{1}: push {2}", "{2}: be moving"],
                       "outcome": "{2}: be open"}}


def _source(tmp_path, scenarios):
    path = tmp_path / "prompts.json"
    path.write_text(json.dumps({"format": "intergeneval-suite", "schema_version": 1, "suite_id": "t",
                                "version": "1", "protocol": "intergeneval-v1", "scenarios": scenarios}))
    return path


def _questions(folder):
    suite = json.loads((folder / "suite.json").read_text())
    return {s["id"]: [q["text"] for ki in s["key_interactions"] for q in ki["questions"]]
            for s in suite["scenarios"]}, suite


def test_a_leading_article_is_dropped_and_said(ige, tmp_path):
    src = _source(tmp_path, [_scenario("a1", appearance="a man in a blue coat"),
                             _scenario("a2", appearance="The man in a blue coat")])
    res = ige("suite", "build", src, "--out", tmp_path / "built")
    assert res.returncode == 0, res.stderr
    assert ("note: a1: object 1 appearance 'a man in a blue coat' is written 'man in a blue coat' "
            "(questions say 'the man in a blue coat (red bbox)')") in res.stdout
    questions, suite = _questions(tmp_path / "built")
    for sid in ("a1", "a2"):
        text = " ".join(questions[sid])
        assert "the man in a blue coat (red bbox)" in text
        assert not re.search(r"\bthe (a|an|the) ", text, re.I), text
    assert {s["objects"][0]["appearance"] for s in suite["scenarios"]} == {"man in a blue coat"}


def test_pairings_beyond_a_person_acting(ige, tmp_path):
    pairings = ["object-object", "animal-object", "animal-animal", "animal-nature"]
    assert set(pairings) <= set(config.PAIRINGS)
    src = _source(tmp_path, [_scenario(f"p{k}", pairing=p) for k, p in enumerate(pairings)])
    res = ige("suite", "build", src, "--out", tmp_path / "built")
    assert res.returncode == 0, res.stderr
    _, suite = _questions(tmp_path / "built")
    assert [s["pairing"] for s in suite["scenarios"]] == pairings
    bad = _source(tmp_path, [_scenario("p9", pairing="robot-cloud")])
    res = ige("suite", "build", bad, "--out", tmp_path / "bad")
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "pairing" in res.stderr and "robot-cloud" in res.stderr and "animal-animal" in res.stderr


def test_the_suite_format_example_builds(ige, tmp_path):
    text = (DOCS / "suite-format.md").read_text()
    example = json.loads(re.search(r"```json\n(.*?)```", text, re.S).group(1))
    scenario = example["scenarios"][0]
    for key in ("first_frame", "masks", "key_interactions"):  # files and questions the build makes
        scenario.pop(key)
    assert scenario["fields"]["subject"] == 1 and {"passive", "before"} <= set(scenario["fields"])
    assert not re.match(r"(a|an|the) ", scenario["objects"][0]["appearance"])
    example.pop("content_hash")
    src = tmp_path / "example.json"
    src.write_text(json.dumps(example))
    res = ige("suite", "build", src, "--out", tmp_path / "built")
    assert res.returncode == 0, res.stderr
    assert "note:" not in res.stdout  # nothing to fix in the example
    questions, _ = _questions(tmp_path / "built")
    assert len(questions[scenario["id"]]) == 10


def _one_error_line(res, *needles):
    assert res.returncode == 2, (res.returncode, res.stdout, res.stderr)
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in res.stderr, res.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_suite_hash_takes_the_suite_folder_as_the_other_suite_commands(ige, tmp_path):
    built = ige("suite", "build", _source(tmp_path, [_scenario("h1")]), "--out", tmp_path / "s")
    assert built.returncode == 0, built.stderr
    path = tmp_path / "s" / "suite.json"
    suite = json.loads(path.read_text())
    suite["scenarios"][0]["video_prompt"] = "A man pushes a heavy door open."  # an intended edit
    path.write_text(json.dumps(suite))
    assert ige("suite", "validate", tmp_path / "s").returncode == 1  # the stored hash no longer matches
    res = ige("suite", "hash", tmp_path / "s")  # said "[Errno 21] Is a directory"
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith(f"{path}: sha256:")
    assert ige("suite", "validate", tmp_path / "s").returncode == 0
    _one_error_line(ige("suite", "hash", tmp_path), f"{tmp_path / 'suite.json'}: no such suite file")
    (tmp_path / "list.json").write_text("[]")
    _one_error_line(ige("suite", "hash", tmp_path / "list.json"), "expected a suite (a JSON object)")


def test_suite_build_refuses_its_inputs_before_building_any_model(ige, tmp_path):
    # With transformers missing the tiny profile cannot be built at all: a build that read its source only
    # after building the judge and detector named that instead of the bad source (after seconds of loading
    # with the models installed).
    blocked = {"block": ("transformers",)}
    bad = _source(tmp_path, [_scenario("b1", pairing="robot-cloud")])
    _one_error_line(ige("suite", "build", bad, "--out", tmp_path / "x", "--profile", "tiny", **blocked),
                    "robot-cloud")
    good = _source(tmp_path, [_scenario("b1")])
    _one_error_line(ige("suite", "build", good, "--out", tmp_path / "x", "--images", tmp_path / "none",
                        "--profile", "tiny", **blocked), "images folder does not exist")
    (tmp_path / "taken").write_text("a file")
    _one_error_line(ige("suite", "build", good, "--out", tmp_path / "taken", "--profile", "tiny", **blocked),
                    "taken: is a file, but the output folder must be a folder")
    _one_error_line(ige("suite", "build", good, "--out", tmp_path / "taken"),  # was a FileExistsError
                    "taken: is a file")
    assert not (tmp_path / "x").exists()


def test_suite_build_with_first_frames_names_the_models_it_loads_and_nothing_else(ige, tmp_path):
    from PIL import Image

    scenario = {**_scenario("i1"), "image_prompt": "A man stands in front of a red door."}
    (tmp_path / "frames").mkdir()
    Image.new("RGB", (64, 48), (90, 30, 30)).save(tmp_path / "frames" / "i1.png")
    res = ige("suite", "build", _source(tmp_path, [scenario]), "--out", tmp_path / "built", "--images",
              tmp_path / "frames", "--profile", "tiny", timeout=300)
    assert res.returncode == 0, res.stderr
    assert "masks made for 1, questions written for 1" in res.stdout
    # the models are named as they load; transformers' own weight-loading bars are not shown
    assert res.stderr.splitlines() == ["loading judge…", "loading detector…"], res.stderr


def test_a_prompts_file_saved_with_a_byte_order_mark_builds(ige, tmp_path):
    src = _source(tmp_path, [_scenario("w1")])
    src.write_text(src.read_text(), encoding="utf-8-sig")  # as Notepad saves UTF-8
    res = ige("suite", "build", src, "--out", tmp_path / "built")
    assert res.returncode == 0, res.stderr  # was "not valid JSON: Unexpected UTF-8 BOM"
    assert ige("suite", "validate", tmp_path / "built").returncode == 0


def test_a_mistyped_field_gets_a_suggestion(ige, tmp_path):
    scenario = _scenario("t1")
    scenario["interaction"] = scenario.pop("interaction_type")
    res = ige("suite", "build", _source(tmp_path, [scenario]), "--out", tmp_path / "a")
    assert res.returncode == 2
    hint = "field 'interaction': unknown field. Did you mean: key_interactions, interaction_type?"
    assert hint in res.stderr
    scenario = _scenario("t2")
    scenario["fields"]["stepz"] = scenario["fields"].pop("steps")
    _one_error_line(ige("suite", "build", _source(tmp_path, [scenario]), "--out", tmp_path / "b"),
                    "t2: fields: unknown key(s) stepz. Did you mean: steps? Known: action")
