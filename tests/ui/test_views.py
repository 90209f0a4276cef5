"""HTML views: groups ranked apart, reference rows unranked, search, escaping, evidence marks, jobs."""

from __future__ import annotations

import re

from ui_fake_api import row, video
from leaderboard_ui import cards, evidence, table
from leaderboard_ui.table import TableOptions, render_leaderboard


def _data(*rows):
    return {"rows": list(rows), "groups": []}


def _models_in(html: str, testid: str) -> list[str]:
    section = re.search(rf'data-testid="{testid}">(.*?)</table>', html, re.S)
    assert section, f"no table {testid}"
    return re.findall(r'<tr data-model="([^"]*)"', section.group(1))


def test_groups_are_separate_tables_and_reference_rows_are_apart_and_unranked():
    data = _data(row(1, 1, "alpha", 0.7, job_id=1), row(2, 2, "beta", 0.5, job_id=2),
                 row(1, 3, "other-judge", 0.9, judge="bbbb", label="qwen@bbbb", job_id=3),
                 row(None, None, "paper-model", 0.8, reference=True))
    html = render_leaderboard(data)
    assert _models_in(html, "leaderboard-table-0") == ["alpha", "beta"]
    assert _models_in(html, "leaderboard-table-1") == ["other-judge"]
    assert _models_in(html, "leaderboard-reference") == ["paper-model"]
    ref = html[html.index('data-testid="lb-reference"'):]
    assert "reported by the paper, different judge" in ref
    assert 'data-col="rank">—<' in ref and "ranked separately" in html


def test_reference_rows_can_be_hidden():
    html = render_leaderboard(_data(row(1, 1, "alpha", 0.7), row(None, None, "paper", 0.8, reference=True)),
                              TableOptions(show_reference=False))
    assert "paper" not in html and "alpha" in html


def test_sorting_changes_the_order_within_a_group_only():
    data = _data(row(1, 1, "alpha", 0.7), row(2, 2, "beta", 0.5), row(3, 3, "gamma", 0.3),
                 row(1, 4, "solo", 0.1, version="2"))
    html = render_leaderboard(data, TableOptions(sort="if", descending=False))
    assert _models_in(html, "leaderboard-table-0") == ["gamma", "beta", "alpha"]
    assert _models_in(html, "leaderboard-table-1") == ["solo"]
    assert '<th class="lb-sortable" data-col="if"' in html and "(95 % CI) ▲" in html


def test_search_filters_by_name_and_organisation_and_says_when_nothing_matches():
    data = _data(row(1, 1, "alpha", 0.7), row(2, 2, "beta", 0.5))
    found = render_leaderboard(data, TableOptions(search="lab BETA"))
    assert _models_in(found, "leaderboard-table-0") == ["beta"]
    empty = render_leaderboard(data, TableOptions(search="zzz"))
    assert 'data-testid="lb-empty"' in empty and "zzz" in empty


def test_api_text_is_escaped():
    evil = row(1, 1, '<script>alert("x")</script>', 0.7)
    evil["organisation"] = "<img src=x onerror=alert(1)>"
    html = render_leaderboard(_data(evil))
    assert "<script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html


def test_if_cell_shows_mean_and_ci_and_coverage_flags_partial_runs():
    r = row(1, 1, "alpha", 0.7)
    r["coverage"] = {"scored": 2, "expected": 3}
    html = render_leaderboard(_data(r))
    assert "<b>0.700</b>" in html and "[0.650, 0.750]" in html
    assert 'class="lb-num lb-partial" data-col="coverage"' in html and ">2/3 (67 %)<" in html
    assert "incomplete: not ranked" in html and 'data-status="incomplete"' in html


def test_category_view_has_a_column_per_category():
    html = render_leaderboard(_data(row(1, 1, "alpha", 0.6)), TableOptions(view="interaction_type"))
    heads = re.findall(r'<th scope="col" data-col="cat-([^"]+)"', html)
    assert heads == ["contact", "social"]
    assert "0.300" in html and "n=1" in html  # social is half of 0.6 in the fixture


def test_visible_rows_match_the_tables_order():
    data = _data(row(1, 1, "alpha", 0.7), row(2, 2, "beta", 0.5),
                 row(None, None, "paper", 0.9, reference=True))
    rows = table.visible_rows(data, TableOptions(sort="if", descending=False))
    assert [r["model_name"] for r in rows] == ["beta", "alpha", "paper"]


def test_evidence_marks_decisive_and_flagged_frames_and_lists_every_answer():
    v = video(9, "001", 0.8)
    html = evidence.render_evidence(v, prompt="A person lifts a cup.", image_url=lambda u: "proxy" + u)
    frames = dict(re.findall(r'<figure class="([^"]+)" id="[^"]+" data-frame="(\d+)"', html)[i][::-1]
                  for i in range(4))
    assert frames["0"] == "ev-frame"
    assert "ev-decisive" in frames["5"] and "ev-decisive" in frames["10"]
    assert "ev-emergence" in frames["15"] and "ev-decisive" not in frames["15"]
    assert len(re.findall(r'<tr class="ev-q"', html)) == 10
    assert 'src="proxy/api/v1/jobs/9/evidence/001/010.jpg"' in html
    assert "a person lifts a cup" in html and "a second cup appears" in html
    assert "Question 1 about &lt;the&gt; cup?" in html


def test_evidence_of_a_failed_video_says_why():
    html = evidence.render_evidence({"scenario_id": "004", "status": "undecodable", "reason": "bad header"})
    assert "undecodable" in html and "bad header" in html and "saw no frames" in html


def test_jobs_table_shows_progress_attempts_and_error():
    html = cards.render_jobs([{"id": 3, "model_id": 1, "model_name": "m", "status": "queued",
                               "queue_position": 2, "progress": {"done": 0, "total": 6}, "attempts": 2,
                               "max_attempts": 3, "error": "worker died"}])
    assert 'data-status="queued"' in html and "0/6" in html and "2/3" in html and "worker died" in html
    assert "#2 in queue" in html


def test_problems_list_every_code():
    problems = [{"code": "fps", "message": "too slow", "items": ["a.mp4"]},
                {"code": "missing_ids", "message": "gone", "items": list(range(20))}]
    html = cards.render_problems("refused", problems)
    assert re.findall(r'data-code="([^"]+)"', html) == ["fps", "missing_ids"]
    assert "(+8)" in html
