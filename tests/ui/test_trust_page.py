"""Judge trust on the page (no browser): the Label tab's views, the trust blocks of model pages and About."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient
from ui_fake_api import create_fake_api

from leaderboard_ui import actions, labelling, trust
from leaderboard_ui.client import ApiClient

LABEL_TOKEN = "ige_label"


@pytest.fixture
def fake():
    return create_fake_api()


@pytest.fixture
def api(fake) -> ApiClient:
    inner = TestClient(fake)

    def forward(request: httpx.Request) -> httpx.Response:
        headers = {k: v for k, v in request.headers.items() if k != "host"}
        r = inner.request(request.method, request.url.path, params=request.url.params, headers=headers,
                          content=request.read())
        return httpx.Response(r.status_code, headers=r.headers, content=r.content)

    return ApiClient("http://api.test", transport=httpx.MockTransport(forward))


def test_model_page_shows_its_judges_controls_and_agreement_with_n(api):
    view = actions.model_view(api, 2)  # beta: results under judge aaaa1111 (demo v1) and bbbb2222 (demo v2)
    html = view.results
    a = html[html.index('data-judge="aaaa1111"'):html.index('data-judge="bbbb2222"')]
    assert "0.350" in a and "[0.250, 0.450]" in a and 'data-testid="controls-flagged"' in a
    assert "n = 120 questions on 12 videos, 3 labellers" in a and "kappa 0.62 [0.500, 0.700]" in a
    assert "reversed video" in a and "not flagged" in a
    b = html[html.index('data-judge="bbbb2222"'):]
    assert "Negative controls: not measured yet." in b and "Agreement with people: not measured yet." in b


def test_model_page_says_when_trust_cannot_be_read(api, fake):
    gone = "/api/v1/leaderboard/trust"
    fake.router.routes = [r for r in fake.router.routes if getattr(r, "path", "") != gone]
    html = actions.model_view(api, 2).results
    assert "Loading the judge&#x27;s trust figures" in html and "404" in html


def test_about_tab_lists_every_judge_in_use_with_its_figures(api):
    board = actions.fetch_board(api, "", "")
    text = actions.about_view(api, "https://ige.example", board)
    section = text[text.index("### Can the judge be trusted?"):text.index("### Suites offered")]
    assert "`scripted:fixed@aaaa1111`" in section
    assert "frozen 0.350 [0.250, 0.450] (n = 20) **flagged**" in section
    assert "swapped 0.050" in section and "n = 120 questions on 12 videos" in section
    assert "`qwen:tiny@bbbb2222`" in section and "negative controls not measured yet" in section


def test_label_tab_shows_questions_never_answers_and_saves_through_the_api(api, fake):
    assert "label scope" in labelling.next_video(api, None).message
    refused = labelling.next_video(api, "ige_test")  # a submit token
    assert "lacks the &#x27;label&#x27; scope" in refused.message and refused.item == {}
    view = labelling.next_video(api, LABEL_TOKEN, image_url=actions.evidence_url)
    assert view.item["scenario_id"] == "002"
    assert 'src="ui-data/evidence/11/002/005.jpg"' in view.video and "a &lt;person&gt;" in view.video
    assert [r["visible"] for r in view.radios[:10]] == [True] * 10
    assert not any(r["visible"] for r in view.radios[10:])
    assert view.radios[0]["label"] == "1. Question 1 about the cup?" and view.radios[0]["value"] is None
    assert view.groups[0] == {"visible": True, "heading": "**Key interaction 1:** a person lifts a cup"}
    values = ["yes", "no", "unsure", None, "yes"] + [None] * 35
    saved = labelling.save(api, LABEL_TOKEN, view.item, values)
    assert "Saved 4 answers" in saved.message
    assert fake.state.labels == [{"key_interaction": 0, "slot": s, "answer": a}
                                 for s, a in ((1, "yes"), (2, "no"), (3, "unsure"), (5, "yes"))]
    assert [r["value"] for r in saved.radios[:5]] == ["yes", "no", "unsure", None, "yes"]
    again = labelling.next_video(api, LABEL_TOKEN)  # the earlier answers come back filled in
    assert again.radios[1]["value"] == "no"
    nothing = labelling.save(api, LABEL_TOKEN, view.item, [None] * 40)
    assert "at least one question" in nothing.message and len(fake.state.labels) == 4
    assert "Get a video" in labelling.save(api, LABEL_TOKEN, {}, values).message


def test_label_tab_shows_the_apis_refusal():
    def refuse(request: httpx.Request) -> httpx.Response:
        error = {"code": "invalid_request", "message": "slot must be 1..10"}
        return httpx.Response(422, json={"error": error})

    api = ApiClient("http://api.test", transport=httpx.MockTransport(refuse))
    item = {"job_id": 1, "scenario_id": "s", "key_interactions": [
        {"index": 0, "questions": [{"slot": 1, "text": "q"}]}]}
    view = labelling.save(api, LABEL_TOKEN, item, ["yes"] + [None] * 39)
    assert "slot must be 1..10" in view.message and view.item == item


def test_trust_markdown_without_any_judge():
    assert "nothing measured" in trust.trust_markdown({"judges": []}, [])


_TEN = [{"slot": s, "text": f"q{s}"} for s in range(1, 11)]


@pytest.mark.parametrize("status, words", [(401, "label scope"), (503, "database is busy")])
def test_a_failed_save_keeps_the_labellers_choices(status, words):
    """A revoked token or a busy service: the message says so and the answers chosen stay on the tab, so
    saving again (with a new token, or later) loses nothing."""
    def refuse(request: httpx.Request) -> httpx.Response:
        message = "token revoked" if status == 401 else "the database is busy"
        return httpx.Response(status, json={"error": {"code": "x", "message": message}})

    api = ApiClient("http://api.test", transport=httpx.MockTransport(refuse))
    item = {"job_id": 1, "scenario_id": "s", "labels": [{"key_interaction": 0, "slot": 2, "answer": "yes"}],
            "key_interactions": [{"index": 0, "questions": _TEN}]}
    chosen = ["no", "no", None, "unsure"] + [None] * 36
    view = labelling.save(api, LABEL_TOKEN, item, chosen)
    assert words in view.message and view.item == item
    # slot 2 changed from the stored "yes" to "no"; slot 3, never answered, stays empty
    assert [r["value"] for r in view.radios[:4]] == ["no", "no", None, "unsure"]


def test_an_unreachable_service_on_save_keeps_the_choices_too():
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    api = ApiClient("http://api.test", transport=httpx.MockTransport(down))
    item = {"job_id": 1, "scenario_id": "s", "key_interactions": [{"index": 0, "questions": _TEN}]}
    view = labelling.save(api, LABEL_TOKEN, item, ["yes"] * 10 + [None] * 30)
    assert [r["value"] for r in view.radios[:10]] == ["yes"] * 10 and "Saving the answers" in view.message
