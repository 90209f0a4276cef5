"""The CLI's contract: exit 0 all scored, 1 some failed (listed), 2 usage or input errors."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from intergeneval.cli import app

from .conftest import scenario, suite_dict

runner = CliRunner()


@pytest.fixture(scope="module")
def scenes(tmp_path_factory):
    from intergeneval.synthetic import make_scene_set

    return make_scene_set(tmp_path_factory.mktemp("cli-scenes"), n_videos=3, frames=11, size=(48, 64), seed=1)


def _score(scenes, out, videos=None, *extra):
    return runner.invoke(app, ["score", str(videos or scenes.videos), "--prompts", str(scenes.suite), "--out", str(out),
                               "--answers", str(scenes.answers), "--tracks", str(scenes.tracks), *extra])


def test_score_all_ok_exits_0_and_prints_table(scenes, tmp_path):
    res = _score(scenes, tmp_path)
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())  # rich wraps lines to the terminal width
    assert "3/3 videos scored" in text and "KISA" in text
    assert (tmp_path / "summary.json").is_file()


def test_score_with_failures_exits_1_and_lists_them(scenes, tmp_path):
    videos = tmp_path / "v"
    shutil.copytree(scenes.videos, videos)
    (videos / f"{scenes.ids[1]}.mp4").write_bytes(b"\x00" * 64)
    res = _score(scenes, tmp_path / "out", videos)
    assert res.exit_code == 1
    assert f"failed {scenes.ids[1]}: unreadable" in " ".join(res.output.split())


def test_input_errors_exit_2(scenes, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(suite_dict([scenario("x", pairing="nobody")])))
    res = runner.invoke(app, ["score", str(scenes.videos), "--prompts", str(bad), "--out", str(tmp_path / "o"),
                              "--answers", str(scenes.answers), "--tracks", str(scenes.tracks)])
    assert res.exit_code == 2 and "pairing" in res.output
    res = runner.invoke(app, ["score", str(tmp_path / "nowhere"), "--prompts", str(scenes.suite)])
    assert res.exit_code == 2 and "does not exist" in res.output
    res = runner.invoke(app, ["score", str(scenes.videos), "--prompts", str(scenes.suite), "--judge", "gpt9",
                              "--tracks", str(scenes.tracks), "--out", str(tmp_path / "o2")])
    assert res.exit_code == 2 and "unknown judge 'gpt9'" in res.output
    res = runner.invoke(app, ["score", str(scenes.videos), "--prompts", str(scenes.suite), "--judge-option", "oops"])
    assert res.exit_code == 2 and "key=value" in res.output


def test_suite_validate(tmp_path, write_suite_file):
    good = write_suite_file(suite_dict())
    assert runner.invoke(app, ["suite", "validate", str(good)]).exit_code == 0
    bad = write_suite_file(suite_dict([scenario("z", direction="up")]), "bad.json")
    res = runner.invoke(app, ["suite", "validate", str(bad)])
    assert res.exit_code == 1 and "'z'" in res.output and "direction" in res.output


def test_report_writes_html_with_evidence(scenes, tmp_path):
    assert _score(scenes, tmp_path).exit_code == 0
    res = runner.invoke(app, ["report", str(tmp_path)])
    assert res.exit_code == 0, res.output
    html = (tmp_path / "report.html").read_text()
    assert "Evidence per video" in html and "evidence/" in html and "decisive frame" in html
    for sid in scenes.ids:
        assert f"id='v-{sid}'" in html
    assert runner.invoke(app, ["report", str(tmp_path / "empty")]).exit_code == 2


def test_suite_build_freezes_questions_from_templates(tmp_path):
    from intergeneval.formats import load_suite, resolve_suite_path

    shipped = json.loads(resolve_suite_path("intergeneval-open-v1").read_text())
    scenarios = [{k: v for k, v in sc.items() if k != "key_interactions"} for sc in shipped["scenarios"][:3]]
    src = tmp_path / "unfrozen.json"
    src.write_text(json.dumps(suite_dict(scenarios, suite_id="mine", version="0.1")))
    res = runner.invoke(app, ["suite", "build", str(src), "--out", str(tmp_path / "built")])
    assert res.exit_code == 0, res.output
    built = load_suite(tmp_path / "built")
    assert [s.id for s in built.scenarios] == [s["id"] for s in scenarios]
    assert all(len(ki.questions) == 10 for s in built.scenarios for ki in s.key_interactions)
    assert built.content_hash in res.output
    res = runner.invoke(app, ["suite", "build", str(src), "--out", str(tmp_path / "b2"), "--questions", "keep"])
    assert res.exit_code == 2


@pytest.mark.parametrize("limit", ["0", "-3"])
def test_limit_zero_or_negative_is_a_usage_error(scenes, tmp_path, limit):
    res = _score(scenes, tmp_path, None, "--limit", limit)
    assert res.exit_code == 2 and "limit must be at least 1" in " ".join(res.output.split())
    assert not (tmp_path / "summary.json").exists()


def test_limit_summary_says_n_of_m_and_not_comparable(scenes, tmp_path):
    res = _score(scenes, tmp_path, None, "--limit", "2")
    text = " ".join(res.output.split())
    assert res.exit_code == 0, res.output
    assert "2/2 videos scored" in text and "not comparable" in text
    assert "covered 2 of the suite's 3 scenarios" in text
