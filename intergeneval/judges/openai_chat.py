"""Judge `openai`: any OpenAI-compatible chat endpoint (vLLM, SGLang, `transformers serve`, OpenAI).

Base URL and model come from the options or from `INTERGENEVAL_OPENAI_BASE_URL` / `INTERGENEVAL_OPENAI_MODEL`;
the API key only from `OPENAI_API_KEY` (never an option, so it never lands in a config or a result). Each
call sends the system instruction, the user text, then every frame as `Frame <index>:` and a base64 image
(the protocol's layout), with temperature 0 and seed 42. Transport failures (429, 5xx, timeouts, dropped
connections) are retried with exponential backoff inside one call; that is separate from the judge's
validation attempts (`ChatJudge`), which re-ask when a reply does not validate. The judge serves several
threads at once (`--concurrency N` keeps the calls of N videos in flight); `max_concurrency` can bound the
requests in flight below that. The served model name and `system_fingerprint` of the last response are kept
in `served`.

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
        attempts: validation attempts per call (ChatJudge).
        http_client: an `httpx.Client` to send requests with (proxies, tests).
    """

    name = "openai"
    thread_safe = True  # the HTTP client is shared by threads; the rest is guarded by a lock

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
        if (max_concurrency is not None and max_concurrency < 1) or max_retries < 0 or timeout <= 0:
            raise ConfigError("openai judge: needs max_concurrency ≥ 1 (or none), max_retries ≥ 0 and "
                              "timeout > 0")
        self.revision = revision
        self.timeout, self.max_retries, self.backoff = float(timeout), int(max_retries), float(backoff)
        self.max_concurrency, self.max_tokens = max_concurrency, int(max_tokens)
        self.image_format = image_format
        self._openai = openai
        from openai.types.chat import ChatCompletion

        self._completion = ChatCompletion
        # the SDK's own retries are off: ours count, back off and log the same way for every server
        self._client = openai.OpenAI(base_url=self.base_url, api_key=key, timeout=self.timeout, max_retries=0,
                                     http_client=http_client)
        self._slots = (threading.BoundedSemaphore(max_concurrency) if max_concurrency is not None
                       else contextlib.nullcontext())
        self._lock = threading.Lock()
        self._served: dict[str, Any] = {"model": None, "system_fingerprint": None}
        self.requests_sent = 0

    # -- identity -------------------------------------------------------------------------------------
    def fingerprint(self) -> dict[str, Any]:
        """Backend, model, revision (as declared), image encoding and decoding parameters."""
        return {
            **super().fingerprint(),
            "model": self.model,
            "revision": self.revision,
            "image_format": self.image_format,
            **({"jpeg_quality": self.jpeg_quality} if self.image_format == "jpeg" else {}),
            "decoding": {"temperature": 0, "seed": config.JUDGE_SEED, "max_tokens": self.max_tokens},
        }

    @property
    def served(self) -> dict[str, Any]:
        """The `model` and `system_fingerprint` the server reported in its last response."""
        with self._lock:
            return dict(self._served)

    # -- one call -------------------------------------------------------------------------------------
    def complete(self, video: JudgeVideo, request: JudgeRequest) -> str:
        """Send one chat call (retrying transport failures) and return the reply text."""
        body = self._body(video, request)
        with self._slots:
            response = self._send(body, video.scenario.id)
        with self._lock:
            self._served = {"model": getattr(response, "model", None),
                            "system_fingerprint": getattr(response, "system_fingerprint", None)}
        try:
            text = response.choices[0].message.content
        except (AttributeError, IndexError) as e:
            raise JudgeError(f"openai judge: response without a message for scenario {video.scenario.id!r}: "
                             f"{e}") from None
        if not isinstance(text, str):
            raise JudgeError(f"openai judge: empty reply for scenario {video.scenario.id!r}")
        return text

    def _body(self, video: JudgeVideo, request: JudgeRequest) -> bytes:
        """The JSON request body: system message, then the user text and `Frame <index>:` + image per frame.

        The frames' base64 is spliced in as it is (it needs no JSON escaping): JSON-encoding the same 5 MB of
        images again for every call of a video cost more than all the rest of the call's preparation.
        """
        params = {"model": self.model, "temperature": 0, "seed": config.JUDGE_SEED,
                  "max_tokens": self.max_tokens}
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
                    raise JudgeError(f"openai judge: HTTP {e.status_code} for scenario {scenario_id!r}: "
                                     f"{str(e)[:300]}") from None
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


def _retry_after(error: Any) -> float | None:
    """Seconds a 429/503 response asks us to wait (its Retry-After header), if any."""
    try:
        value = error.response.headers.get("retry-after")
        return min(60.0, max(0.0, float(value))) if value is not None else None
    except (AttributeError, TypeError, ValueError):
        return None
