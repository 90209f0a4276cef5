"""Judge trust in the service: human labels (scope, routes, bad input), controls per judge fingerprint, and
`/leaderboard/trust` with agreement against people."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlmodel import select

from intergeneval.agreement import LABELS_FORMAT, compare, labels_side, load_side
from intergeneval.controls import KINDS, control_id
from intergeneval.judges.scripted import ScriptedJudge
from server.core.db import make_engine, session_scope
from server.core.migrations import MIGRATIONS, upgrade
from server.models import JudgeControls, Label


class FirstMaskTracker:
    """A test tracker that holds each first-frame mask still (fast; it tracks from first masks, as controls
    need, unlike the replay tracker the other service tests use)."""

    name = "first-mask-test-tracker"
    needs_first_masks = True

    def fingerprint(self):
        return {"backend": self.name}

    def track(self, scenario_id, frames, first):
        for t in range(len(frames)):
            yield t, first


def _answers_with_controls(scenes, path: Path) -> Path:
    """The scenes' own replies, and "yes" to everything on every control."""
    data = json.loads(Path(scenes.answers).read_text())
    qa = [{"question_id": s, "answer": "yes", "frame_index": 0} for s in range(1, 11)]
    none = {"emergence": "no", "emergence_frames": [], "disappearance": "no", "disappearance_frames": []}
    for sid in scenes.ids:
        for kind in KINDS:
            data["answers"][control_id(sid, kind)] = {"qa": [qa], "changes": none}
    path.write_text(json.dumps(data))
    return path


@pytest.fixture
def scored(service_factory, scenes, zipper, tmp_path):
    """A service whose worker scored the scenes (an admin's submission) with controls on a sample of 3."""
    answers = _answers_with_controls(scenes, tmp_path / "answers.json")
    backends = {"judge": ScriptedJudge(answers), "tracker": FirstMaskTracker(), "detector": None}
    svc = service_factory(worker=True, worker_kwargs={"backends": backends}, controls_sample=3)
    admin = svc.auth("root", scopes=("submit", "admin"), admin=True)
    job = svc.submit(admin, zipper(scenes.videos), {"name": "m-admin"}).json()["job"]
    assert svc.wait(job["id"])["status"] == "succeeded"
    svc.job_id = job["id"]
    svc.admin = admin
    return svc


# -- scope and auth ----------------------------------------------------------------------------------------
def test_labels_need_a_token_with_the_label_scope(service):
    assert service.client.get("/api/v1/labels/next").status_code == 401
    r = service.client.get("/api/v1/labels/next", headers=service.auth("sub"))
    assert r.status_code == 403 and "label" in r.json()["error"]["message"]
    r = service.client.put("/api/v1/labels/1/s1", json={"labels": [{"key_interaction": 0, "slot": 1,
                                                                     "answer": "yes"}]},
                           headers=service.auth("sub2"))
    assert r.status_code == 403
    labeller = service.auth("lab", scopes=("label",))
    r = service.client.get("/api/v1/labels/next", headers=labeller)
    assert r.status_code == 404 and r.json()["error"]["message"] == "no video left to label"
    assert service.client.get("/api/v1/labels/export").json() == {"format": LABELS_FORMAT, "version": 1,
                                                                  "labels": [], "count": 0}


def test_admin_can_create_a_label_token(service):
    admin = service.auth("root", scopes=("admin",))
    r = service.client.post("/api/v1/admin/tokens", json={"name": "annotator", "scopes": ["label"]},
                            headers=admin)
    assert r.status_code == 201 and r.json()["scopes"] == ["label"]
    me = service.client.get("/api/v1/me", headers={"Authorization": f"Bearer {r.json()['token']}"}).json()
    assert me["scopes"] == ["label"]


