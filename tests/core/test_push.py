"""`intergeneval push` through the real command and the real huggingface_hub client, against a local
stand-in of the hub's HTTP API (repo creation, YAML check, pre-upload, commit): what is uploaded, what stays
home, and a refused token as one line."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

pytest.importorskip("huggingface_hub")

TOKEN = "hf_stand_in_token"


class _Hub(BaseHTTPRequestHandler):
    """The hub endpoints `upload_folder` uses, keeping committed files in `files`; small files are sent
    inline ("regular" upload mode), as the hub does for text."""

    files: dict[str, bytes] = {}
    created: list[dict] = []

    def log_message(self, *args):
        pass

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding") == "chunked":
            out = b""
            while size := int(self.rfile.readline().strip(), 16):
                out += self.rfile.read(size)
                self.rfile.read(2)
            self.rfile.readline()
            return out
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _json(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self._json(404, {"error": "not here"})

    def do_POST(self):
        body = self._body()
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._json(401, {"error": "Invalid credentials in Authorization header"})
        host = f"http://{self.headers['Host']}"
        if self.path == "/api/repos/create":
            d = json.loads(body)
            type(self).created.append(d)
            return self._json(200, {"url": f"{host}/datasets/{d['organization']}/{d['name']}"})
        if self.path == "/api/validate-yaml":
            return self._json(200, {"errors": [], "warnings": []})
        if "/preupload/" in self.path:
            paths = [f["path"] for f in json.loads(body)["files"]]
            return self._json(200, {"files": [{"path": p, "uploadMode": "regular", "shouldIgnore": False}
                                              for p in paths]})
        if "/commit/" in self.path:
            for line in body.decode().splitlines():
                op = json.loads(line)
                if op["key"] == "file":
                    type(self).files[op["value"]["path"]] = base64.b64decode(op["value"]["content"])
            repo = self.path.split("/api/datasets/")[1].split("/commit/")[0]
            return self._json(200, {"commitUrl": f"{host}/datasets/{repo}/commit/{'a' * 40}",
                                    "commitOid": "a" * 40})
        self._json(404, {"error": "not here"})


@pytest.fixture
def hub():
    _Hub.files, _Hub.created = {}, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    from intergeneval.runconfig import EvalConfig
    from intergeneval.runner import evaluate
    from intergeneval.synthetic import make_scene_set

    root = tmp_path_factory.mktemp("push")
    scenes = make_scene_set(root / "scenes", n_videos=2, frames=8, size=(48, 64), seed=4)
    evaluate(EvalConfig(videos=scenes.videos, suite=scenes.suite, out=root / "results", judge="scripted",
                        judge_options={"answers": str(scenes.answers)}, tracker="replay",
                        tracker_options={"root": str(scenes.tracks)}))
    from intergeneval.report import write_report

    write_report(root / "results")
    return root / "results"


def _env(hub, token=TOKEN):
    return {"HF_ENDPOINT": hub, "HF_HUB_OFFLINE": "0", "HF_TOKEN": token, "HF_HUB_DISABLE_TELEMETRY": "1"}


def test_push_uploads_the_results_as_a_dataset(ige, hub, results):
    res = ige("push", results, "--repo", "my-org/my-model-scores", "--private", env=_env(hub))
    assert res.returncode == 0, res.stderr
    assert f"to {hub}/datasets/my-org/my-model-scores" in res.stdout
    assert _Hub.created == [{"name": "my-model-scores", "organization": "my-org", "visibility": "private",
                             "type": "dataset"}]
    local = {str(p.relative_to(results)): p.read_bytes() for p in results.rglob("*")
             if p.is_file() and p.relative_to(results).parts[0] != "cache"}
    assert any(k.startswith("cache/") for k in (str(p.relative_to(results)) for p in results.rglob("*")))
    uploaded = dict(_Hub.files)
    card = uploaded.pop("README.md").decode()
    assert uploaded == local  # every result file, byte for byte; the cache stays home
    summary = json.loads(local["summary.json"])
    assert summary["suite"]["content_hash"] in card and "| IF |" in card


def test_a_refused_token_is_one_line(ige, hub, results):
    res = ige("push", results, "--repo", "my-org/x", env=_env(hub, token="hf_wrong"))
    assert res.returncode == 2 and "Traceback" not in res.stderr
    (line,) = res.stderr.strip().splitlines()
    assert line.startswith("error: push to my-org/x: the hub answered 401") and "hf auth login" in line


def test_push_checks_its_arguments_first(ige, hub, results, tmp_path):
    res = ige("push", tmp_path, "--repo", "my-org/x", env=_env(hub))
    assert res.returncode == 2 and "not a scoring run's results" in res.stderr
    res = ige("push", results, "--repo", "no-slash", env=_env(hub))
    assert res.returncode == 2 and "--repo must be ORG/NAME" in res.stderr
    assert _Hub.created == []


def test_push_without_huggingface_hub_names_its_light_extra(ige, results):
    res = ige("push", results, "--repo", "my-org/x", block=("huggingface_hub",))
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert res.stderr.strip() == "error: push needs huggingface_hub: pip install 'intergeneval[hub]'"


def test_an_unreachable_hub_is_one_line(ige, results):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    res = ige("push", results, "--repo", "my-org/x", env=_env(f"http://127.0.0.1:{port}"))
    assert res.returncode == 2 and "Traceback" not in res.stderr, res.stderr  # was httpx2.ConnectError
    (line,) = res.stderr.strip().splitlines()
    assert line.startswith("error: push to my-org/x: ConnectError:"), line
