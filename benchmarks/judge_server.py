"""A local OpenAI-compatible chat server with a fixed latency, for the throughput benchmarks.

It answers `POST /v1/chat/completions` like a judge model would, after `latency` seconds, in a process of
its own (so its work is not counted as the client's): a valid answer set for a QA call (its question ids are
read from the request's text) and a valid emergence/disappearance reply for the other calls. The answers
are a fixed function of the request's text, so every run gets the same replies; no model runs.

    python benchmarks/judge_server.py --latency 0.3 --port 8765      # serve until Ctrl-C

From Python:

    with judge_server(latency=0.3) as base_url:   # "http://127.0.0.1:<port>/v1"
        ...
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import multiprocessing
import re
import socket
import sys
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_IDS = re.compile(rb'\\"question_id\\": (\d+)')
_FRAMES = re.compile(rb"Available frames: \[([0-9, ]*)\]")
_COMPARE = re.compile(rb'\\"frames_to_compare\\": \[([0-9, ]*)\]')
#: The texts come before the images in a request body: reading this much finds them.
_HEAD = 256 << 10


def reply_for(body: bytes) -> str:
    """The reply text to one request body (a QA answer set, or an emergence/disappearance reply)."""
    head = body[:_HEAD]
    ids = [int(i) for i in _IDS.findall(head)] or [int(i) for i in _IDS.findall(body)]
    seed = int.from_bytes(hashlib.sha256(head[:4096]).digest()[:4], "big")
    if ids:
        frames = [int(f) for f in (_FRAMES.search(head) or _FRAMES.search(body)).group(1).split(b",")]
        items = []
        for i in ids:
            if (seed >> (i % 24)) & 1:
                frame = frames[(seed + i) % len(frames)]
                items.append({"question_id": i, "answer": "yes", "frame_index": frame})
            else:
                items.append({"question_id": i, "answer": "no", "frame_index": None})
        return json.dumps(items)
    found = _COMPARE.search(head) or _COMPARE.search(body)
    compared = [int(f) for f in found.group(1).split(b",") if f.strip()] if found else []
    gone = compared[-1:] if seed % 3 == 0 else []
    return json.dumps({"emergence": "no", "emergence_frames": [], "emergence_reason": "",
                       "disappearance": "yes" if gone else "no", "disappearance_frames": gone,
                       "disappearance_reason": ""})


def _handler(latency: float) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # headers and body leave in two writes: with Nagle's algorithm on, the body waits for the client's
        # delayed ACK of the headers (~40 ms a call on Linux), a latency no real judge server adds
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            t = time.monotonic()
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            text = reply_for(body)
            message = {"role": "assistant", "content": text}
            choice = {"index": 0, "finish_reason": "stop", "message": message}
            out = json.dumps({"id": "bench", "object": "chat.completion", "created": 0,
                              "model": "bench-judge", "system_fingerprint": "bench",
                              "choices": [choice]}).encode()
            time.sleep(max(0.0, latency - (time.monotonic() - t)))
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


def serve(port: int, latency: float) -> None:
    """Serve on 127.0.0.1:`port` until killed."""
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(latency))
    server.daemon_threads = True
    server.request_queue_size = 128
    server.serve_forever()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def judge_server(latency: float = 0.0) -> Iterator[str]:
    """Run the server in a child process; yields its base URL, stops it on exit."""
    port = _free_port()
    proc = multiprocessing.get_context("spawn").Process(target=serve, args=(port, latency), daemon=True)
    proc.start()
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or not proc.is_alive():
                    raise RuntimeError("the benchmark judge server did not start") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        proc.join(10)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--latency", type=float, default=0.0, help="seconds per call")
    args = ap.parse_args(argv)
    sys.stdout.write(f"judge server on http://127.0.0.1:{args.port}/v1, {args.latency:.3f} s per call\n")
    serve(args.port, args.latency)
    return 0


if __name__ == "__main__":
    sys.exit(main())
