"""Statistics of a study's trials: rates with Wilson score intervals, means with Student-t
intervals, and a percentile bootstrap for other statistics. 95 % unless told otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class Estimate:
    """A point estimate and its confidence interval (nan when undefined), over n values."""

    value: float
    low: float
    high: float
    n: int

    def text(self, digits: int = 3) -> str:
        """'0.800 [0.490, 0.943] (n=10)'."""
        if self.n == 0:
            return "- (n=0)"
        if math.isnan(self.low):
            return f"{self.value:.{digits}f} (n={self.n})"
        return (
            f"{self.value:.{digits}f} [{self.low:.{digits}f}, {self.high:.{digits}f}] (n={self.n})"
        )


def _z(confidence: float) -> float:
    return float(stats.norm.ppf(0.5 + confidence / 2))


def wilson(successes: int, n: int, confidence: float = 0.95) -> Estimate:
    """The rate successes / n with its Wilson score interval."""
    if not 0 <= successes <= n:
        raise ValueError(f"successes {successes} must be in 0..n={n}")
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, 0)
    z, p = _z(confidence), successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    low = 0.0 if successes == 0 else max(0.0, centre - half)  # exact ends: the bounds'
    high = 1.0 if successes == n else min(1.0, centre + half)  # algebra, not rounding
    return Estimate(p, min(low, p), max(high, p), n)


def mean_t(values: Sequence[float], confidence: float = 0.95) -> Estimate:
    """The mean with its Student-t interval (nan bounds for fewer than two values)."""
    data = np.asarray(values, dtype=float)
    n = len(data)
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, 0)
    mean = float(data.mean())
    if n < 2:
        return Estimate(mean, math.nan, math.nan, 1)
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * float(data.std(ddof=1)) / math.sqrt(n)
    return Estimate(mean, mean - half, mean + half, n)


def bootstrap(
    values: Sequence[float],
    statistic: Callable[[np.ndarray], float] = np.median,
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
) -> Estimate:
    """statistic(values) with a percentile bootstrap interval (seeded: the same every time)."""
    data = np.asarray(values, dtype=float)
    n = len(data)
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, 0)
    rng = np.random.default_rng(seed)
    draws = [float(statistic(data[rng.integers(0, n, n)])) for _ in range(resamples)]
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(draws, [tail, 100 - tail])
    return Estimate(float(statistic(data)), float(low), float(high), n)
