"""Two processes (gloo, CPU) under `accelerate launch`: every rank ends with the same trained weights.

Each rank sees other clips (the sampler shards by rank), so only a real gradient all-reduce keeps them equal;
before the losses moved into the wrapped model's forward, rank 0 and rank 1 differed after step 1.
"""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file

from matrix_train.checkpoints import load_checkpoint

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _launch(tmp_path, data, extra_launch=(), extra_train=()):
    dump, out = tmp_path / "dump", tmp_path / "run"
    # `--cpu` alone starts one process; the multi-process launcher with ACCELERATE_USE_CPU gives CPU + gloo.
    launcher = list(extra_launch) or ["--multi_gpu"]
    cmd = [sys.executable, "-m", "accelerate.commands.launch", *launcher, "--num_processes", "2",
           "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
           "--main_process_port", str(_free_port()),
           str(ROOT / "tests" / "train" / "dist_worker.py"), str(dump),
           "--preset", "tiny-wan", "--data", str(data), "--output", str(out), "--max-steps", "3",
           "--checkpoint-every", "3", "--quiet", *extra_train]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "OMP_NUM_THREADS": "1", "ACCELERATE_USE_CPU": "true"}
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return [load_file(dump / f"rank{r}.safetensors") for r in (0, 1)], out


def _assert_same(ranks):
    r0, r1 = ranks
    assert r0.keys() == r1.keys() and any("lora_B" in k for k in r0)
    different = [k for k in r0 if not torch.equal(r0[k], r1[k])]
    assert not different, f"ranks differ in {different[:5]}"


def test_ddp_ranks_stay_identical(synth_data, tmp_path):
    ranks, out = _launch(tmp_path, synth_data)
    _assert_same(ranks)
    saved, _, _ = load_checkpoint(out)
    assert all(torch.equal(saved[k], ranks[0][k]) for k in saved)  # the checkpoint holds what the ranks hold
    assert any(saved[k].abs().sum() > 0 for k in saved if "lora_B" in k)  # training moved LoRA off zero
    rows = [json.loads(x) for x in (out / "loss_log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2, 3]


def _torchrun(mode, data, out):
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port",
           str(_free_port()), str(ROOT / "tests" / "train" / "fsdp_worker.py"), mode, str(data), str(out)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return load_file(out)


def test_fsdp_trains_what_ddp_trains(synth_data, tmp_path):
    """FSDP2 (torch's fully_shard; accelerate refuses FSDP without a GPU) shards the same model and losses:
    after two steps on the same clips and noise its gathered weights equal DDP's."""
    fsdp = _torchrun("fsdp", synth_data, tmp_path / "fsdp.safetensors")
    ddp = _torchrun("ddp", synth_data, tmp_path / "ddp.safetensors")
    assert fsdp.keys() == ddp.keys() and any(k.startswith("sga_head.") for k in fsdp)
    assert any(ddp[k].abs().sum() > 0 for k in ddp if "lora_B" in k)
    for k in ddp:
        assert torch.allclose(fsdp[k], ddp[k], atol=1e-6, rtol=1e-5), k
