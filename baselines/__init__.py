"""Baseline video generators (diffusers) and the paper's reported scores.

- `python -m baselines generate --model NAME --suite SUITE --out VIDEOS`: one `<scenario id>.mp4` per
  scenario, resumable (`run.py`), for the models in `registry.py` (one generator per family:
  `cogvideox.py`, `wan.py`, `hunyuan.py`, `matrix.py`; each with offline tiny variants).
- `paper_results.reference_rows()`: the MATRIX paper's Table 1, shown on the leaderboard, never ranked.

Nothing heavy is imported here: torch and diffusers load when a generator is used.
"""
