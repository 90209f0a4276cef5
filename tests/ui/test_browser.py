"""The page in Debian's Chromium (Playwright) against a real `intergeneval serve` with seeded results.

Seeded (through the service's own crud, scores aggregated by the library): three models on the demo suite
under one judge, with IF 0.8 > 0.5 > 0.2 and names whose alphabetical order differs from their rank, and one
model on the open-v1 suite. The submit test uploads the demo suite's videos through the form; the server
scores them with the scripted judge and replay tracker.
"""

from __future__ import annotations

import re
import time

import httpx
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SEEDED_JUDGE = {"backend": "seeded", "model": "ui-test-judge", "prompt": "v1"}
RANKED = {"seed-zeta": 0.8, "seed-alpha": 0.5, "seed-mu": 0.2}  # rank order != name order
OTHER_SUITE_MODEL = "seed-delta"
PARTIAL_MODEL = "seed-partial"  # on the other suite: a higher IF than seed-delta, but 7 of 10 videos scored
TIMEOUT = 30_000


@pytest.fixture(scope="module")
def seeded(served):
    import ui_server

    suites = {s["suite_id"]: s for s in served.api("/suites")["data"]}
    demo = suites["synthetic"]
    other = next(s for sid, s in suites.items() if sid != "synthetic")
    for i, (name, target) in enumerate(RANKED.items()):
        ui_server.seed_result(served.data, name=name, organisation="Seed Lab", suite=demo, judge=SEEDED_JUDGE,
                              if_target=target, seed=i)
    ui_server.seed_result(served.data, name=OTHER_SUITE_MODEL, organisation="Other Lab", suite=other,
                          judge=SEEDED_JUDGE, if_target=0.6, seed=9)
    ui_server.seed_result(served.data, name=PARTIAL_MODEL, organisation="Partial Lab", suite=other,
                          judge=SEEDED_JUDGE, if_target=0.9, seed=10, failed=3)
    return {"demo": demo, "other": other}


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT)
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    # The service's Content-Security-Policy must not block anything the page needs.
    pg.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    yield pg
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def _seeded_group(page, seeded):
    demo = seeded["demo"]
    return page.locator(f'[data-testid=lb-group][data-suite="{demo["suite_id"]}"]'
                        f'[data-version="{demo["version"]}"]').filter(has_text="seeded:ui-test-judge")


def _order(group) -> list[str]:
    return group.locator("tbody tr").evaluate_all("rows => rows.map(r => r.dataset.model)")


def _wait_order(group, expected: list[str], timeout: float = 15.0) -> list[str]:
    deadline = time.monotonic() + timeout
    got: list[str] = []
    while time.monotonic() < deadline:
        got = _order(group)
        if got == expected:
            return got
        time.sleep(0.2)
    return got


def test_page_loads_with_seeded_rows_in_rank_order(page, served, seeded, artifacts):
    page.goto(served.base + "/")
    group = _seeded_group(page, seeded)
    group.locator("tbody tr").first.wait_for()
    assert _order(group) == list(RANKED)
    api_rows = {r["model_name"]: r for r in served.api("/leaderboard")["rows"] if r["model_name"] in RANKED}
    for name in RANKED:
        row = group.locator(f'tr[data-model="{name}"]')
        assert row.locator('[data-col="rank"]').inner_text() == str(api_rows[name]["rank"])
        assert row.locator('[data-col="rank_ub"]').inner_text() == str(api_rows[name]["rank_ub"])
        if_cell = row.locator('[data-col="if"]').inner_text()
        assert if_cell.startswith(f"{api_rows[name]['metrics']['if']['mean']:.3f}") and "[" in if_cell
    # the paper's rows: present, marked, never ranked
    reference = page.locator("[data-testid=lb-reference]")
    assert "reported by the paper, different judge" in reference.inner_text()
    assert set(reference.locator('td[data-col="rank"]').all_inner_texts()) == {"—"}
    page.screenshot(path=str(artifacts / "leaderboard.png"), full_page=True)


