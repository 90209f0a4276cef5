"""Throughput of the whole pipeline with the real model architectures at full size (random weights).

    python benchmarks/gpu_fullsize.py --device cuda                      # 8 videos at --concurrency 1, 4, 8
    python benchmarks/gpu_fullsize.py --device cuda --batch-calls 16     # bigger cross-video judge batches
    python benchmarks/gpu_fullsize.py --device cpu --shrink              # the same code paths, small models

Builds Qwen2.5-VL-7B-Instruct (judge), SAM2.1-hiera-large (tracker; also the detector's box segmenter) and
GroundingDINO-base (detector) from their public configurations, written below, with random weights made
directly on `--device` (bfloat16; GroundingDINO in float32, as the detector runs it): nothing is downloaded.
Their tokenizers and processors are built offline as the `tiny` profile builds them, at the real models'
image sizes, and the Qwen tokenizer splits words as Qwen's does, so replies take about as many tokens as with
the real one. The judge decodes under the reply grammar (`constrained=True`), so random weights still give
bounded, valid replies and every video runs every stage.

The models go into the project's own backends (`QwenJudge`, `Sam2Tracker`, `GroundingDinoDetector`) in place
of checkpoint loading, and `intergeneval.runner.evaluate` scores synthetic 49-frame 720x480 videos (half
without first-frame masks, so detection runs too) once per `--levels` concurrency, with the same backends
(the models are built once; a warm-up video comes first). Prints per concurrency: wall seconds, videos/s,
the median seconds per video of each stage, the judge's batches (rows, videos per batch, tokens generated
per row), whether every video's record matches the first level's, and on CUDA the peak GPU memory. A
stage's seconds include waiting for its shared model (another video holds the tracker, or the judge's batch
is running). `--budget` skips levels that would not finish in time. `--shrink` keeps every code path with
a few narrow layers and small images (a CPU check, about a minute).

Needs torch, transformers, tokenizers, numpy, pillow, av and qwen-vl-utils (no server or training packages).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from intergeneval import checkpoints, tiny
from intergeneval.detection.grounding_dino import GroundingDinoDetector
from intergeneval.formats import read_jsonl
from intergeneval.judges.qwen import QwenJudge
from intergeneval.runconfig import EvalConfig
from intergeneval.runner import evaluate
from intergeneval.synthetic import make_scene_set
from intergeneval.tracking.sam2_hf import Sam2Tracker

STAGES = ("decode", "detect", "track", "overlay", "judge", "evidence")

# ------------------------------------------------------------------------------- public configurations
#: Qwen/Qwen2.5-VL-7B-Instruct config.json (text part; token ids come from the tokenizer built here).
QWEN_TEXT = dict(vocab_size=152064, hidden_size=3584, intermediate_size=18944, num_hidden_layers=28,
                 num_attention_heads=28, num_key_value_heads=4, max_position_embeddings=128000,
                 rms_norm_eps=1e-6, hidden_act="silu", tie_word_embeddings=False,
                 rope_parameters={"rope_type": "default", "rope_theta": 1e6, "mrope_section": [16, 24, 24]})
QWEN_VISION = dict(depth=32, hidden_size=1280, intermediate_size=3420, num_heads=16, out_hidden_size=3584,
                   patch_size=14, spatial_merge_size=2, temporal_patch_size=2, window_size=112,
                   fullatt_block_indexes=[7, 15, 23, 31], tokens_per_second=2, hidden_act="silu")
#: Its preprocessor_config.json: pixel bounds per image (qwen-vl-utils sizes the frames within them).
QWEN_PIXELS = {"shortest_edge": 3136, "longest_edge": 12845056}
#: facebook/sam2.1-hiera-large: the Hiera-L trunk (transformers' SAM2 conversion script); the rest of the
#: SAM2.1 video config is transformers' default (1024² input, 7 memory frames, 4 memory-attention layers).
SAM2_BACKBONE = dict(model_type="sam2_hiera_det_model", hidden_size=144,
                     embed_dim_per_stage=[144, 288, 576, 1152], num_attention_heads_per_stage=[2, 4, 8, 16],
                     blocks_per_stage=[2, 6, 36, 4], global_attention_blocks=[23, 33, 43],
                     window_positional_embedding_background_size=[7, 7], window_size_per_stage=[8, 4, 16, 8])
SAM2_VISION = dict(backbone_config=SAM2_BACKBONE, backbone_channel_list=[1152, 576, 288, 144])
SAM2_SIZE = 1024
#: IDEA-Research/grounding-dino-base: Swin-B at 384 (GroundingDINO's conversion script), BERT-base text
#: encoder and the default detection transformer (d_model 256, 6 + 6 layers, 900 queries).
DINO_BACKBONE = dict(model_type="swin", embed_dim=128, depths=[2, 2, 18, 2], num_heads=[4, 8, 16, 32],
                     window_size=12, image_size=384, out_features=["stage2", "stage3", "stage4"])
DINO_TEXT = dict(model_type="bert", vocab_size=30522, hidden_size=768, num_hidden_layers=12,
                 num_attention_heads=12, intermediate_size=3072, max_position_embeddings=512)
DINO = dict(d_model=256, encoder_layers=6, decoder_layers=6, encoder_ffn_dim=2048, decoder_ffn_dim=2048,
            encoder_attention_heads=8, decoder_attention_heads=8, num_queries=900, num_feature_levels=4,
            max_text_len=256)
DINO_SIZE = {"shortest_edge": 800, "longest_edge": 1333}

# `--shrink`: the same classes and code paths with a few narrow layers and small images (a CPU check)
SHRUNK = {
    "qwen_text": dict(vocab_size=1024, hidden_size=128, intermediate_size=256, num_hidden_layers=2,
                      num_attention_heads=4,
                      num_key_value_heads=2,
                      rope_parameters={"rope_type": "default", "rope_theta": 1e6,
                                       "mrope_section": [4, 6, 6]}),
    "qwen_vision": dict(depth=2, hidden_size=32, intermediate_size=64, num_heads=2, out_hidden_size=128,
                        fullatt_block_indexes=[1]),
    "qwen_pixels": {"shortest_edge": 3136, "longest_edge": 28 * 28 * 16},
    "sam2_vision": dict(
        backbone_config=dict(model_type="sam2_hiera_det_model", image_size=[256, 256], hidden_size=24,
                             embed_dim_per_stage=[24, 48, 96, 192],
                             num_attention_heads_per_stage=[1, 1, 2, 2],
                             blocks_per_stage=[1, 1, 2, 1], global_attention_blocks=[3],
                             window_positional_embedding_background_size=[4, 4]),
        backbone_channel_list=[192, 96, 48, 24], backbone_feature_sizes=[[64, 64], [32, 32], [16, 16]],
        fpn_hidden_size=128),
    "sam2_size": 256,
    "dino_backbone": dict(model_type="swin", embed_dim=16, depths=[1, 1, 1, 1], num_heads=[1, 1, 1, 1],
                          window_size=7, image_size=224, out_features=["stage2", "stage3", "stage4"]),
    "dino_text": dict(model_type="bert", vocab_size=30522, hidden_size=32, num_hidden_layers=1,
                      num_attention_heads=2, intermediate_size=64, max_position_embeddings=256),
    "dino": dict(d_model=32, encoder_layers=1, decoder_layers=2, encoder_ffn_dim=64, decoder_ffn_dim=64,
                 encoder_attention_heads=2, decoder_attention_heads=2, num_queries=20),
    "dino_size": {"shortest_edge": 224, "longest_edge": 320},
}


def sam2_video_config(shrink: bool) -> Any:
    from transformers import Sam2VideoConfig

    if not shrink:
        return Sam2VideoConfig(vision_config=SAM2_VISION)
    width = 128  # as the tiny SAM2: memory channels stay 64
    return Sam2VideoConfig(
        image_size=256, vision_config=SHRUNK["sam2_vision"],
        prompt_encoder_config=dict(image_size=256, hidden_size=width),
        mask_decoder_config=dict(hidden_size=width, mlp_dim=4 * width, iou_head_hidden_dim=width,
                                 num_attention_heads=2),
        memory_attention_hidden_size=width, memory_attention_rope_feat_sizes=[16, 16],
        memory_attention_num_layers=1, memory_attention_feed_forward_hidden_size=2 * width,
        memory_encoder_hidden_size=width, mask_downsampler_embed_dim=width, memory_fuser_embed_dim=width,
        memory_fuser_intermediate_dim=2 * width)


# ------------------------------------------------------------------------- folders: configs + processors
def write_folders(root: Path, shrink: bool) -> dict[str, Path]:
    """A folder per model holding its config and processor (no weights): what the backends read when built."""
    from transformers import (
        GenerationConfig,
        GroundingDinoConfig,
        GroundingDinoImageProcessor,
        GroundingDinoProcessor,
        Qwen2_5_VLConfig,
        Qwen2_5_VLProcessor,
        Qwen2VLImageProcessor,
        Qwen2VLVideoProcessor,
        Sam2ImageProcessor,
        Sam2VideoProcessor,
        Sam2VideoVideoProcessor,
    )

    folders = {name: root / name for name in ("qwen", "sam2", "dino")}
    for folder in folders.values():
        folder.mkdir(parents=True)

    tok = tiny._qwen_tokenizer(split_words=True)
    ids, _, tokens = tiny._qwen_common(tok)  # the tiny text config is not used: QWEN_TEXT is
    text = {**QWEN_TEXT, **(SHRUNK["qwen_text"] if shrink else {})}
    text.update(eos_token_id=ids["<|im_end|>"], pad_token_id=ids["<|endoftext|>"], bos_token_id=None)
    Qwen2_5_VLConfig(
        text_config=text, vision_config={**QWEN_VISION, **(SHRUNK["qwen_vision"] if shrink else {})},
        eos_token_id=ids["<|im_end|>"], pad_token_id=ids["<|endoftext|>"], **tokens,
    ).save_pretrained(folders["qwen"])
    GenerationConfig(eos_token_id=[ids["<|im_end|>"], ids["<|endoftext|>"]],
                     pad_token_id=ids["<|endoftext|>"],
                     do_sample=False).save_pretrained(folders["qwen"])
    size = SHRUNK["qwen_pixels"] if shrink else QWEN_PIXELS
    Qwen2_5_VLProcessor(image_processor=Qwen2VLImageProcessor(size=size),
                        video_processor=Qwen2VLVideoProcessor(size=size), tokenizer=tok,
                        chat_template=tiny._QWEN_CHAT_TEMPLATE).save_pretrained(folders["qwen"])

    sam_size = SHRUNK["sam2_size"] if shrink else SAM2_SIZE
    sam2_video_config(shrink).save_pretrained(folders["sam2"])
    Sam2VideoProcessor(
        image_processor=Sam2ImageProcessor(size={"height": sam_size, "width": sam_size},
                                           mask_size={"height": sam_size // 4, "width": sam_size // 4}),
        video_processor=Sam2VideoVideoProcessor(size={"height": sam_size, "width": sam_size}),
        target_size=sam_size,
    ).save_pretrained(folders["sam2"])

    bert = tiny._detection_tokenizer()
    GroundingDinoConfig(
        backbone_config=SHRUNK["dino_backbone"] if shrink else DINO_BACKBONE,
        text_config=SHRUNK["dino_text"] if shrink else DINO_TEXT,
        **{**DINO, **(SHRUNK["dino"] if shrink else {})},
    ).save_pretrained(folders["dino"])
    image_processor = GroundingDinoImageProcessor(size=SHRUNK["dino_size"] if shrink else DINO_SIZE)
    GroundingDinoProcessor(image_processor=image_processor, tokenizer=bert).save_pretrained(folders["dino"])
    return folders


# -------------------------------------------------------------- models: random weights made on the device
def random_model(cls: Any, config: Any, device: Any, dtype: Any) -> Any:
    """`cls` with random weights made on `device` in `dtype` (a 7B model is never materialised on the CPU)."""
    import torch

    torch.manual_seed(0)
    with torch.device(device):
        model = cls._from_config(config, dtype=dtype)
    return model.eval()


def backends(folders: dict[str, Path], device: str, args: argparse.Namespace) -> tuple[Any, Any, Any]:
    """The project's backends on the folders, their weights random and built now (timed by the caller)."""
    import torch
    import transformers

    judge = QwenJudge(str(folders["qwen"]), device=device, constrained=True, batch_calls=args.batch_calls,
                      layout=args.layout, threads=args.threads)
    tracker = Sam2Tracker(str(folders["sam2"]), device=device, threads=args.threads)
    detector = GroundingDinoDetector(str(folders["dino"]), segmenter=str(folders["sam2"]), device=device,
                                     min_score=0.0, threads=args.threads)
    dev = torch.device(device)

    def qwen() -> tuple[Any, list[int]]:
        config = transformers.AutoConfig.from_pretrained(folders["qwen"])
        model = random_model(transformers.Qwen2_5_VLForConditionalGeneration, config, dev, judge.dtype)
        model.generation_config = transformers.GenerationConfig.from_pretrained(folders["qwen"])
        return model, judge._eos_ids(model)

    def sam2_video() -> Any:
        return random_model(transformers.Sam2VideoModel, sam2_video_config(args.shrink), dev, tracker.dtype)

    def sam2_image() -> Any:  # what `Sam2Model.from_pretrained` makes of the SAM2.1 video checkpoint
        config = transformers.Sam2Config.from_pretrained(folders["sam2"])
        return random_model(transformers.Sam2Model, config, dev, detector.dtype)

    def dino() -> Any:  # float32, as the detector loads it
        config = transformers.GroundingDinoConfig.from_pretrained(folders["dino"])
        return random_model(transformers.GroundingDinoForObjectDetection, config, dev, torch.float32)

    # in place of loading checkpoints: the backends' weights are these random models
    judge._weights = checkpoints.Lazy(qwen)
    tracker._weights = checkpoints.Lazy(sam2_video)
    detector._sam = checkpoints.Lazy(sam2_image)
    detector._dino = checkpoints.Lazy(dino)
    for built in (judge.model, judge.processor, tracker.model, tracker.processor, detector.model,
                  detector.segmenter, detector.processor, detector.seg_processor):
        assert built is not None
    return judge, tracker, detector