# -- the round trip ----------------------------------------------------------------------------------------
def test_label_round_trip_without_the_judges_answers(scored, scenes, scene_suite):
    svc = scored
    labeller = svc.auth("lab", scopes=("label",))
    item = svc.client.get("/api/v1/labels/next", headers=labeller).json()
    assert item["job_id"] == svc.job_id and item["scenario_id"] in scenes.ids
    sc = scene_suite.scenario(item["scenario_id"])
    assert item["prompt"] == sc.video_prompt and item["labels"] == []
    assert [o["colour"] for o in item["objects"]] == ["red", "green"]
    assert [q["text"] for q in item["key_interactions"][0]["questions"]] == \
        [q.text for q in sc.key_interactions[0].questions]
    # the judge's answers (and its decisive frames, scores, reasons) are nowhere in the body
    body = json.dumps(item)
    assert '"answer"' not in body and "frame_index" not in body and "scores" not in body
    for f in item["frames"]:
        r = svc.client.get(f["url"])
        assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    path = f"/api/v1/labels/{item['job_id']}/{item['scenario_id']}"
    answers = [{"key_interaction": 0, "slot": s, "answer": "yes" if s % 2 else "no"} for s in range(1, 11)]
    answers[2]["answer"] = "unsure"
    r = svc.client.put(path, json={"labels": answers}, headers=labeller)
    assert r.status_code == 200, r.text
    assert r.json()["labels"] == answers
    # a change replaces that answer only
    one = {"labels": [{"key_interaction": 0, "slot": 1, "answer": "no"}]}
    r = svc.client.put(path, json=one, headers=labeller)
    got = {x["slot"]: x["answer"] for x in r.json()["labels"]}
    assert got[1] == "no" and got[2] == "no" and got[3] == "unsure" and len(got) == 10
    assert svc.client.get(path, headers=labeller).json()["labels"] == r.json()["labels"]
    # the next video is another one; the export holds the answers with a number for the labeller
    nxt = svc.client.get("/api/v1/labels/next", headers=labeller).json()
    assert nxt["scenario_id"] != item["scenario_id"]
    export = svc.client.get("/api/v1/labels/export").json()
    assert export["count"] == 10 and {x["labeller"] for x in export["labels"]} == {1}
    assert all(x["video_sha256"] == item["video_sha256"] for x in export["labels"])
    with session_scope(svc.engine) as s:
        assert len(s.exec(select(Label)).all()) == 10


def test_every_label_route_leaves_out_the_judges_answers(scored):
    """Blinding is a property of the Label tab (docs/judge-trust.md): what the /labels routes give a labeller
    is exactly the documented fields, none of them the judge's answers, decisive frames, scores or the model.
    (For a public model those are public elsewhere, e.g. /jobs/{id}/videos/{sid}, by design.)"""
    svc = scored
    labeller = svc.auth("lab", scopes=("label",))
    first = svc.client.get("/api/v1/labels/next", headers=labeller).json()
    path = f"/api/v1/labels/{first['job_id']}/{first['scenario_id']}"
    one = {"labels": [{"key_interaction": 0, "slot": 2, "answer": "unsure"}]}
    judged = svc.client.get(f"/api/v1/jobs/{first['job_id']}/videos/{first['scenario_id']}").json()
    assert judged["answers"] and judged["metrics"]["if"] is not None  # there is something to hide
    for item in (first, svc.client.get(path, headers=labeller).json(),
                 svc.client.put(path, json=one, headers=labeller).json()):
        assert set(item) == {"job_id", "scenario_id", "video_sha256", "suite", "prompt", "objects", "frames",
                             "key_interactions", "labels", "links"}
        assert all(set(f) == {"frame", "url"} and "/evidence/" in f["url"] for f in item["frames"])
        assert all(set(o) == {"class", "appearance", "colour"} for o in item["objects"])
        for ki in item["key_interactions"]:
            assert set(ki) == {"index", "text", "questions"}
            assert all(set(q) == {"slot", "text"} for q in ki["questions"])
        assert item["labels"] in ([], one["labels"])  # the caller's own answers only
        assert "m-admin" not in json.dumps(item)  # nor the model's name


@pytest.mark.parametrize("labels, status, words", [
    ([{"key_interaction": 1, "slot": 1, "answer": "yes"}], 422, "no question 1 in key interaction 1"),
    ([{"key_interaction": 0, "slot": 11, "answer": "yes"}], 422, "slot"),
    ([{"key_interaction": 0, "slot": 1, "answer": "maybe"}], 422, "answer"),
    ([{"key_interaction": 0, "slot": "one", "answer": "yes"}], 422, "slot"),
    ([{"key_interaction": 0, "slot": 2.5, "answer": "yes"}], 422, "slot"),
    ([{"key_interaction": 0, "slot": 2, "answer": "yes"}, {"key_interaction": 0, "slot": 2, "answer": "no"}],
     422, "answered twice"),
    ([], 422, "labels"),
    ([{"key_interaction": -1, "slot": 1, "answer": "yes"}], 422, "key_interaction"),
])
def test_bad_labels_are_refused_and_nothing_is_stored(scored, labels, status, words):
    svc = scored
    labeller = svc.auth("lab", scopes=("label",))
    item = svc.client.get("/api/v1/labels/next", headers=labeller).json()
    r = svc.client.put(f"/api/v1/labels/{item['job_id']}/{item['scenario_id']}", json={"labels": labels},
                       headers=labeller)
    assert r.status_code == status and words in json.dumps(r.json()), r.text
    with session_scope(svc.engine) as s:
        assert s.exec(select(Label)).all() == []


