"""A small client of the evaluation service's REST API (`docs/api.md`); the page reads nothing else.

Example:
    >>> import httpx
    >>> def handler(request):
    ...     return httpx.Response(200, json={"status": "ok", "version": "0.1.0"})
    >>> api = ApiClient("http://api.example", transport=httpx.MockTransport(handler))
    >>> api.health()["status"]
    'ok'
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

import httpx

from intergeneval.errors import InterGenEvalError

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"


class ApiError(InterGenEvalError):
    """The API answered with an error (`{"error": {"code", "message", "details"}}`) or an unexpected body."""

    def __init__(self, status: int, code: str, message: str, details: Mapping[str, Any] | None = None):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = dict(details or {})

    @property
    def problems(self) -> list[dict[str, Any]]:
        """The validation problems of a refused submission (empty for other errors)."""
        return list(self.details.get("problems") or [])


class ApiUnavailable(InterGenEvalError):
    """The API could not be reached (connection refused, DNS, timeout)."""


@contextmanager
def _map_exceptions(base_url: str, what: str) -> Iterator[None]:
    # Transport failures become one error type that names the server, so the page can say "cannot reach".
    try:
        yield
    except httpx.TimeoutException as e:
        raise ApiUnavailable(f"{what}: the API at {base_url} did not answer in time "
                             f"({type(e).__name__})") from e
    except httpx.TransportError as e:
        raise ApiUnavailable(f"{what}: cannot reach the API at {base_url}: {e}") from e


def _error_from(response: httpx.Response) -> ApiError:
    try:
        body = response.json()
    except ValueError:
        body = None
    err = body.get("error") if isinstance(body, dict) else None
    if isinstance(err, dict) and "code" in err:
        return ApiError(response.status_code, str(err["code"]), str(err.get("message", "")),
                        err.get("details"))
    text = response.text[:200].strip() or response.reason_phrase
    return ApiError(response.status_code, "unexpected_response",
                    f"{response.request.method} {response.request.url.path}: {text}")


class _ProgressReader:
    """A file wrapper that reports bytes read, so an upload can show its progress."""

    def __init__(self, f: IO[bytes], total: int, callback: Callable[[int, int], None]):
        self._f, self._total, self._callback, self._done = f, total, callback, 0

    def read(self, size: int = -1) -> bytes:
        chunk = self._f.read(size)
        self._done += len(chunk)
        self._callback(self._done, self._total)
        return chunk

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.read(1 << 16):
            yield chunk


class ApiClient:
    """Typed calls to `/api/v1`; every method returns the parsed JSON body.

    Args:
        base_url: the server root (e.g. ``http://127.0.0.1:8000``); ``/api/v1`` is added.
        token: a default bearer token; each call may pass its own (the page serves many users).
        timeout: seconds per request (uploads use `upload_timeout`).
        upload_timeout: seconds for a submission upload.
        transport: an httpx transport (tests pass `httpx.MockTransport`).

    Raises (from every call):
        ApiError: the API answered with an error.
        ApiUnavailable: the API could not be reached.
    """

    def __init__(self, base_url: str, *, token: str | None = None, timeout: float = 30.0,
                 upload_timeout: float = 600.0, transport: httpx.BaseTransport | None = None):
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"the API base URL must start with http:// or https://, but got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.upload_timeout = upload_timeout
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport,
                                  headers={"Accept": "application/json"})

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    # -- plumbing ---------------------------------------------------------------------------------------

    def _headers(self, token: str | None) -> dict[str, str]:
        token = token or self.token
        return {"Authorization": f"Bearer {token}"} if token else {}

    def _send(self, method: str, path: str, *, token: str | None = None,
              params: Mapping[str, Any] | None = None, what: str | None = None,
              **kwargs: Any) -> httpx.Response:
        url = path if path.startswith(API_PREFIX) else API_PREFIX + path
        clean = {k: v for k, v in (params or {}).items() if v is not None and v != ""}
        headers = {**self._headers(token), **kwargs.pop("headers", {})}
        with _map_exceptions(self.base_url, what or f"{method} {url}"):
            response = self._http.request(method, url, params=clean, headers=headers, **kwargs)
        if response.status_code >= 400:
            raise _error_from(response)
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._send(method, path, **kwargs)
        try:
            return response.json()
        except ValueError:
            raise ApiError(response.status_code, "unexpected_response",
                           f"{method} {path}: the API answered with something that is not JSON") from None

    def link(self, path: str) -> str:
        """An absolute URL for a link the API returned (links are relative to the server root)."""
        return path if path.startswith(("http://", "https://")) else self.base_url + "/" + path.lstrip("/")

    # -- public reads -----------------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        """`GET /health`: liveness, database, queue counts, profile."""
        return self._json("GET", "/health")

    def suites(self) -> list[dict[str, Any]]:
        """`GET /suites`: the suites this server scores."""
        return self._json("GET", "/suites", params={"limit": 500})["data"]

    def suite(self, suite_id: str) -> dict[str, Any]:
        """`GET /suites/{id}`: one suite with its scenarios."""
        return self._json("GET", f"/suites/{suite_id}")

    def leaderboard(self, *, suite: str | None = None, suite_version: str | None = None,
                    judge: str | None = None, include_reference: bool = True,
                    token: str | None = None) -> dict[str, Any]:
        """`GET /leaderboard`: ranked rows, their groups, the filters applied and the metric list."""
        return self._json("GET", "/leaderboard", token=token, params={
            "suite": suite, "suite_version": suite_version, "judge": judge,
            "include_reference": "true" if include_reference else "false"})

    def models(self, *, token: str | None = None) -> list[dict[str, Any]]:
        """`GET /models`: the visible models (all pages)."""
        return self._paged("/models", token=token)

    def model(self, model_id: int, *, token: str | None = None) -> dict[str, Any]:
        """`GET /models/{id}`: a model with its latest result per group."""
        return self._json("GET", f"/models/{int(model_id)}", token=token)

    def job(self, job_id: int, *, token: str | None = None) -> dict[str, Any]:
        """`GET /jobs/{id}`."""
        return self._json("GET", f"/jobs/{int(job_id)}", token=token)

    def results(self, job_id: int, *, token: str | None = None) -> dict[str, Any]:
        """`GET /jobs/{id}/results`: job, summary and per-video results (readable while the job runs)."""
        return self._json("GET", f"/jobs/{int(job_id)}/results", token=token)

    def video(self, job_id: int, scenario_id: str, *, token: str | None = None) -> dict[str, Any]:
        """`GET /jobs/{id}/videos/{scenario_id}`: one per-video result."""
        return self._json("GET", f"/jobs/{int(job_id)}/videos/{scenario_id}", token=token)

    def evidence(self, job_id: int, scenario_id: str, file: str, *,
                 token: str | None = None) -> tuple[bytes, str]:
        """`GET /jobs/{id}/evidence/{scenario_id}/{file}`: (image bytes, content type)."""
        r = self._send("GET", f"/jobs/{int(job_id)}/evidence/{scenario_id}/{file}", token=token,
                       headers={"Accept": "image/*"})
        return r.content, r.headers.get("content-type", "application/octet-stream")

    def trust(self, *, judge: str | None = None, token: str | None = None) -> dict[str, Any]:
        """`GET /leaderboard/trust`: per judge fingerprint, its negative controls and agreement with people."""
        return self._json("GET", "/leaderboard/trust", token=token, params={"judge": judge})

    # -- with a token -----------------------------------------------------------------------------------

    def label_next(self, *, token: str | None = None, suite: str | None = None) -> dict[str, Any]:
        """`GET /labels/next`: a video to label (frames and questions, no judge answers); a `label` token."""
        return self._json("GET", "/labels/next", token=token, params={"suite": suite})

    def label_item(self, job_id: int, scenario_id: str, *, token: str | None = None) -> dict[str, Any]:
        """`GET /labels/{job_id}/{scenario_id}`: one video to label, with the caller's labels so far."""
        return self._json("GET", f"/labels/{int(job_id)}/{quote(scenario_id, safe='')}", token=token)

    def put_labels(self, job_id: int, scenario_id: str, labels: list[Mapping[str, Any]], *,
                   token: str | None = None) -> dict[str, Any]:
        """`PUT /labels/{job_id}/{scenario_id}`: store yes / no / unsure per question."""
        return self._json("PUT", f"/labels/{int(job_id)}/{quote(scenario_id, safe='')}", token=token,
                          json={"labels": [dict(x) for x in labels]})


    def me(self, *, token: str | None = None) -> dict[str, Any]:
        """`GET /me`: the token's user, scopes and quota."""
        return self._json("GET", "/me", token=token)

    def jobs(self, *, token: str | None = None, status: str | None = None, model_id: int | None = None,
             limit: int = 50) -> dict[str, Any]:
        """`GET /jobs`: my jobs (admin: all), newest first as the API orders them."""
        return self._json("GET", "/jobs", token=token, params={"status": status, "model_id": model_id,
                                                               "limit": limit})

    def cancel(self, job_id: int, *, token: str | None = None) -> dict[str, Any]:
        """`DELETE /jobs/{id}`: cancel a queued job at once, a running one at its next video."""
        return self._json("DELETE", f"/jobs/{int(job_id)}", token=token)

    def submit(self, archive: str | os.PathLike[str], model: Mapping[str, Any], *, token: str | None = None,
               suite: str | None = None, suite_version: str | None = None,
               settings: Mapping[str, Any] | None = None, idempotency_key: str | None = None,
               filename: str | None = None,
               progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
        """`POST /submissions`: stream an archive and a model card; returns ``{submission, job, duplicate}``.

        Args:
            archive: path of the .zip/.tar/.tar.gz of `<scenario id>.mp4` files.
            model: the model card (``name`` required).
            token: a token with the `submit` scope.
            suite: suite id (default: the server's default suite).
            suite_version: suite version.
            settings: generation settings (seed, resolution, frames, fps, notes).
            idempotency_key: the same key returns the first response again.
            filename: name sent for the archive (default: the file's name).
            progress: called with (bytes sent, total bytes) while uploading.

        Raises:
            ApiError: refused; for `validation_failed`, `.problems` lists every problem.
        """
        path = Path(archive)
        data: dict[str, str] = {"model": json.dumps(dict(model))}
        if suite:
            data["suite"] = suite
        if suite_version:
            data["suite_version"] = suite_version
        if settings:
            data["settings"] = json.dumps(dict(settings))
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        total = path.stat().st_size
        with path.open("rb") as f:
            body: Any = _ProgressReader(f, total, progress) if progress else f
            return self._json("POST", "/submissions", token=token, data=data, headers=headers,
                              files={"archive": (filename or path.name, body, "application/octet-stream")},
                              timeout=self.upload_timeout, what=f"uploading {path.name}")

    def _paged(self, path: str, *, token: str | None = None, page: int = 500) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        while True:
            body = self._json("GET", path, token=token, params={"limit": page, "offset": len(out)})
            out += body["data"]
            if not body["data"] or len(out) >= body.get("count", 0):
                return out
