"""Leaderboard: latest succeeded job per model and group, ranks and Rank(UB) within a group only,
filters, private/hidden models, reference rows, CSV."""

from __future__ import annotations

import csv
import io

import pytest
from sqlmodel import Session

from server import crud
from server.core.db import session_scope
from server.leaderboard import to_csv
from server.models import Job, JobStatus, Model, utcnow

METRICS = ("kisa", "sgi", "spi", "kisa_spi", "sgi_spi", "if")


def _summary(if_mean: float, half: float, *, judge: str = "qwen", suite_version: str = "1") -> dict:
    metrics = {m: {"mean": if_mean, "ci_low": if_mean - half, "ci_high": if_mean + half, "n": 10} for m in METRICS}
    return {"protocol": "intergeneval-v1", "complete": True,
            "suite": {"id": "s", "version": suite_version, "content_hash": f"hash-{suite_version}"},
            "fingerprints": {"judge": {"backend": judge, "model": f"org/{judge}-7b"}, "tracker": {"backend": "sam2"}},
            "metrics": metrics, "videos": {"expected": 10, "scored": 9, "failed": 1},
            "categories": {"interaction_type": {"contact": {"videos": 4, "metrics": {"if": if_mean + 0.01}}},
                           "pairing": {"human-object": {"videos": 9, "metrics": {"if": if_mean}}}}}


@pytest.fixture
def board(service):
    """A helper that records a finished job with a given summary for a model."""
    def add(model: str, summary: dict, *, owner: str = "alice", public: bool = True,
            status: str = JobStatus.succeeded) -> int:
        with session_scope(service.engine) as s:
            user = crud.get_or_create_user(s, name=owner)
            from server.models import ModelCreate, Submission

            m = crud.upsert_model(s, owner=user, card=ModelCreate(name=model, public=public))
            sub = Submission(owner_id=user.id, model_id=m.id, suite_id="s", suite_version="1", suite_hash="h",
                             content_hash="c", folder="x")
            s.add(sub)
            s.flush()
            job = Job(submission_id=sub.id, model_id=m.id, owner_id=user.id, suite_id="s", suite_version="1",
                      suite_hash="h", status=status, finished_at=utcnow())
            s.add(job)
            s.flush()
            crud.store_summary(s, job_id=job.id, summary=summary)
            return job.id
    return add


def _rows(service, query: str = "", headers=None):
    return service.client.get(f"/api/v1/leaderboard?include_reference=false{query}", headers=headers or {}).json()


def test_ranking_rank_ub_and_groups(service, board):
    board("a", _summary(0.60, 0.05))
    board("b", _summary(0.58, 0.05))  # overlaps a: same Rank(UB)
    board("c", _summary(0.30, 0.05))  # clearly below both
    board("d", _summary(0.90, 0.01, judge="gpt"))  # another judge: its own group, never ranked with a–c
    body = _rows(service)
    got = [(r["model_name"], r["rank"], r["rank_ub"], r["judge_label"].split("@")[0]) for r in body["rows"]]
    qwen = [g for g in got if g[3] == "qwen:qwen-7b"]
    gpt = [g for g in got if g[3] == "gpt:gpt-7b"]
    assert qwen == [("a", 1, 1, "qwen:qwen-7b"), ("b", 2, 1, "qwen:qwen-7b"), ("c", 3, 3, "qwen:qwen-7b")]
    assert gpt == [("d", 1, 1, "gpt:gpt-7b")]
    assert sorted(g["num_rows"] for g in body["groups"]) == [1, 3]
    row = body["rows"][0]
    assert set(row["metrics"]) == set(METRICS) and row["coverage"] == {"scored": 9, "expected": 10}
    assert row["categories"]["interaction_type"]["contact"]["n"] == 4
    assert len(row["judge_fingerprint"]) == 64 and row["job_id"] and row["date"].endswith("Z")


def test_latest_job_per_model_ties_and_failed_jobs(service, board):
    board("a", _summary(0.2, 0.1))
    board("a", _summary(0.5, 0.1))  # the latest counts
    board("b", _summary(0.5, 0.1))  # tie with a: same rank
    board("c", _summary(0.9, 0.1), status=JobStatus.failed)  # not a result
    got = [(r["model_name"], r["rank"]) for r in _rows(service)["rows"]]
    assert got == [("a", 1), ("b", 1)]


def test_filters(service, board):
    board("a", _summary(0.5, 0.1, suite_version="1"))
    board("b", _summary(0.4, 0.1, suite_version="2"))
    board("c", _summary(0.3, 0.1, suite_version="2", judge="gpt"))
    v2 = _rows(service, "&suite_version=2")["rows"]
    assert sorted(r["model_name"] for r in v2) == ["b", "c"] and [r["rank"] for r in v2] == [1, 1]
    fp = next(r for r in _rows(service)["rows"] if r["model_name"] == "c")["judge_fingerprint"]
    assert [r["model_name"] for r in _rows(service, f"&judge={fp[:10]}")["rows"]] == ["c"]
    assert _rows(service, "&suite=other")["rows"] == []