def test_unknown_or_hidden_videos_are_404(scored, scenes):
    svc = scored
    labeller = svc.auth("lab", scopes=("label",))
    one = [{"key_interaction": 0, "slot": 1, "answer": "yes"}]
    for path in (f"/api/v1/labels/{svc.job_id}/no-such-scenario", f"/api/v1/labels/999/{scenes.ids[0]}"):
        assert svc.client.get(path, headers=labeller).status_code == 404
        assert svc.client.put(path, json={"labels": one}, headers=labeller).status_code == 404
    assert svc.client.get(f"/api/v1/labels/{svc.job_id}/a%00b", headers=labeller).status_code == 422
    assert svc.client.put(f"/api/v1/labels/{svc.job_id}/{scenes.ids[0]}", content=b"{not json",
                          headers={**labeller, "content-type": "application/json"}).status_code == 422
    # a model made private: its videos are no longer offered, and what was labelled leaves the export
    path = f"/api/v1/labels/{svc.job_id}/{scenes.ids[0]}"
    assert svc.client.put(path, json={"labels": one}, headers=labeller).status_code == 200
    model_id = svc.client.get(f"/api/v1/jobs/{svc.job_id}").json()["model_id"]
    r = svc.client.patch(f"/api/v1/models/{model_id}", json={"public": False}, headers=svc.admin)
    assert r.status_code == 200
    assert svc.client.get(path, headers=labeller).status_code == 404
    assert svc.client.get("/api/v1/labels/next", headers=labeller).status_code == 404
    assert svc.client.get("/api/v1/labels/export").json()["count"] == 0


def test_too_many_answers_are_refused_before_anything_is_read(scored):
    svc = scored
    labeller = svc.auth("lab", scopes=("label",))
    item = svc.client.get("/api/v1/labels/next", headers=labeller).json()
    path = f"/api/v1/labels/{item['job_id']}/{item['scenario_id']}"
    many = [{"key_interaction": k, "slot": s, "answer": "yes"} for k in range(41) for s in range(1, 11)]
    r = svc.client.put(path, json={"labels": many}, headers=labeller)
    assert r.status_code == 422 and "labels" in r.text
    # within the cap but about key interactions the video does not have: named, and nothing stored
    r = svc.client.put(path, json={"labels": many[:400]}, headers=labeller)
    assert r.status_code == 422 and "no question 1 in key interaction 1" in r.json()["error"]["message"]
    with session_scope(svc.engine) as s:
        assert s.exec(select(Label)).all() == []


def test_a_revoked_label_token_can_neither_read_nor_store(scored):
    svc = scored
    made = svc.client.post("/api/v1/admin/tokens", json={"name": "temp-labeller", "scopes": ["label"]},
                           headers=svc.admin).json()
    labeller = {"Authorization": f"Bearer {made['token']}"}
    item = svc.client.get("/api/v1/labels/next", headers=labeller).json()
    path = f"/api/v1/labels/{item['job_id']}/{item['scenario_id']}"
    one = {"labels": [{"key_interaction": 0, "slot": 1, "answer": "yes"}]}
    assert svc.client.put(path, json=one, headers=labeller).status_code == 200
    r = svc.client.delete(f"/api/v1/admin/tokens/{made['id']}", headers=svc.admin)
    assert r.status_code in (200, 204), r.text
    for method, url, body in (("GET", "/api/v1/labels/next", None), ("GET", path, None), ("PUT", path, one)):
        r = svc.client.request(method, url, json=body, headers=labeller)
        assert r.status_code == 401, (method, url, r.text)
    # what it stored before stays (a labeller's past answers are not voided by revoking the token)
    assert svc.client.get("/api/v1/labels/export").json()["count"] == 1


