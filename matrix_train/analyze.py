"""`python -m matrix_train analyze`: per-layer attention alignment score (AAS) and proposed dominant layers.

Example:
    python -m matrix_train analyze --preset tiny-wan --data D --out A [--checkpoint RUN] [--timesteps 4]

AAS of one map = attention mass inside the instance's mask track / total mass over the video grid (both on the
token grid). v2t maps: video -> the instance's marked text tokens; v2v maps: frame-0 in-mask queries -> all
video tokens. Scores are averaged over instances, clips and timesteps. Dominant layers: rank layers by how
often they are in a (clip, timestep)'s top 10 and by mean AAS; the smallest rank sums win.
Writes A/aas.csv, A/proposal.json and A/aas.png (when matplotlib is installed).
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
from collections import defaultdict
from pathlib import Path

import torch

from .assembly import build_matrix_model
from .attention_capture import install_capture
from .components import load_components, load_transformer
from .data import MatrixDataset, collate
from .devices import add_device_flags, place, resolve_device
from .presets import get_preset
from .step import prepare_batch
from .targets import capture_request, token_grid_tracks
from .train import make_schedule

logger = logging.getLogger(__name__)


def mass_inside(maps: torch.Tensor, tracks: torch.Tensor) -> torch.Tensor:
    """(M, N) non-negative maps and (M, N) bool tracks -> (M,) fraction of each map's mass inside its
    track."""
    return (maps * tracks).sum(-1) / maps.sum(-1).clamp_min(1e-30)


@torch.no_grad()
def alignment_scores(model, parts, dataset, *, layers=None, timesteps: int = 4, clips: int | None = None,
                     seed: int = 0) -> dict[str, dict[int, list[float]]]:
    """{"v2t"|"v2v": {layer: [AAS per (clip, timestep)]}} over the first `clips` clips.

    Capture is (re)installed on `layers` (default: every block) for both kinds.
    """
    cfg = model.cfg
    blocks = model.transformer.blocks if cfg.family == "wan" else model.transformer.transformer_blocks
    layers = list(range(len(blocks))) if layers is None else list(layers)
    install_capture(model.transformer, cfg.family, model.capture, layers, layers)
    schedule = make_schedule(cfg)
    n_steps = len(schedule.sigmas) if hasattr(schedule, "sigmas") else schedule.steps
    # Evenly spaced training-grid indices, away from the two ends (pure noise / clean).
    idx = torch.linspace(0, n_steps - 1, timesteps + 2)[1:-1].round().long()
    scores: dict[str, dict[int, list[float]]] = {"v2t": defaultdict(list), "v2v": defaultdict(list)}
    device = next(model.parameters()).device
    g = torch.Generator().manual_seed(seed)
    for i in range(min(len(dataset), clips or len(dataset))):
        batch = collate([dataset[i]])
        p = prepare_batch(parts, batch, device)
        grid = (p.latents.shape[2], p.latents.shape[3] // 2, p.latents.shape[4] // 2)
        _, _, span_ids, sga_valid = p.sga
        span_tracks = token_grid_tracks((p.masks[:, None] & span_ids[..., None, None, None]).any(2), grid)
        inst_tracks = token_grid_tracks(p.masks, grid)
        for j in idx:
            noise = torch.randn(p.latents.shape, generator=g).to(device)
            x_t, t, _, _ = schedule.noisy(p.latents, noise, j.view(1))
            model.capture.begin(capture_request(p.sga, p.spa, device))
            model.predict(x_t, p.frame_cond, p.id_cond, p.text, t, p.image_tokens)
            for kind, key, tracks, valid in (("v2t", "sga", span_tracks, sga_valid),
                                              ("v2v", "spa", inst_tracks, p.spa[2])):
                sel = valid[0].nonzero().flatten()
                if not len(sel):
                    continue
                for layer in layers:
                    maps = model.capture.maps[f"{key}.{layer}"][0, sel]
                    aas = mass_inside(maps, tracks[0, sel].flatten(1).to(maps.device))
                    scores[kind][layer].append(float(aas.mean()))
        model.capture.begin(None)
    return {k: dict(v) for k, v in scores.items()}


def propose_layers(
    per_sample: dict[int, list[float]], top: int = 10, pick: int = 2
) -> tuple[list[int], dict]:
    """Rank-sum of (top-`top` frequency, mean AAS); returns the best `pick` layers and each layer's stats."""
    layers = sorted(per_sample)
    table = torch.tensor([per_sample[layer] for layer in layers])  # (layers, samples)
    k = min(top, len(layers))
    in_top = torch.zeros_like(table)
    in_top.scatter_(0, table.topk(k, dim=0).indices, 1.0)
    freq, mean = in_top.mean(1), table.mean(1)
    rank_f = (-freq).argsort().argsort() + 1
    rank_m = (-mean).argsort().argsort() + 1
    stats = {layer: {"mean_aas": float(mean[i]), "top_freq": float(freq[i]),
                     "rank_sum": int(rank_f[i] + rank_m[i])} for i, layer in enumerate(layers)}
    order = sorted(layers, key=lambda layer: (stats[layer]["rank_sum"], -stats[layer]["mean_aas"]))
    return order[:pick], stats


def get_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m matrix_train analyze", description=__doc__.split("\n\n")[0])
    p.add_argument("--preset", required=True)
    p.add_argument("--data", required=True, help="clips in the MATRIX-11K layout")
    p.add_argument("--out", required=True)
    p.add_argument("--checkpoint", help="analyse a trained checkpoint instead of the base model")
    p.add_argument("--timesteps", type=int, default=4, help="noise levels per clip")
    p.add_argument("--clips", type=int, help="only the first N clips")
    p.add_argument("--pick", type=int, default=2, help="layers to propose per kind")
    add_device_flags(p)
    return p.parse_args(argv)


def main(args: argparse.Namespace) -> dict:
    device, dtype = resolve_device(args.device, args.dtype)
    if args.checkpoint:
        from .infer import load_model

        model, parts, _ = load_model(args.checkpoint, args.preset, device, dtype)
    else:
        cfg = get_preset(args.preset)
        model = build_matrix_model(cfg, load_transformer(cfg, dtype)).eval()
        model, parts = place(model, load_components(cfg, dtype), device, dtype)
    cfg = model.cfg
    dataset = MatrixDataset(args.data, height=cfg.height, width=cfg.width, num_frames=cfg.num_frames)
    scores = alignment_scores(model, parts, dataset, timesteps=args.timesteps, clips=args.clips,
                              seed=cfg.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    proposal = {}
    with (out / "aas.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["kind", "layer", "mean_aas", "top_freq", "rank_sum"])
        for kind, per in scores.items():
            if not per:
                continue
            best, stats = propose_layers(per, pick=args.pick)
            proposal[kind] = best
            for layer, s in stats.items():
                w.writerow([kind, layer, f"{s['mean_aas']:.6f}", f"{s['top_freq']:.4f}", s["rank_sum"]])
    (out / "proposal.json").write_text(json.dumps({"preset": cfg.preset, "proposed": proposal,
                                                   "deviations": cfg.deviations()}, indent=2))
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(8, 3))
        for kind, per in scores.items():
            layers = sorted(per)
            ax.plot(layers, [sum(per[x]) / len(per[x]) for x in layers], marker="o", label=kind)
        ax.set_xlabel("layer")
        ax.set_ylabel("mean AAS")
        ax.legend()
        fig.tight_layout()
        fig.savefig(out / "aas.png")
        plt.close(fig)
    except ImportError:
        logger.info("matplotlib not installed: no aas.png")
    return proposal