def test_incomplete_rows_are_shown_as_such_unranked_below_the_ranked_ones(page, served, seeded, artifacts):
    page.goto(served.base + "/")
    other = seeded["other"]
    group = page.locator(f'[data-testid=lb-group][data-suite="{other["suite_id"]}"]').filter(
        has_text="seeded:ui-test-judge")
    group.locator(f'tr[data-model="{PARTIAL_MODEL}"]').wait_for()
    # a higher IF on 7 of 10 videos does not outrank the complete row: it comes after it, without a rank
    assert _order(group) == [OTHER_SUITE_MODEL, PARTIAL_MODEL]
    partial = group.locator(f'tr[data-model="{PARTIAL_MODEL}"]')
    assert partial.get_attribute("data-status") == "incomplete"
    assert partial.locator('[data-col="rank"]').inner_text() == "—"
    assert partial.locator('[data-col="rank_ub"]').inner_text() == "—"
    assert "incomplete: not ranked" in partial.locator('[data-col="model"]').inner_text()
    coverage = partial.locator('[data-col="coverage"]')
    assert coverage.inner_text() == "7/10 (70 %)" and "lb-partial" in coverage.get_attribute("class")
    full = group.locator(f'tr[data-model="{OTHER_SUITE_MODEL}"]')
    assert full.locator('[data-col="rank"]').inner_text() == "1"
    assert full.get_attribute("data-status") == "ranked"
    assert "1 ranked, 1 incomplete" in group.locator(".lb-group-title").inner_text()
    # sorting by IF (best first) still keeps the unranked row below the ranked one
    group.locator('th[data-col="if"]').click()
    assert _wait_order(group, [OTHER_SUITE_MODEL, PARTIAL_MODEL]) == [OTHER_SUITE_MODEL, PARTIAL_MODEL]
    api = {r["model_name"]: r for r in served.api("/leaderboard")["rows"]}
    assert api[PARTIAL_MODEL]["status"] == "incomplete" and api[PARTIAL_MODEL]["rank"] is None
    page.screenshot(path=str(artifacts / "leaderboard-incomplete.png"), full_page=True)


def test_page_fits_a_phone_width(browser, served, seeded, artifacts):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT)
    pg.goto(served.base + "/")
    _seeded_group(pg, seeded).locator("tbody tr").first.wait_for()
    # wide tables scroll inside their box; the page itself does not scroll sideways
    assert pg.evaluate("document.documentElement.scrollWidth") <= 390 + 2
    pg.screenshot(path=str(artifacts / "leaderboard-phone.png"), full_page=True)
    context.close()


def test_sorting_by_header_clicks(page, served, seeded):
    page.goto(served.base + "/")
    group = _seeded_group(page, seeded)
    group.locator("tbody tr").first.wait_for()
    group.locator('th[data-col="model"]').click()
    by_name = ["seed-alpha", "seed-mu", "seed-zeta"]
    assert _wait_order(group, by_name) == by_name
    group = _seeded_group(page, seeded)
    group.locator('th[data-col="if"]').click()  # a metric starts best first
    assert _wait_order(group, list(RANKED)) == list(RANKED)
    _seeded_group(page, seeded).locator('th[data-col="if"]').click()  # the same header flips the direction
    assert _wait_order(group, list(RANKED)[::-1]) == list(RANKED)[::-1]
    assert page.locator("#lb-sort input").input_value() == "IF"


def test_search_and_suite_filter(page, served, seeded):
    page.goto(served.base + "/")
    _seeded_group(page, seeded).locator("tbody tr").first.wait_for()
    assert page.locator(f'tr[data-model="{OTHER_SUITE_MODEL}"]').count() == 1
    other = seeded["other"]
    page.locator("#lb-suite input").click()
    page.get_by_role("option", name=f'{other["suite_id"]} v{other["version"]}', exact=True).click()
    page.wait_for_function("""() => {
        const groups = [...document.querySelectorAll('[data-testid=lb-group]')];
        return groups.length > 0 && groups.every(g => g.dataset.suite === %r);
    }""" % other["suite_id"])
    assert page.locator(f'tr[data-model="{OTHER_SUITE_MODEL}"]').count() == 1
    assert page.locator('tr[data-model="seed-zeta"]').count() == 0
    link = page.locator("[data-testid=download-csv]").get_attribute("href")
    assert f'suite={other["suite_id"]}' in link
    csv_text = httpx.get(served.base + "/" + link, timeout=30).text
    assert OTHER_SUITE_MODEL in csv_text and "seed-zeta" not in csv_text
    page.locator("#lb-search textarea, #lb-search input").first.fill("no-such-model")
    page.locator("[data-testid=lb-empty]").wait_for()


