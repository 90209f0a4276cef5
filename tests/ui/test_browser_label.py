"""The Label tab in Debian's Chromium against a real `intergeneval serve`: a labeller gets a scored video's
frames and questions (never the judge's answers), answers them, the answers are stored through the API and
come back; the About tab and the model page then show the judge's agreement with people and its controls."""

from __future__ import annotations

import re
import time

import httpx
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
TIMEOUT = 30_000
CHOSEN = {s: ("unsure" if s == 3 else "yes" if s % 2 else "no") for s in range(1, 11)}


@pytest.fixture(scope="module")
def labelled_job(served, demo_zip):
    """A job of the demo videos scored by the server, a label token, and controls stored for its judge."""
    admin = {"Authorization": f"Bearer {served.token}"}
    with demo_zip.open("rb") as f:
        r = httpx.post(served.base + "/api/v1/submissions", headers=admin,
                       files={"archive": ("videos.zip", f, "application/zip")},
                       data={"model": '{"name": "ui-label-model", "organisation": "Label Lab"}',
                             "suite": "synthetic"}, timeout=60)
    assert r.status_code in (200, 201), r.text
    job_id = r.json()["job"]["id"]
    deadline = time.monotonic() + 60
    while served.api(f"/jobs/{job_id}")["status"] not in ("succeeded", "incomplete", "failed", "cancelled"):
        assert time.monotonic() < deadline, "the job did not finish in 60 s"
        time.sleep(0.5)
    assert served.api(f"/jobs/{job_id}")["status"] == "succeeded"
    made = httpx.post(served.base + "/api/v1/admin/tokens", headers=admin,
                      json={"name": "ui-labeller", "scopes": ["label"]}, timeout=30)
    assert made.status_code == 201, made.text
    summary = served.api(f"/jobs/{job_id}/results")["summary"]["raw"]
    _store_controls(served, job_id, summary)
    return {"job_id": job_id, "token": made.json()["token"], "judge": summary["fingerprints"]["judge"]}


def _store_controls(served, job_id: int, summary: dict) -> None:
    """A controls report made by the library from three frozen controls the judge answered "no" to, stored for
    the job's judge with the service's own function (the replay tracker of this server cannot run them)."""
    from intergeneval.controls import control_id, controls_report
    from server.core.db import make_engine, session_scope
    from server.trust import store_controls

    records = [{"scenario_id": control_id(f"s{i}", "frozen"), "status": "scored", "sampled_frames": [0, 5],
                "control": {"kind": "frozen"}, "changes": {"emergence": [], "disappearance": []},
                "interactions": [{"answers": [{"slot": s, "answer": "yes" if s == 1 else "no"}
                                              for s in range(1, 11)]}]} for i in range(3)]
    report = controls_report(records, kinds=("frozen",), sample=["s0", "s1", "s2"], samples=200)
    engine = make_engine(f"sqlite:///{served.data / 'intergeneval.db'}")
    try:
        with session_scope(engine) as s:
            assert store_controls(s, job_id=job_id, summary={**summary, "controls": report}) is not None
    finally:
        engine.dispose()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT)
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def _radio(page, slot: int, answer: str):
    exact = re.compile(f"^\\s*{re.escape(answer)}\\s*$")
    return page.locator(f"#label-q0-{slot} label").filter(has_text=exact)


def test_label_tab_round_trip(page, served, labelled_job, artifacts):
    token = labelled_job["token"]
    page.goto(served.base + "/?tab=label")
    page.locator("#label-token input").click()
    page.keyboard.type(token, delay=5)
    page.locator("#label-next").click()
    video = page.locator("[data-testid=label-video]")
    video.wait_for()
    page.wait_for_function("""() => {
        const imgs = [...document.querySelectorAll('[data-testid=label-frames] img')];
        return imgs.length > 0 && imgs.every(i => i.complete && i.naturalWidth > 0);
    }""")
    job_id, sid = int(video.get_attribute("data-job")), video.get_attribute("data-scenario")
    headers = {"Authorization": f"Bearer {token}"}
    item = httpx.get(f"{served.base}/api/v1/labels/{job_id}/{sid}", headers=headers, timeout=30).json()
    questions = item["key_interactions"][0]["questions"]
    for q in questions:  # each question is shown as asked, with yes / no / unsure and nothing chosen
        box = page.locator(f"#label-q0-{q['slot']}")
        expect(box).to_be_visible()
        expect(box).to_contain_text(q["text"])
        assert box.locator("input:checked").count() == 0
    expect(page.locator("#label-q1-1")).to_be_hidden()  # one key interaction: the second group stays hidden
    # none of the judge's answers or decisive frames is on the tab
    tab_text = page.locator("#label-video").inner_text()
    assert "decisive" not in tab_text and page.locator("#label-video .ev-answer").count() == 0
    results = served.api(f"/jobs/{job_id}/videos/{sid}")
    asked = {q["text"] for q in questions}
    assert results["answers"] and all(a["question"] in asked for a in results["answers"])

    for slot, answer in CHOSEN.items():
        _radio(page, slot, answer).click()
    page.screenshot(path=str(artifacts / "label-tab.png"), full_page=True)
    page.locator("#label-save").click()
    expect(page.locator("[data-testid=label-message]")).to_contain_text("Saved 10 answers")

    # stored through the API: the same answers come back from it, and the tab shows what was stored
    stored = httpx.get(f"{served.base}/api/v1/labels/{job_id}/{sid}", headers=headers, timeout=30).json()
    assert {x["slot"]: x["answer"] for x in stored["labels"]} == CHOSEN
    for slot, answer in CHOSEN.items():
        expect(page.locator(f"#label-q0-{slot} input[value='{answer}']")).to_be_checked()
    export = served.api("/labels/export")
    assert sum(1 for x in export["labels"] if x["scenario_id"] == sid and x["job_id"] == job_id) == 10

    # the token was kept in this browser; the next video is another one
    page.goto(served.base + "/?tab=label")
    expect(page.locator("#label-token input")).to_have_value(token)
    page.locator("#label-next").click()
    page.wait_for_function("(sid) => { const v = document.querySelector('[data-testid=label-video]');"
                           " return v && v.dataset.scenario !== sid; }", arg=sid)


