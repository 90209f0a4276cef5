"""Schema-driven fuzzing of every operation in `/openapi.json`: odd parameters and bodies never give a 5xx.

A small, seeded stand-in for schemathesis (not installed here): for each operation it sends values drawn
from the schema's types plus hostile ones (wrong types, huge numbers, path tricks, bad JSON), with no token,
a wrong token, a submit token and an admin token, on a service that holds a finished job.
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

HOSTILE = ["", "0", "-1", "99999999999999999999", "abc", "../../etc/passwd", "%00", "é✓", "null", "true",
           "a" * 600, "1.5", "[]", "{}", " "]


def _value(schema: dict[str, Any], rng: random.Random) -> Any:
    if rng.random() < 0.4:
        return rng.choice(HOSTILE)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return _value(rng.choice(schema[key]), rng)
    if "enum" in schema:
        return rng.choice(schema["enum"])
    t = schema.get("type")
    if t == "integer":
        return rng.choice([0, 1, 2, -5, 10**12, schema.get("maximum", 500), schema.get("minimum", 0)])
    if t == "number":
        return rng.choice([0.0, -1e9, 3.14])
    if t == "boolean":
        return rng.choice([True, False])
    if t == "array":
        return [_value(schema.get("items", {}), rng) for _ in range(rng.randint(0, 3))]
    if t == "object":
        return {k: _value(v, rng) for k, v in (schema.get("properties") or {}).items() if rng.random() < 0.7}
    return rng.choice(["x", "synthetic", "1", "intergeneval-open-v1"])


def _resolve(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref:
        name = ref.rsplit("/", 1)[-1]
        return _resolve(spec["components"]["schemas"][name], spec)
    if "properties" in schema:
        return {**schema, "properties": {k: _resolve(v, spec) for k, v in schema["properties"].items()}}
    return schema


@pytest.fixture
def fuzz_target(service_factory, scenes, zipper):
    svc = service_factory(worker=True)
    headers = svc.auth("alice")
    job = svc.submit(headers, zipper(scenes.videos), {"name": "m1"}).json()["job"]
    svc.wait(job["id"])
    return svc, {"none": {}, "wrong": {"Authorization": "Bearer nope"}, "submit": headers,
                 "admin": svc.auth("root", scopes=("submit", "admin"), admin=True)}


def test_no_operation_answers_5xx(fuzz_target):
    svc, auths = fuzz_target
    spec = svc.client.get("/openapi.json").json()
    rng = random.Random(0)
    sent = 0
    failures = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            for _ in range(12):
                params = {"path": {}, "query": {}, "header": {}}
                for p in op.get("parameters", []):
                    if p.get("required") or rng.random() < 0.6:
                        params[p["in"]][p["name"]] = _value(_resolve(p.get("schema", {}), spec), rng)
                url = path
                for name, v in params["path"].items():
                    v = str(v) if v != "" else "x"
                    url = url.replace("{" + name + "}", v.replace("/", "%2F").replace("?", "%3F").replace("#", "%23"))
                kwargs: dict[str, Any] = {"params": {k: (json.dumps(v) if isinstance(v, (list, dict)) else v)
                                                     for k, v in params["query"].items()}}
                body = (op.get("requestBody") or {}).get("content", {})
                if "application/json" in body:
                    schema = _resolve(body["application/json"]["schema"], spec)
                    choice = rng.random()
                    if choice < 0.15:
                        kwargs["content"] = b"{not json"
                        kwargs["headers"] = {"Content-Type": "application/json"}
                    else:
                        kwargs["json"] = _value(schema, rng) if choice < 0.9 else rng.choice(HOSTILE)
                elif "multipart/form-data" in body:
                    fields = {"model": rng.choice(['{"name": "x"}', "{", "[]", '{"name": 5}', ""]),
                              "suite": rng.choice(["", "synthetic", "nope"]),
                              "settings": rng.choice(["", "{}", '{"seed": "x"}', "7"])}
                    if rng.random() < 0.7:
                        kwargs["files"] = {"archive": ("a.zip", rng.randbytes(rng.randint(0, 300)))}
                        kwargs["data"] = fields
                    else:
                        kwargs["content"] = rng.randbytes(200)
                        kwargs["headers"] = {"Content-Type": rng.choice(["multipart/form-data; boundary=zz",
                                                                         "multipart/form-data", "text/plain"])}
                auth = auths[rng.choice(list(auths))]
                kwargs["headers"] = {**kwargs.get("headers", {}), **auth,
                                     **{k: str(v) for k, v in params["header"].items()}}
                r = svc.client.request(method.upper(), url, **kwargs)
                sent += 1
                if r.status_code >= 500:
                    failures.append((method, url, kwargs.get("params"), r.status_code, r.text[:200]))
                elif r.status_code >= 400:
                    assert r.json()["error"]["code"], (method, url, r.text)
    assert sent > 150
    assert not failures, failures[:5]
