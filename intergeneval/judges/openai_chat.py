"""Judge `openai`: any OpenAI-compatible chat endpoint (vLLM, SGLang, `transformers serve`, OpenAI).

Base URL and model come from the options or from `INTERGENEVAL_OPENAI_BASE_URL` / `INTERGENEVAL_OPENAI_MODEL`;
the API key only from `OPENAI_API_KEY` (never an option, so it never lands in a config or a result). Each
call sends the system instruction, the user text, then every frame as `Frame <index>:` and a base64 image
(the protocol's layout), with temperature 0 and seed 42. Transport failures (429, 5xx, timeouts, dropped
connections) are retried with exponential backoff inside one call; that is separate from the judge's
validation attempts (`ChatJudge`), which re-ask when a reply does not validate. The judge serves several
threads at once (`--concurrency N` keeps the calls of N videos in flight); `max_concurrency` can bound the
requests in flight below that.

Structured output: QA and emergence calls carry their answer schema as `response_format` (`json_schema`,
strict; vLLM and SGLang turn it into guided decoding): the ids asked, the three answers, a shown frame after
every "yes". With `structured="auto"` (default) a server that refuses it (HTTP 400/422, while the same call
without it works) is asked without it for the rest of the run; `served["structured_output"]` says which
happened. Either way every reply goes through the same validation.

`served_for(video)` says what the server reported for one video's QA and emergence calls: the served model
names, the `system_fingerprint`s and the structured-output outcome. Each video's record keeps it (so a cached
video, or one judged on another machine, keeps what served it), and the runner writes the union over the
run's records into the judge fingerprint recorded with the results (`fingerprints.judge.served`), as
provenance only: it is not part of the judge's identity (cache keys, leaderboard groups), because a
`system_fingerprint` may change from one call to the next and a resumed run must still find its finished
videos. `served` is the same for every call this judge made (a worker keeps one judge for many jobs).

Frames are encoded once per video (`JudgeVideo.encoded`) and every call about the video reuses the bytes:
lossless PNG by default (fast: zlib level 1, see `intergeneval.imaging`), or `image_format="jpeg"` at
`jpeg_quality`, which changes what the judge sees and is therefore part of the fingerprint.

Example:
    OPENAI_API_KEY=... intergeneval score VIDEOS --prompts SUITE --out OUT --judge openai \\
        --judge-option model=gpt-4o --judge-option base_url=https://api.openai.com/v1
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
from typing import Any

from .. import config, imaging
from ..errors import BackendUnavailable, ConfigError, JudgeError
from .base import ChatJudge, JudgeRequest, JudgeVideo

log = logging.getLogger(__name__)

ENV_BASE_URL = "INTERGENEVAL_OPENAI_BASE_URL"
ENV_MODEL = "INTERGENEVAL_OPENAI_MODEL"
ENV_API_KEY = "OPENAI_API_KEY"
#: HTTP statuses worth retrying: rate limited, or the server failed.
_RETRY_STATUS = {408, 409, 429, 500, 502, 503, 504}
#: Values of the `structured` option.
STRUCTURED_MODES = ("auto", "on", "off")


class OpenAIJudge(ChatJudge):
    """A judge behind an OpenAI-compatible `/v1/chat/completions` endpoint.

    Args:
        model: served model name (default: `$INTERGENEVAL_OPENAI_MODEL`).
        base_url: endpoint root ending in `/v1` (default: `$INTERGENEVAL_OPENAI_BASE_URL`, else OpenAI's).
        revision: what the served checkpoint is, for the fingerprint (servers do not report it).
        timeout: seconds per HTTP request.
        max_retries: transport retries per call on 429/5xx/timeouts, with exponential backoff.
        backoff: first backoff in seconds (doubles each retry, capped at 60 s; a Retry-After header wins).
        max_concurrency: bound on the requests in flight across all threads using this judge (None: as many
            as the run keeps videos in flight, one call per video at a time).
        image_format: "png" (lossless, the reference's choice) or "jpeg".
        jpeg_quality: JPEG quality (1-95) when `image_format="jpeg"`; 90 is also the evidence images'
            quality, so they reuse the judge's bytes.
        max_tokens: bound on the reply length.
        structured: "auto" (send the answer schema as `response_format`; fall back to plain replies where the
            server refuses it), "on" (always send it; a refusal is an error) or "off".
        attempts: validation attempts per call (ChatJudge).
        http_client: an `httpx.Client` to send requests with (proxies, tests).
    """

    name = "openai"
    thread_safe = True  # the HTTP client is shared by threads; the rest is guarded by a lock
    parallel_calls = True  # each call waits on a server: a video's calls may go out at once

    def __init__(
        self,
        model: str | None = None,
        base_url: str | None = None,
        *,
        revision: str | None = None,
        timeout: float = 120.0,
        max_retries: int = 5,
        backoff: float = 1.0,
        max_concurrency: int | None = None,
        image_format: str = "png",
        jpeg_quality: int = 90,
        max_tokens: int = 2048,
        structured: str = "auto",
        attempts: int = config.JUDGE_ATTEMPTS,
        http_client: Any = None,
    ):
        super().__init__(attempts=attempts)
        try:
            import openai
        except ImportError:
            raise BackendUnavailable("the openai judge needs the 'openai' package: "
                                     "pip install 'intergeneval[judge-openai]'") from None
        self.model = model or os.environ.get(ENV_MODEL)
        if not self.model:
            raise ConfigError(f"openai judge: no model: pass --judge-option model=NAME or set {ENV_MODEL}")
        self.base_url = base_url or os.environ.get(ENV_BASE_URL) or None
        key = os.environ.get(ENV_API_KEY)
        if not key:
            if self.base_url is None:
                raise ConfigError(f"openai judge: set {ENV_API_KEY} (or point {ENV_BASE_URL} at a local "
                                  "server)")
            key = "no-key"  # local servers (vLLM, SGLang, transformers serve) accept any key
        if image_format not in imaging.FORMATS:
            raise ConfigError(f"openai judge: image_format must be 'png' or 'jpeg', got {image_format!r}")
        try:
            self.jpeg_quality = imaging.check_jpeg_quality(jpeg_quality)
        except ValueError as e:
            raise ConfigError(f"openai judge: {e}") from None
        if structured not in STRUCTURED_MODES:
            raise ConfigError(f"openai judge: structured must be one of {', '.join(STRUCTURED_MODES)}, got "
                              f"{structured!r}")
        if (max_concurrency is not None and max_concurrency < 1) or max_retries < 0 or timeout <= 0:
            raise ConfigError("openai judge: needs max_concurrency ≥ 1 (or none), max_retries ≥ 0 and "
                              "timeout > 0")
        self.revision = revision
        self.timeout, self.max_retries, self.backoff = float(timeout), int(max_retries), float(backoff)
        self.max_concurrency, self.max_tokens = max_concurrency, int(max_tokens)
        self.image_format = image_format
        self.structured = structured
        self._openai = openai
        from openai.types.chat import ChatCompletion

        self._completion = ChatCompletion
        # the SDK's own retries are off: ours count, back off and log the same way for every server
        self._client = openai.OpenAI(base_url=self.base_url, api_key=key, timeout=self.timeout, max_retries=0,
                                     http_client=http_client)
        self._slots = (threading.BoundedSemaphore(max_concurrency) if max_concurrency is not None
                       else contextlib.nullcontext())
        self._lock = threading.Lock()
        self._models: set[str] = set()
        self._system_fingerprints: set[str] = set()
        self._refused: str | None = None  # why the server refused the schema (structured="auto")
        # what the server reported for each video's scored calls, until `served_for` takes it
        self._per_video: dict[int, dict[str, set[str]]] = {}
        self.requests_sent = 0

    # -- identity -------------------------------------------------------------------------------------
    def fingerprint(self) -> dict[str, Any]:
        """Backend, model, revision (as declared), image encoding and decoding parameters (with the structured
        output mode asked for; what the server did is in `served`)."""
        return {
            **super().fingerprint(),
            "model": self.model,
            "revision": self.revision,
            "image_format": self.image_format,
            **({"jpeg_quality": self.jpeg_quality} if self.image_format == "jpeg" else {}),
            "decoding": {"temperature": 0, "seed": config.JUDGE_SEED, "max_tokens": self.max_tokens,
                         "structured_output": self.structured},
        }

    @property
    def served(self) -> dict[str, Any]:
        """What the server reported so far: served model names and `system_fingerprint`s (sorted, each once),
        and whether the answer schema was sent (`json_schema`), refused (`plain (...)`) or not asked
        (`off`)."""
        with self._lock:
            return {"models": sorted(self._models), "system_fingerprints": sorted(self._system_fingerprints),
                    "structured_output": self._mode(self._refused is None)}

    def served_for(self, video: JudgeVideo) -> dict[str, Any] | None:
        """What the server reported for `video`'s QA and emergence calls (as `served`), then forgotten; None
        when none was answered."""
        with self._lock:
            seen = self._per_video.pop(id(video), None)
        if seen is None:
            return None
        return {"models": sorted(seen["models"]), "system_fingerprints": sorted(seen["system_fingerprints"]),
                "structured_output": "; ".join(sorted(seen["structured_output"]))}

    def _mode(self, schema_sent: bool) -> str:
        if self.structured == "off":
            return "off"
        return "json_schema" if schema_sent else f"plain (the server refused json_schema: {self._refused})"

    # -- one call -------------------------------------------------------------------------------------
    def complete(self, video: JudgeVideo, request: JudgeRequest) -> str:
        """Send one chat call (retrying transport failures) and return the reply text."""
        with self._lock:
            schema = None if self.structured == "off" or self._refused else answer_schema(video, request)
        sid = video.scenario.id
        with self._slots:
            try:
                response = self._send(self._body(video, request, schema), sid)
            except _ClientError as e:
                if schema is None or self.structured != "auto" or e.status not in (400, 422):
                    raise
                # the server may not take json_schema: if the same call without it works, it did not
                response = self._send(self._body(video, request, None), sid)
                schema = None
                with self._lock:
                    if self._refused is None:
                        log.warning("openai judge: the server refused response_format json_schema (%s); "
                                    "asking for plain JSON replies from now on", e)
                    self._refused = f"HTTP {e.status}"
        model, fingerprint = getattr(response, "model", None), getattr(response, "system_fingerprint", None)
        with self._lock:
            reported = [(self._models, model), (self._system_fingerprints, fingerprint)]
            if request.kind in ("qa", "changes"):  # the scored calls: judge_stage takes them (served_for)
                seen = self._per_video.setdefault(id(video), {"models": set(), "system_fingerprints": set(),
                                                              "structured_output": set()})
                seen["structured_output"].add(self._mode(schema is not None))
                reported += [(seen["models"], model), (seen["system_fingerprints"], fingerprint)]
            for found, value in reported:
                if isinstance(value, str):
                    found.add(value)
        try:
            text = response.choices[0].message.content
        except (AttributeError, IndexError) as e:
            raise JudgeError(f"openai judge: response without a message for scenario {video.scenario.id!r}: "
                             f"{e}") from None
        if not isinstance(text, str):
            raise JudgeError(f"openai judge: empty reply for scenario {video.scenario.id!r}")
        return text

    def _body(self, video: JudgeVideo, request: JudgeRequest, schema: dict[str, Any] | None = None) -> bytes:
        """The JSON request body: system message, then the user text and `Frame <index>:` + image per frame,
        with `schema` as `response_format` when given.

        The frames' base64 is spliced in as it is (it needs no JSON escaping): JSON-encoding the same 5 MB of
        images again for every call of a video cost more than all the rest of the call's preparation.
        """
        params: dict[str, Any] = {"model": self.model, "temperature": 0, "seed": config.JUDGE_SEED,
                                  "max_tokens": self.max_tokens}
        if schema is not None:
            params["response_format"] = {"type": "json_schema", "json_schema": schema}
        url = f"data:image/{self.image_format};base64,".encode()
        parts = [json.dumps({"type": "text", "text": request.user}).encode()]
        images = video.encoded.base64(self.image_format, self.jpeg_quality)
        for index, b64 in zip(video.frame_indices, images, strict=True):
            parts.append(json.dumps({"type": "text", "text": f"Frame {index}:"}).encode())
            parts.append(b'{"type": "image_url", "image_url": {"url": "' + url + b64 + b'"}}')
        system = json.dumps({"role": "system", "content": request.system}).encode()
        user = b'{"role": "user", "content": [' + b", ".join(parts) + b"]}"
        return json.dumps(params).encode()[:-1] + b', "messages": [' + system + b", " + user + b"]}"

    def _send(self, body: bytes, scenario_id: str) -> Any:
        openai = self._openai
        for retry in range(self.max_retries + 1):
            wait = min(60.0, self.backoff * 2**retry)
            try:
                with self._lock:
                    self.requests_sent += 1
                return self._client.post("/chat/completions", cast_to=self._completion, content=body,
                                         options={"headers": {"Content-Type": "application/json"}})
            except openai.APIStatusError as e:
                if e.status_code not in _RETRY_STATUS:
                    raise _ClientError(e.status_code, f"openai judge: HTTP {e.status_code} for scenario "
                                       f"{scenario_id!r}: {str(e)[:300]}") from None
                wait = _retry_after(e) or wait
                reason = f"HTTP {e.status_code}"
            except (openai.APITimeoutError, openai.APIConnectionError) as e:
                reason = type(e).__name__
            if retry == self.max_retries:
                raise JudgeError(f"openai judge: {reason} for scenario {scenario_id!r}, still failing after "
                                 f"{self.max_retries} retries")
            log.warning("openai judge: %s for scenario %s; retry %d/%d in %.1f s", reason, scenario_id,
                        retry + 1, self.max_retries, wait)
            time.sleep(wait)
        raise AssertionError("unreachable")


class _ClientError(JudgeError):
    """The server answered a call with a status not worth retrying as is (400, 401, 404, 422, ...)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def answer_schema(video: JudgeVideo, request: JudgeRequest) -> dict[str, Any] | None:
    """The `json_schema` of a call's reply (OpenAI structured outputs, strict), or None for kinds without one.

    QA: `{"answers": [...]}` (the wrapper the validator accepts; strict schemas need an object at the top)
    with exactly one item per question id asked, each `yes` with a shown frame, each `no` or
    `no (visually implausible)` with a shown frame or null. Changes: the emergence/disappearance object with
    frame lists of compared frames. What a schema cannot say (each id once, flags agreeing with lists) the
    validator still checks.
    """
    shown = sorted(set(video.frame_indices))
    if request.kind == "qa" and request.interaction is not None:
        ids = list(range(1, len(video.scenario.key_interactions[request.interaction].questions) + 1))

        def item(answers: list[str], frame: dict[str, Any]) -> dict[str, Any]:
            return {"type": "object", "additionalProperties": False,
                    "required": ["question_id", "answer", "frame_index"],
                    "properties": {"question_id": {"type": "integer", "enum": ids},
                                   "answer": {"type": "string", "enum": answers}, "frame_index": frame}}

        frame = {"type": "integer", "enum": shown}
        others = [a for a in config.ANSWERS if a != "yes"]
        no_frame = {"anyOf": [frame, {"type": "null"}]}
        answers = {"type": "array", "minItems": len(ids), "maxItems": len(ids),
                   "items": {"anyOf": [item(["yes"], frame), item(others, no_frame)]}}
        return {"name": "intergeneval_qa", "strict": True,
                "schema": {"type": "object", "additionalProperties": False, "required": ["answers"],
                           "properties": {"answers": answers}}}
    if request.kind == "changes":
        compared = [f for f in shown if f != 0]
        props: dict[str, Any] = {}
        for kind in ("emergence", "disappearance"):
            props[kind] = {"type": "string", "enum": ["yes", "no"]}
            props[f"{kind}_frames"] = ({"type": "array", "items": {"type": "integer", "enum": compared}}
                                       if compared else {"type": "array", "maxItems": 0})
            props[f"{kind}_reason"] = {"type": "string"}
        return {"name": "intergeneval_changes", "strict": True,
                "schema": {"type": "object", "additionalProperties": False, "required": list(props),
                           "properties": props}}
    return None


def _retry_after(error: Any) -> float | None:
    """Seconds a 429/503 response asks us to wait (its Retry-After header), if any."""
    try:
        value = error.response.headers.get("retry-after")
        return min(60.0, max(0.0, float(value))) if value is not None else None
    except (AttributeError, TypeError, ValueError):
        return None
