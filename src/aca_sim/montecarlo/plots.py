"""A study's plots (PNG, headless): seal release probability against rim dust, the bore
sweeps the stuck seals needed, and the trials' sim time.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless; set before pyplot is imported
import matplotlib.pyplot as plt
import numpy as np

from aca_sim.montecarlo.analysis import ok_rows, release_points, stuck_sweeps
from aca_sim.montecarlo.stats import mean_t, wilson
from aca_sim.montecarlo.study import Study

BINS = 10


def write_plots(study: Study, rows: list[dict[str, str]], folder: Path) -> list[Path]:
    """Write the three plots into folder; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [
        _release_against_dust(study, rows, folder / "seal_release_vs_rim_dust.png"),
        _sweeps_histogram(study, rows, folder / "sweeps_needed.png"),
        _sim_time(rows, folder / "sim_time.png"),
    ]
    return paths


def _release_against_dust(study: Study, rows: list[dict[str, str]], path: Path) -> Path:
    """Per sample with a rim_dust prior: the first-try release rate per dust bin (Wilson
    95 % bars) and every trial's outcome as a tick at 0 or 1."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    drawn = False
    for name in [item.sample_name for item in study.items]:
        points = release_points(rows, name)
        if not points:
            continue
        drawn = True
        dust = np.array([d for d, _ in points])
        released = np.array([r for _, r in points])
        edges = np.linspace(dust.min(), dust.max() + 1e-12, BINS + 1)
        centres, rates, lows, highs = [], [], [], []
        for low, high in itertools.pairwise(edges):
            inside = (dust >= low) & (dust < high)
            if inside.any():
                rate = wilson(int(released[inside].sum()), int(inside.sum()))
                centres.append((low + high) / 2)
                rates.append(rate.value)
                lows.append(rate.value - rate.low)
                highs.append(rate.high - rate.value)
        line = ax.errorbar(centres, rates, yerr=[lows, highs], marker="o", capsize=3, label=name)
        ax.plot(dust, released.astype(float), "|", color=line[0].get_color(), alpha=0.4)
    if not drawn:
        ax.text(0.5, 0.5, "no sample of this study has a rim_dust prior", ha="center",
                transform=ax.transAxes)  # fmt: skip
    ax.set_xlabel("rim dust coverage drawn for the sample (0..1)")
    ax.set_ylabel("P(seal leaves its dispenser at the first try)")
    ax.set_ylim(-0.05, 1.05)
    ax.set_title("Seal release against rim dust (bins with Wilson 95 % intervals)")
    if drawn:
        ax.legend()
    return _save(fig, path)


def _sweeps_histogram(study: Study, rows: list[dict[str, str]], path: Path) -> Path:
    """Bore sweeps of the trials whose seal stuck, sealed in the end or not."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    sealed, unsealed = [], []
    for item in study.items:
        done, left = stuck_sweeps(rows, item.sample_name)
        sealed += done
        unsealed += left
    if sealed or unsealed:
        top = max(sealed + unsealed)
        bins = np.arange(-0.5, top + 1.5, max(1, round((top + 1) / 30)))
        ax.hist([sealed, unsealed], bins=bins, stacked=True,
                label=["sealed in the end", "still unsealed"])  # fmt: skip
        ax.legend()
    else:
        ax.text(0.5, 0.5, "no seal stuck in this study's trials", ha="center",
                transform=ax.transAxes)  # fmt: skip
    ax.set_xlabel("bore sweeps before the seal released (or the rounds ran out)")
    ax.set_ylabel("trials")
    ax.set_title(f"Sweeps needed ({len(sealed) + len(unsealed)} trials with a stuck seal)")
    return _save(fig, path)


def _sim_time(rows: list[dict[str, str]], path: Path) -> Path:
    """Histogram of the trials' sim time with the mean and its t interval."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    sim = [float(r["sim_s"]) for r in ok_rows(rows)]
    if sim:
        ax.hist(sim, bins=min(40, max(5, len(sim) // 5)))
        mean = mean_t(sim)
        ax.axvline(mean.value, color="k", label=f"mean {mean.value:.0f} s")
        if len(sim) > 1:
            ax.axvspan(mean.low, mean.high, color="k", alpha=0.15, label="95 % CI of the mean")
        ax.legend()
    ax.set_xlabel("sim time of a trial, s")
    ax.set_ylabel("trials")
    ax.set_title(f"Campaign sim time ({len(sim)} trials)")
    return _save(fig, path)


def _save(fig: plt.Figure, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
