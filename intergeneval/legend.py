"""What the numbers mean, in one place: the console footer, the HTML report and the README say the same.

Example:
    >>> [m for m, _, _ in METRICS]
    ['KISA', 'SGI', 'SPI', 'KISA·SPI', 'SGI·SPI', 'IF']
"""

from __future__ import annotations

#: (metric, range, meaning); every metric is better when higher.
METRICS: tuple[tuple[str, str, str], ...] = (
    ("KISA", "0 to 1", "share of 'yes' on whether the interaction happens, step by step (questions 1-6)"),
    ("SGI", "0 to 1", "share of 'yes' on whether the right agent acts on the right object (questions 7-10)"),
    ("SPI", "-4 to 1", "1 when no object appears from nowhere or vanishes; each flagged frame costs "
                       "5/(sampled frames - 1), so it goes negative when many frames are flagged"),
    ("KISA·SPI", "-4 to 1", "KISA weighted by SPI"),
    ("SGI·SPI", "-4 to 1", "SGI weighted by SPI"),
    ("IF", "-4 to 1", "interaction fidelity, the headline score: (KISA·SPI + SGI·SPI) / 2; negative "
                      "only when SPI is"),
)
#: Said once, after the metrics.
NOTES = (
    "Higher is better for every metric. 95% CI: bootstrap confidence interval over the scored videos;",
    "videos that failed are left out of the means (never counted as 0 or 1) and listed.",
)


def lines() -> list[str]:
    """The legend as plain text lines.

    >>> lines()[-3].split("  ")[0], lines()[-3].endswith("negative only when SPI is")
    ('IF', True)
    """
    width = max(len(m) for m, _, _ in METRICS)
    return [f"{m:<{width + 1}} {text}" for m, _, text in METRICS] + list(NOTES)
