"""Peak memory and time of MATRIX attention capture: chunked exact kernels vs a naive full softmax.

    .venv/bin/python benchmarks/attention_capture.py [--heads 4] [--dim 64] [--chunk 1024]

For each size it runs, forward + backward, on CPU (or CUDA when present):
  * SPA (v2v): frame-0 rows (R = one frame of tokens) against N video keys, averaged per instance;
  * SGA (v2t): N video queries against L = 512 text keys, 5 instance columns.
"naive" builds the full (B, H, M, N) probability tensor, as a reference would; "chunked" is
`matrix_train.attention_capture`. Peak memory is measured by the CUDA allocator, or on CPU by tracking the
largest live total of tensors torch ops allocate (`matrix_train.profiling`; torch's CPU allocator has no peak
counter). Time is wall time of the same call.
"""

from __future__ import annotations

import argparse
import math
import time

import torch

from matrix_train.attention_capture import column_probs, row_probs
from matrix_train.profiling import measure_peak


def _wall(fn, device) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    fn()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - t0


def _naive_rows(q_rows, k, w, scale):
    p = torch.softmax(q_rows @ k.transpose(-1, -2) * scale, -1).mean(1)
    return w @ p


def _naive_cols(q, k, cols, scale):
    p = torch.softmax(q @ k.transpose(-1, -2) * scale, -1).mean(1)
    return p[:, :, cols[0]]


def run(frames_list, hw, heads, dim, chunk, device):
    scale = 1 / math.sqrt(dim)
    print(f"device={device.type} heads={heads} head_dim={dim} tokens/frame={hw} chunk={chunk}")
    print(f"{'kind':4} {'N':>7} {'method':8} {'time s':>8} {'peak MiB':>9}")
    for frames in frames_list:
        n = frames * hw
        g = torch.Generator(device="cpu").manual_seed(0)
        k = torch.randn(1, heads, n, dim, generator=g).to(device).requires_grad_()
        q_rows = torch.randn(1, heads, hw, dim, generator=g).to(device).requires_grad_()
        w = torch.rand(1, 5, hw, generator=g).to(device)
        q = torch.randn(1, heads, n, dim, generator=g).to(device).requires_grad_()
        k_text = torch.randn(1, heads, 512, dim, generator=g).to(device).requires_grad_()
        cols = torch.tensor([[3, 7, 11, 40, 99]], device=device)
        cases = {
            ("SPA", "naive"): lambda: _naive_rows(q_rows, k, w, scale).sum().backward(),
            ("SPA", "chunked"): lambda: row_probs(q_rows, k, w, scale=scale, chunk=chunk).sum().backward(),
            ("SGA", "naive"): lambda: _naive_cols(q, k_text, cols, scale).sum().backward(),
            ("SGA", "chunked"): lambda: column_probs(q, k_text, cols, scale=scale, chunk=chunk).sum().backward(),
        }
        for (kind, method), fn in cases.items():
            fn()  # warm-up
            for t in (k, q_rows, q, k_text):
                t.grad = None
            seconds = _wall(fn, device)
            for t in (k, q_rows, q, k_text):
                t.grad = None
            peak = measure_peak(fn, device)
            for t in (k, q_rows, q, k_text):
                t.grad = None
            print(f"{kind:4} {n:7d} {method:8} {seconds:8.3f} {peak / 2**20:9.1f}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--hw", type=int, default=1024, help="tokens per latent frame (rows of the SPA query)")
    p.add_argument("--frames", type=int, nargs="+", default=[2, 4, 8], help="latent frames: N = frames * hw")
    p.add_argument("--chunk", type=int, default=1024)
    a = p.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    run(a.frames, a.hw, a.heads, a.dim, a.chunk, device)


if __name__ == "__main__":
    main()
