"""The shipped suite intergeneval-open-v1: regenerated from source, valid, balanced, unique, hash-pinned."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from intergeneval import config
from intergeneval.formats import load_suite, resolve_suite_path, shipped_suites, validate_suite, write_suite
from intergeneval.suite_stats import suite_stats
from intergeneval.suites import authoring

NAME = "intergeneval-open-v1"
#: Balance tolerance: each of the 5 types and 4 pairings within ±10 % of an equal share, every
#: type × pairing cell with at least 4 scenarios, each direction at least 15 % of the suite.
SHARE_TOLERANCE = 0.10
MIN_CELL = 4
MIN_DIRECTION_SHARE = 0.15
REQUIRED_FIELDS = {"subject", "object", "action", "passive", "before", "steps", "outcome", "contact", "motion"}


@pytest.fixture(scope="module")
def suite():
    return load_suite(NAME)


@pytest.fixture(scope="module")
def raw():
    return json.loads(resolve_suite_path(NAME).read_text(encoding="utf-8"))


def test_shipped_file_is_exactly_what_the_source_generates(tmp_path):
    fresh = tmp_path / "suite.json"
    authoring.write_open_v1(fresh)
    assert fresh.read_bytes() == authoring.SHIPPED.read_bytes(), (
        "intergeneval-open-v1.json is out of date: run `python -m intergeneval.suites.authoring`"
    )


def test_content_hash_matches_the_released_hash_of_this_version(suite, raw):
    released = authoring.RELEASED.get(suite.version)
    assert released is not None, f"version {suite.version} has no released hash in authoring.RELEASED"
    assert raw["content_hash"] == suite.content_hash == released, (
        "the suite changed: a changed scenario needs a new VERSION and a new RELEASED entry"
    )


def test_a_changed_scenario_changes_the_hash_and_is_refused_under_the_old_one(tmp_path, raw):
    changed = json.loads(json.dumps(raw))
    changed["scenarios"][0]["video_prompt"] += " The light flickers."
    body = {k: v for k, v in changed.items() if k != "content_hash"}
    assert write_suite(tmp_path / "a.json", body).content_hash != raw["content_hash"]
    stale = tmp_path / "stale.json"
    stale.write_text(json.dumps(changed), encoding="utf-8")
    assert any("needs a new suite version" in p for p in validate_suite(stale))


def test_suite_is_shipped_valid_and_identified(suite):
    assert NAME in shipped_suites()
    assert validate_suite(NAME) == []
    assert (suite.suite_id, suite.version, suite.protocol) == (NAME, authoring.VERSION, config.PROTOCOL_ID)
    assert len(suite.scenarios) >= 120


def test_balance_over_types_pairings_and_directions(suite):
    n = len(suite.scenarios)
    types = Counter(s.interaction_type for s in suite.scenarios)
    pairings = Counter(s.pairing for s in suite.scenarios)
    cells = Counter((s.interaction_type, s.pairing) for s in suite.scenarios)
    for t in config.INTERACTION_TYPES:
        assert abs(types[t] - n / 5) <= SHARE_TOLERANCE * n / 5, (t, types)
    assert set(pairings) == set(config.HUMAN_PAIRINGS)  # the paper's four: a person acts
    for p in config.HUMAN_PAIRINGS:
        assert abs(pairings[p] - n / 4) <= SHARE_TOLERANCE * n / 4, (p, pairings)
    for t in config.INTERACTION_TYPES:
        for p in config.HUMAN_PAIRINGS:
            assert cells[t, p] >= MIN_CELL, (t, p, cells[t, p])
    directions = Counter(s.direction for s in suite.scenarios)
    assert min(directions[d] for d in config.DIRECTIONS) >= MIN_DIRECTION_SHARE * n, directions


def test_spread_over_object_counts_and_contact_and_motion_levels(suite):
    counts = Counter(len(s.objects) for s in suite.scenarios)
    assert set(counts) == {2, 3, 4} and min(counts.values()) >= 5, counts
    for key in ("contact", "motion"):
        levels = Counter(s.fields[key] for s in suite.scenarios)
        assert set(levels) == {"low", "medium", "high"} and min(levels.values()) >= 10, (key, levels)


def test_ids_and_prompts_are_unique(suite):
    for what in ("id", "video_prompt", "image_prompt"):
        values = [getattr(s, what) for s in suite.scenarios]
        dupes = [v for v, c in Counter(values).items() if c > 1]
        assert not dupes, f"duplicate {what}: {dupes[:3]}"
    keys = Counter(tuple(o.appearance for o in s.objects) for s in suite.scenarios)
    assert max(keys.values()) == 1


def test_ids_name_their_pairing_and_type(suite):
    prefix = {"human-object": "obj", "human-human": "hum", "human-animal": "ani", "human-nature": "nat"}
    for s in suite.scenarios:
        assert re.fullmatch(rf"{prefix[s.pairing]}-{s.interaction_type}-\d\d", s.id), s.id


def test_every_scenario_carries_its_fields_prompts_and_frozen_questions(suite):
    for s in suite.scenarios:
        assert s.image_prompt and s.video_prompt
        assert 2 <= len(s.objects) <= 4, s.id
        for o in s.objects:
            assert not re.match(r"(a|an|the) ", o.appearance, re.IGNORECASE), (s.id, o.appearance)
        assert REQUIRED_FIELDS <= set(s.fields), s.id
        assert len(s.fields["steps"]) == 4
        expected = 2 if s.direction == "bidirectional" else 1
        assert len(s.key_interactions) == expected, s.id
        assert ("response" in s.fields) == (s.direction == "bidirectional"), s.id
        for ki in s.key_interactions:
            assert [q.slot for q in ki.questions] == list(range(1, 11))
            mentioned = set(re.findall(r"\((\w+) bbox\)", " ".join(q.text for q in ki.questions)))
            assert mentioned <= {"red", "green", "blue", "yellow"}


def test_no_question_carries_a_doubled_article_or_a_negation(suite):
    # "the still closed the door" comes from writing an adjective before a placeholder.
    for s in suite.scenarios:
        for ki in s.key_interactions:
            for q in ki.questions:
                assert not re.search(r"\bthe (\w+ )?the\b", q.text), (s.id, q.text)
                assert not re.search(r"\b(not|never|no longer)\b", q.text), (s.id, q.text)


def test_suite_show_statistics_report_the_balance(suite):
    counts = suite_stats(suite)["counts"]
    n = len(suite.scenarios)
    assert counts["interaction_type"] == {t: n // 5 for t in sorted(config.INTERACTION_TYPES)}
    assert counts["pairing"] == {p: n // 4 for p in sorted(config.HUMAN_PAIRINGS)}
    assert sum(counts["direction"].values()) == sum(counts["objects"].values()) == n


def test_check_mode_detects_a_stale_shipped_file(tmp_path, monkeypatch, capsys):
    assert authoring.main(["--check"]) == 0
    stale = tmp_path / f"{NAME}.json"
    text = authoring.SHIPPED.read_text(encoding="utf-8")
    stale.write_text(text.replace("bright kitchen", "dark kitchen", 1), encoding="utf-8")
    monkeypatch.setattr(authoring, "SHIPPED", stale)
    assert authoring.main(["--check"]) == 1
    assert "differs from its source" in capsys.readouterr().err


def test_the_shipped_file_is_found_by_name_inside_the_package():
    path = resolve_suite_path(NAME)
    assert path == Path(authoring.__file__).parent / f"{NAME}.json"
