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