def _save_twice_at_once(svc, monkeypatch) -> list:
    """One labeller saves one video twice at the same moment (a double click, two tabs), all yes and all no;
    both requests are held after reading the stored labels until the other has read them too (or 3 s have
    passed: a request that cannot read before the other has written never meets it). Returns the two
    responses (or what the test client raised) and the stored answers."""
    import contextlib
    import threading

    from server import labels as labels_module

    labeller = svc.auth("lab", scopes=("label",))
    item = svc.client.get("/api/v1/labels/next", headers=labeller).json()
    path = f"/api/v1/labels/{item['job_id']}/{item['scenario_id']}"
    meet = threading.Barrier(2, timeout=3)
    real_now = labels_module.utcnow

    def now_after_both_read():
        with contextlib.suppress(threading.BrokenBarrierError):
            meet.wait()
        return real_now()

    monkeypatch.setattr(labels_module, "utcnow", now_after_both_read)
    bodies = [{"labels": [{"key_interaction": 0, "slot": s, "answer": a} for s in range(1, 11)]}
              for a in ("yes", "no")]
    got: list = [None, None]

    def put(i):
        try:
            got[i] = svc.client.put(path, json=bodies[i], headers=labeller)
        except Exception as e:  # the test client raises what the server raised
            got[i] = e

    threads = [threading.Thread(target=put, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    with session_scope(svc.engine) as s:
        stored = [r.answer for r in s.exec(select(Label)).all()]
    return [getattr(r, "status_code", r) for r in got], stored


def test_concurrent_puts_of_the_same_labels_both_succeed(scored, monkeypatch):
    """Both saves read "no label yet"; the second insert hit the unique constraint: a 500."""
    statuses, stored = _save_twice_at_once(scored, monkeypatch)
    assert statuses == [200, 200]
    assert len(stored) == 10 and len(set(stored)) == 1  # one save wins whole, never a mix


def test_next_video_offers_only_public_models_videos(scored):
    """Labels feed the public agreement figures, and the page loads a video's frames without a token: an
    admin (who sees private models) is not offered a private model's video, whose frames would not load."""
    svc = scored
    boss = svc.auth("boss", scopes=("label", "admin"), admin=True)
    model_id = svc.client.get(f"/api/v1/jobs/{svc.job_id}").json()["model_id"]
    assert svc.client.patch(f"/api/v1/models/{model_id}", json={"public": False},
                            headers=svc.admin).status_code == 200
    r = svc.client.get("/api/v1/labels/next", headers=boss)
    assert r.status_code == 404, r.text
    # the admin may still label it through the API by naming it (the API serves its frames to a token)
    sid = svc.client.get(f"/api/v1/jobs/{svc.job_id}/results", headers=svc.admin).json()["videos"][0]
    assert svc.client.get(f"/api/v1/labels/{svc.job_id}/{sid['scenario_id']}", headers=boss).status_code == 200


# -- controls per judge fingerprint, and trust -------------------------------------------------------------
def test_controls_run_once_per_judge_and_suite_and_are_exposed(scored, scenes, zipper):
    svc = scored
    with session_scope(svc.engine) as s:
        rows = s.exec(select(JudgeControls)).all()
        assert len(rows) == 1 and rows[0].job_id == svc.job_id
        report = rows[0].report
    assert len(report["sample"]) == 3 and report["flagged"] is True  # the scripted judge says yes to all
    # the controls are not the model's videos: none among the job's results, none in its scores
    results = svc.client.get(f"/api/v1/jobs/{svc.job_id}/results").json()
    assert sorted(v["scenario_id"] for v in results["videos"]) == sorted(scenes.ids)
    assert results["summary"]["raw"]["metrics"]["if"]["n"] == len(scenes.ids)
    trust = svc.client.get("/api/v1/leaderboard/trust").json()
    (judge,) = trust["judges"]
    (ctl,) = judge["controls"]
    assert ctl["flagged"] is True and ctl["sample"] == 3
    assert ctl["kinds"]["frozen"]["expected_no"]["yes_rate"] == 1.0
    assert ctl["kinds"]["reversed"]["expected_no"] is None
    assert judge["human"] is None  # no labels yet: "not measured yet"
    lb = svc.client.get("/api/v1/leaderboard").json()
    assert judge["judge_fingerprint"] in {g["judge_fingerprint"] for g in lb["groups"]}
    # a second job of the same judge on the same suite does not measure them again
    job = svc.submit(svc.admin, zipper(scenes.videos), {"name": "m-second"}).json()["job"]
    svc.wait(job["id"])
    summary = svc.client.get(f"/api/v1/jobs/{job['id']}/results").json()["summary"]["raw"]
    assert "controls" not in summary
    with session_scope(svc.engine) as s:
        assert len(s.exec(select(JudgeControls)).all()) == 1


def test_controls_are_not_taken_from_other_users_videos_by_default(service_factory, scenes, zipper, tmp_path):
    answers = _answers_with_controls(scenes, tmp_path / "answers.json")
    backends = {"judge": ScriptedJudge(answers), "tracker": FirstMaskTracker(), "detector": None}
    svc = service_factory(worker=True, worker_kwargs={"backends": backends}, controls_sample=2)
    job = svc.submit(svc.auth("someone"), zipper(scenes.videos)).json()["job"]
    svc.wait(job["id"])
    with session_scope(svc.engine) as s:
        assert s.exec(select(JudgeControls)).all() == []
    assert svc.client.get("/api/v1/leaderboard/trust").json()["judges"][0]["controls"] == []


def test_human_agreement_is_the_agree_commands_figure(scored, scenes, tmp_path):
    svc = scored
    truth = json.loads(Path(scenes.answers).read_text())["answers"]
    for who, flip in (("ann", False), ("bob", False), ("cid", True)):
        labeller = svc.auth(who, scopes=("label",))
        for sid in scenes.ids[:4]:
            judge = {a["question_id"]: a["answer"] for a in truth[sid]["qa"][0]}
            labels = [{"key_interaction": 0, "slot": s,
                       "answer": ("no" if judge[s] == "yes" else "yes") if flip else
                       ("yes" if judge[s] == "yes" else "no")} for s in range(1, 11)]
            path = f"/api/v1/labels/{svc.job_id}/{sid}"
            r = svc.client.put(path, json={"labels": labels}, headers=labeller)
            assert r.status_code == 200
    human = svc.client.get("/api/v1/leaderboard/trust").json()["judges"][0]["human"]
    # two of three people answer as the judge did on every question: the majority agrees everywhere
    assert (human["videos"], human["questions"], human["labellers"]) == (4, 40, 3)
    assert human["agreement"] == 1.0
    export = svc.client.get("/api/v1/labels/export").json()
    run = svc.storage.job_dir(svc.job_id)
    cli = compare(load_side(run), labels_side(export, "export"))
    assert cli["pooled"]["all"]["agreement"] == human["agreement"]
    assert cli["pooled"]["all"]["kappa"] == human["kappa"]
    filtered = svc.client.get("/api/v1/leaderboard/trust", params={"judge": "ffff"}).json()
    assert filtered["judges"] == []


def test_human_agreement_uses_the_labels_of_the_judges_suite_version(scored, scenes):
    """Labels of the same video and scenario under another suite version answered other questions: they
    are not votes on this judge's questions (two such labels outvoted the one that was)."""
    from server import crud

    svc = scored
    sid = scenes.ids[0]
    judge = {a["question_id"]: a["answer"] for a in
             json.loads(Path(scenes.answers).read_text())["answers"][sid]["qa"][0]}
    same = [{"key_interaction": 0, "slot": s, "answer": "yes" if judge[s] == "yes" else "no"}
            for s in range(1, 11)]
    path = f"/api/v1/labels/{svc.job_id}/{sid}"
    item = svc.client.put(path, json={"labels": same}, headers=svc.auth("ann", scopes=("label",))).json()
    with session_scope(svc.engine) as s:
        for who in ("old-1", "old-2"):
            user = crud.get_or_create_user(s, name=who)
            for lab in same:
                s.add(Label(user_id=user.id, job_id=svc.job_id, suite_hash="sha256:an-older-version",
                            scenario_id=sid, video_sha256=item["video_sha256"], key_interaction=0,
                            slot=lab["slot"], answer="no" if lab["answer"] == "yes" else "yes"))
    human = svc.client.get("/api/v1/leaderboard/trust").json()["judges"][0]["human"]
    assert (human["videos"], human["questions"], human["agreement"]) == (1, 10, 1.0)


def test_migration_3_adds_the_trust_tables_and_keeps_data(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'v2.db'}")
    assert upgrade(engine, MIGRATIONS[:2]) == 2
    with engine.begin() as c:  # a database made by the version before the trust tables
        c.execute(text("DROP TABLE labels"))
        c.execute(text("DROP TABLE judge_controls"))
        c.execute(text("INSERT INTO users (name, is_admin, created_at) VALUES ('alice', 0, '2026-01-01')"))
    assert upgrade(engine) == MIGRATIONS[-1].version >= 3
    tables = set(inspect(engine).get_table_names())
    assert {"labels", "judge_controls"} <= tables
    assert "uq_labels_question" in {u["name"] for u in inspect(engine).get_unique_constraints("labels")}
    with engine.connect() as c:
        assert c.execute(text("SELECT name FROM users")).all() == [("alice",)]
    engine.dispose()


def test_agree_reads_the_labels_from_a_running_service(live_server, scenes, zipper, tmp_path):
    import httpx
    from typer.testing import CliRunner

    from intergeneval.cli import app

    base, settings = live_server()
    storage = settings.storage_dir
    engine = make_engine(settings.database_url)
    with session_scope(engine) as s:
        from server import crud

        root = crud.get_or_create_user(s, name="root", is_admin=True)
        _, admin = crud.create_token(s, user=root, name="root", scopes=["submit", "admin"])
        lab = crud.get_or_create_user(s, name="lab")
        _, labeller = crud.create_token(s, user=lab, name="lab", scopes=["label"])
    engine.dispose()
    r = httpx.post(base + "/api/v1/submissions", headers={"Authorization": f"Bearer {admin}"},
                   files={"archive": ("v.zip", zipper(scenes.videos), "application/zip")},
                   data={"model": '{"name": "m"}'}, timeout=60)
    job_id = r.json()["job"]["id"]
    for _ in range(600):
        if httpx.get(f"{base}/api/v1/jobs/{job_id}").json()["status"] == "succeeded":
            break
        time.sleep(0.05)
    truth = json.loads(Path(scenes.answers).read_text())["answers"][scenes.ids[0]]["qa"][0]
    # a person who disagrees with the judge on every question
    labels = [{"key_interaction": 0, "slot": a["question_id"],
               "answer": "no" if a["answer"] == "yes" else "yes"} for a in truth]
    r = httpx.put(f"{base}/api/v1/labels/{job_id}/{scenes.ids[0]}", json={"labels": labels},
                  headers={"Authorization": f"Bearer {labeller}"})
    assert r.status_code == 200, r.text
    res = CliRunner().invoke(app, ["agree", str(storage / "jobs" / str(job_id)), base, "--json"])
    assert res.exit_code == 0, res.output
    body = json.loads(res.stdout)
    assert body["b"]["kind"] == "human labels" and body["matched"]["videos"] == 1
    assert body["pooled"]["all"]["n"] == 10 and body["pooled"]["all"]["agreement"] == 0.0
    bad = CliRunner().invoke(app, ["agree", str(storage / "jobs" / str(job_id)), base + "/nothing-here"])
    assert bad.exit_code == 2 and "404" in bad.output


@pytest.mark.postgres
def test_labels_controls_and_trust_on_postgres(postgres_url, service_factory, scenes, zipper, tmp_path,
                                               monkeypatch):
    from server.trust import store_controls

    answers = _answers_with_controls(scenes, tmp_path / "answers.json")
    backends = {"judge": ScriptedJudge(answers), "tracker": FirstMaskTracker(), "detector": None}
    svc = service_factory(worker=True, worker_kwargs={"backends": backends}, controls_sample=2,
                          database_url=postgres_url)
    admin = svc.auth("root", scopes=("submit", "admin"), admin=True)
    job = svc.submit(admin, zipper(scenes.videos), {"name": "m-pg"}).json()["job"]
    assert svc.wait(job["id"])["status"] == "succeeded"
    summary = svc.client.get(f"/api/v1/jobs/{job['id']}/results").json()["summary"]["raw"]
    with session_scope(svc.engine) as s:  # a second report for the same judge and suite: the first stays
        assert store_controls(s, job_id=job["id"], summary=summary) is None
    with session_scope(svc.engine) as s:
        assert len(s.exec(select(JudgeControls)).all()) == 1
    labeller = svc.auth("lab", scopes=("label",))
    item = svc.client.get("/api/v1/labels/next", headers=labeller).json()
    path = f"/api/v1/labels/{item['job_id']}/{item['scenario_id']}"
    for answer in ("yes", "no"):  # the second answer replaces the first
        r = svc.client.put(path, json={"labels": [{"key_interaction": 0, "slot": 1, "answer": answer}]},
                           headers=labeller)
        assert r.status_code == 200, r.text
    assert r.json()["labels"] == [{"key_interaction": 0, "slot": 1, "answer": "no"}]
    (judge,) = svc.client.get("/api/v1/leaderboard/trust").json()["judges"]
    assert judge["controls"][0]["sample"] == 2 and judge["human"]["questions"] == 1
    with session_scope(svc.engine) as s:
        for lab in s.exec(select(Label)).all():
            s.delete(lab)
    statuses, stored = _save_twice_at_once(svc, monkeypatch)
    assert statuses == [200, 200] and len(stored) == 10 and len(set(stored)) == 1
