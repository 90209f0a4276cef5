"""REST API: auth, error shape, submissions (good, duplicate, every kind of bad), quotas, jobs, models."""

from __future__ import annotations

import json

import pytest


def _problems(r) -> dict[str, list[str]]:
    return {p["code"]: p["items"] for p in r.json()["error"]["details"]["problems"]}


# --------------------------------------------------------------------------------------------- basics
def test_health_and_openapi(service):
    h = service.client.get("/api/v1/health").json()
    from server.core.migrations import MIGRATIONS

    assert h["status"] == "ok" and h["database"] == "sqlite" and h["schema_version"] == MIGRATIONS[-1].version
    assert h["queue"] == {"queued": 0, "running": 0}
    paths = service.client.get("/openapi.json").json()["paths"]
    for p in ("/api/v1/submissions", "/api/v1/jobs/{job_id}", "/api/v1/jobs/{job_id}/results",
              "/api/v1/leaderboard", "/api/v1/health", "/api/v1/models", "/api/v1/suites"):
        assert p in paths
    # The streamed upload is still described: multipart with `archive` and `model`.
    body = paths["/api/v1/submissions"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert body["required"] == ["archive", "model"]


def test_health_names_the_configured_backends_without_loading_them(service_factory):
    from intergeneval.profiles import resolve_profile

    tiny = resolve_profile("tiny")
    svc = service_factory(worker=True, profile="tiny", judge=None, judge_options={}, tracker=None,
                          tracker_options={})
    h = svc.client.get("/api/v1/health").json()
    assert h["profile"] == "tiny"
    model = tiny["judge_options"]["model"]
    assert h["judge"] == {"backend": tiny["judge"], "model": model, "revision": None,
                          "label": f"{tiny['judge']}:{model}", "fingerprint": None, "source": "settings"}
    assert (h["tracker"]["backend"], h["detector"]["backend"]) == (tiny["tracker"], tiny["detector"])
    assert svc.app.state.worker.fingerprints() is None  # answering loaded nothing
    # A backend named explicitly wins over the profile's, with its own options only.
    svc = service_factory(profile="tiny", judge="openai", tracker=None, tracker_options={},
                          judge_options={"model": "Qwen/Qwen2.5-VL-7B-Instruct"})
    h = svc.client.get("/api/v1/health").json()
    assert h["judge"]["label"] == "openai:Qwen2.5-VL-7B-Instruct"
    assert h["tracker"]["backend"] == tiny["tracker"]


def test_health_reports_the_workers_loaded_backends_by_fingerprint(service_factory, scenes, zipper):
    from leaderboard_ui.about import about_markdown
    from server.fingerprints import fingerprint_hash

    svc = service_factory(worker=True)
    before = svc.client.get("/api/v1/health").json()
    judge = before["judge"]
    assert (judge["backend"], judge["source"], before["detector"]) == ("scripted", "settings", None)
    job = svc.submit(svc.auth(), zipper(scenes.videos)).json()["job"]
    svc.wait(job["id"])
    h = svc.client.get("/api/v1/health").json()
    fps = svc.client.get(f"/api/v1/jobs/{job['id']}/results").json()["summary"]["fingerprints"]
    # The same fingerprint the job's results (and the leaderboard's groups) carry.
    assert h["judge"]["source"] == "worker" and h["judge"]["fingerprint"] == fps["judge_hash"]
    assert h["judge"]["label"] == fps["judge_label"]
    assert h["tracker"]["fingerprint"] == fingerprint_hash(fps["tracker"])
    assert h["tracker"]["backend"] == "replay"
    assert h["detector"] is None
    about = about_markdown(h, [], [], base_url="http://testserver")  # the page's About tab
    assert f"`{h['judge']['label']}`" in about and f"`{h['tracker']['label']}`" in about


@pytest.mark.parametrize(("method", "path", "status", "code"), [
    ("get", "/api/v1/nothing-here", 404, "not_found"),
    ("put", "/api/v1/health", 405, "method_not_allowed"),
    ("get", "/api/v1/jobs/not-a-number", 422, "invalid_request"),
    ("get", "/api/v1/jobs/999", 404, "not_found"),
    ("post", "/api/v1/submissions", 401, "unauthorized"),
    ("get", "/api/v1/jobs", 401, "unauthorized"),
    # Found by schemathesis: numbers beyond the database's integers and NUL characters were 500s.
    ("get", "/api/v1/jobs/9223372036854775808", 422, "invalid_request"),
    ("get", "/api/v1/models/2147483648", 422, "invalid_request"),
    ("get", "/api/v1/models?offset=9223372036854775808", 422, "invalid_request"),
    ("get", "/api/v1/leaderboard?suite_version=%00", 422, "invalid_request"),
    ("get", "/api/v1/jobs/1/videos/a%00b", 422, "invalid_request"),
])
def test_errors_are_json_with_codes(service, method, path, status, code):
    r = getattr(service.client, method)(path)
    assert r.status_code == status
    assert r.json()["error"]["code"] == code and r.json()["error"]["message"]


def test_405_allows_every_method_of_the_path(service):
    # Starlette named only the first matching route's methods (GET), though DELETE is served too.
    r = service.client.put("/api/v1/jobs/1")
    assert r.status_code == 405 and set(r.headers["allow"].split(", ")) == {"DELETE", "GET", "HEAD"}


def test_bodies_are_checked_strictly(service, add_jobs_to):
    add_jobs_to(service.engine, service.app.state.services.catalog, 1, owner="alice")
    headers = service.auth("alice")
    model = service.client.get("/api/v1/models", headers=headers).json()["data"][0]
    for patch in ({"public": 0}, {"public": "yes"}, {"description": "nul\x00inside"}):
        r = service.client.patch(f"/api/v1/models/{model['id']}", json=patch, headers=headers)
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request", (patch, r.text)
    ok = service.client.patch(f"/api/v1/models/{model['id']}", json={"public": False}, headers=headers)
    assert ok.status_code == 200 and ok.json()["public"] is False
    admin = service.auth("root", scopes=("admin",), admin=True)
    r = service.client.post("/api/v1/admin/tokens", json={"name": "x", "scopes": ["root"]}, headers=admin)
    assert r.status_code == 422 and r.json()["error"]["details"]["errors"][0]["loc"][-2:] == ["scopes", "0"]


def test_tokens_wrong_token_and_scopes(service, scenes, zipper):
    r = service.client.get("/api/v1/me", headers={"Authorization": "Bearer ige_wrong"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    # A wrong token on a public endpoint is refused too, never silently anonymous.
    assert service.client.get("/api/v1/leaderboard", headers={"Authorization": "Bearer nope"}).status_code == 401
    me = service.client.get("/api/v1/me", headers=service.auth("bob")).json()
    assert me["name"] == "bob" and me["scopes"] == ["submit"] and me["quota"]["active_jobs"] == 0
    admin_only = service.auth("carol", scopes=("admin",))
    refused = service.client.post("/api/v1/admin/tokens", json={"name": "ci"}, headers=service.auth("bob"))
    assert refused.status_code == 403
    r = service.client.post("/api/v1/admin/tokens", json={"name": "ci", "scopes": ["submit"]}, headers=admin_only)
    assert r.status_code == 201 and r.json()["token"].startswith("ige_")
    new = {"Authorization": f"Bearer {r.json()['token']}"}
    assert service.client.get("/api/v1/me", headers=new).json()["name"] == "ci"
    # A token with no submit scope cannot submit.
    viewer = service.auth("viewer", scopes=())
    assert service.submit(viewer, zipper(scenes.videos)).status_code == 403


# --------------------------------------------------------------------------------------------- submissions
def test_submission_is_queued_with_probe_and_settings(service, scenes, zipper):
    headers = service.auth()
    r = service.submit(headers, zipper(scenes.videos), {"name": "m1", "organisation": "Lab", "parameters": "2B"},
                       settings=json.dumps({"seed": 7, "fps": 8, "resolution": [128, 96]}))
    assert r.status_code == 201, r.text
    body = r.json()
    sub, job = body["submission"], body["job"]
    assert body["duplicate"] is False
    assert sub["num_videos"] == 6 and sub["suite_id"] == "synthetic"
    assert sub["probe"] == {"frames": [17, 17], "fps": [8.0, 8.0], "sizes": [[128, 96]], "codecs": ["h264"]}
    assert sub["settings"] == {"seed": 7, "fps": 8.0, "resolution": [128, 96]}
    assert job["status"] == "queued" and job["progress"] == {"done": 0, "total": 6} and job["queue_position"] == 1
    assert job["links"]["self"] == f"/api/v1/jobs/{job['id']}"
    stored = service.storage.root / "submissions"
    assert [len(list(d.glob("*.mp4"))) for d in stored.iterdir()] == [6]
    assert list((service.storage.root / "incoming").iterdir()) == []


def test_identical_resubmission_returns_the_existing_job(service, scenes, zipper):
    headers = service.auth()
    first = service.submit(headers, zipper(scenes.videos), {"name": "m1"}).json()
    again = service.submit(headers, zipper(scenes.videos), {"name": "m1"})
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert again.json()["job"]["id"] == first["job"]["id"]
    # Another model with the same videos is a new job.
    other = service.submit(headers, zipper(scenes.videos), {"name": "m2"})
    assert other.status_code == 201 and other.json()["job"]["id"] != first["job"]["id"]
    assert len(list((service.storage.root / "submissions").iterdir())) == 2


def test_idempotency_key(service, scenes, zipper):
    headers = service.auth()
    key = {"Idempotency-Key": "ci-run-42"}
    a = service.submit(headers, zipper(scenes.videos), {"name": "m1"}, extra_headers=key)
    b = service.submit(headers, zipper(scenes.videos), {"name": "m1"}, extra_headers=key)
    assert (a.status_code, b.status_code) == (201, 200) and a.json()["job"]["id"] == b.json()["job"]["id"]
    c = service.submit(headers, zipper(scenes.videos), {"name": "other-model"}, extra_headers=key)
    assert c.status_code == 409 and c.json()["error"]["code"] == "conflict"


def _corrupt(video: bytes) -> bytes:
    # Keep the container header, destroy the coded frames.
    cut = len(video) // 3
    return video[:cut] + bytes(len(video) - cut)


@pytest.mark.parametrize("case", ["zip_slip", "zip_bomb", "non_video", "missing_ids", "corrupt_mp4", "no_model",
                                  "bad_model_card", "unknown_suite", "not_an_archive"])
def test_bad_uploads_get_4xx_listing_problems_and_leave_nothing(service_factory, scenes, zipper, case):
    service = service_factory(max_uncompressed_bytes=4 << 20)  # the synthetic videos total ~0.2 MB
    headers = service.auth()
    ids = sorted(p.stem for p in scenes.videos.glob("*.mp4"))
    model: dict | str = {"name": "m1"}
    fields = {}
    if case == "zip_slip":
        archive, want = zipper(scenes.videos, extra={"../../escape.mp4": b"x"}), "unsafe_path"
    elif case == "zip_bomb":
        import io
        import zipfile

        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
            z.writestr(f"{ids[0]}.mp4", b"\0" * (8 << 20))
        archive, want = buf.getvalue(), "too_large_uncompressed"
    elif case == "non_video":
        archive, want = zipper(scenes.videos, only=ids[1:], extra={f"{ids[0]}.mp4": b"not a video"}), "undecodable"
    elif case == "missing_ids":
        archive, want = zipper(scenes.videos, only=ids[2:], extra={"zzz-unknown.mp4": b"x"}), "missing_ids"
    elif case == "corrupt_mp4":
        bad = _corrupt((scenes.videos / f"{ids[0]}.mp4").read_bytes())
        archive, want = zipper(scenes.videos, only=ids[1:], extra={f"{ids[0]}.mp4": bad}), "undecodable"
    elif case == "no_model":
        archive, want, model = zipper(scenes.videos), "model_card", ""
    elif case == "bad_model_card":
        archive, want, model = zipper(scenes.videos), "model_card", {"name": "", "public": "maybe"}
    elif case == "unknown_suite":
        archive, want, fields = zipper(scenes.videos), "unknown_suite", {"suite": "nope"}
    else:
        archive, want = b"plain bytes, no archive", "not_an_archive"
    r = service.submit(headers, archive, model, **fields)
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "validation_failed"
    problems = _problems(r)
    assert want in problems, problems
    if case == "missing_ids":
        assert problems["missing_ids"] == ids[:2] and problems["unexpected_ids"] == ["zzz-unknown.mp4"]
    if case in ("non_video", "corrupt_mp4"):
        assert problems["undecodable"] == [f"{ids[0]}.mp4"]
    assert service.leftovers() == {"incoming": [], "submissions": [], "rows": []}
    assert not list(service.storage.root.parent.rglob("escape.mp4"))


def test_oversized_upload_is_413_and_leaves_nothing(service_factory, scenes, zipper):
    svc = service_factory(max_upload_bytes=50_000)
    r = svc.submit(svc.auth(), zipper(scenes.videos))
    assert r.status_code == 413 and r.json()["error"]["code"] == "upload_too_large"
    assert r.json()["error"]["details"]["limit_bytes"] == 50_000
    assert svc.leftovers() == {"incoming": [], "submissions": [], "rows": []}


def test_video_limits_frames_fps_resolution(service_factory, scenes, zipper):
    svc = service_factory(min_frames=20, max_fps=6.0, max_side=100)
    r = svc.submit(svc.auth(), zipper(scenes.videos))
    assert r.status_code == 422
    problems = _problems(r)
    assert set(problems) == {"frames", "fps", "resolution"}
    assert len(problems["frames"]) == 6
    assert "17 frames" in r.json()["error"]["details"]["problems"][0]["message"]


def test_quotas(service_factory, scenes, zipper):
    svc = service_factory(submissions_per_day=2, concurrent_jobs=1)
    headers = svc.auth()
    assert svc.submit(headers, zipper(scenes.videos), {"name": "a"}).status_code == 201
    r = svc.submit(headers, zipper(scenes.videos), {"name": "b"})
    assert r.status_code == 429 and r.json()["error"]["details"]["quota"] == "concurrent_jobs"
    assert svc.leftovers()["incoming"] == []
    # Another user has their own quota; admins are exempt.
    assert svc.submit(svc.auth("bob"), zipper(scenes.videos), {"name": "b"}).status_code == 201
    admin = svc.auth("root", scopes=("submit", "admin"), admin=True)
    for name in ("x", "y", "z"):
        assert svc.submit(admin, zipper(scenes.videos), {"name": name}).status_code == 201


def test_daily_quota(service_factory, scenes, zipper):
    svc = service_factory(submissions_per_day=1, concurrent_jobs=10)
    headers = svc.auth()
    assert svc.submit(headers, zipper(scenes.videos), {"name": "a"}).status_code == 201
    r = svc.submit(headers, zipper(scenes.videos), {"name": "b"})
    assert r.status_code == 429 and r.json()["error"]["details"] == {"quota": "submissions_per_day", "limit": 1,
                                                                     "used": 1}


# --------------------------------------------------------------------------------------------- jobs, models
def test_jobs_listing_visibility_and_cancel(service, scenes, zipper):
    alice, bob = service.auth("alice"), service.auth("bob")
    pub = service.submit(alice, zipper(scenes.videos), {"name": "public-model"}).json()["job"]
    priv = service.submit(alice, zipper(scenes.videos), {"name": "secret", "public": False}).json()["job"]
    mine = service.client.get("/api/v1/jobs", headers=alice).json()["data"]
    assert [j["id"] for j in mine] == [priv["id"], pub["id"]]
    assert service.client.get("/api/v1/jobs", headers=bob).json() == {"data": [], "count": 0}
    # Public model: anyone reads the job; private: only the owner.
    assert service.client.get(f"/api/v1/jobs/{pub['id']}").status_code == 200
    assert service.client.get(f"/api/v1/jobs/{priv['id']}").status_code == 404
    assert service.client.get(f"/api/v1/jobs/{priv['id']}", headers=bob).status_code == 404
    assert service.client.get(f"/api/v1/jobs/{priv['id']}", headers=alice).status_code == 200
    assert [m["name"] for m in service.client.get("/api/v1/models").json()["data"]] == ["public-model"]
    # Bob cannot cancel Alice's job; Alice can, once.
    assert service.client.delete(f"/api/v1/jobs/{pub['id']}", headers=bob).status_code == 403
    r = service.client.delete(f"/api/v1/jobs/{pub['id']}", headers=alice)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert service.client.delete(f"/api/v1/jobs/{pub['id']}", headers=alice).status_code == 409
    assert service.client.get("/api/v1/jobs?status=cancelled", headers=alice).json()["count"] == 1


def test_model_moderation(service, scenes, zipper):
    alice = service.auth("alice")
    admin = service.auth("root", scopes=("admin",), admin=True)
    job = service.submit(alice, zipper(scenes.videos), {"name": "m"}).json()["job"]
    mid = job["model_id"]
    r = service.client.patch(f"/api/v1/models/{mid}", json={"hidden": True}, headers=alice)
    assert r.status_code == 403 and "admins" in r.json()["error"]["message"]
    r = service.client.patch(f"/api/v1/models/{mid}", json={"description": "LoRA on CogVideoX"}, headers=alice)
    assert r.status_code == 200 and r.json()["description"] == "LoRA on CogVideoX"
    r = service.client.patch(f"/api/v1/models/{mid}", json={"flagged": True, "flag_reason": "copy"}, headers=admin)
    assert r.json()["flagged"] is True and r.json()["flag_reason"] == "copy"
    service.client.patch(f"/api/v1/models/{mid}", json={"hidden": True}, headers=admin)
    assert service.client.get(f"/api/v1/models/{mid}").status_code == 404
    assert service.client.get(f"/api/v1/models/{mid}", headers=alice).status_code == 200
    assert service.client.get(f"/api/v1/jobs/{job['id']}").status_code == 404


def test_suites(service, scene_suite):
    data = service.client.get("/api/v1/suites").json()["data"]
    assert [(s["suite_id"], s["num_scenarios"], s["default"]) for s in data] == [("synthetic", 6, True)]
    one = service.client.get("/api/v1/suites/synthetic").json()
    assert [s["id"] for s in one["scenarios"]] == [s.id for s in scene_suite.scenarios]
    assert service.client.get("/api/v1/suites/none").status_code == 404
