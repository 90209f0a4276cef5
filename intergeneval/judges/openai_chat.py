"""Judge `openai`: any OpenAI-compatible chat endpoint (vLLM, SGLang, `transformers serve`, OpenAI).

Base URL and model come from the options or from `INTERGENEVAL_OPENAI_BASE_URL` / `INTERGENEVAL_OPENAI_MODEL`;
the API key only from `OPENAI_API_KEY` (never an option, so it never lands in a config or a result). Each
call sends the system instruction, the user text, then every frame as `Frame <index>:` and a base64 image
(the protocol's layout), with temperature 0 and seed 42. Transport failures (429, 5xx, timeouts, dropped
connections) are retried with exponential backoff inside one call; that is separate from the judge's
validation attempts (`ChatJudge`), which re-ask when a reply does not validate. A semaphore bounds the calls
in flight across threads, so concurrent videos never exceed `max_concurrency` requests. The served model
name and `system_fingerprint` of the last response are kept in `served`.

Example:
    OPENAI_API_KEY=... intergeneval score VIDEOS --prompts SUITE --out OUT --judge openai \\
        --judge-option model=gpt-4o --judge-option base_url=https://api.openai.com/v1
"""

from __future__ import annotations

import base64
import io
import logging
import os
import threading
import time
from typing import Any

import numpy as np

from .. import config
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
        max_concurrency: calls in flight at once across all threads using this judge.
        image_format: "png" (lossless, the reference's choice) or "jpeg".
        max_tokens: bound on the reply length.
        attempts: validation attempts per call (ChatJudge).
        http_client: an `httpx.Client` to send requests with (proxies, tests).
    """

    name = "openai"

    def __init__(
        self,
        model: str | None = None,
        base_url: str | None = None,
        *,
        revision: str | None = None,
        timeout: float = 120.0,
        max_retries: int = 5,
        backoff: float = 1.0,
        max_concurrency: int = 4,
        image_format: str = "png",
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
        if image_format not in ("png", "jpeg"):
            raise ConfigError(f"openai judge: image_format must be 'png' or 'jpeg', got {image_format!r}")
        if max_concurrency < 1 or max_retries < 0 or timeout <= 0:
            raise ConfigError("openai judge: needs max_concurrency ≥ 1, max_retries ≥ 0 and timeout > 0")
        self.revision = revision
        self.timeout, self.max_retries, self.backoff = float(timeout), int(max_retries), float(backoff)
        self.max_concurrency, self.max_tokens = int(max_concurrency), int(max_tokens)
        self.image_format = image_format
        self._openai = openai
        # the SDK's own retries are off: ours count, back off and log the same way for every server
        self._client = openai.OpenAI(base_url=self.base_url, api_key=key, timeout=self.timeout, max_retries=0,
                                     http_client=http_client)
        self._slots = threading.BoundedSemaphore(self.max_concurrency)
        self._lock = threading.Lock()
        self._images: dict[str, list[str]] = {}  # video key -> data URLs, for the videos being judged
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
        content: list[dict[str, Any]] = [{"type": "text", "text": request.user}]
        for index, url in zip(video.frame_indices, self._data_urls(video), strict=True):
            content += [{"type": "text", "text": f"Frame {index}:"},
                        {"type": "image_url", "image_url": {"url": url}}]
        messages = [{"role": "system", "content": request.system}, {"role": "user", "content": content}]
        with self._slots:
            response = self._send(messages, video.scenario.id)
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

    def _send(self, messages: list[dict[str, Any]], scenario_id: str) -> Any:
        openai = self._openai
        for retry in range(self.max_retries + 1):
            wait = min(60.0, self.backoff * 2**retry)
            try:
                with self._lock:
                    self.requests_sent += 1
                return self._client.chat.completions.create(
                    model=self.model, messages=messages, temperature=0, seed=config.JUDGE_SEED,
                    max_tokens=self.max_tokens,
                )
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

    def _data_urls(self, video: JudgeVideo) -> list[str]:
        """The frames as data URLs, encoded once per video (its calls reuse them)."""
        with self._lock:
            urls = self._images.get(video.key)
        if urls is None:
            urls = [_data_url(f, self.image_format) for f in video.frames]
            with self._lock:
                # keep the videos that threads are working on now; older ones are dropped
                while len(self._images) >= 2 * self.max_concurrency:
                    self._images.pop(next(iter(self._images)))
                self._images[video.key] = urls
        return urls


def _data_url(frame: np.ndarray, image_format: str) -> str:
    from PIL import Image

    buf = io.BytesIO()
    img = Image.fromarray(np.asarray(frame, dtype=np.uint8))
    if image_format == "png":
        img.save(buf, format="PNG")
    else:
        img.save(buf, format="JPEG", quality=90)
    return f"data:image/{image_format};base64,{base64.b64encode(buf.getvalue()).decode('ascii')}"


def _retry_after(error: Any) -> float | None:
    """Seconds a 429/503 response asks us to wait (its Retry-After header), if any."""
    try:
        value = error.response.headers.get("retry-after")
        return min(60.0, max(0.0, float(value))) if value is not None else None
    except (AttributeError, TypeError, ValueError):
        return None
