"""docker-compose.yml and the Dockerfile, checked without a Docker engine: structure, health checks, a GPU
reservation for workers, and every command they name exists in the package with the options they pass."""

from __future__ import annotations

import importlib
import re
import shlex
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


def test_workers_reserve_an_nvidia_gpu(compose):
    devices = compose["services"]["worker"]["deploy"]["resources"]["reservations"]["devices"]
    assert devices == [{"driver": "nvidia", "count": 1, "capabilities": ["gpu"]}]


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
