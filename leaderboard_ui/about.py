"""The About tab: the protocol in plain words, the judge and tracker in use, and how to submit from CI.

Example:
    >>> text = about_markdown({"version": "0.1.0", "profile": "tiny"}, [], [], base_url="https://ige.example")
    >>> "intergeneval submit" in text and "https://ige.example/api/v1/submissions" in text
    True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from intergeneval import config
from intergeneval.metrics.aggregate import METRIC_INFO

_KISA = f"{config.KISA_SLOTS.start}–{config.KISA_SLOTS.stop - 1}"
_SGI = f"{config.SGI_SLOTS.start}–{config.SGI_SLOTS.stop - 1}"
PROTOCOL = f"""
### How a video is scored ({config.PROTOCOL_ID})

1. **Objects are tracked.** The objects named by the scenario are found in the first frame and tracked
   through the whole video; each gets a coloured box or mask drawn on the frames.
2. **A judge looks at sampled frames.** Frame 0, every {config.STRIDE}th frame and the last frame, with the
   overlays, are shown to a vision-language judge (greedy decoding, seed {config.JUDGE_SEED}).
3. **Ten yes/no questions per key interaction.** Questions {_KISA} ask whether the interaction
   happens (**KISA**); questions {_SGI}
   ask whether it happens between the right agent and object (**SGI**). For each question the judge names
   the *decisive frame*, and may answer "no (visually implausible)" for broken anatomy or objects passing
   through each other. Only "yes" counts.
4. **Objects must not pop in or out.** The judge compares every sampled frame with frame 0 and lists the
   frames where an object emerged or disappeared. **SPI** = 1 − {config.SPI_PENALTY:g} × (flagged frames /
   compared frames), averaged over emergence and disappearance; it is not clipped and can be negative.
5. **Interaction fidelity.** **IF** = (KISA·SPI + SGI·SPI) / 2 per video; a model's score is the mean over
   the suite's videos, with a {round(config.CI_LEVEL * 100)} % bootstrap confidence interval
   ({config.BOOTSTRAP_SAMPLES} resamples of the videos).

**Ranking.** Rows are ranked by IF only against rows scored on the same suite version with the same judge
configuration (its *fingerprint*: model, revision, prompts, decoding). **Rank (UB)** is 1 + the number of
models whose IF interval lies entirely above this model's: two models with overlapping intervals are not
clearly different. **Coverage** counts the videos that were scored; a video that failed is listed as failed,
never silently dropped. Only complete rows are ranked: a model with any video of the suite not scored (the
judge, tracker or detector failed on it) is shown *incomplete: not ranked*, below the ranked rows with its
coverage, until a retry scores the rest; it never takes part in anyone's Rank (UB). Rows marked *reported by
the paper, different judge* are the MATRIX paper's published
numbers, shown for reference and never ranked.
"""


def _metric_lines() -> str:
    return "\n".join(f"- **{m.label}**: {m.description}" for m in METRIC_INFO.values())


def _backends(health: Mapping[str, Any], judges: Sequence[Mapping[str, Any]]) -> str:
    lines = []
    if health.get("profile"):
        lines.append(f"- Model profile of this server's workers: `{health['profile']}`")
    for key in ("judge", "tracker", "detector"):
        value = health.get(key)
        if value:
            label = value.get("label") or value.get("backend") if isinstance(value, Mapping) else value
            lines.append(f"- {key.capitalize()}: `{label}`")
    if judges:
        lines.append("- Judges behind the current leaderboard rows:")
        lines += [f"  - `{g.get('judge_label') or '?'}` "
                  f"(fingerprint `{str(g.get('judge_fingerprint') or '')[:16]}`)"
                  f" on {g.get('suite_id')} v{g.get('suite_version')}: {g.get('num_rows', '?')} models"
                  for g in judges]
    if not lines:
        lines.append("- The server did not report its judge and tracker; each result lists its own "
                     "fingerprints.")
    version = health.get("version")
    head = f"Server version `{version}`, database `{health.get('database', '?')}`." if version else ""
    return head + "\n\n" + "\n".join(lines)


def _suites(suites: Sequence[Mapping[str, Any]]) -> str:
    if not suites:
        return "- (the server lists no suites)"
    return "\n".join(
        f"- `{s.get('suite_id')}` v{s.get('version')}: {s.get('num_scenarios', '?')} scenarios"
        + (" (default)" if s.get("default") else "")
        + (f" — {s['description']}" if s.get("description") else "")
        for s in suites)


def about_markdown(health: Mapping[str, Any], suites: Sequence[Mapping[str, Any]],
                   judges: Sequence[Mapping[str, Any]], *, base_url: str, trust: str | None = None) -> str:
    """The About tab's Markdown.

    Args:
        health: `GET /health` (may be empty when the API is down).
        suites: `GET /suites` data.
        judges: leaderboard groups (suite, judge label and fingerprint, rows).
        base_url: the API's public root, used in the examples.
        trust: the judges' trust figures (`leaderboard_ui.trust.trust_markdown`), when known.

    Returns:
        Markdown text.
    """
    api = base_url.rstrip("/") + "/api/v1"
    default = next((s.get("suite_id") for s in suites if s.get("default")), None) or "SUITE"
    root = base_url.rstrip("/")
    return f"""