class BatchLog:
    """The judge's batches: rows, distinct videos, tokens per row (wraps the judge's own methods)."""

    def __init__(self, judge: QwenJudge):
        self.rows: list[tuple[int, int]] = []
        self.tokens: list[int] = []
        self._lock = threading.Lock()
        run, generate = judge._run_batch, judge.model.generate
        pad = judge.tokenizer.pad_token_id

        def logged_run(rows: list) -> dict:
            with self._lock:
                self.rows.append((len(rows), len({v.key for v, _ in rows})))
            return run(rows)

        def logged_generate(*a: Any, **kw: Any) -> Any:
            out = generate(*a, **kw)
            new = out[:, kw["input_ids"].shape[1]:]
            with self._lock:
                self.tokens += [int(n) for n in (new != pad).sum(dim=1)]
            return out

        judge._run_batch, judge.model.generate = logged_run, logged_generate

    def clear(self) -> None:
        self.rows, self.tokens = [], []

    def line(self) -> str:
        if not self.rows:
            return "judge batches: none"
        rows = [r for r, _ in self.rows]
        videos = [v for _, v in self.rows]
        tokens = f", tokens generated per row: median {statistics.median(self.tokens):.0f}, max " \
                 f"{max(self.tokens)}" if self.tokens else ""
        return (f"judge batches: {len(rows)} (rows: mean {statistics.mean(rows):.1f}, max {max(rows)}; "
                f"videos "
                f"per batch: mean {statistics.mean(videos):.2f}, max {max(videos)}){tokens}")


