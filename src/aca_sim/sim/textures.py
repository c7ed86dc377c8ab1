"""Seeded surface textures for CacheCam: grain fields (uniform 0..1, spatially correlated)
and multi-scale mottling. Pure numpy; each texture is made once per key and cached."""

from __future__ import annotations

from functools import lru_cache

import numpy as np


def _upsample(grid: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of a small 2-D grid to `shape` (wrapping along axis 1)."""
    rows = np.linspace(0, grid.shape[0] - 1, shape[0])
    cols = np.linspace(0, grid.shape[1], shape[1], endpoint=False)
    r0 = np.floor(rows).astype(int)
    c0 = np.floor(cols).astype(int)
    fr, fc = (rows - r0)[:, None], (cols - c0)[None, :]
    r1 = np.minimum(r0 + 1, grid.shape[0] - 1)
    c0, c1 = c0 % grid.shape[1], (c0 + 1) % grid.shape[1]
    top = grid[r0][:, c0] * (1 - fc) + grid[r0][:, c1] * fc
    bottom = grid[r1][:, c0] * (1 - fc) + grid[r1][:, c1] * fc
    return top * (1 - fr) + bottom * fr


def _uniform(values: np.ndarray) -> np.ndarray:
    """Rank-transform to a uniform 0..1 distribution (same shape)."""
    flat = values.ravel()
    ranks = np.empty(flat.size)
    ranks[np.argsort(flat, kind="stable")] = (np.arange(flat.size) + 0.5) / flat.size
    return ranks.reshape(values.shape).astype(np.float32)


@lru_cache(maxsize=64)
def grains(shape: tuple[int, int], grain_texels: int, seed: tuple[int, ...]) -> np.ndarray:
    """Uniform 0..1 noise correlated over about grain_texels: thresholding it at c covers a
    fraction c of the texture with grain-sized specks."""
    rng = np.random.default_rng(seed)
    coarse = (max(2, shape[0] // grain_texels), max(2, shape[1] // grain_texels))
    field = _upsample(rng.standard_normal(coarse), shape)
    field += 0.35 * rng.standard_normal(shape)
    return _uniform(field)


@lru_cache(maxsize=64)
def mottle(shape: tuple[int, int], scales: tuple[int, ...], seed: tuple[int, ...]) -> np.ndarray:
    """Multiplicative mottling about 1 (sd ~0.15): octaves of smooth noise at `scales`
    texels, plus fine grain."""
    rng = np.random.default_rng(seed)
    total = np.zeros(shape)
    for weight, scale in enumerate(scales, 1):
        coarse = (max(2, shape[0] // scale), max(2, shape[1] // scale))
        total += _upsample(rng.standard_normal(coarse), shape) / weight
    total += 0.5 * rng.standard_normal(shape)
    total /= total.std() or 1.0
    return (1 + 0.15 * total).astype(np.float32)