## About this leaderboard

InterGenEval scores how well a video generator renders **interactions** (contact, force, transport,
manipulation, social) between people, objects and animals, following the InterGenEval protocol of the MATRIX
paper (arXiv 2510.07310), re-implemented with its defects fixed (see the project's `docs/protocol.md`).
{PROTOCOL}
### Metrics

{_metric_lines()}

### Judge and tracker in use

{_backends(health, judges)}

### Can the judge be trusted?

A yes/no judge can lean towards "yes". Each judge's **negative controls** are videos where the right answer
to some questions is "no" (a frozen frame, another scenario's video); a yes-rate near 0 there means its "yes"
is earned, and a judge is *flagged* when, with 95 % confidence, it says "yes" to more than one in five of
them. **Agreement with people** compares its answers with those of labellers (the Label tab), with Cohen's
kappa (agreement beyond chance: 1 perfect, 0 chance).

{trust or "- not measured yet"}

### Suites offered

{_suites(suites)}

### Submitting from CI

Generate one `<scenario id>.mp4` per scenario of the suite (`GET {api}/suites/{default}` lists the ids and
prompts), put them in a `.zip` or `.tar.gz`, and upload it with a token that has the `submit` scope (ask an
admin: `intergeneval admin create-token --name my-ci`).

With the command line (installed with `pip install intergeneval[server]`):

```bash
export INTERGENEVAL_TOKEN=ige_... INTERGENEVAL_SERVER={base_url.rstrip("/")}
intergeneval submit videos/ --suite {default} --model my-model --organisation my-lab \\
    --idempotency-key "$GIT_COMMIT" --wait   # a folder or an archive; waits and prints the scores
```

With plain REST calls:

```bash
# 1. upload: a 422 lists every problem of the archive; 201 returns the job
curl -sS -H "Authorization: Bearer $INTERGENEVAL_TOKEN" -H "Idempotency-Key: $GIT_COMMIT" \\
     -F archive=@videos.zip -F suite={default} \\
     -F 'model={{"name": "my-model", "organisation": "my-lab", "public": true}}' \\
     {api}/submissions
# 2. poll the job until status is succeeded, incomplete, failed or cancelled (progress: videos done / total)
curl -sS {api}/jobs/JOB_ID
# 3. results with per-video evidence, and the leaderboard as CSV
curl -sS {api}/jobs/JOB_ID/results
curl -sS "{api}/leaderboard?suite={default}&format=csv"
```

The same key in `Idempotency-Key` returns the first job again, so a retried CI step does not queue twice.
The full contract is at [{root}/docs]({root}/docs) (OpenAPI) and in the project's
`docs/api.md`.
"""
