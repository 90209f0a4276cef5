"""Peak memory and time of a callable, on CUDA or CPU (for the benchmarks).

Example:
    >>> seconds, peak = measure(lambda: torch.ones(1024, 1024).sum(), torch.device("cpu"))
    >>> peak >= 4 * 2**20
    True

CUDA: the allocator's peak above what was allocated before the call. CPU: torch's CPU allocator keeps no peak
counter and tracemalloc does not see it, so `CpuPeak` follows every tensor storage created by a torch op
(through a dispatch mode) until it is freed, and keeps the highest live total. Scratch buffers that kernels
allocate internally are not seen; tensors they return, autograd's saved tensors and gradients are.
The dispatch mode costs time per op: time and memory are therefore measured in separate calls.
"""

from __future__ import annotations

import time
import weakref

import torch
from torch.utils._python_dispatch import TorchDispatchMode


class CpuPeak(TorchDispatchMode):
    """Context manager: `max` = peak bytes of live tensor storages created inside the block."""

    def __enter__(self):
        self.live: dict[int, int] = {}
        self.now = self.max = 0
        return super().__enter__()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in out if isinstance(out, tuple | list) else (out,):
            if not isinstance(t, torch.Tensor) or t.device.type != "cpu":
                continue
            storage = t.untyped_storage()
            ptr = storage.data_ptr()
            if ptr in self.live or storage.nbytes() == 0:
                continue  # a view, or an in-place result, of a storage already counted
            self.live[ptr] = storage.nbytes()
            self.now += storage.nbytes()
            self.max = max(self.max, self.now)
            weakref.finalize(storage, self._free, ptr)
        return out

    def _free(self, ptr: int) -> None:
        self.now -= self.live.pop(ptr, 0)


def measure_time(fn, device: torch.device) -> float:
    """Seconds of one call: wall time on CUDA (synchronised); on CPU the process's CPU time, which other
    processes on a shared machine do not inflate (run single-threaded for a clean figure: with several
    threads, time spent waiting for a descheduled thread is counted too)."""
    if device.type == "cuda":
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        return time.perf_counter() - t0
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


def measure_peak(fn, device: torch.device) -> int:
    """Peak bytes allocated during one call, above what was live before it."""
    if device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
        fn()
        torch.cuda.synchronize()
        return torch.cuda.max_memory_allocated() - base
    with CpuPeak() as peak:
        fn()
    return peak.max


def measure(fn, device: torch.device) -> tuple[float, int]:
    """(seconds, peak bytes) from two calls of `fn`: one timed, one under memory tracking."""
    return measure_time(fn, device), measure_peak(fn, device)
