"""A small in-memory stand-in for the service's REST API, with the JSON shapes of docs/api.md.

It lets the page's handlers and routes be tested without the real server; the browser tests run against the
real `intergeneval serve`. Two suites (demo v1, demo v2), two judges, three ranked models, one reference row,
one job whose results carry evidence frames.
"""

from __future__ import annotations

import io
from typing import Any

from fastapi import FastAPI, File, Form, Header, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from PIL import Image

METRICS = ["kisa", "sgi", "spi", "kisa_spi", "sgi_spi", "if"]
TOKEN = "ige_test"


def metrics(if_mean: float, width: float = 0.05, *, ci: bool = True) -> dict[str, dict[str, float | None]]:
    """All six metrics around an IF mean (the others are derived loosely; only their presence matters)."""
    out = {}
    for i, m in enumerate(METRICS):
        mean = round(min(1.0, if_mean + 0.02 * (5 - i)), 4)
        out[m] = {"mean": mean, "ci_low": round(mean - width, 4) if ci else None,
                  "ci_high": round(mean + width, 4) if ci else None}
    return out


def categories(base: float) -> dict[str, Any]:
    return {"interaction_type": {"contact": {"n": 2, **{m: base for m in METRICS}},
                                 "social": {"n": 1, **{m: base / 2 for m in METRICS}}},
            "pairing": {"human-object": {"n": 3, **{m: base for m in METRICS}}}}


def row(rank: int | None, model_id: int | None, name: str, if_mean: float, *, version: str = "1",
        judge: str = "aaaa1111", label: str = "scripted:fixed@aaaa1111", job_id: int | None = None,
        rank_ub: int | None = None, reference: bool = False) -> dict[str, Any]:
    r = {"rank": rank, "rank_ub": rank_ub if rank_ub is not None else rank, "reference": reference,
         "model_id": model_id, "model_name": name, "organisation": "Lab " + name, "model_link": None,
         "flagged": False, "suite_id": "demo", "suite_version": version, "suite_hash": "hash" + version,
         "protocol": "intergeneval-v1", "judge_fingerprint": judge, "judge_label": label,
         "metrics": metrics(if_mean, ci=not reference), "coverage": {"scored": 3, "expected": 3},
         "categories": categories(if_mean), "date": "2026-11-03T10:15:02Z", "job_id": job_id,
         "links": {"job": f"/api/v1/jobs/{job_id}", "model": f"/api/v1/models/{model_id}"}}
    if reference:
        r["source"] = "MATRIX paper, Table 2"
    return r


def video(job_id: int, sid: str, if_value: float) -> dict[str, Any]:
    frames = [0, 5, 10, 15]
    answers = [{"key_interaction": 0, "slot": s, "question": f"Question {s} about <the> cup?",
                "answer": "yes" if s % 3 else "no", "frame": 10 if s % 2 else 5} for s in range(1, 11)]
    return {"scenario_id": sid, "status": "ok", "reason": None, "interaction_type": "contact",
            "pairing": "human-object", "metrics": {m: if_value for m in METRICS}, "answers": answers,
            "emergence_frames": [15], "disappearance_frames": [], "sampled_frames": frames,
            "evidence": [{"frame": f, "url": f"/api/v1/jobs/{job_id}/evidence/{sid}/{f:03d}.jpg"}
                         for f in frames],
            "links": {"self": f"/api/v1/jobs/{job_id}/videos/{sid}"},
            "record": {"interactions": [{"text": "a person lifts a cup"}],
                       "changes": {"emergence_reason": "a second cup appears", "disappearance_reason": ""}}}


def job(job_id: int, model_id: int, name: str, status: str = "succeeded", done: int = 3) -> dict[str, Any]:
    return {"id": job_id, "submission_id": job_id, "model_id": model_id, "model_name": name,
            "suite_id": "demo", "suite_version": "1", "status": status,
            "progress": {"done": done, "total": 3}, "attempts": 1, "max_attempts": 3, "error": None,
            "cancel_requested": False, "queue_position": None,
            "created_at": "2026-11-03T10:00:00Z", "started_at": "2026-11-03T10:00:01Z",
            "finished_at": "2026-11-03T10:15:02Z" if status == "succeeded" else None,
            "scores": metrics(0.6) if status == "succeeded" else None,
            "links": {"self": f"/api/v1/jobs/{job_id}", "results": f"/api/v1/jobs/{job_id}/results"}}


