"""Streams a `multipart/form-data` request: file parts go to disk chunk by chunk, small text fields to memory.

The request body is never held whole: each chunk is parsed as it arrives and written out, and the upload is
cut off (`UploadTooLarge`) as soon as it passes the size limit, before the rest is read.

Example:
    >>> form = await receive_form(request, dest=folder, max_file_bytes=1 << 30)  # doctest: +SKIP
    >>> form.files["archive"].path, form.fields["model"]  # doctest: +SKIP
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from .storage import StorageFull, is_full

#: Text fields (model card, settings) are small; a larger one is refused rather than buffered.
MAX_FIELD_BYTES = 64 * 1024
#: Every part's text fields and headers together, and the number of parts: what a form may hold in memory.
MAX_FORM_MEMORY = 256 * 1024
MAX_PARTS = 16


class UploadTooLarge(Exception):
    """The upload passed the size limit (the rest of it was not read)."""

    def __init__(self, limit: int):
        super().__init__(f"the upload exceeds the limit of {limit} bytes")
        self.limit = limit


class BadForm(ValueError):
    """The request is not a well-formed multipart form."""


@dataclass(slots=True)
class UploadedFile:
    """A file part, as written to disk."""

    filename: str
    path: Path
    size: int = 0


@dataclass(slots=True)
class Form:
    """The parsed form: text fields by name, file parts by name."""

    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, UploadedFile] = field(default_factory=dict)


def _safe_suffix(filename: str) -> str:
    """`.zip`, `.tar`, `.tar.gz`, `.tgz`…: only the suffix of a client's file name is kept (the name never
    becomes a path here)."""
    name = filename.lower().rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    for suffix in (".tar.gz", ".tar.bz2", ".tar.xz", ".tgz", ".zip", ".tar"):
        if name.endswith(suffix):
            return suffix
    return ".bin"


def write(fh: IO[bytes], chunk: bytes) -> None:
    """Write one chunk of a file part (one place, so tests can fill the disk here)."""
    fh.write(chunk)


async def receive_form(request: Request, *, dest: Path, max_file_bytes: int) -> Form:
    """Parse the request's multipart body, writing file parts under `dest`.

    Raises:
        BadForm: not multipart, no boundary, or malformed parts.
        UploadTooLarge: the file parts together exceed `max_file_bytes`.
        StorageFull: the server's disk filled up while writing a file part.
    """
    ctype, params = parse_options_header(request.headers.get("content-type", ""))
    if ctype != b"multipart/form-data" or b"boundary" not in params:
        raise BadForm("the request must be multipart/form-data with a boundary")
    form = Form()
    state: dict = {"headers": {}, "field": None, "buf": None, "fh": None, "file": None, "total": 0,
                   "error": None, "hname": b"", "parts": 0, "memory": 0}

    def held(n: int) -> None:
        # Text fields and part headers stay in memory: bounded together, whatever their number or names.
        state["memory"] += n
        if state["memory"] > MAX_FORM_MEMORY:
            raise BadForm(f"the form's text fields and headers exceed {MAX_FORM_MEMORY} bytes")

    def on_part_begin() -> None:
        state["headers"] = {}
        state["parts"] += 1
        if state["parts"] > MAX_PARTS:
            raise BadForm(f"the form has more than {MAX_PARTS} parts")

    def on_header_field(data: bytes, start: int, end: int) -> None:
        held(end - start)
        state["hname"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        held(end - start)
        key = state["hname"].lower()
        state["headers"][key] = state["headers"].get(key, b"") + data[start:end]

    def on_header_end() -> None:
        state["hname"] = b""

    def on_headers_finished() -> None:
        disp, opts = parse_options_header(state["headers"].get(b"content-disposition", b""))
        name = opts.get(b"name", b"").decode("utf-8", "replace")
        if disp != b"form-data" or not name:
            state["error"] = "a part has no form-data name"
            state["field"] = None
            return
        state["field"] = name
        if b"filename" in opts:
            filename = opts[b"filename"].decode("utf-8", "replace")
            path = dest / f"{name.replace('/', '_')[:40]}{_safe_suffix(filename)}"
            if name in form.files:
                state["error"] = f"the file field {name!r} is sent twice"
                state["field"] = None
                return
            state["fh"] = open(path, "wb")  # noqa: SIM115 (closed in on_part_end or below)
            state["file"] = UploadedFile(filename=filename, path=path)
            form.files[name] = state["file"]
        else:
            state["buf"] = bytearray()

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if state["field"] is None:
            return
        chunk = data[start:end]
        fh: IO[bytes] | None = state["fh"]
        if fh is not None:
            state["total"] += len(chunk)
            if state["total"] > max_file_bytes:
                raise UploadTooLarge(max_file_bytes)
            write(fh, chunk)
            state["file"].size += len(chunk)
        else:
            held(len(chunk))
            state["buf"] += chunk
            if len(state["buf"]) > MAX_FIELD_BYTES:
                raise BadForm(f"the field {state['field']!r} is larger than {MAX_FIELD_BYTES} bytes")

    def on_part_end() -> None:
        if state["fh"] is not None:
            state["fh"].close()
            state["fh"] = None
        elif state["field"] is not None and state["buf"] is not None:
            form.fields[state["field"]] = bytes(state["buf"]).decode("utf-8", "replace")
        state["buf"] = None
        state["field"] = None

    parser = MultipartParser(params[b"boundary"], callbacks={
        "on_part_begin": on_part_begin, "on_header_field": on_header_field, "on_header_value": on_header_value,
        "on_header_end": on_header_end, "on_headers_finished": on_headers_finished,
        "on_part_data": on_part_data, "on_part_end": on_part_end,
    })
    try:
        async for chunk in request.stream():
            if chunk:
                parser.write(chunk)
        parser.finalize()
    except (UploadTooLarge, BadForm, StorageFull):
        raise
    except OSError as e:
        if is_full(e):  # the server's disk, not the client's form
            raise StorageFull() from None
        raise BadForm(f"malformed multipart body: {type(e).__name__}") from None
    except Exception as e:  # python-multipart's parse errors and a client that hung up mid-upload
        raise BadForm(f"malformed multipart body: {type(e).__name__}: {e}") from None
    finally:
        if state["fh"] is not None:
            state["fh"].close()
    if state["error"]:
        raise BadForm(state["error"])
    return form


class TooManyInFlight(Exception):
    """The user already sends as many uploads as allowed at once."""


class InFlight:
    """How many uploads each user is sending to this process right now. Quotas count admitted submissions,
    so without this bound parallel uploads of one token would all pass them while being received (and fill
    the disk) before any was admitted.

    Example:
        >>> f = InFlight()
        >>> with f.hold(7, limit=1):
        ...     try:
        ...         with f.hold(7, limit=1):
        ...             pass
        ...     except TooManyInFlight:
        ...         print("refused")
        refused
    """

    def __init__(self) -> None:
        self._count: dict[int, int] = {}
        self._lock = threading.Lock()

    @contextmanager
    def hold(self, user_id: int, *, limit: int | None) -> Iterator[None]:
        """Count one upload of `user_id` while the block runs; `TooManyInFlight` when `limit` are running
        (None: no limit)."""
        with self._lock:
            n = self._count.get(user_id, 0)
            if limit is not None and n >= limit:
                raise TooManyInFlight()
            self._count[user_id] = n + 1
        try:
            yield
        finally:
            with self._lock:
                self._count[user_id] -= 1
                if not self._count[user_id]:
                    del self._count[user_id]
