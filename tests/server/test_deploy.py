"""docker-compose.yml and the Dockerfile, checked without a Docker engine: structure, health checks, a GPU of
its own per GPU service, a pinned judge server sized for the service, workers that wait for it, and every
command they name exists in the package with the options they pass; `docker compose config` where
installed."""

from __future__ import annotations

import importlib
import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from intergeneval.cli import app as cli_app

ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _cli_accepts(argv: list[str]) -> None:
    """The `intergeneval` subcommand exists and knows every option passed (checked on its --help)."""
    sub = argv[:2] if argv[0] == "admin" else argv[:1]
    result = CliRunner().invoke(cli_app, [*sub, "--help"], env={"COLUMNS": "300"})
    help_text = result.output
    assert result.exit_code == 0, f"no command {sub!r}: {help_text}"
    for opt in (a.split("=")[0] for a in argv if a.startswith("--")):
        assert opt in help_text, f"`intergeneval {' '.join(sub)}` has no option {opt}"


def _uvicorn_target_exists(argv: list[str]) -> None:
    target = next(a for a in argv if ":" in a and not a.startswith("-"))
    module, attr = target.split(":")
    assert callable(getattr(importlib.import_module(module), attr))
    assert "--factory" in argv  # create_app is a factory: nothing is built at import time


def test_services_volumes_and_health_checks(compose):
    services = compose["services"]
    assert set(services) >= {"api", "worker", "db", "judge"}
    assert "pgdata:/var/lib/postgresql/data" in services["db"]["volumes"]
    assert set(compose["volumes"]) >= {"pgdata", "storage"}
    for name in ("db", "api", "worker", "judge"):
        assert services[name]["healthcheck"]["test"], name
    assert services["api"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["worker"]["depends_on"]["db"]["condition"] == "service_healthy"
    # API and workers share the storage volume and the database URL.
    for name in ("api", "worker"):
        env = services[name]["environment"]
        assert env["INTERGENEVAL_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert any(v.startswith("storage:") for v in services[name]["volumes"])
    assert services["judge"]["profiles"] == ["judge"]  # optional


def _gpus(service: dict) -> list[str]:
    (device,) = service["deploy"]["resources"]["reservations"]["devices"]
    assert device["driver"] == "nvidia" and device["capabilities"] == ["gpu"] and "count" not in device
    return device["device_ids"]


def test_each_gpu_service_names_its_own_gpu(compose):
    services = compose["services"]
    worker, judge = _gpus(services["worker"]), _gpus(services["judge"])
    assert worker == ["${IGE_WORKER_GPU:-0}"] and judge == ["${IGE_JUDGE_GPU:-1}"]  # distinct by default
    text = (ROOT / "docker-compose.yml").read_text()
    assert "worker-2" in text and "--scale worker=N" in text  # how to scale is documented in the file


def test_the_judge_server_is_pinned_and_sized_for_the_service(compose):
    from intergeneval import config
    from intergeneval.profiles import resolve_profile
    from intergeneval.video import sample_indices
    from server.core.config import Settings

    judge = compose["services"]["judge"]
    image, _, tag = judge["image"].partition(":")
    assert image == "vllm/vllm-openai" and re.fullmatch(r"v\d+\.\d+\.\d+", tag)
    argv = judge["command"]
    arg = {k: v for k, v in zip(argv, argv[1:], strict=False) if k.startswith("--")}
    default = resolve_profile("default")["judge_options"]
    assert (arg["--model"], arg["--revision"]) == (default["model"], default["revision"])
    max_frames = int(compose["x-service-env"].get("INTERGENEVAL_MAX_FRAMES", Settings().max_frames))
    most_images = len(sample_indices(max_frames, config.STRIDE))
    assert json.loads(arg["--limit-mm-per-prompt"]) == {"image": most_images}
    assert "--gpu-memory-utilization" in arg
    # the workers' judge options in the header's example name the same revision
    assert default["revision"] in (ROOT / "docker-compose.yml").read_text().split("services:")[0]


def test_workers_wait_for_the_judge_and_caches_do_not_clash(compose):
    from server.cli import judge_url

    assert judge_url("openai", {"base_url": "http://judge:8001/v1/"}) == "http://judge:8001/v1/models"
    assert judge_url("qwen", {"base_url": "http://judge:8001/v1"}) is None
    _cli_accepts(["worker", "--judge-wait", "60"])
    services = compose["services"]
    assert "models:/models" in services["worker"]["volumes"]
    assert "judge-models:/models" in services["judge"]["volumes"]  # vLLM writes as root: its own volume
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"useradd .*--uid 1000 intergeneval", text)
    assert re.search(r"chown intergeneval /data /models", text)  # named volumes start owned by the user


def _compose() -> list[str] | None:
    """Docker's compose plugin, else Debian's docker-compose (both check a file without an engine)."""
    plugin = shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True)
    if plugin and plugin.returncode == 0:
        return ["docker", "compose"]
    return ["docker-compose"] if shutil.which("docker-compose") else None


