"""The MATRIX paper's reported InterGenEval numbers (Table 1), as reference rows for the leaderboard.

Example:
    >>> rows = reference_rows()
    >>> [r["model"] for r in rows][-1], rows[-1]["if"], rows[-1]["ranked"]
    ('MATRIX (CogVideoX-5B-I2V + LoRA)', 0.593, False)

These rows are *reported*, not measured here: the paper scored them with GPT-5 as the judge on its own
118 image–prompt pairs, which were never released, with questions regenerated on every run. They can be
shown beside rows scored by this project but never ranked with them (different judge, different task set).

Naming: the paper's KISA and SGI columns already include the SPI factor (the paper defines
KISA = KISA_raw·SPI, SGI = SGI_raw·SPI, IF = (KISA + SGI)/2). In this project's metric names they are
`kisa_spi` and `sgi_spi`; raw KISA, SGI and SPI were not reported, so those stay None in `metrics`.
"""

from __future__ import annotations

from typing import Any

SOURCE = "MATRIX paper (arXiv 2510.07310 v2, ICLR 2026), Table 1"
LINK = "https://arxiv.org/abs/2510.07310"
JUDGE = "GPT-5"
JUDGE_NOTE = "reported by the paper (GPT-5 judge, the paper's unreleased 118-pair set)"
TASK_SET = ("the paper's InterGenEval set: 118 image-prompt pairs (60 synthetic, 58 real), image-to-video, "
            "unreleased")

#: (model, KISA, SGI, IF, HA, MS, IQ) exactly as printed in Table 1; KISA and SGI are SPI-weighted.
_TABLE_1: tuple[tuple[str, float, float, float, float, float, float], ...] = (
    ("CogVideoX-2B-I2V", 0.420, 0.470, 0.445, 0.937, 0.993, 69.69),
    ("CogVideoX-5B-I2V", 0.406, 0.491, 0.449, 0.936, 0.987, 69.66),
    ("Open-Sora-11B-I2V", 0.453, 0.508, 0.480, 0.891, 0.992, 63.32),
    ("TaVid", 0.465, 0.522, 0.494, 0.917, 0.991, 68.90),
    ("MATRIX (CogVideoX-5B-I2V + LoRA)", 0.546, 0.641, 0.593, 0.954, 0.994, 69.73),
)


def reference_rows() -> list[dict[str, Any]]:
    """The paper's Table 1 as leaderboard reference rows, in the table's order; never ranked.

    Each row has `model` (and `model_name`), the paper's columns `kisa`, `sgi`, `if` as printed,
    `metrics` in this project's names (`kisa_spi`, `sgi_spi`, `if`; `kisa`, `sgi`, `spi` None because the
    paper does not report them), the paper's VBench columns under `vbench`, and provenance: `source`,
    `link`, `judge`, `judge_label`, `task_set`, `reference` True, `ranked` False. `suite_id` is None: the
    rows belong to no suite shipped here.
    """
    rows = []
    for model, kisa, sgi, if_, ha, ms, iq in _TABLE_1:
        rows.append({
            "model": model,
            "model_name": model,
            "kisa": kisa,
            "sgi": sgi,
            "if": if_,
            "metrics": {"kisa": None, "sgi": None, "spi": None, "kisa_spi": kisa, "sgi_spi": sgi, "if": if_},
            "vbench": {"human_anatomy": ha, "motion_smoothness": ms, "imaging_quality": iq},
            "setting": "image-to-video",
            "source": SOURCE,
            "link": LINK,
            "judge": JUDGE,
            "judge_label": JUDGE_NOTE,
            "task_set": TASK_SET,
            "suite_id": None,
            "reference": True,
            "ranked": False,
        })
    return rows
