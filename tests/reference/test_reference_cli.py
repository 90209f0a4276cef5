"""`intergeneval reference score` runs reference mode and prints the report's lines."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from intergeneval.cli import app

DATA = Path(__file__).parent / "data" / "SCORE_RESULTS"


def test_reference_score_command_writes_summaries_and_lists_issues(tmp_path):
    result = CliRunner().invoke(app, ["reference", "score", str(DATA), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "combined_scores_summary.json").read_text())["matrix"]["easy"]["000"][
        "IF_score"] == 1.0
    assert (tmp_path / "model_averages_summary.json").is_file()
    assert "13 issue(s)" in result.output
    assert "qa_reply_unparsed" in result.output and "crash" in result.output


def test_reference_score_command_rejects_a_missing_folder(tmp_path):
    result = CliRunner().invoke(app, ["reference", "score", str(tmp_path / "nope"), "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "no such folder" in " ".join(result.output.split())  # rich wraps lines