def comparable(recs: list[dict[str, Any]]) -> dict[str, Any]:
    """Records by scenario without their timings (they differ from run to run)."""
    return {r["scenario_id"]: {k: v for k, v in r.items() if k not in ("timings", "cached")} for r in recs}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cuda", help="torch device of every model: cuda, cuda:1, cpu")
    ap.add_argument("--videos", type=int, default=8)
    ap.add_argument("--frames", type=int, default=49)
    ap.add_argument("--size", default="480x720", help="HEIGHTxWIDTH of the synthetic videos")
    ap.add_argument("--levels", default="1,4,8", help="concurrency levels to time, in order")
    ap.add_argument("--batch-calls", type=int, default=4, help="the judge's batch_calls (its default: 4)")
    ap.add_argument("--layout", default="protocol", choices=("protocol", "frames-first"))
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    ap.add_argument("--budget", type=float, default=285.0,
                    help="seconds for the whole script: a level that would end later is skipped")
    ap.add_argument("--shrink", action="store_true", help="narrow models and small images (a CPU check)")
    ap.add_argument("--switch-interval", type=float, default=None,
                    help="sys.setswitchinterval in ms for the run (Python's default: 5); see docs/scaling.md")
    args = ap.parse_args(argv)
    if args.switch_interval is not None:
        sys.setswitchinterval(args.switch_interval / 1000)
    start = time.perf_counter()
    import torch

    write = lambda s: (sys.stdout.write(s + "\n"), sys.stdout.flush())  # noqa: E731
    cuda = args.device.startswith("cuda")
    height, width = (int(v) for v in args.size.lower().split("x"))
    levels = [int(x) for x in args.levels.split(",")]
    with tempfile.TemporaryDirectory(prefix="igfull-") as tmp:
        work = Path(tmp)
        t = time.perf_counter()
        scenes = make_scene_set(work / "scenes", n_videos=args.videos, frames=args.frames,
                                size=(height, width),
                                text_only=args.videos // 2)
        write(f"{args.videos} synthetic videos x {args.frames} frames at {width}x{height} "
              f"({args.videos // 2} without first-frame masks): written in {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        judge, tracker, detector = backends(write_folders(work / "models", args.shrink), args.device, args)
        if cuda:
            torch.cuda.synchronize()
        name = torch.cuda.get_device_name(torch.device(args.device)) if cuda else "CPU"
        sizes = ", ".join(f"{label} {sum(p.numel() for p in m.parameters()) / 1e6:,.0f} M"
                          for label, m in (("judge", judge.model), ("tracker", tracker.model),
                                           ("detector", detector.model), ("segmenter", detector.segmenter)))
        write(f"{'SHRUNK ' if args.shrink else ''}models on {args.device} ({name}), random weights: {sizes}; "
              f"built in {time.perf_counter() - t:.1f} s; judge batch_calls={judge.batch_calls}, "
              f"layout={args.layout}, torch threads {torch.get_num_threads()}, "
              f"switch interval {sys.getswitchinterval() * 1000:g} ms")
        log = BatchLog(judge)
        kept = dict(judge=judge, tracker=tracker, detector=detector)

        def cfg(videos: Any, out: Path, concurrency: int) -> EvalConfig:
            return EvalConfig(videos=videos.videos, suite=videos.suite, out=out, concurrency=concurrency,
                              bootstrap_samples=200)

        # first CUDA kernels, allocator, reply grammars: one video with first-frame masks, one without
        t = time.perf_counter()
        warm = make_scene_set(work / "warm", n_videos=2, frames=min(args.frames, 9), size=(height, width),
                              seed=1, text_only=1)
        evaluate(cfg(warm, work / "warm-up", 1), **kept)
        write(f"warm-up (2 short videos): {time.perf_counter() - t:.1f} s")
        first: dict[str, Any] | None = None
        rate = None
        for n in levels:
            elapsed = time.perf_counter() - start
            if rate is not None and elapsed + args.videos / rate > args.budget:
                write(f"--concurrency {n}: skipped (about {args.videos / rate:.0f} s more would pass the "
                      f"--budget of {args.budget:.0f} s; {elapsed:.0f} s used)")
                continue
            if cuda:
                torch.cuda.reset_peak_memory_stats()
            log.clear()
            out = work / f"run-{n}"
            t = time.perf_counter()
            summary = evaluate(cfg(scenes, out, n), **kept)
            wall = time.perf_counter() - t
            recs = list(read_jsonl(out / "per_video.jsonl"))
            rate = len(recs) / wall if rate is None else min(rate, len(recs) / wall)
            own = {s: statistics.median(r["timings"].get(f"{s}_s", 0.0) for r in recs) for s in STAGES}
            total = statistics.median(r["timings"].get("total_s", 0.0) for r in recs)
            used = torch.cuda.max_memory_allocated(torch.device(args.device)) if cuda else 0
            peak = (f", peak GPU memory {used / 2**30:.1f} "
                    f"GiB" if cuda else "")
            statuses: dict[str, int] = {}
            for r in recs:
                statuses[r["status"]] = statuses.get(r["status"], 0) + 1
            same = ""
            if first is None:
                first = comparable(recs)
            else:
                now = comparable(recs)
                differ = sorted(k for k in first if now.get(k) != first[k])
                same = (", records identical to the first level's" if not differ else
                        f", records DIFFER from the first level's for {len(differ)} of {len(first)} videos")
            write(f"--concurrency {n}: {wall:.1f} s, {len(recs) / wall:.3f} videos/s, "
                  f"{summary['videos']['scored']}/{args.videos} scored "
                  f"({', '.join(f'{k} {v}' for k, v in sorted(statuses.items()))}){peak}{same}")
            write("  median s per video: " + "  ".join(f"{s} {own[s]:.3f}" for s in STAGES)
                  + f"  total {total:.3f}")
            write("  " + log.line())
    write(f"whole script: {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
