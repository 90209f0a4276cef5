"""The CI client behind `intergeneval submit`: pack videos, upload with progress, follow the job.

Example:
    >>> client = SubmitClient("http://127.0.0.1:8000", token="ige_…")  # doctest: +SKIP
    >>> created = client.submit(Path("videos"), model={"name": "my-model"})  # doctest: +SKIP
    >>> job = client.wait(created["job"]["id"])  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import httpx

log = logging.getLogger(__name__)

FINAL = ("succeeded", "incomplete", "failed", "cancelled")
#: Answers (and None: the server could not be reached) after which `wait` asks again, with backoff.
RETRY_STATUSES = (502, 503, 504, None)
RETRIES = 8
MAX_BACKOFF_S = 60.0


class SubmitError(Exception):
    """The server refused a request or could not be reached; `problems` lists validation problems."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None,
                 problems: list[dict[str, Any]] | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.problems = problems or []
        self.retry_after = retry_after  # seconds, from a Retry-After header


def pack_videos(folder: Path, dest: Path) -> int:
    """Zip the `*.mp4` files of `folder` (stored, not deflated: mp4 does not compress); returns the count.

    Raises:
        SubmitError: the folder holds no .mp4 file.
    """
    videos = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".mp4")
    if not videos:
        raise SubmitError(f"{folder}: no .mp4 file to submit")
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_STORED) as z:
        for p in videos:
            z.write(p, arcname=p.name)
    return len(videos)


def _seconds(value: str | None) -> float | None:
    """A Retry-After header given in seconds (the HTTP-date form is not used by this service)."""
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


class _Progress:
    """Wraps the archive so each chunk httpx reads reports progress."""

    def __init__(self, f: IO[bytes], total: int, callback: Callable[[int, int], None] | None):
        self._f, self._total, self._cb, self._done = f, total, callback, 0

    def read(self, size: int = -1) -> bytes:
        chunk = self._f.read(size)
        self._done += len(chunk)
        if self._cb is not None:
            self._cb(self._done, self._total)
        return chunk

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.read(1 << 16):
            yield chunk


class SubmitClient:
    """Minimal REST client for submissions and jobs (`docs/api.md`)."""

    def __init__(self, server: str, *, token: str, timeout: float = 60.0,
                 transport: httpx.BaseTransport | None = None):
        if not server.startswith(("http://", "https://")):
            raise SubmitError(f"--server must be an http(s) URL, got {server!r}")
        self.server = server.rstrip("/")
        self._http = httpx.Client(base_url=self.server, timeout=timeout, transport=transport,
                                  headers={"Authorization": f"Bearer {token}"})

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def _check(self, r: httpx.Response) -> dict[str, Any]:
        try:
            body = r.json()
        except ValueError:
            body = None
        if r.status_code >= 400:
            err = (body or {}).get("error") if isinstance(body, dict) else None
            after = _seconds(r.headers.get("Retry-After"))
            if isinstance(err, dict):
                raise SubmitError(f"{r.status_code} {err.get('code')}: {err.get('message')}", status=r.status_code,
                                  code=err.get("code"), problems=(err.get("details") or {}).get("problems"),
                                  retry_after=after)
            raise SubmitError(f"{r.status_code}: {r.text[:300]}", status=r.status_code, retry_after=after)
        if not isinstance(body, dict):
            raise SubmitError(f"unexpected answer from {r.request.url}: {r.text[:200]}")
        return body

    def _request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            r = self._http.request(method, path, **kwargs)
        except httpx.TransportError as e:
            raise SubmitError(f"cannot reach {self.server}: {e}") from None
        return self._check(r)

    def submit(self, videos: Path, *, model: dict[str, Any], suite: str | None = None,
               settings: dict[str, Any] | None = None, idempotency_key: str | None = None,
               progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
        """Upload a folder of videos (packed here) or a ready archive; returns `{submission, job, duplicate}`."""
        import json

        with tempfile.TemporaryDirectory(prefix="ige-submit-") as tmp:
            if videos.is_dir():
                archive = Path(tmp) / "videos.zip"
                pack_videos(videos, archive)
            elif videos.is_file():
                archive = videos
            else:
                raise SubmitError(f"{videos}: no such folder or archive")
            data: dict[str, str] = {"model": json.dumps(model)}
            if suite:
                data["suite"] = suite
            if settings:
                data["settings"] = json.dumps(settings)
            headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
            total = archive.stat().st_size
            with open(archive, "rb") as f:
                files = {"archive": (archive.name, _Progress(f, total, progress), "application/octet-stream")}
                return self._request("POST", "/api/v1/submissions", data=data, files=files, headers=headers,
                                     timeout=httpx.Timeout(60.0, write=None, read=600.0))

    def job(self, job_id: int) -> dict[str, Any]:
        """The job's current state."""
        return self._request("GET", f"/api/v1/jobs/{job_id}")

    def retry(self, job_id: int) -> dict[str, Any]:
        """Requeue an incomplete or failed job (only its videos not scored are computed again)."""
        return self._request("POST", f"/api/v1/jobs/{job_id}/retry")

    def results(self, job_id: int) -> dict[str, Any]:
        """The job's results."""
        return self._request("GET", f"/api/v1/jobs/{job_id}/results")

    def wait(self, job_id: int, *, poll_s: float = 5.0, timeout_s: float | None = None,
             on_update: Callable[[dict[str, Any]], None] | None = None,
             on_retry: Callable[[str, float], None] | None = None) -> dict[str, Any]:
        """Poll until the job is final; returns it.

        A poll the server answers with 502, 503 or 504, or that cannot reach it, is retried after a pause
        that doubles from `poll_s` up to `MAX_BACKOFF_S` (or the server's Retry-After), as long as the
        timeout allows and at most `RETRIES` times in a row; `on_retry(why, pause)` is told each time.

        Raises:
            SubmitError: the timeout passed first, another error answer, or the retries ran out.
        """
        start = time.monotonic()
        failures = 0
        while True:
            try:
                job = self.job(job_id)
            except SubmitError as e:
                if e.status not in RETRY_STATUSES or failures >= RETRIES:
                    raise
                failures += 1
                pause = e.retry_after if e.retry_after is not None else max(poll_s, 1.0) * 2 ** (failures - 1)
                pause = min(pause, MAX_BACKOFF_S)
                if timeout_s is not None and time.monotonic() - start + pause > timeout_s:
                    raise SubmitError(f"job {job_id}: still no answer after {timeout_s:g} s ({e})",
                                      status=e.status) from None
                if on_retry is not None:
                    on_retry(str(e), pause)
                time.sleep(pause)
                continue
            failures = 0
            if on_update is not None:
                on_update(job)
            if job["status"] in FINAL:
                return job
            if timeout_s is not None and time.monotonic() - start > timeout_s:
                raise SubmitError(f"job {job_id} is still {job['status']} after {timeout_s:g} s")
            time.sleep(poll_s)
