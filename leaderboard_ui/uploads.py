"""The page accepts only files its own browser uploaded, and keeps them bounded, private and short-lived.

Gradio turns any `{"path": ...}` object in an event's data into a file of its cache, copying the path it names
(for a mounted app it does not check where the path points), and serves its cache at `/gradio_api/file=`. The
page needs none of that: its one file input is the submission's archive, which the browser uploads to
`/gradio_api/upload` and the server then streams to the API. So `PageGuard`, in front of the Gradio app:

- answers uploads itself around Gradio's receiving: a `Content-Length` is required and bounded (413), a full
  disk or too many uploads pending (uploads being received count from their first byte) is 507/503, one file
  per upload and a few small text fields at most (400, checked as the body streams to Gradio, which holds
  text fields in memory); the file moves to a folder of its own under the data dir, and the browser gets an
  opaque id (`page-upload/<random>/<name>`), never a server path. The id is bound to the browser by a cookie
  (`ige_page`, HttpOnly, SameSite=Strict) set on its first upload; a new upload from the same browser replaces
  its previous one;
- refuses (400) any other request whose JSON names a file that is not an upload id of this page, before
  Gradio reads it: a server path posted as an upload is never copied nor served;
- serves only the Gradio routes the page uses (`PAGE_ROUTES`: its HTML, assets and config, the event queue,
  uploads, and the call routes scripts use); the others answer 404: Gradio's file and proxy routes (the page
  serves its images through `ui-data/`), and those it offers for features this page has none of (screen
  recordings, which ran ffmpeg on anonymous uploads; component functions; streaming inputs; monitoring;
  login; the vibe editor);
- bounds every other request body (413 over `max_body`, 411 without a length) and refuses one that is not
  JSON (400; Gradio's routes read nothing else, and answered a body that is not UTF-8 with a 500).

`PageUploads` holds the uploads: the handler claims one with the browser's cookie and deletes it after
use; uploads not used within `ttl_s` are deleted by a sweep run at every upload and claim.

Example:
    >>> import tempfile, pathlib
    >>> ups = PageUploads(pathlib.Path(tempfile.mkdtemp()) / "page-uploads", max_bytes=1 << 20)
    >>> f = ups.folder / "x" / "videos.zip"; f.parent.mkdir(); _ = f.write_bytes(b"zip")
    >>> uid = ups.register(str(f), browser="b1")
    >>> uid.startswith("page-upload/") and uid.endswith("/videos.zip") and str(ups.folder) not in uid
    True
    >>> ups.claim(uid, browser="b2") is None, ups.claim(uid, browser="b1").read_bytes()
    (True, b'zip')
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import re
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

from python_multipart.multipart import MultipartParser, parse_options_header

log = logging.getLogger(__name__)

COOKIE = "ige_page"
ID_PREFIX = "page-upload"
_ID = re.compile(rf"^{ID_PREFIX}/([0-9a-f]{{32}})/([^/\\\x00]{{1,200}})$")
#: Multipart framing around the one file of an upload.
_OVERHEAD = 64 * 1024
#: The Gradio routes the page uses, by method: exact paths, and prefixes ending in "/". The browser loads the
#: page, its assets and config, joins the event queue and listens to it, uploads, cancels; scripts call
#: events through `call/`, `run/` and `api/` and read `info`.
PAGE_ROUTES = {
    "GET": ("/", "/config", "/config/", "/theme.css", "/favicon.ico", "/robots.txt", "/manifest.json",
            "/assets/", "/static/", "/svelte/", "/pwa_icon", "/pwa_icon/", "/gradio_api/info",
            "/gradio_api/info/", "/gradio_api/heartbeat/", "/gradio_api/queue/data",
            "/gradio_api/queue/status", "/gradio_api/upload_progress", "/gradio_api/startup-events",
            "/gradio_api/theme.css", "/gradio_api/call/"),
    "POST": ("/gradio_api/queue/join", "/gradio_api/upload", "/gradio_api/cancel", "/gradio_api/reset",
             "/gradio_api/reset/", "/gradio_api/call/", "/gradio_api/run/", "/gradio_api/api/"),
}
#: What an upload may hold besides its file: parts, and bytes of text fields and part headers (the browser
#: sends one file part and nothing else).
MAX_PARTS = 4
MAX_FORM_TEXT = 16 * 1024


@dataclass(slots=True)
class _Upload:
    path: Path
    browser: str
    created: float
    size: int


class PageUploads:
    """The page's pending uploads: one folder each under `folder`, known by opaque id, bound to a browser."""

    def __init__(self, folder: Path, *, max_bytes: int, ttl_s: float = 3600.0,
                 max_pending_bytes: int | None = None):
        """Args:
            folder: where uploads are kept (emptied now: uploads of an earlier run can no longer be claimed).
            max_bytes: the largest upload.
            ttl_s: an upload not submitted within this time is deleted.
            max_pending_bytes: all pending uploads together (default: 4 × `max_bytes`); beyond, 503.
        """
        self.folder = Path(folder).absolute()
        self.max_bytes = max_bytes
        self.ttl_s = ttl_s
        self.max_pending_bytes = max_pending_bytes or 4 * max_bytes
        self._items: dict[str, _Upload] = {}
        self._receiving = 0  # bytes of uploads being received, reserved from their first byte
        self._lock = threading.Lock()
        if self.folder.exists():
            shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True, exist_ok=True)

    @classmethod
    def temporary(cls, max_bytes: int) -> PageUploads:
        """Uploads in a new temporary folder, removed when the process exits (a page without a data dir)."""
        folder = Path(tempfile.mkdtemp(prefix="ige-page-uploads-"))
        atexit.register(shutil.rmtree, folder, True)
        return cls(folder, max_bytes=max_bytes)

    # -- registry ------------------------------------------------------------------------------------------
    def register(self, received: str, browser: str) -> str:
        """Take a file Gradio received into the registry; returns its id. The browser's older uploads go."""
        src = Path(received).resolve()
        if not src.is_relative_to(self.folder) or not src.is_file():
            raise ValueError("not an upload of this page")
        token = secrets.token_hex(16)
        dest = self.folder / token / src.name
        dest.parent.mkdir()
        os.replace(src, dest)  # out of Gradio's content-addressed folder, shared by identical uploads
        _remove_empty(src.parent, self.folder)
        with self._lock:
            stale = [k for k, u in self._items.items() if u.browser == browser]
            self._items[token] = _Upload(dest, browser, time.monotonic(), dest.stat().st_size)
        for key in stale:
            self.discard(key)
        return f"{ID_PREFIX}/{token}/{dest.name}"

    def known(self, upload_id: str) -> bool:
        """True for the id of a pending upload (whoever uploaded it)."""
        m = _ID.match(upload_id)
        return bool(m) and m[1] in self._items

    def claim(self, upload_id: str | None, browser: str | None) -> Path | None:
        """The file of an upload made by this browser, or None (unknown, expired, another browser's)."""
        self.sweep()
        m = _ID.match(upload_id or "")
        if not m or not browser:
            return None
        with self._lock:
            up = self._items.get(m[1])
        if up is None or not secrets.compare_digest(up.browser, browser) or not up.path.is_file():
            return None
        return up.path

    def discard(self, upload_id: str) -> None:
        """Delete an upload (after use, or when replaced)."""
        m = _ID.match(upload_id)
        token = m[1] if m else upload_id
        with self._lock:
            up = self._items.pop(token, None)
        if up is not None:
            shutil.rmtree(up.path.parent, ignore_errors=True)

    def pending_bytes(self) -> int:
        """Bytes of the uploads waiting to be used and of those being received."""
        with self._lock:
            return self._receiving + sum(u.size for u in self._items.values())

    def reserve(self, n: int) -> bool:
        """Count `n` bytes of an upload about to be received against the cap; False when they do not fit (so
        uploads received at once cannot pass it together). `release` them when the upload ends."""
        with self._lock:
            if self._receiving + sum(u.size for u in self._items.values()) + n > self.max_pending_bytes:
                return False
            self._receiving += n
            return True

    def release(self, n: int) -> None:
        """Give back a reservation (the upload was registered with its real size, or refused)."""
        with self._lock:
            self._receiving -= n

    def sweep(self) -> None:
        """Delete expired uploads, and files Gradio left behind (an upload cut off) older than the TTL."""
        now = time.monotonic()
        with self._lock:
            expired = [k for k, u in self._items.items() if now - u.created > self.ttl_s]
            live = {u.path.parent.name for u in self._items.values()}
        for key in expired:
            self.discard(key)
        cutoff = time.time() - self.ttl_s
        for p in self.folder.iterdir():
            try:
                if p.name not in live and p.stat().st_mtime < cutoff:
                    shutil.rmtree(p) if p.is_dir() else p.unlink()
            except FileNotFoundError:
                continue


