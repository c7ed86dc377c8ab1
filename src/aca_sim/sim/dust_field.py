"""Where a tube's dust lies: a per-sector deposit on the lip and on the inner periphery,
consistent with the tube record's two numbers (rim_dust, bore_dust).

The record stays the state (inventory, snapshots and restarts keep it): rim_dust is the mean
coverage of the coupling surface (the bore's top seal.plug_length_m, where the plug couples,
so the insertion force follows it), bore_dust what the brush moved deeper. The field is a
pure function of those and of a seed per tube: where the deposits are (clumps around the
periphery, thinning with depth) and how well the brush touches each sector. The part of the
deposit moved so far, bore_dust / (rim_dust + bore_dust), leaves the sectors the brush
touches best first and lies again just below the brush's reach. Coverages are 0..1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from aca_sim.model.config import ModelConfig

SECTORS = 72  # 5 degree sectors, counted from the tube's +X axis towards +Y
LIP_BANDS = 3  # radial bands across the lip, bore edge first
WALL_BAND_M = 0.002  # depth of one band of the inner periphery
BRUSH_EFFECT = 2.5  # how sharply the sweeps favour the sectors the brush touches best


@dataclass(frozen=True)
class DustField:
    """Coverage per (sector, band): lip[SECTORS, LIP_BANDS] and wall[SECTORS, bands], wall
    band k spanning depths k..k+1 * WALL_BAND_M below the rim."""

    lip: np.ndarray
    wall: np.ndarray

    def coupling_mean(self, coupling_bands: int) -> float:
        """Mean coverage of the coupling surface (the top coupling_bands wall bands)."""
        return float(self.wall[:, :coupling_bands].mean())


@dataclass(frozen=True)
class _Pattern:
    """A tube's seeded deposit shape and brush contact."""

    wall: np.ndarray  # SECTORS x coupling bands, > 0
    lip: np.ndarray  # SECTORS x LIP_BANDS, > 0
    brush: np.ndarray  # SECTORS, brush contact weight, > 0


def bands(config: ModelConfig) -> tuple[int, int, int]:
    """(coupling bands, first deposit band, wall bands): the coupling surface is the top
    seal.plug_length_m; swept dust lies from the brush's reach down, over the same height."""
    coupling = max(1, round(config.seal.plug_length_m / WALL_BAND_M))
    first = math.ceil(config.bore_sweep_tool.insertion_depth_m / WALL_BAND_M)
    return coupling, first, first + coupling


@lru_cache(maxsize=256)
def _pattern(seed: int, tube_id: int, clumps: int, scale_m: float, contrast: float,
             coupling: int) -> _Pattern:  # fmt: skip
    rng = np.random.default_rng([seed, tube_id, 0xD057])
    angle = np.arange(SECTORS) * (2 * math.pi / SECTORS)
    around = np.full(SECTORS, 0.15)
    for _ in range(clumps):
        centre, width, weight = (
            rng.uniform(0, 2 * math.pi),
            rng.uniform(3, 12),
            rng.uniform(0.5, 1),
        )
        around += weight * np.exp(width * (np.cos(angle - centre) - 1))
    around *= rng.uniform(0.8, 1.2, SECTORS)
    depth = (np.arange(coupling) + 0.5) * WALL_BAND_M
    wall = around[:, None] * np.exp(-depth / scale_m)[None, :]
    lip = around[:, None] * np.array([1.0, 0.6, 0.3])[None, :LIP_BANDS]
    brush = 1 + contrast * np.cos(angle - rng.uniform(0, 2 * math.pi))
    brush *= rng.uniform(0.9, 1.1, SECTORS)
    return _Pattern(wall, lip, np.clip(brush, 0.05, None))


def fit_mean(shape: np.ndarray, target: float) -> np.ndarray:
    """shape scaled so that the mean of min(1, scale * shape) is target (0..1)."""
    if target <= 0 or not shape.any():
        return np.zeros_like(shape)
    if target >= 1:
        return np.ones_like(shape)
    low, high = 0.0, 1.0 / max(float(shape[shape > 0].min()), 1e-9)
    for _ in range(40):
        middle = (low + high) / 2
        if np.minimum(1.0, middle * shape).mean() < target:
            low = middle
        else:
            high = middle
    return np.minimum(1.0, high * shape)


def dust_field(config: ModelConfig, seed: int, tube_id: int, rim_dust: float,
               bore_dust: float) -> DustField:  # fmt: skip
    """The field of a tube with these record values (coverage 0..1), for a world seed."""
    dust = config.dust
    coupling, first, total = bands(config)
    pattern = _pattern(seed, tube_id, dust.deposit_clumps, dust.deposit_scale_m,
                       dust.brush_contrast, coupling)  # fmt: skip
    moved = bore_dust / (rim_dust + bore_dust) if rim_dust + bore_dust > 0 else 0.0
    keep = np.exp(-BRUSH_EFFECT * moved * pattern.brush)[:, None]
    wall = np.zeros((SECTORS, total))
    wall[:, :coupling] = fit_mean(pattern.wall * keep, rim_dust)
    swept = (pattern.wall * (1 - keep)).sum(axis=1)
    deeper = np.exp(-(np.arange(total - first) + 0.5) * WALL_BAND_M / dust.deposit_scale_m)
    wall[:, first:] = fit_mean(swept[:, None] * deeper[None, :], min(1.0, bore_dust))
    lip = fit_mean(pattern.lip * keep, min(1.0, dust.lip_share * rim_dust))
    return DustField(lip, wall)
