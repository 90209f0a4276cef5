"""Run by torchrun in test_distributed.py: two training steps of tiny-wan under FSDP2 or DDP (gloo, CPU).

    torchrun --nproc_per_node 2 tests/train/fsdp_worker.py {fsdp,ddp} DATA OUT.safetensors

accelerate refuses FSDP without a GPU (its plugin asks for a CUDA/XPU/... device), so this wraps the model
with torch's own `fully_shard` (per transformer block, then the whole model, as accelerate's transformer
auto-wrap does) and runs the same step as `train`: `compute_losses` -> backward -> optimizer step. Rank r
trains on clip r + 2 * step. Rank 0 writes the full trained weights.
"""

import sys

import torch
import torch.distributed as dist
from safetensors.torch import save_file
from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict
from torch.distributed.fsdp import fully_shard
from torch.nn.parallel import DistributedDataParallel

from matrix_train.assembly import build_matrix_model
from matrix_train.components import load_components, load_transformer
from matrix_train.data import MatrixDataset, collate
from matrix_train.presets import get_preset
from matrix_train.step import compute_losses
from matrix_train.train import make_schedule, param_groups

if __name__ == "__main__":
    mode, data, out = sys.argv[1:4]
    dist.init_process_group("gloo")
    rank = dist.get_rank()
    cfg = get_preset("tiny-wan")
    model = build_matrix_model(cfg, load_transformer(cfg))
    trained = {n for n, p in model.named_parameters() if p.requires_grad}
    if mode == "fsdp":
        for block in model.transformer.blocks:
            fully_shard(block)
        wrapped = fully_shard(model)
    else:
        wrapped = DistributedDataParallel(model)
    parts = load_components(cfg)
    ds = MatrixDataset(data, height=cfg.height, width=cfg.width, num_frames=cfg.num_frames)
    # SGD, not train's AdamW: Adam's first step moves each weight by ~lr whatever the gradient's size, so
    # float-order differences of near-zero gradients would show as whole steps; SGD keeps them at float noise.
    opt = torch.optim.SGD(param_groups(wrapped, cfg))
    schedule, gen = make_schedule(cfg), torch.Generator().manual_seed(rank)
    for step in range(2):
        losses = compute_losses(wrapped, parts, collate([ds[rank + 2 * step]]), schedule, gen, "cpu")
        losses["total"].backward()
        opt.step()
        opt.zero_grad()
    if mode == "fsdp":
        options = StateDictOptions(full_state_dict=True, cpu_offload=True)
        state = get_model_state_dict(wrapped, options=options)
    else:
        state = model.state_dict()
    if rank == 0:
        save_file({n: t.detach().contiguous() for n, t in state.items() if n in trained}, out)
    # both ranks leave together: a rank tearing gloo down while its peer still saves aborts now and then
    # ("terminate called without an active exception", SIGABRT)
    dist.barrier()
    dist.destroy_process_group()