def _remove_empty(folder: Path, root: Path) -> None:
    if folder != root and folder.is_relative_to(root):
        try:
            folder.rmdir()
        except OSError:
            pass  # not empty: another upload of the same bytes is being received


def file_refs(value: Any) -> Iterator[str]:
    """Every `path` of a file object (`{"path": "..."}`, Gradio's FileData) anywhere in a JSON value."""
    if isinstance(value, dict):
        if isinstance(value.get("path"), str):
            yield value["path"]
        for v in value.values():
            yield from file_refs(v)
    elif isinstance(value, list):
        for v in value:
            yield from file_refs(v)


def browser_of(cookie_header: str | None) -> str | None:
    """The page's browser id from a Cookie header."""
    if not cookie_header:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(cookie_header)
    except Exception:  # a malformed Cookie header names no browser
        return None
    morsel = jar.get(COOKIE)
    return morsel.value if morsel is not None and re.fullmatch(r"[0-9a-f]{32}", morsel.value) else None


class _FormCheck:
    """Follows an upload's multipart body as it streams to Gradio: `problem` says why it is refused as soon as
    it holds more than `MAX_PARTS` parts or `MAX_FORM_TEXT` bytes of text fields and part headers."""

    def __init__(self, boundary: bytes):
        self.problem: str | None = None
        self._parts = self._text = 0
        self._headers = b""
        self._file = False
        self._parser = MultipartParser(boundary, callbacks={
            "on_part_begin": self._part, "on_header_field": self._header, "on_header_value": self._header,
            "on_headers_finished": self._headers_done, "on_part_data": self._data})

    def feed(self, chunk: bytes) -> bool:
        """Parse the next chunk of the body; False once the upload is refused."""
        if self.problem is None:
            try:
                self._parser.write(chunk)
            except _Refused:
                pass
            except Exception as e:  # python-multipart's parse errors
                self.problem = f"malformed multipart body ({type(e).__name__})"
        return self.problem is None

    def _refuse(self, problem: str) -> None:
        self.problem = problem
        raise _Refused()

    def _count_text(self, n: int) -> None:
        self._text += n
        if self._text > MAX_FORM_TEXT:
            self._refuse(f"an upload holds one file and at most {MAX_FORM_TEXT} bytes of text fields and "
                         "headers")

    def _part(self) -> None:
        self._parts += 1
        self._headers = b""
        if self._parts > MAX_PARTS:
            self._refuse(f"an upload holds one file and at most {MAX_PARTS} parts")

    def _header(self, data: bytes, start: int, end: int) -> None:
        self._count_text(end - start)
        self._headers += data[start:end].lower()

    def _headers_done(self) -> None:
        self._file = b"filename" in self._headers

    def _data(self, data: bytes, start: int, end: int) -> None:
        if not self._file:
            self._count_text(end - start)


