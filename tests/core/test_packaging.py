"""Packaging: the build system can read the license expression, the library states compatible ranges, and
the exact versions live in constraints.txt, which every install in the Makefile uses."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
EXACT_ON_PURPOSE = {"torch", "torchvision"}  # pip takes them from this machine's disk / PyTorch's index


def _requirements() -> list[Requirement]:
    project = PYPROJECT["project"]
    reqs = [Requirement(r) for r in project["dependencies"]]
    for extra in project["optional-dependencies"].values():
        reqs += [Requirement(r) for r in extra if not r.startswith("intergeneval[")]
    return reqs


def _pins() -> dict[str, Version]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[_norm(name)] = Version(version)
    return pins


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_build_requires_a_setuptools_that_reads_the_license_expression():
    (setuptools,) = [Requirement(r) for r in PYPROJECT["build-system"]["requires"] if r.startswith("setuptools")]
    assert PYPROJECT["project"]["license"] == "Apache-2.0"  # an SPDX expression: PEP 639, setuptools >= 77
    assert not setuptools.specifier.contains("75.8.0") and not setuptools.specifier.contains("76.1.0")
    assert setuptools.specifier.contains("77.0.0")


def test_the_library_states_ranges_not_exact_versions():
    exact = [str(r) for r in _requirements()
             if any(s.operator in ("==", "===") for s in r.specifier) and r.name not in EXACT_ON_PURPOSE]
    assert exact == []


def test_every_dependency_is_pinned_in_constraints_within_its_range():
    pins = _pins()
    for req in _requirements():
        assert _norm(req.name) in pins, f"{req.name} has no pin in constraints.txt"
        assert req.specifier.contains(pins[_norm(req.name)], prereleases=True), (str(req), pins[_norm(req.name)])


def test_make_installs_with_the_constraints():
    text = (ROOT / "Makefile").read_text()
    pip = re.search(r"^PIP := (.*)$", text, re.M).group(1)
    assert "-c constraints.txt" in pip
    installs = [line.strip() for line in text.splitlines() if "pip install" in line or "$(PIP)" in line]
    project = [line for line in installs if "$(PIP)" in line]
    assert any('-e ".[all,dev]"' in line for line in project) and any("torch==" in line for line in project)
    # only pip itself and the build tools are installed without the constraints
    assert all("$(PIP)" in line or "--upgrade pip" in line or "setuptools" in line or line.startswith("PIP :=")
               for line in installs), installs
    assert re.search(r"^\$\(STAMP\):.*constraints\.txt", text, re.M)  # a new pin reinstalls


def test_the_client_extra_is_light():
    assert [Requirement(r).name for r in PYPROJECT["project"]["optional-dependencies"]["client"]] == ["httpx"]


def test_the_hub_extra_is_light():
    # `push` on a machine without the models: huggingface_hub alone, not transformers and torch
    assert [Requirement(r).name for r in PYPROJECT["project"]["optional-dependencies"]["hub"]] == \
        ["huggingface_hub"]
    assert "hub" in PYPROJECT["project"]["optional-dependencies"]["all"][0]
