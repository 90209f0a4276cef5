"""Workers run a job's videos several at a time, or hand them to a Ray cluster (settings `concurrency`,
`engine=ray`): the job's results are the same as a worker scoring one video after another."""

from __future__ import annotations

import pytest


def _summary(svc, job_id: int) -> bytes:
    return (svc.storage.job_dir(job_id) / "summary.json").read_bytes()


def _run(svc, zipper, scenes) -> dict:
    r = svc.submit(svc.auth(), zipper(scenes.videos), {"name": "m1", "organisation": "Lab"})
    return svc.wait(r.json()["job"]["id"], timeout=240)


def test_a_worker_with_concurrency_gives_the_sequential_workers_results(service_factory, scenes, zipper):
    one = service_factory(worker=True)
    many = service_factory(worker=True, concurrency=4)
    a, b = _run(one, zipper, scenes), _run(many, zipper, scenes)
    assert a["status"] == b["status"] == "succeeded" and b["progress"] == {"done": 6, "total": 6}
    assert _summary(one, a["id"]) == _summary(many, b["id"])


def test_a_worker_hands_a_large_job_to_ray_and_stores_the_same_results(service_factory, scenes, zipper,
                                                                      monkeypatch):
    pytest.importorskip("ray")
    from intergeneval.engines.ray_engine import RayEngine

    runs: list[int] = []
    real = RayEngine.run

    def counted(self, *args, **kwargs):
        runs.append(1)
        yield from real(self, *args, **kwargs)

    monkeypatch.setattr(RayEngine, "run", counted)
    local = service_factory(worker=True)
    ray = service_factory(worker=True, engine="ray", concurrency=4, engine_options={"num_cpus": 2})
    a, b = _run(local, zipper, scenes), _run(ray, zipper, scenes)
    assert a["status"] == b["status"] == "succeeded" and b["progress"] == {"done": 6, "total": 6}
    assert _summary(local, a["id"]) == _summary(ray, b["id"]) and runs == [1]
    small = service_factory(worker=True, engine="ray", ray_address="10.255.255.1:1", ray_min_videos=100)
    c = _run(small, zipper, scenes)  # under ray_min_videos: scored by the worker, the cluster never asked
    assert c["status"] == "succeeded" and _summary(small, c["id"]) == _summary(local, a["id"]) and runs == [1]