def _err(status: int, code: str, message: str, details: dict | None = None) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if details:
        body["details"] = details
    return JSONResponse({"error": body}, status_code=status)


def create_fake_api() -> FastAPI:
    """The fake API app; `app.state.calls` records (method, path, query) of every request."""
    app = FastAPI()
    app.state.calls = []
    rows = [row(1, 1, "alpha", 0.70, job_id=11), row(2, 2, "beta", 0.55, job_id=12, rank_ub=1),
            row(3, 3, "gamma", 0.30, job_id=13, rank_ub=3),
            row(1, 2, "beta", 0.50, version="2", judge="bbbb2222", label="qwen:tiny@bbbb2222", job_id=14),
            row(None, None, "Wan2.1 (paper)", 0.45, reference=True, label="gpt-4o (paper)")]
    models = {i: {"id": i, "name": n, "organisation": "Lab " + n, "base_model": "Wan2.1", "parameters": "14B",
                  "link": "https://example.org/" + n, "description": f"{n} <b>model</b>", "public": True,
                  "hidden": False, "flagged": False, "flag_reason": None, "owner": "ci-bot",
                  "created_at": "2026-11-01T00:00:00Z"} for i, n in ((1, "alpha"), (2, "beta"), (3, "gamma"))}
    jobs = {11: job(11, 1, "alpha"), 12: job(12, 2, "beta"), 13: job(13, 3, "gamma"), 14: job(14, 2, "beta")}
    app.state.jobs = jobs
    app.state.submissions = []

    @app.middleware("http")
    async def record(request: Request, call_next):
        app.state.calls.append((request.method, request.url.path, dict(request.query_params)))
        return await call_next(request)

    def auth(authorization: str | None) -> JSONResponse | None:
        if authorization != f"Bearer {TOKEN}":
            return _err(401, "unauthorized", "a valid token is required")
        return None

    @app.get("/api/v1/health")
    def health() -> dict:
        return {"status": "ok", "version": "0.1.0", "database": "sqlite", "schema_version": 1,
                "queue": {"queued": 0, "running": 0}, "profile": "tiny"}

    @app.get("/api/v1/suites")
    def suites() -> dict:
        data = [{"suite_id": "demo", "version": v, "content_hash": "hash" + v, "protocol": "intergeneval-v1",
                 "description": "synthetic", "num_scenarios": 3, "default": v == "1", "limits": {}}
                for v in "12"]
        return {"data": data, "count": 2}

    @app.get("/api/v1/suites/{suite_id}")
    def suite(suite_id: str):
        if suite_id != "demo":
            return _err(404, "not_found", f"no suite {suite_id}")
        return {"suite_id": "demo", "version": "1", "scenarios": [
            {"id": sid, "video_prompt": f"A person lifts cup {sid}."} for sid in ("001", "002", "003")]}

    @app.get("/api/v1/leaderboard")
    def leaderboard(suite: str | None = None, suite_version: str | None = None, judge: str | None = None,
                    include_reference: bool = True, format: str = "json"):
        out = [r for r in rows if (include_reference or not r["reference"])
               and (r["reference"] or ((suite is None or r["suite_id"] == suite)
                                       and (suite_version is None or r["suite_version"] == suite_version)
                                       and (judge is None or r["judge_fingerprint"].startswith(judge))))]
        groups = {}
        for r in out:
            if not r["reference"]:
                key = (r["suite_id"], r["suite_version"], r["judge_fingerprint"])
                g = groups.setdefault(key, {"suite_id": r["suite_id"], "suite_version": r["suite_version"],
                                            "suite_hash": r["suite_hash"], "protocol": r["protocol"],
                                            "judge_fingerprint": r["judge_fingerprint"],
                                            "judge_label": r["judge_label"], "num_rows": 0})
                g["num_rows"] += 1
        return {"rows": out, "groups": list(groups.values()), "metrics": METRICS, "count": len(out),
                "filters": {"suite": suite, "suite_version": suite_version, "judge": judge}}

    @app.get("/api/v1/models")
    def list_models(limit: int = 50, offset: int = 0) -> dict:
        data = list(models.values())
        return {"data": data[offset:offset + limit], "count": len(data)}

    @app.get("/api/v1/models/{model_id}")
    def get_model(model_id: int):
        if model_id not in models:
            return _err(404, "not_found", f"no model {model_id}")
        keys = ("suite_id", "suite_version", "judge_fingerprint", "judge_label", "job_id", "date", "metrics",
                "coverage")
        results = [{k: r[k] for k in keys} for r in rows if r["model_id"] == model_id]
        return {**models[model_id], "results": results}

    @app.get("/api/v1/me")
    def me(authorization: str | None = Header(None)):
        return auth(authorization) or {"id": 1, "name": "ci-bot", "scopes": ["submit"], "is_admin": False}

    @app.get("/api/v1/jobs")
    def list_jobs(authorization: str | None = Header(None), limit: int = 50):
        if bad := auth(authorization):
            return bad
        data = sorted(jobs.values(), key=lambda j: -j["id"])
        return {"data": data[:limit], "count": len(data)}

    @app.get("/api/v1/jobs/{job_id}")
    def get_job(job_id: int):
        return jobs.get(job_id) or _err(404, "not_found", f"no job {job_id}")

    @app.delete("/api/v1/jobs/{job_id}")
    def cancel(job_id: int, authorization: str | None = Header(None)):
        if bad := auth(authorization):
            return bad
        j = jobs.get(job_id)
        if j is None:
            return _err(404, "not_found", f"no job {job_id}")
        if j["status"] not in ("queued", "running"):
            return _err(409, "conflict", f"job {job_id} is already {j['status']}")
        j["status"] = "cancelled"
        return j

    @app.get("/api/v1/jobs/{job_id}/results")
    def results(job_id: int):
        j = jobs.get(job_id)
        if j is None:
            return _err(404, "not_found", f"no job {job_id}")
        summary = {"metrics": metrics(0.6), "categories": categories(0.6),
                   "fingerprints": {"judge_hash": "aaaa1111"}, "videos": {"expected": 3, "scored": 3}}
        return {"job": j, "summary": summary,
                "videos": [video(job_id, sid, v) for sid, v in (("001", 0.9), ("002", 0.5), ("003", 0.2))]}

    @app.get("/api/v1/jobs/{job_id}/evidence/{sid}/{file}")
    def evidence(job_id: int, sid: str, file: str):
        if job_id not in jobs:
            return _err(404, "not_found", "no such evidence")
        buf = io.BytesIO()
        Image.new("RGB", (32, 32), (int(sid) * 40 % 255, 120, 200)).save(buf, format="JPEG")
        return Response(buf.getvalue(), media_type="image/jpeg")

    @app.post("/api/v1/submissions")
    async def submit(archive: UploadFile = File(...), model: str = Form(...), suite: str | None = Form(None),
                     settings: str | None = Form(None), authorization: str | None = Header(None),
                     idempotency_key: str | None = Header(None)):
        if bad := auth(authorization):
            return bad
        content = await archive.read()
        app.state.submissions.append({"name": archive.filename, "bytes": len(content), "model": model,
                                      "suite": suite, "settings": settings, "key": idempotency_key})
        if not content.startswith(b"PK"):
            return _err(422, "validation_failed", "the submission was refused: 2 problem(s)", {"problems": [
                {"code": "not_an_archive", "message": f"{archive.filename}: not a zip or tar archive",
                 "items": []},
                {"code": "missing_ids", "message": "no video for 3 scenario id(s)",
                 "items": ["001", "002"]}]})
        job_id = max(jobs) + 1
        jobs[job_id] = job(job_id, 1, "alpha", status="queued", done=0)
        jobs[job_id]["queue_position"] = 1
        return JSONResponse({"submission": {"id": job_id, "model_id": 1, "suite_id": suite or "demo",
                                            "suite_version": "1", "num_videos": 3},
                             "job": jobs[job_id], "duplicate": False}, status_code=201)

    # -- judge trust: judge aaaa1111 has controls and human labels; bbbb2222 nothing yet -------------------
    app.state.labels = []
    label_token = "ige_label"

    @app.get("/api/v1/leaderboard/trust")
    def judge_trust(judge: str | None = None):
        exp = {"slots": [2, 3, 4, 5, 6], "videos": 20, "yes_rate": 0.35, "ci_low": 0.25, "ci_high": 0.45,
               "flagged": True}
        controls = [{"suite_id": "demo", "suite_version": "1", "suite_hash": "hash1", "job_id": 11,
                     "measured_at": "2026-11-03T10:15:02Z", "flagged": True, "sample": 20,
                     "kinds": {"frozen": {"controls": 20, "judged": 20, "failed": 0, "expected_no": exp},
                               "reversed": {"controls": 20, "judged": 19, "failed": 1, "expected_no": None},
                               "swapped": {"controls": 20, "judged": 20, "failed": 0, "expected_no": {
                                   **exp, "slots": [7, 8, 9, 10], "yes_rate": 0.05, "ci_low": 0.0,
                                   "ci_high": 0.1, "flagged": False}}}}]
        human = {"videos": 12, "questions": 120, "labellers": 3, "agreement": 0.85,
                 "agreement_ci": [0.8, 0.9], "kappa": 0.62, "kappa_ci": [0.5, 0.7], "yes_rate_judge": 0.6, "yes_rate_human": 0.55}
        judges = [{"judge_fingerprint": "aaaa1111", "judge_label": "scripted:fixed@aaaa1111",
                   "controls": controls, "human": human},
                  {"judge_fingerprint": "bbbb2222", "judge_label": "qwen:tiny@bbbb2222", "controls": [],
                   "human": None}]
        return {"judges": [j for j in judges if not judge or j["judge_fingerprint"].startswith(judge)],
                "labels": 360}

    def label_auth(authorization: str | None) -> JSONResponse | None:
        if authorization is None:
            return _err(401, "unauthorized", "a valid token is required")
        if authorization != f"Bearer {label_token}":
            return _err(403, "forbidden", "this token lacks the 'label' scope")
        return None

    def label_item() -> dict[str, Any]:
        mine = list(app.state.labels)
        return {"job_id": 11, "scenario_id": "002", "video_sha256": "f00d",
                "prompt": "A person lifts cup 002.",
                "suite": {"suite_id": "demo", "version": "1", "content_hash": "hash1"},
                "objects": [{"class": "person", "appearance": "a <person>", "colour": "red"},
                            {"class": "cup", "appearance": "a cup", "colour": "green"}],
                "frames": [{"frame": f, "url": f"/api/v1/jobs/11/evidence/002/{f:03d}.jpg"} for f in (0, 5)],
                "key_interactions": [{"index": 0, "text": "a person lifts a cup", "questions": [
                    {"slot": s, "text": f"Question {s} about the cup?"} for s in range(1, 11)]}],
                "labels": mine, "links": {"self": "/api/v1/labels/11/002"}}

    @app.get("/api/v1/labels/next")
    def label_next(authorization: str | None = Header(None)):
        return label_auth(authorization) or label_item()

    @app.put("/api/v1/labels/{job_id}/{sid}")
    async def put_labels(job_id: int, sid: str, request: Request, authorization: str | None = Header(None)):
        if bad := label_auth(authorization):
            return bad
        body = await request.json()
        if any(x.get("slot") not in range(1, 11) for x in body["labels"]):
            return _err(422, "invalid_request", "slot must be 1..10")
        keep = {(x["key_interaction"], x["slot"]): x for x in app.state.labels}
        keep.update({(x["key_interaction"], x["slot"]): x for x in body["labels"]})
        app.state.labels = sorted(keep.values(), key=lambda x: (x["key_interaction"], x["slot"]))
        return label_item()

    return app
