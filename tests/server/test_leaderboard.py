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


def _summary(if_mean: float, half: float, *, judge: str = "qwen", suite_version: str = "1", scored: int = 10,
             expected: int = 10) -> dict:
    ci = (if_mean - half, if_mean + half) if scored >= 2 else (None, None)
    metrics = {m: {"mean": if_mean, "ci_low": ci[0], "ci_high": ci[1], "n": scored} for m in METRICS}
    return {"protocol": "intergeneval-v1", "complete": True,
            "suite": {"id": "s", "version": suite_version, "content_hash": f"hash-{suite_version}"},
            "fingerprints": {"judge": {"backend": judge, "model": f"org/{judge}-7b"}, "tracker": {"backend": "sam2"}},
            "metrics": metrics, "videos": {"expected": expected, "scored": scored, "failed": expected - scored},
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
    assert set(row["metrics"]) == set(METRICS) and row["coverage"] == {"scored": 10, "expected": 10, "ratio": 1.0}
    assert row["ranked"] is True and row["status"] == "ranked"
    assert row["categories"]["interaction_type"]["contact"]["n"] == 4
    assert len(row["judge_fingerprint"]) == 64 and row["job_id"] and row["date"].endswith("Z")


def test_latest_job_per_model_ties_and_failed_jobs(service, board):
    board("a", _summary(0.2, 0.1))
    board("a", _summary(0.5, 0.1))  # the latest counts
    board("b", _summary(0.5, 0.1))  # tie with a: same rank
    board("c", _summary(0.9, 0.1), status=JobStatus.failed)  # not a result
    got = [(r["model_name"], r["rank"]) for r in _rows(service)["rows"]]
    assert got == [("a", 1), ("b", 1)]


def test_a_model_with_1_of_100_videos_is_shown_incomplete_below_a_complete_one(service, board):
    # the case: IF 0.95 on 1 of 100 videos ranked 1st above IF 0.50 on 100 of 100
    board("one-video", _summary(0.95, 0.0, scored=1, expected=100))
    board("all-videos", _summary(0.50, 0.05, scored=100, expected=100))
    rows = _rows(service)["rows"]
    assert [(r["model_name"], r["rank"], r["rank_ub"], r["status"]) for r in rows] == [
        ("all-videos", 1, 1, "ranked"), ("one-video", None, None, "incomplete")]
    assert rows[1]["coverage"] == {"scored": 1, "expected": 100, "ratio": 0.01} and not rows[1]["ranked"]
    assert _rows(service)["groups"][0]["num_ranked"] == 1


def test_rank_ub_counts_complete_rows_only(service, board):
    board("a", _summary(0.60, 0.05))
    board("b", _summary(0.40, 0.05))
    # 2 of 4 videos (two stored videos deleted mid-job), a high narrow CI: it must not push a and b down
    board("partial", _summary(0.99, 0.001, scored=2, expected=4))  # stored "succeeded", as it once was
    rows = _rows(service)["rows"]
    assert {r["model_name"]: (r["rank"], r["rank_ub"]) for r in rows} == {
        "a": (1, 1), "b": (2, 2), "partial": (None, None)}
    assert [r["status"] for r in rows] == ["ranked", "ranked", "incomplete"]


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
    assert got == ("1", "a", "0.5", "10", "10") and row["status"] == "ranked"
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


@pytest.mark.parametrize("change", ["hidden by an admin", "made private by its owner"])
def test_a_hidden_or_private_model_leaves_the_very_next_answers_under_20_concurrent_requests(
        service, board, monkeypatch, change):
    import threading
    import time

    from server import leaderboard as lb

    board("secret", _summary(0.6, 0.05))
    board("other", _summary(0.4, 0.05))
    assert [r["model_name"] for r in _rows(service)["rows"]] == ["secret", "other"]  # cached, lists it
    build = lb.leaderboard

    def slow_build(*args, **kwargs):  # a board that takes a while to build, as a large one does
        time.sleep(0.3)
        return build(*args, **kwargs)

    monkeypatch.setattr(lb, "leaderboard", slow_build)
    if change == "hidden by an admin":
        r = service.client.patch("/api/v1/models/1", json={"hidden": True},
                                 headers=service.auth("root", scopes=("admin",), admin=True))
    else:
        r = service.client.patch("/api/v1/models/1", json={"public": False}, headers=service.auth("alice"))
    assert r.status_code == 200, r.text
    seen: list[list[str]] = []
    lock = threading.Lock()
    start = threading.Barrier(20)

    def ask():
        start.wait()
        names = [r["model_name"] for r in _rows(service)["rows"]]
        with lock:
            seen.append(names)

    threads = [threading.Thread(target=ask) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 20 and all(names == ["other"] for names in seen), seen


def test_a_model_hidden_while_another_carries_a_later_clock_still_leaves_the_next_answer(service, board):
    """Another API host whose clock runs ahead (or a clock stepped back) wrote a later `updated_at`: hiding a
    model then leaves the newest edit time and the model count as they were, yet the board must change."""
    from datetime import timedelta

    board("ahead", _summary(0.4, 0.05))
    board("secret", _summary(0.6, 0.05))
    with session_scope(service.engine) as s:
        ahead = s.get(Model, 1)
        ahead.updated_at = utcnow() + timedelta(minutes=5)
        s.add(ahead)
    assert [r["model_name"] for r in _rows(service)["rows"]] == ["secret", "ahead"]  # cached, lists it
    admin = service.auth("root", scopes=("admin",), admin=True)
    assert service.client.patch("/api/v1/models/2", json={"hidden": True}, headers=admin).status_code == 200
    assert [r["model_name"] for r in _rows(service)["rows"]] == ["ahead"]
    assert service.client.patch("/api/v1/models/2", json={"hidden": False}, headers=admin).status_code == 200
    r = service.client.patch("/api/v1/models/2", json={"public": False}, headers=service.auth("alice"))
    assert r.status_code == 200 and [r["model_name"] for r in _rows(service)["rows"]] == ["ahead"]


def test_board_cache_builds_once_and_serves_the_previous_answer_while_rebuilding():
    import gzip
    import threading
    import time

    from server.leaderboard import BoardCache

    cache = BoardCache()
    builds = []
    release = threading.Event()
    v1, v2 = (("models-1",), (1,)), (("models-1",), (2,))  # v2: only results changed

    def slow(data: bytes):
        def build() -> bytes:
            builds.append(data)
            release.wait(5)
            return data
        return build

    # Ten concurrent first requests: one build, everyone gets its answer.
    got = []
    threads = [threading.Thread(target=lambda: got.append(cache.get_or_build(("k",), v1, slow(b"v1"))[0]))
               for _ in range(10)]
    for t in threads:
        t.start()
    time.sleep(0.2)
    release.set()
    for t in threads:
        t.join()
    assert builds == [b"v1"] and got == [b"v1"] * 10
    # New results: while one thread rebuilds, the others get v1 at once instead of waiting.
    release.clear()
    rebuilding = threading.Thread(target=lambda: cache.get_or_build(("k",), v2, slow(b"v2")))
    rebuilding.start()
    time.sleep(0.1)
    start = time.perf_counter()
    assert cache.get_or_build(("k",), v2, slow(b"never"))[0] == b"v1"
    assert time.perf_counter() - start < 0.5
    release.set()
    rebuilding.join()
    assert cache.get_or_build(("k",), v2, slow(b"never"))[0] == b"v2" and builds == [b"v1", b"v2"]
    assert gzip.decompress(cache.get(("k",), v2)[1]) == b"v2"


def test_board_cache_never_serves_an_answer_from_before_a_model_changed():
    import threading
    import time

    from server.leaderboard import BoardCache

    cache = BoardCache()
    release = threading.Event()

    def slow(data: bytes):
        def build() -> bytes:
            release.wait(5)
            return data
        return build

    cache.get_or_build(("k",), (("m1",), (1,)), lambda: b"lists the model")
    hidden = (("m2",), (1,))  # a model was hidden: the models part changed
    rebuilding = threading.Thread(target=lambda: cache.get_or_build(("k",), hidden, slow(b"without it")))
    rebuilding.start()
    time.sleep(0.1)
    got = []
    waiter = threading.Thread(target=lambda: got.append(cache.get_or_build(("k",), hidden, slow(b"x"))[0]))
    waiter.start()
    time.sleep(0.2)
    assert got == []  # waits for the build instead of answering with the old board
    release.set()
    rebuilding.join()
    waiter.join()
    assert got == [b"without it"]
