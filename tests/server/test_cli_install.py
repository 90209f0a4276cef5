"""The service's commands on installs without the service: a clear line naming the extra (exit 2), and
`submit` working from the light `client` extra alone, waiting through a server's 502/503 answers."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

SERVER_ONLY = ("fastapi", "uvicorn", "sqlmodel", "sqlalchemy", "pydantic_settings", "psycopg", "multipart",
               "pandas", "gradio")


@pytest.mark.parametrize("argv", [["serve"], ["worker"], ["admin", "list-tokens"]])
def test_service_commands_on_a_core_install_name_the_extra(ige, argv):
    res = ige(*argv, block=SERVER_ONLY)
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: `intergeneval {argv[0]}` needs packages")
    assert lines[0].endswith("pip install 'intergeneval[server]'")


def test_submit_without_httpx_names_the_client_extra(ige, tmp_path):
    res = ige("submit", tmp_path, "--server", "http://127.0.0.1:9", "--token", "t", "--model", "m",
              block=("httpx",))
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert res.stderr.strip().endswith("pip install 'intergeneval[client]'")


class _FlakyService(BaseHTTPRequestHandler):
    """Accepts any upload as job 7; its job page answers 503 (Retry-After: 0), 502, then the finished job."""

    answers = [503, 502, 200]

    def log_message(self, *args):
        pass

    def _json(self, code, body, headers=()):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        if self.headers.get("Transfer-Encoding") == "chunked":  # the client streams the archive
            while size := int(self.rfile.readline().strip(), 16):
                self.rfile.read(size + 2)
            self.rfile.readline()
        else:
            self.rfile.read(int(self.headers["Content-Length"]))
        self._json(201, {"submission": {"id": 1}, "duplicate": False,
                         "job": {"id": 7, "status": "queued", "links": {"self": "/api/v1/jobs/7"}}})

    def do_GET(self):
        code = type(self).answers.pop(0)
        if code == 503:
            self._json(503, {"error": {"code": "unavailable", "message": "database busy"}},
                       [("Retry-After", "0")])
        elif code == 502:
            self._json(502, {"error": {"code": "bad_gateway", "message": "proxy"}})
        else:
            scores = {m: {"mean": 0.5, "ci_low": 0.25, "ci_high": 0.75}
                      for m in ("kisa", "sgi", "spi", "kisa_spi", "sgi_spi", "if")}
            self._json(200, {"id": 7, "status": "succeeded", "progress": {"done": 2, "total": 2},
                             "scores": scores})


@pytest.fixture
def flaky_service():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FlakyService)
    _FlakyService.answers = [503, 502, 200]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_submit_needs_only_httpx_and_wait_retries_502_and_503(ige, tmp_path, flaky_service):
    (tmp_path / "v").mkdir()
    (tmp_path / "v" / "s1.mp4").write_bytes(b"\0" * 100)
    res = ige("submit", tmp_path / "v", "--server", flaky_service, "--token", "t", "--model", "m", "--wait",
              "--poll", "0.01", block=SERVER_ONLY)
    assert res.returncode == 0, res.stderr
    assert "job 7: server answered 503 unavailable: database busy; asking again in 0 s" in res.stderr
    assert "job 7: server answered 502 bad_gateway: proxy; asking again in 2 s" in res.stderr  # doubled
    assert "if        0.5000  [0.2500, 0.7500]" in res.stdout
    assert _FlakyService.answers == []
    assert res.stderr.count("uploading: 100%") == 1


def test_wait_gives_up_on_other_errors_and_after_its_retries():
    import httpx

    from server.client import RETRIES, SubmitClient, SubmitError

    calls = []

    def answer(request):
        calls.append(request.url.path)
        return httpx.Response(404 if len(calls) == 1 else 503, json={"error": {"code": "x", "message": "y"}},
                              headers={"Retry-After": "0"})

    client = SubmitClient("http://svc", token="t", transport=httpx.MockTransport(answer))
    with pytest.raises(SubmitError) as e:  # a 404 is an answer, not a hiccup: no retry
        client.wait(1, poll_s=0)
    assert e.value.status == 404 and len(calls) == 1
    with pytest.raises(SubmitError) as e:
        client.wait(1, poll_s=0)
    assert e.value.status == 503 and len(calls) == 1 + RETRIES + 1


def test_submit_of_a_missing_folder_is_an_input_error(ige, tmp_path):
    res = ige("submit", tmp_path / "nowhere", "--server", "http://127.0.0.1:9", "--token", "t", "--model", "m",
              block=SERVER_ONLY)
    assert res.returncode == 2 and "Traceback" not in res.stderr  # was 1, as a failed job
    assert res.stderr.strip() == f"error: {tmp_path / 'nowhere'}: no such folder or archive"


def test_serve_on_a_port_in_use_is_one_line_before_anything_is_built(ige, tmp_path):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        res = ige("serve", "--port", str(port), "--data-dir", tmp_path / "data", "--profile", "tiny")
    assert res.returncode == 2, res.stderr  # uvicorn said so after building the app, then exit 3
    assert res.stderr.strip() == (f"error: cannot listen on 127.0.0.1:{port}: Address already in use "
                                  "(another service is there: stop it or choose --port)")
    assert not (tmp_path / "data").exists()
