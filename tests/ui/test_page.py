"""The page's actions and its own routes against the fake API (no browser)."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from matplotlib.figure import Figure
from ui_fake_api import TOKEN, create_fake_api

import leaderboard_ui
from leaderboard_ui import actions, table
from leaderboard_ui.client import ApiClient


@pytest.fixture
def fake():
    return create_fake_api()


@pytest.fixture
def api(fake) -> ApiClient:
    """An ApiClient whose requests go to the fake API app in-process."""
    inner = TestClient(fake)

    def forward(request: httpx.Request) -> httpx.Response:
        headers = {k: v for k, v in request.headers.items() if k != "host"}
        r = inner.request(request.method, request.url.path, params=request.url.params, headers=headers,
                          content=request.read())
        return httpx.Response(r.status_code, headers=r.headers, content=r.content)

    return ApiClient("http://api.test", transport=httpx.MockTransport(forward))


def test_board_offers_suites_and_judges_and_passes_filters_to_the_api(api, fake):
    board = actions.fetch_board(api, "", "")
    assert board.suites == [("All suites", ""), ("demo v1", "demo@1"), ("demo v2", "demo@2")]
    assert [v for _, v in board.judges] == ["", "aaaa1111", "bbbb2222"]
    filtered = actions.fetch_board(api, "demo@2", "")
    assert [r["model_name"] for r in filtered.data["rows"] if not r["reference"]] == ["beta"]
    last = fake.state.calls[-1]
    assert last[1] == "/api/v1/leaderboard" and last[2]["suite"] == "demo" and last[2]["suite_version"] == "2"
    html = actions.render_board(filtered, table.TableOptions(), "demo@2", "")
    assert "suite=demo&amp;suite_version=2" in html  # the downloads carry the same filters


def test_board_reports_an_unreachable_api():
    dead = ApiClient("http://127.0.0.1:9", transport=httpx.MockTransport(
        lambda r: (_ for _ in ()).throw(httpx.ConnectError("refused", request=r))))
    board = actions.fetch_board(dead, "", "")
    assert "cannot reach the API" in actions.render_board(board, table.TableOptions(), "", "")


def test_header_click_toggles_or_switches_column():
    assert actions.header_sort("if", True, "if") == ("if", False)
    assert actions.header_sort("rank", False, "kisa") == ("kisa", True)
    assert actions.header_sort("rank", False, "date") == ("date", True)
    assert actions.header_sort("if", True, None) == ("if", False)


def test_model_view_and_result_view_build_card_charts_and_video_list(api):
    view = actions.model_view(api, "2", job=None)
    assert 'data-testid="model-card"' in view.card and "&lt;b&gt;model&lt;/b&gt;" in view.card
    assert [v for _, v in view.result_choices] == ["12", "14"]
    res = actions.result_view(api, view.model, "12")
    assert isinstance(res.comparison, Figure) and isinstance(res.categories, Figure)
    # compared against the three models of the same suite version and judge
    labels = [t.get_text() for t in res.comparison.axes[0].get_yticklabels()]
    assert sorted(labels) == ["alpha", "beta", "gamma"]
    assert [v for _, v in res.videos] == ["001", "002", "003"]
    html = actions.evidence_view(res.results, res.prompts, "002")
    assert 'data-scenario="002"' in html and "A person lifts cup 002." in html
    assert 'src="ui-data/evidence/12/002/005.jpg"' in html


def test_unknown_model_is_a_message_not_a_crash(api):
    view = actions.model_view(api, "99")
    assert "no model 99" in view.card and view.result_choices == []


def test_jobs_need_a_token_and_list_mine_with_one(api):
    assert "Enter your API token" in actions.jobs_view(api, "")
    assert "unauthorized" in actions.jobs_view(api, "wrong")
    html = actions.jobs_view(api, TOKEN)
    assert 'data-job-id="14"' in html and 'data-job-id="11"' in html


def test_cancel_of_a_finished_job_shows_the_conflict(api):
    assert "already succeeded" in actions.cancel_job(api, 11, TOKEN)


def _zip(tmp_path) -> str:
    path = tmp_path / "videos.zip"
    with zipfile.ZipFile(path, "w") as z:
        for sid in ("001", "002", "003"):
            z.writestr(f"{sid}.mp4", b"fake video " + sid.encode())
    return str(path)


def test_submit_creates_a_job_with_the_card_and_settings(api, fake, tmp_path):
    card = actions.CardFields("alpha", organisation="Lab", link=" https://x.org ", public=False)
    html, job_id = actions.submit(api, token=TOKEN, archive=_zip(tmp_path), card=card, suite="demo@1",
                                  seed="7", notes="cfg 5")
    assert job_id == 15 and 'data-job-id="15"' in html and "?job=15" in html
    sent = fake.state.submissions[-1]
    assert json.loads(sent["model"]) == {"name": "alpha", "organisation": "Lab", "link": "https://x.org",
                                         "public": False}
    assert json.loads(sent["settings"]) == {"seed": 7, "notes": "cfg 5"} and sent["suite"] == "demo"
    assert sent["key"]  # an Idempotency-Key is always sent


def test_submit_shows_every_validation_problem(api, tmp_path):
    bad = tmp_path / "videos.zip"
    bad.write_bytes(b"not a zip")
    html, job_id = actions.submit(api, token=TOKEN, archive=str(bad), card=actions.CardFields("m"), suite="")
    assert job_id is None and 'data-code="not_an_archive"' in html and 'data-code="missing_ids"' in html


def test_submit_checks_only_what_the_api_cannot(api, fake, tmp_path):
    html, job_id = actions.submit(api, token="", archive=None, card=actions.CardFields(" "), suite="")
    assert job_id is None and "your API token" in html and "an archive" in html and "a model name" in html
    html, _ = actions.submit(api, token=TOKEN, archive=_zip(tmp_path), card=actions.CardFields("m"), suite="",
                             seed="seven")
    assert "integer" in html and fake.state.submissions == []


@pytest.fixture
def page(fake, api) -> TestClient:
    app = FastAPI()
    leaderboard_ui.mount(app, "http://api.test", "/ui", client=api)
    return TestClient(app)


def test_mount_serves_the_page_at_its_path(page):
    r = page.get("/ui/")
    assert r.status_code == 200 and "<html" in r.text.lower()


def test_csv_download_is_what_the_table_shows(page):
    r = page.get("/ui/ui-data/leaderboard.csv", params={"suite": "demo", "suite_version": "1", "sort": "if",
                                                       "desc": 0, "reference": 0})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [x["model_name"] for x in rows] == ["gamma", "beta", "alpha"]
    assert {x["reference"] for x in rows} == {"false"}


def test_json_download_carries_rows_filters_and_columns(page):
    r = page.get("/ui/ui-data/leaderboard.json", params={"q": "paper"})
    body = r.json()
    assert [x["model_name"] for x in body["rows"]] == ["Wan2.1 (paper)"]
    assert body["filters"]["search"] == "paper" and body["columns"][:2] == ["rank", "rank_ub"]


def test_evidence_is_proxied_and_bad_paths_refused(page):
    r = page.get("/ui/ui-data/evidence/11/001/005.jpg")
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg" and r.content[:2] == b"\xff\xd8"
    assert page.get("/ui/ui-data/evidence/999/001/005.jpg").status_code == 404
    assert page.get("/ui/ui-data/evidence/11/001/..%2Fsecret").status_code in (400, 404)


def test_about_names_the_profile_judges_and_ci_commands(api):
    board = actions.fetch_board(api, "", "")
    text = actions.about_view(api, "https://ige.example", board)
    assert "`tiny`" in text and "scripted:fixed@aaaa1111" in text
    assert "https://ige.example/api/v1/submissions" in text and "intergeneval submit" in text