class _Refused(Exception):
    pass


class PageGuard:
    """ASGI middleware in front of the mounted Gradio app (see the module's docstring)."""

    def __init__(self, app: Any, uploads: PageUploads, *, max_body: int = 1 << 20):
        self.app = app
        self.uploads = uploads
        self.max_body = max_body

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = _route_path(scope)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if not page_route(scope["method"], path):
            await _plain(send, 404, "not found")
            return
        if scope["method"] == "POST" and path.rstrip("/") == "/gradio_api/upload":
            await self._upload(scope, receive, send, headers)
            return
        length = headers.get("content-length", "")
        if "transfer-encoding" in headers and not length:
            await _plain(send, 411, "a Content-Length is required")
            return
        if not length.isdigit() or int(length) == 0:
            await self.app(scope, receive, send)
            return
        if int(length) > self.max_body:
            await _plain(send, 413, f"the request body exceeds {self.max_body} bytes")
            return
        body = await _read(receive)
        if body is None:
            return
        try:
            value = json.loads(body)
        except ValueError:  # not JSON (or not UTF-8): no route of the page reads anything else
            await _plain(send, 400, "the body must be JSON")
            return
        if not all(self.uploads.known(p) for p in file_refs(value)):
            await _plain(send, 400, "files must be uploaded from this page first")
            return
        sent = False

        async def replay() -> dict:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _upload(self, scope: dict, receive: Any, send: Any, headers: dict[str, str]) -> None:
        up = self.uploads
        up.sweep()
        length = headers.get("content-length", "")
        if not length.isdigit():
            await _plain(send, 411, "a Content-Length is required")
            return
        if int(length) > up.max_bytes + _OVERHEAD:
            await _plain(send, 413, f"the upload exceeds the limit of {up.max_bytes} bytes")
            return
        ctype, params = parse_options_header(headers.get("content-type", ""))
        if ctype != b"multipart/form-data" or not params.get(b"boundary"):
            await _plain(send, 400, "an upload is multipart/form-data with a boundary")
            return
        if shutil.disk_usage(up.folder).free < int(length) + (64 << 20):
            await _plain(send, 507, "the server's storage is full; try again later", {"Retry-After": "300"})
            return
        reserved = min(int(length), up.max_bytes)
        if not up.reserve(reserved):
            await _plain(send, 503, "too many uploads are waiting; try again in a few minutes",
                         {"Retry-After": "60"})
            return
        try:
            await self._receive_upload(scope, receive, send, headers, _FormCheck(params[b"boundary"]))
        finally:
            up.release(reserved)

    async def _receive_upload(self, scope: dict, receive: Any, send: Any, headers: dict[str, str],
                              check: _FormCheck) -> None:
        up = self.uploads
        browser = browser_of(headers.get("cookie"))
        new_browser = browser is None
        browser = browser or secrets.token_hex(16)

        async def checked_receive() -> dict:
            message = await receive()
            if message["type"] == "http.request" and not check.feed(message.get("body", b"")):
                return {"type": "http.request", "body": b"", "more_body": False}  # Gradio's body ends here
            return message

        # Gradio's answer is read here and rewritten: uncompressed, please.
        inner = {**scope, "headers": [(k, v) for k, v in scope["headers"] if k.lower() != b"accept-encoding"]}
        start: dict = {}
        chunks: list[bytes] = []

        async def capture(message: dict) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(inner, checked_receive, capture)
        status = start.get("status", 500)
        try:
            received = json.loads(b"".join(chunks)) if status == 200 else None
        except ValueError:
            received = None
        if check.problem is not None:
            for p in received if isinstance(received, list) else []:
                _delete_received(str(p), up.folder)
            await _plain(send, 400, check.problem, {"Connection": "close"})
            return
        if status != 200:
            await _plain(send, status, b"".join(chunks).decode("utf-8", "replace")[:500] or "upload failed")
            return
        if not (isinstance(received, list) and len(received) == 1 and isinstance(received[0], str)):
            for p in received if isinstance(received, list) else []:
                _delete_received(str(p), up.folder)
            await _plain(send, 400, "upload exactly one file")
            return
        try:
            upload_id = up.register(received[0], browser)
        except (ValueError, OSError) as e:
            log.warning("page upload not registered: %s", e)
            _delete_received(received[0], up.folder)
            await _plain(send, 503, "the upload could not be kept; try again", {"Retry-After": "5"})
            return
        extra = {}
        if new_browser:
            secure = "; Secure" if scope.get("scheme") == "https" else ""
            extra["Set-Cookie"] = f"{COOKIE}={browser}; Path=/; HttpOnly; SameSite=Strict{secure}"
        await _json(send, 200, [upload_id], extra)


def _delete_received(path: str, root: Path) -> None:
    p = Path(path).resolve()
    if p.is_relative_to(root) and p != root:
        p.unlink(missing_ok=True)
        _remove_empty(p.parent, root)


def page_route(method: str, path: str) -> bool:
    """True for a route of `PAGE_ROUTES` (HEAD as GET)."""
    routes = PAGE_ROUTES.get("GET" if method == "HEAD" else method, ())
    return any(path == r or (r.endswith("/") and r != "/" and path.startswith(r)) for r in routes)


def _route_path(scope: dict) -> str:
    path, root = scope["path"], scope.get("root_path", "")
    return path[len(root):] if root and path.startswith(root) else path


async def _read(receive: Any) -> bytes | None:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _json(send: Any, status: int, value: Any, headers: dict[str, str] | None = None) -> None:
    await _send(send, status, json.dumps(value).encode(), "application/json", headers)


async def _plain(send: Any, status: int, text: str, headers: dict[str, str] | None = None) -> None:
    await _send(send, status, text.encode(), "text/plain; charset=utf-8", headers)


async def _send(send: Any, status: int, body: bytes, ctype: str, headers: dict[str, str] | None) -> None:
    raw = [(b"content-type", ctype.encode()), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
