"""Peak memory and time of MATRIX attention capture: chunked exact kernels vs a naive full softmax, and
capture steps through a real diffusers Wan block at real dimensions.

    .venv/bin/python benchmarks/attention_capture.py [--heads 4] [--dim 64] [--chunk 1024]
    python benchmarks/attention_capture.py --block --device cuda --dtype bf16        # GPU, real dimensions
    .venv/bin/python benchmarks/attention_capture.py --block --tokens 1536 --hw 256 --heads 4 --dim 32 --dtype fp32

`--block`: one WanTransformerBlock of Wan2.1-I2V-14B's size (dim heads x head_dim = 40 x 128, FFN 13824,
I2V cross-attention with 257 image + `--text` 512 text tokens) on N = `--tokens` video tokens (32,760 =
21 x 30 x 52 at 480x832x81). Each step is forward + backward through the block, under bf16 autocast with
fp32 LoRA-free weights in `--dtype`: "plain" with diffusers' own processors (SDPA), "capture" with
`matrix_train`'s processors on attn1 (SPA: frame-0 rows inside 3 instance masks, over all N keys) and attn2
(SGA: 3 spans of 2 text tokens), the maps' sum back-propagated too. Prints the median of `--steps` timed
steps after a warm-up, peak memory, and their ratios. Needs torch, diffusers and this repository only.

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
import statistics
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


def run_block(args, device) -> None:
    from diffusers.models.transformers.transformer_wan import WanAttnProcessor, WanTransformerBlock

    from matrix_train.attention_capture import CaptureContext, CaptureRequest, WanCaptureProcessor

    dtype = {"bf16": torch.bfloat16, "fp32": torch.float32}[args.dtype]
    dim, n, hw = args.heads * args.dim, args.tokens, args.hw
    torch.manual_seed(0)
    block = WanTransformerBlock(dim, args.ffn or 4 * dim, args.heads, qk_norm="rms_norm_across_heads",
                                cross_attn_norm=True, eps=1e-6, added_kv_proj_dim=dim).to(device, dtype)
    g = torch.Generator().manual_seed(0)
    x = (torch.randn(1, n, dim, generator=g) * 0.5).to(device, dtype).requires_grad_()
    context = torch.randn(1, 257 + args.text, dim, generator=g).to(device, dtype)  # [image | text]
    temb = torch.randn(1, 6, dim, generator=g).to(device, dtype)
    freqs = torch.randn(1, n, 1, args.dim, generator=g).to(device)
    rotary = (freqs.cos(), freqs.sin())
    rows = torch.arange(0, min(hw, n), 3, device=device)[None]  # ~1/3 of frame 0 inside the masks
    ctx = CaptureContext(chunk=args.chunk)
    req = CaptureRequest(
        sga_cols=torch.arange(6, device=device)[None], sga_weights=torch.rand(1, 3, 6, generator=g).to(device),
        spa_rows=rows, spa_weights=torch.rand(1, 3, rows.shape[1], generator=g).to(device))

    def use(capture: bool):
        block.attn1.set_processor(WanCaptureProcessor(ctx, 0, "spa") if capture else WanAttnProcessor())
        block.attn2.set_processor(WanCaptureProcessor(ctx, 1, "sga") if capture else WanAttnProcessor())

    def step(capture: bool):
        ctx.begin(req if capture else None)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=dtype != torch.float32):
            out = block(x, context, temb, rotary)
            loss = out.float().square().mean()
            if capture:
                loss = loss + ctx.maps["spa.0"].sum() + ctx.maps["sga.1"].sum()
        loss.backward()
        ctx.release()
        x.grad = None
        block.zero_grad(set_to_none=True)

    print(f"device={device.type} dtype={args.dtype} N={n} heads={args.heads}x{args.dim} text={args.text}+257 "
          f"ffn={args.ffn or 4 * dim} SPA rows={rows.shape[1]} chunk={args.chunk}")
    results = {}
    for capture in (False, True):
        use(capture)
        step(capture)  # warm-up
        times = [_wall(lambda c=capture: step(c), device) for _ in range(args.steps)]
        peak = measure_peak(lambda c=capture: step(c), device)
        results[capture] = (statistics.median(times), min(times), peak)
        name = "capture" if capture else "plain"
        print(f"{name:8} median {results[capture][0]:.4f} s  min {results[capture][1]:.4f} s  "
              f"peak {peak / 2**20:.1f} MiB  all {[round(t, 4) for t in times]}")
    (tp, _, mp), (tc, _, mc) = results[False], results[True]
    print(f"capture / plain: time {tc / tp:.3f}x, peak memory {mc / mp:.3f}x "
          f"(+{(mc - mp) / 2**20:.1f} MiB)")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--hw", type=int, default=1024, help="tokens per latent frame (rows of the SPA query)")
    p.add_argument("--frames", type=int, nargs="+", default=[2, 4, 8], help="latent frames: N = frames * hw")
    p.add_argument("--chunk", type=int, default=1024)
    p.add_argument("--block", action="store_true", help="time capture steps through a real Wan block")
    p.add_argument("--tokens", type=int, default=32760, help="--block: video tokens N")
    p.add_argument("--text", type=int, default=512, help="--block: text tokens (diffusers Wan I2V assumes 512)")
    p.add_argument("--ffn", type=int, help="--block: FFN width (default 4 x dim; Wan 14B: 13824)")
    p.add_argument("--steps", type=int, default=5, help="--block: timed steps")
    p.add_argument("--dtype", choices=("bf16", "fp32"), default="bf16", help="--block: weights' dtype")
    p.add_argument("--device", help="cuda or cpu (default: cuda when available)")
    a = p.parse_args()
    device = torch.device(a.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if a.block:
        if a.heads == 4 and a.dim == 64 and a.tokens == 32760:  # nothing given: Wan2.1-14B's block
            a.heads, a.dim, a.ffn, a.hw, a.chunk = 40, 128, a.ffn or 13824, 1560, 4096
        run_block(a, device)
    else:
        run(a.frames, a.hw, a.heads, a.dim, a.chunk, device)


if __name__ == "__main__":
    main()