def test_submit_form_creates_a_job_that_finishes_and_ranks(page, served, seeded, demo_zip, artifacts):
    page.goto(served.base + "/?tab=submit")
    # typed key by key, as a user or a password manager does: each key fires the box's change event, and
    # a copy of an older value must never come back over what was typed since
    page.locator("#submit-token input").click()
    page.keyboard.type(served.token, delay=20)
    page.locator("#card-name input, #card-name textarea").first.fill("ui-form-model")
    page.locator("#card-organisation input, #card-organisation textarea").first.fill("Form Lab")
    demo = seeded["demo"]
    page.locator("#submit-suite input").click()
    page.get_by_role("option", name=f'{demo["suite_id"]} v{demo["version"]}', exact=True).click()
    page.locator("#submit-archive input[type=file]").set_input_files(str(demo_zip))
    # the upload to the page finished
    page.locator("#submit-archive").get_by_text(demo_zip.name).first.wait_for()
    # the token typed in the Submit tab is copied to the Jobs tab's box
    page.get_by_role("tab", name="Jobs").click()
    expect(page.locator("#jobs-token input")).to_have_value(served.token)
    page.get_by_role("tab", name="Submit").click()
    expect(page.locator("#submit-token input")).to_have_value(served.token)
    page.screenshot(path=str(artifacts / "submit-form.png"), full_page=True)
    page.locator("#submit-button").click()
    result = page.locator("[data-testid=submit-result]")
    result.wait_for()
    job_id = result.get_attribute("data-job-id")
    assert job_id and job_id.isdigit(), result.inner_text()
    page.screenshot(path=str(artifacts / "submit-result.png"), full_page=True)

    # ?job=ID opens the Jobs tab, polled live
    result.get_by_role("link", name=re.compile(r"Follow job")).click()
    page.locator('[data-testid=job-detail][data-status="succeeded"]').wait_for(timeout=60_000)
    assert "4/4" in page.locator("[data-testid=job-detail]").inner_text()
    # my jobs: the token typed in the Submit tab was kept in the browser across the reload
    page.locator(f'#jobs tr[data-job-id="{job_id}"]').wait_for()
    expect(page.locator("#jobs-token input")).to_have_value(served.token)
    page.screenshot(path=str(artifacts / "jobs.png"), full_page=True)

    page.goto(served.base + "/")
    row = page.locator('tr[data-model="ui-form-model"]')
    row.wait_for()
    assert row.locator('[data-col="rank"]').inner_text() == "1"  # alone in its (scripted judge) group


def test_evidence_view_shows_frames_and_answers(page, served, seeded, demo_zip, artifacts):
    token = served.token
    with demo_zip.open("rb") as f:
        r = httpx.post(served.base + "/api/v1/submissions", headers={"Authorization": f"Bearer {token}"},
                       files={"archive": ("videos.zip", f, "application/zip")},
                       data={"model": '{"name": "ui-api-model", "organisation": "API Lab"}',
                             "suite": seeded["demo"]["suite_id"]}, timeout=60)
    assert r.status_code in (200, 201), r.text
    job_id = r.json()["job"]["id"]
    deadline = time.monotonic() + 60
    while served.api(f"/jobs/{job_id}")["status"] not in ("succeeded", "failed", "cancelled"):
        assert time.monotonic() < deadline, "the job did not finish in 60 s"
        time.sleep(0.5)
    assert served.api(f"/jobs/{job_id}")["status"] == "succeeded"

    page.goto(served.base + "/")
    page.locator('tr[data-model="ui-api-model"] a').first.click()  # the model link opens its page
    evidence = page.locator("[data-testid=evidence]")
    evidence.wait_for()
    frames = evidence.locator("[data-testid=evidence-frames] img")
    frames.first.wait_for()
    page.wait_for_function("""() => {
        const imgs = [...document.querySelectorAll('[data-testid=evidence-frames] img')];
        return imgs.length > 0 && imgs.every(i => i.complete && i.naturalWidth > 0);
    }""")
    results = served.api(f"/jobs/{job_id}/results")
    first = results["videos"][0]
    assert evidence.get_attribute("data-scenario") == first["scenario_id"]
    assert frames.count() == len(first["evidence"])
    answers = evidence.locator("[data-testid=evidence-answers] tr.ev-q")
    assert answers.count() == len(first["answers"])
    shown = answers.locator(".ev-answer").all_inner_texts()
    assert shown == [a["answer"] or "missing" for a in first["answers"]]
    decisive = {a["frame"] for a in first["answers"] if a["frame"] is not None}
    marked = {int(x) for x in evidence.locator("figure.ev-decisive").evaluate_all(
        "els => els.map(e => e.dataset.frame)")}
    assert marked == decisive
    page.screenshot(path=str(artifacts / "model-evidence.png"), full_page=True)

    # another video: one the judge flagged for emergence or disappearance
    flagged = next(v for v in results["videos"] if v["emergence_frames"] or v["disappearance_frames"])
    page.locator("#video-pick input").click()
    page.get_by_role("option").filter(has_text=flagged["scenario_id"]).first.click()
    page.locator(f'[data-testid=evidence][data-scenario="{flagged["scenario_id"]}"]').wait_for()
    flagged_frames = set(flagged["emergence_frames"]) | set(flagged["disappearance_frames"])
    marked = {int(x) for x in page.locator("figure.ev-emergence, figure.ev-disappearance").evaluate_all(
        "els => els.map(e => e.dataset.frame)")}
    assert marked == flagged_frames
    page.screenshot(path=str(artifacts / "model-evidence-flagged.png"), full_page=True)
