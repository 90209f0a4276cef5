"""A judge that replays replies from a JSON file: for tests, and for users who bring their own answers.

File layout (`docs/backends.md`)::

    {"format": "intergeneval-scripted-answers",
     "answers": {"<scenario id>": {"qa": [<reply for key interaction 0>, ...], "changes": <reply>}}}

A reply is what the judge would have said: a string (raw text) or a JSON value (serialised as the reply).
`{"attempts": [r1, r2, ...]}` scripts one reply per attempt (the last repeats), to exercise retries.
Replies go through the same validation as any backend's, so an invalid scripted reply is missing, not yes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import DataFormatError, JudgeError
from ..hashing import sha256_file
from .base import ChatJudge, JudgeRequest, JudgeVideo

FORMAT = "intergeneval-scripted-answers"


class ScriptedJudge(ChatJudge):
    """Replays scripted replies keyed by scenario id; a scenario with no script fails like a dead judge."""

    name = "scripted"
    thread_safe = True  # replies are looked up, never changed; the call log only grows

    def __init__(self, answers: str | Path | dict[str, Any], **kwargs: Any):
        super().__init__(**kwargs)
        if isinstance(answers, dict):
            self._source, data = "<dict>", answers
        else:
            path = Path(answers)
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as e:
                raise DataFormatError(f"{path}: cannot read scripted answers: {e}") from None
            self._source = f"{path.name}@{sha256_file(path)[:12]}"
        if data.get("format", FORMAT) != FORMAT or not isinstance(data.get("answers"), dict):
            raise DataFormatError(f"{self._source}: expected {{'format': {FORMAT!r}, 'answers': {{...}}}}")
        self._answers: dict[str, Any] = data["answers"]
        self.calls: list[tuple[str, str, int | None, int]] = []  # (scenario, kind, interaction, attempt)

    def fingerprint(self) -> dict[str, Any]:
        """Names the answer file by content, so other answers never reuse cached results."""
        return {**super().fingerprint(), "model": f"scripted:{self._source}"}

    def complete(self, video: JudgeVideo, request: JudgeRequest) -> str:
        """Return the scripted reply for this scenario, call and attempt."""
        sid = video.scenario.id
        self.calls.append((sid, request.kind, request.interaction, request.attempt))
        entry = self._answers.get(sid)
        if entry is None:
            raise JudgeError(f"no scripted answers for scenario {sid!r}")
        reply = entry.get(request.kind)
        if request.kind == "qa":
            replies = reply if isinstance(reply, list) else []
            if request.interaction is None or request.interaction >= len(replies):
                raise JudgeError(f"no scripted qa reply for scenario {sid!r} interaction {request.interaction}")
            reply = replies[request.interaction]
        if reply is None:
            raise JudgeError(f"no scripted {request.kind} reply for scenario {sid!r}")
        if isinstance(reply, dict) and isinstance(reply.get("attempts"), list) and reply["attempts"]:
            reply = reply["attempts"][min(request.attempt, len(reply["attempts"])) - 1]
        return reply if isinstance(reply, str) else json.dumps(reply)
