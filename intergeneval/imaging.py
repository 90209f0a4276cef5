"""Encoding the judge's frames as images: once per video, shared by every call and by the evidence files.

An API judge sends each overlaid frame as a PNG (lossless, the reference's choice) or a JPEG of a stated
quality, in every call about the video. `EncodedFrames` encodes a video's frames once per format, on a few
threads (zlib and libjpeg release the GIL), and keeps the bytes and the base64 data URLs for all later
calls; the evidence images reuse the same bytes when the format agrees.

PNG encoding is written here rather than left to Pillow: Pillow tries every row filter and compresses at
zlib level 6 by default, about 0.17 s per 720x480 frame (0.02 s at level 1); one vectorised "Up" filter and
zlib level 1 take about 0.009 s, and Intel's ISA-L deflate (the `isal` package, installed with the
`judge-openai` extra) about 0.002 s, with files about as small as Pillow's at level 1. The image is the same
either way: PNG is lossless, so the compressor changes the bytes, never the pixels.

Example:
    >>> import numpy as np
    >>> frame = np.zeros((4, 6, 3), np.uint8); frame[1, 2] = (255, 0, 0)
    >>> data = encode_png(frame)
    >>> data[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True
    >>> from PIL import Image; import io
    >>> bool((np.asarray(Image.open(io.BytesIO(data))) == frame).all())
    True
"""

from __future__ import annotations

import base64
import io
import os
import struct
import threading
import zlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

FORMATS = ("png", "jpeg")
#: Deflate level of PNG frames: the fastest of zlib; a higher level saves about 5 % of the bytes for 5x the
#: time. ISA-L's level 1 is faster still and compresses better than zlib's.
PNG_LEVEL = 1
try:
    from isal.isal_zlib import compress as _deflate
except ImportError:  # the optional `isal` package: zlib is 4x slower, same images
    _deflate = zlib.compress
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def encode_png(frame: np.ndarray, level: int = PNG_LEVEL) -> bytes:
    """A lossless PNG of an `(H, W, 3)` uint8 RGB frame: every row "Up"-filtered, deflated at `level`."""
    rgb = np.ascontiguousarray(frame, dtype=np.uint8)
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"frame must be (H, W, 3) uint8, got {rgb.shape}")
    h, w = rgb.shape[:2]
    rows = rgb.reshape(h, w * 3)
    raw = np.empty((h, w * 3 + 1), dtype=np.uint8)
    raw[:, 0] = 2  # filter type "Up": each byte minus the byte above it (modulo 256)
    raw[0, 1:] = rows[0]
    np.subtract(rows[1:], rows[:-1], out=raw[1:, 1:])
    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)  # 8-bit RGB, deflate, no interlace
    return (_PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", _deflate(raw.tobytes(), level))
            + _chunk(b"IEND", b""))


def _chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def encode_jpeg(frame: np.ndarray, quality: int) -> bytes:
    """A JPEG of an `(H, W, 3)` uint8 RGB frame at `quality` (1-95), 4:2:0 as Pillow writes it."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.asarray(frame, dtype=np.uint8)).save(buf, format="JPEG", quality=int(quality))
    return buf.getvalue()


def encode(frame: np.ndarray, image_format: str, quality: int | None = None) -> bytes:
    """Encode one frame as "png" or "jpeg" (which needs `quality`)."""
    if image_format == "png":
        return encode_png(frame)
    if image_format == "jpeg":
        if quality is None:
            raise ValueError("a JPEG needs a quality")
        return encode_jpeg(frame, quality)
    raise ValueError(f"image format must be one of {FORMATS}, got {image_format!r}")


def check_jpeg_quality(quality: Any) -> int:
    """`quality` as an int in 1..95 (Pillow's useful range), else ValueError."""
    if isinstance(quality, bool) or not isinstance(quality, int) or not 1 <= quality <= 95:
        raise ValueError(f"JPEG quality must be a whole number from 1 to 95, got {quality!r}")
    return quality


def image_pool() -> ThreadPoolExecutor:
    """A few threads for image work that releases the GIL (zlib, libjpeg, Pillow's decoders), shared by every
    video: encoding frames, reading mask images. (Work on it must not wait for other work on it.)"""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(min(os.cpu_count() or 1, 4), thread_name_prefix="intergeneval-image")
        return _pool


class EncodedFrames:
    """The frames of one video, encoded at most once per (format, quality); safe to share between threads.

    Pickling keeps the encodings made so far (a video handed to another process carries them along).
    """

    def __init__(self, frames: Sequence[np.ndarray]):
        self.frames = tuple(frames)
        self._bytes: dict[tuple[str, int | None], list[bytes]] = {}
        self._b64: dict[tuple[str, int | None], list[bytes]] = {}
        self._lock = threading.Lock()

    def images(self, image_format: str, quality: int | None = None) -> list[bytes]:
        """The frames' image bytes in `image_format` ("png", or "jpeg" at `quality`), in frame order."""
        key = (image_format, quality if image_format == "jpeg" else None)
        with self._lock:  # held while encoding: a second caller waits for the bytes rather than redoing them
            if key not in self._bytes:
                if len(self.frames) > 1:
                    work = image_pool().map(lambda f: encode(f, *key), self.frames)
                else:
                    work = (encode(f, *key) for f in self.frames)
                self._bytes[key] = list(work)
            return self._bytes[key]

    def base64(self, image_format: str, quality: int | None = None) -> list[bytes]:
        """The frames' image bytes in base64 (ASCII bytes: they go into a request body as they are)."""
        key = (image_format, quality if image_format == "jpeg" else None)
        images = self.images(image_format, quality)
        with self._lock:
            if key not in self._b64:
                self._b64[key] = [base64.b64encode(b) for b in images]
            return self._b64[key]

    def data_urls(self, image_format: str, quality: int | None = None) -> list[str]:
        """The frames as `data:image/...;base64,` URLs."""
        return [f"data:image/{image_format};base64,{b.decode('ascii')}"
                for b in self.base64(image_format, quality)]

    def __getstate__(self) -> dict[str, Any]:
        return {"frames": self.frames, "bytes": self._bytes, "b64": self._b64}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.frames, self._bytes, self._b64 = state["frames"], state["bytes"], state["b64"]
        self._lock = threading.Lock()
