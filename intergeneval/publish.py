"""`intergeneval push`: publish a run's results as a Hugging Face dataset (`huggingface_hub.upload_folder`).

What goes up: `summary.json`, `summary.csv`, `per_video.jsonl`, `report.html` and `evidence/` (the frames the
judge saw), and a `README.md` dataset card naming the suite, the judge and the scores, unless the folder has
its own. The result cache (`cache/`, a second copy of the evidence) stays home. The token is the usual
Hugging Face one (`HF_TOKEN`, or `hf auth login`); `HF_ENDPOINT` points at another hub.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import BackendUnavailable, DataFormatError, InterGenEvalError

#: Files of a results folder that are never uploaded.
IGNORE = ["cache/**", "*.tmp", ".*"]


@dataclass(frozen=True)
class Pushed:
    """Where the results went."""

    repo_url: str
    commit_url: str
    files: int


def push_results(results: Path, repo: str, *, token: str | None = None, private: bool = False,
                 message: str | None = None, endpoint: str | None = None) -> Pushed:
    """Upload the results folder to the dataset repo `repo` ("org/name"), creating it if needed.

    Raises:
        DataFormatError: `results` is not a scoring run's output folder.
        BackendUnavailable: huggingface_hub is not installed.
        InterGenEvalError: the hub refused or could not be reached (its message, the repo and what to do).
    """
    results = Path(results)
    summary = _summary(results)
    if repo.count("/") != 1 or not all(repo.split("/")):
        raise DataFormatError(f"--repo must be ORG/NAME (a Hugging Face dataset id), got {repo!r}")
    try:
        from huggingface_hub import HfApi
        from huggingface_hub.errors import HfHubHTTPError
    except ImportError:
        raise BackendUnavailable("push needs huggingface_hub: pip install 'intergeneval[hub]'") from None
    api = HfApi(endpoint=endpoint, token=token)
    files = [p for p in results.rglob("*") if p.is_file() and not _ignored(p.relative_to(results))]
    try:
        url = api.create_repo(repo, repo_type="dataset", private=private, exist_ok=True)
        if not (results / "README.md").exists():
            api.upload_file(path_or_fileobj=dataset_card(summary, repo).encode(), path_in_repo="README.md",
                            repo_id=repo, repo_type="dataset", commit_message="Dataset card")
        commit = api.upload_folder(folder_path=results, repo_id=repo, repo_type="dataset",
                                   ignore_patterns=IGNORE, commit_message=message or _message(summary))
    except HfHubHTTPError as e:
        status = getattr(e.response, "status_code", None)
        hint = " (log in with `hf auth login` or set HF_TOKEN, with write access to the repo)" \
            if status in (401, 403) else ""
        first = str(e).splitlines()[0]
        raise InterGenEvalError(f"push to {repo}: the hub answered {status}: {first}{hint}") from None
    except Exception as e:  # no connection (the hub client's own errors, not OSErrors), offline mode, an
        # answer the library cannot read: the upload failed, whatever the library calls it
        first = (str(e).splitlines() or [""])[0]
        raise InterGenEvalError(f"push to {repo}: {type(e).__name__}: {first}") from None
    return Pushed(str(url), str(commit), len(files))


def dataset_card(summary: dict[str, Any], repo: str) -> str:
    """A short README.md for the dataset: what was scored, by what, and the scores."""
    suite, v = summary["suite"], summary["videos"]
    judge = (summary.get("fingerprints") or {}).get("judge") or {}
    rows = "\n".join(
        f"| {name.upper().replace('_', '·')} | {_fmt(m['mean'])} | "
        f"[{_fmt(m['ci_low'])}, {_fmt(m['ci_high'])}] |"
        for name in summary["metric_names"] for m in [summary["metrics"][name]])
    warnings = "".join(f"\n> ⚠ {w}\n" for w in summary.get("warnings", []))
    return f"""---
tags: [intergeneval, video-generation, evaluation]
---
# {repo}: InterGenEval results

Suite `{suite['id']}` v{suite['version']} (`{suite['content_hash']}`), protocol {summary['protocol']},
judge `{judge.get('model', judge.get('backend', '?'))}`, intergeneval {summary.get('package_version', '?')}.
{v['scored']} of {v['expected']} videos scored.
{warnings}
| metric | mean | 95% CI |
|---|---|---|
{rows}

Files: `summary.json` / `summary.csv` (all numbers and fingerprints), `per_video.jsonl` (one record per
video), `report.html` with `evidence/` (the frames the judge saw and its answers).
"""


def _summary(results: Path) -> dict[str, Any]:
    if not results.is_dir():
        raise DataFormatError(f"{results}: no such results folder")
    try:
        return json.loads((results / "summary.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise DataFormatError(f"{results / 'summary.json'}: not a scoring run's results ({e}); "
                              "run `intergeneval score` first") from None


def _ignored(rel: Path) -> bool:
    return rel.parts[0] == "cache" or rel.name.startswith(".") or rel.suffix == ".tmp"


def _message(summary: dict[str, Any]) -> str:
    v = summary["videos"]
    return f"InterGenEval results: {summary['suite']['id']}, {v['scored']}/{v['expected']} videos scored"


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.3f}"