def test_private_and_hidden_models(service, board):
    board("pub", _summary(0.5, 0.1))
    board("priv", _summary(0.6, 0.1), owner="bob", public=False)
    assert [r["model_name"] for r in _rows(service)["rows"]] == ["pub"]
    bob = service.auth("bob")
    assert [r["model_name"] for r in _rows(service, headers=bob)["rows"]] == ["priv", "pub"]
    with Session(service.engine) as s:
        m = s.get(Model, 1)
        m.hidden = True
        s.add(m)
        s.commit()
    assert _rows(service)["rows"] == []


def test_reference_rows_are_flagged_and_never_ranked(service, board):
    board("a", _summary(0.5, 0.1))
    body = service.client.get("/api/v1/leaderboard").json()
    refs = [r for r in body["rows"] if r["reference"]]
    pytest.importorskip("baselines.paper_results")
    assert refs and all(r["rank"] is None and r["rank_ub"] is None and r["job_id"] is None for r in refs)
    assert not body["rows"][0]["reference"]  # measured rows first
    assert any(r["metrics"]["if"]["mean"] for r in refs) and all(r["source"] for r in refs)


def test_csv(service, board):
    board("a", _summary(0.5, 0.1))
    r = service.client.get("/api/v1/leaderboard?format=csv&include_reference=false")
    assert r.status_code == 200 and r.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 1
    row = rows[0]
    got = (row["rank"], row["model_name"], row["if_mean"], row["scored"], row["expected"])
    assert got == ("1", "a", "0.5", "9", "10")
    assert float(row["if_ci_low"]) == pytest.approx(0.4) and row["cat_contact_if"] == "0.51"
    # The JSON and CSV carry the same rows.
    body = _rows(service)
    assert to_csv(body) == r.text


def test_csv_cells_never_start_a_formula(service, board):
    # Model names are users' text: a spreadsheet would run `=…` as a formula.
    board("=HYPERLINK(\"http://evil.example\",\"x\")", _summary(0.5, 0.1))
    board("-2+3", _summary(-0.2, 0.1))
    text = service.client.get("/api/v1/leaderboard?format=csv&include_reference=false").text
    rows = {r["model_name"]: r for r in csv.DictReader(io.StringIO(text))}
    assert set(rows) == {"'=HYPERLINK(\"http://evil.example\",\"x\")", "'-2+3"}
    assert rows["'-2+3"]["if_mean"] == "-0.2"  # numbers stay numbers


def test_cached_answers_follow_every_change(service, board):
    assert _rows(service)["rows"] == []  # cached empty board
    board("a", _summary(0.5, 0.1))
    assert [r["model_name"] for r in _rows(service)["rows"]] == ["a"]
    board("b", _summary(0.7, 0.1))
    assert [r["model_name"] for r in _rows(service)["rows"]] == ["b", "a"]
    admin = service.auth("root", scopes=("admin",), admin=True)
    service.client.patch("/api/v1/models/2", json={"hidden": True}, headers=admin)
    assert [r["model_name"] for r in _rows(service)["rows"]] == ["a"]
    assert [r["model_name"] for r in _rows(service, headers=admin)["rows"]] == ["b", "a"]  # admins see hidden


def test_board_cache_builds_once_and_serves_the_previous_answer_while_rebuilding():
    import threading
    import time

    from server.leaderboard import BoardCache

    cache = BoardCache()
    builds = []
    release = threading.Event()

    def slow(data: bytes):
        def build() -> bytes:
            builds.append(data)
            release.wait(5)
            return data
        return build

    # Ten concurrent first requests: one build, everyone gets its answer.
    got = []
    threads = [threading.Thread(target=lambda: got.append(cache.get_or_build(("k",), (1,), slow(b"v1"))[0]))
               for _ in range(10)]
    for t in threads:
        t.start()
    time.sleep(0.2)
    release.set()
    for t in threads:
        t.join()
    assert builds == [b"v1"] and got == [b"v1"] * 10
    # The data changed: while one thread rebuilds, the others get v1 at once instead of waiting.
    release.clear()
    rebuilding = threading.Thread(target=lambda: cache.get_or_build(("k",), (2,), slow(b"v2")))
    rebuilding.start()
    time.sleep(0.1)
    start = time.perf_counter()
    assert cache.get_or_build(("k",), (2,), slow(b"never"))[0] == b"v1"
    assert time.perf_counter() - start < 0.5
    release.set()
    rebuilding.join()
    assert cache.get_or_build(("k",), (2,), slow(b"never"))[0] == b"v2" and builds == [b"v1", b"v2"]
    import gzip

    assert gzip.decompress(cache.get(("k",), (2,))[1]) == b"v2"