def test_docker_compose_accepts_the_file():
    cmd = _compose()
    if cmd is None:
        if os.environ.get("CI"):
            pytest.fail("docker-compose is not installed (.ci/run installs it)")
        pytest.skip("no docker compose here")
    for profile in ([], ["--profile", "judge"]):
        res = subprocess.run([*cmd, "-f", str(ROOT / "docker-compose.yml"), *profile, "config", "-q"],
                             capture_output=True, text=True)
        assert res.returncode == 0, res.stderr


def test_every_command_exists_in_the_package(compose):
    for name in ("api", "worker"):
        argv = compose["services"][name]["command"]
        if argv[0] == "intergeneval":
            _cli_accepts(argv[1:])
        else:
            assert argv[0] == "uvicorn"
            _uvicorn_target_exists(argv)
    hc = compose["services"]["worker"]["healthcheck"]["test"]
    assert hc[:3] == ["CMD", "python", "-c"]
    compile(hc[3], "<worker healthcheck>", "exec")
    for mod in re.findall(r"from (server[\w.]*) import", hc[3]):
        importlib.import_module(mod)
    api_hc = " ".join(compose["services"]["api"]["healthcheck"]["test"])
    assert "/api/v1/health" in api_hc


def test_compose_environment_names_real_settings(compose):
    from server.core.config import Settings

    fields = {f.upper() for f in Settings.model_fields}
    for name in ("api", "worker"):
        for key in compose["services"][name]["environment"]:
            if key.startswith("INTERGENEVAL_"):
                assert key.removeprefix("INTERGENEVAL_") in fields, key


def test_dockerfile(compose):
    text = (ROOT / "Dockerfile").read_text()
    for pkg in ("intergeneval", "server", "leaderboard_ui", "baselines", "matrix_train"):
        assert re.search(rf"^COPY {pkg} \./{pkg}$", text, re.M), pkg
    assert "torch==2.14.1 torchvision==0.29.1" in text  # the pins of pyproject's torch extra
    cmd = re.search(r"^CMD (\[.*\])$", text, re.M).group(1)
    import json

    argv = json.loads(cmd)
    assert argv == compose["services"]["api"]["command"]
    _uvicorn_target_exists(argv)
    health = re.search(r"HEALTHCHECK .*\n\s+CMD (.*)$", text, re.M).group(1)
    assert "/api/v1/health" in shlex.split(health)[2]
    extras = re.search(r'pip install -c \S+ "\.\[([^\]]+)\]"', text).group(1).split(",")  # the tested pins
    optional = __import__("tomllib").loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert set(extras) <= set(optional)


def test_a_worker_waits_for_the_judge_server(ige, tmp_path):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from server.cli import wait_until_ready

    answers = [503, 503, 200]

    class Loading(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            self.send_response(answers.pop(0))
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Loading)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert wait_until_ready(f"http://127.0.0.1:{server.server_address[1]}/v1/models", timeout_s=30,
                                poll_s=0.01)
        assert answers == []
    finally:
        server.shutdown()
        server.server_close()
    assert not wait_until_ready("http://127.0.0.1:9/v1/models", timeout_s=0.05, poll_s=0.01)
    # the command: a judge that never answers stops the worker before it touches the database
    res = ige("worker", "--data-dir", tmp_path / "d", "--judge-wait", "0.1",
              env={"INTERGENEVAL_JUDGE": "openai",
                   "INTERGENEVAL_JUDGE_OPTIONS": '{"base_url": "http://127.0.0.1:9/v1"}'})
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert "waiting for the judge at http://127.0.0.1:9/v1/models" in res.stderr
    assert "error: the judge at http://127.0.0.1:9/v1/models did not answer within 0.1 s" in res.stderr
    assert not (tmp_path / "d").exists()