def test_about_and_model_page_show_the_judges_trust(page, served, labelled_job, artifacts):
    from server.fingerprints import fingerprint_hash

    fp = fingerprint_hash(labelled_job["judge"])
    entry = next(j for j in served.api("/leaderboard/trust")["judges"] if j["judge_fingerprint"] == fp)
    assert entry["controls"] and entry["controls"][0]["kinds"]["frozen"]["expected_no"]["yes_rate"] == 0.0
    page.goto(served.base + "/?tab=about")
    about = page.locator("#about")
    expect(about).to_contain_text("Can the judge be trusted?")
    expect(about).to_contain_text("frozen 0.000")
    human = entry["human"]
    if human is None:  # run alone: no label stored yet
        expect(about).to_contain_text("Agreement with people: not measured yet")
    else:
        expect(about).to_contain_text(f"n = {human['questions']} questions on {human['videos']} videos")
    model_id = served.api(f"/jobs/{labelled_job['job_id']}")["model_id"]
    page.goto(f"{served.base}/?model={model_id}")
    block = page.locator(f'[data-testid=judge-trust][data-judge="{fp}"]')
    block.wait_for()
    expect(block.locator('tr[data-kind="frozen"] .tr-rate')).to_have_text("0.000")
    expect(block.locator("[data-testid=human-agreement]")).to_contain_text("Agreement with people")
    page.screenshot(path=str(artifacts / "model-trust.png"), full_page=True)


def test_a_save_refused_for_a_revoked_token_keeps_the_choices(page, served, labelled_job):
    """The token is revoked while the labeller answers: Save says why and the chosen answers stay checked
    (nothing is stored, nothing is lost); a new token saves them as they are."""
    admin = {"Authorization": f"Bearer {served.token}"}
    made = httpx.post(served.base + "/api/v1/admin/tokens", headers=admin,
                      json={"name": "ui-labeller-revoked", "scopes": ["label"]}, timeout=30).json()
    page.goto(served.base + "/?tab=label")
    page.locator("#label-token input").fill(made["token"])
    page.locator("#label-next").click()
    video = page.locator("[data-testid=label-video]")
    video.wait_for()
    job_id, sid = int(video.get_attribute("data-job")), video.get_attribute("data-scenario")
    for slot, answer in CHOSEN.items():
        _radio(page, slot, answer).click()
    r = httpx.delete(f"{served.base}/api/v1/admin/tokens/{made['id']}", headers=admin, timeout=30)
    assert r.status_code == 200, r.text
    page.locator("#label-save").click()
    message = page.locator("[data-testid=label-message]")
    expect(message).to_contain_text("a token with the label scope is needed")
    for slot, answer in CHOSEN.items():
        expect(page.locator(f"#label-q0-{slot} input[value='{answer}']")).to_be_checked()
    other = httpx.post(served.base + "/api/v1/admin/tokens", headers=admin,
                       json={"name": "ui-labeller-new", "scopes": ["label"]}, timeout=30).json()
    page.locator("#label-token input").fill(other["token"])
    page.locator("#label-save").click()
    expect(page.locator("[data-testid=label-message]")).to_contain_text("Saved 10 answers")
    stored = httpx.get(f"{served.base}/api/v1/labels/{job_id}/{sid}", timeout=30,
                       headers={"Authorization": f"Bearer {other['token']}"}).json()
    assert {x["slot"]: x["answer"] for x in stored["labels"]} == CHOSEN
