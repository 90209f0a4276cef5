"""Every `intergeneval` command shown in a code block of README.md and docs/*.md exists with the options it
passes, no command is cut off mid-line, and no stale instruction from before a feature landed is left."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from intergeneval.cli import app

ROOT = Path(__file__).parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
GROUPS = {"suite", "reference", "admin"}  # commands with subcommands
STALE = ['--profile ""', "Until the tiny profile", "Until `intergeneval.profiles` exists", "Until the `tiny`"]


def _commands(path: Path) -> list[tuple[str, str]]:
    """(where, command) for each `intergeneval` command line in the file's code blocks (continuations
    joined)."""
    found = []
    for block in re.findall(r"^```[^\n]*\n(.*?)^```", path.read_text(), re.M | re.S):
        lines = block.splitlines()
        assert not lines or not lines[-1].rstrip().endswith("\\"), f"{path.name}: a command is cut off"
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            m = re.search(r"(?:^|[\s$(])(?:\S*/)?intergeneval ((?:[a-z][\w-]*)(?: [a-z][\w-]*)?.*)$", line)
            if m and not line.lstrip().startswith("#"):
                found.append((f"{path.name}: {line.strip()[:80]}", m.group(1).split(" #")[0]))
    return found


CASES = [c for path in DOCS for c in _commands(path)]


def test_the_docs_show_commands():
    assert len(CASES) > 20


@pytest.mark.parametrize(("where", "command"), CASES, ids=[w for w, _ in CASES])
def test_command_exists_with_its_options(where, command):
    argv = shlex.split(command.replace("$(", "").replace(")", ""))
    sub = argv[:2] if argv[0] in GROUPS else argv[:1]
    res = CliRunner().invoke(app, [*sub, "--help"], env={"COLUMNS": "300"})
    assert res.exit_code == 0, f"{where}: no command `intergeneval {' '.join(sub)}`"
    for opt in (a.strip("[]").split("=")[0] for a in argv if a.strip("[").startswith("--")):
        assert opt in res.output, f"{where}: `intergeneval {' '.join(sub)}` has no option {opt}"


def test_no_stale_instructions():
    for path in DOCS:
        text = path.read_text()
        for phrase in STALE:
            assert phrase not in text, f"{path.name}: {phrase!r}"
