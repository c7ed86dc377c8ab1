"""Prior distributions of a Monte Carlo study (config/studies/*.yaml), drawn per trial.

A prior is a number (a constant) or a mapping with `dist` and its parameters:

    {dist: uniform, low: 0.02, high: 0.04}
    {dist: normal, mean: 150, sd: 10}              optional low / high: truncated there
    {dist: beta, a: 8, b: 2}                       on 0..1
    {dist: lognormal, mu: 0, sigma: 0.25}          exp(N(mu, sigma))
    {dist: integers, low: 1, high: 6}              whole numbers, both ends included

A draw is the inverse CDF of one uniform number from the generator it is given (the study
gives each quantity of a trial its own: aca_sim.montecarlo.study.stream). parse_prior raises
StudyError naming the key and the bad value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats


class StudyError(ValueError):
    """A study file (or a prior in it) is malformed; the message names the key and value."""


PARAMETERS = {
    "constant": ("value",),
    "uniform": ("low", "high"),
    "normal": ("mean", "sd"),
    "beta": ("a", "b"),
    "lognormal": ("mu", "sigma"),
    "integers": ("low", "high"),
}
OPTIONAL = {"normal": ("low", "high")}


@dataclass(frozen=True)
class Prior:
    """One distribution: its name and parameters (see the module docstring)."""

    dist: str
    params: dict[str, float]

    def draw(self, rng: np.random.Generator) -> float:
        """One value, from one uniform draw of rng."""
        return self.quantile(float(rng.random()))

    def quantile(self, u: float) -> float:
        """The value at cumulative probability u (0 <= u < 1)."""
        p = self.params
        if self.dist == "constant":
            return p["value"]
        if self.dist == "uniform":
            return p["low"] + u * (p["high"] - p["low"])
        if self.dist == "integers":
            return float(math.floor(p["low"] + u * (p["high"] - p["low"] + 1)))
        if self.dist == "beta":
            return float(stats.beta.ppf(u, p["a"], p["b"]))
        if self.dist == "lognormal":
            return float(math.exp(p["mu"] + p["sigma"] * stats.norm.ppf(u)))
        low = (p.get("low", -math.inf) - p["mean"]) / p["sd"]
        high = (p.get("high", math.inf) - p["mean"]) / p["sd"]
        return float(stats.truncnorm.ppf(u, low, high, loc=p["mean"], scale=p["sd"]))

    def support(self) -> tuple[float, float]:
        """The smallest and largest value a draw can take."""
        p = self.params
        if self.dist == "constant":
            return p["value"], p["value"]
        if self.dist in ("uniform", "integers"):
            return p["low"], p["high"]
        if self.dist == "beta":
            return 0.0, 1.0
        if self.dist == "lognormal":
            return 0.0, math.inf
        return p.get("low", -math.inf), p.get("high", math.inf)

    @property
    def whole(self) -> bool:
        """True when every draw is a whole number."""
        if self.dist == "constant":
            return float(self.params["value"]).is_integer()
        return self.dist == "integers"

    def describe(self) -> str:
        """A short label, e.g. 'Beta(a=8, b=2)'."""
        if self.dist == "constant":
            return f"{self.params['value']:g}"
        args = ", ".join(f"{k}={v:g}" for k, v in self.params.items())
        return f"{self.dist.capitalize()}({args})"


def parse_prior(spec: Any, where: str) -> Prior:
    """A prior from its study-file form; StudyError naming `where` and the bad value."""
    if isinstance(spec, bool):
        raise StudyError(f"{where}: expected a number or a {{dist: ...}} mapping, got {spec!r}")
    if isinstance(spec, int | float):
        return Prior("constant", {"value": _finite(spec, where)})
    if not isinstance(spec, dict) or "dist" not in spec:
        raise StudyError(f"{where}: expected a number or a {{dist: ...}} mapping, got {spec!r}")
    dist = spec["dist"]
    if dist not in PARAMETERS:
        raise StudyError(f"{where}.dist: {dist!r} is not one of {sorted(PARAMETERS)}")
    needed, optional = PARAMETERS[dist], OPTIONAL.get(dist, ())
    keys = set(spec) - {"dist"}
    unknown = sorted(keys - set(needed) - set(optional))
    missing = sorted(set(needed) - keys)
    if unknown:
        raise StudyError(
            f"{where}: unknown key(s) {unknown} for {dist}; allowed: {[*needed, *optional]}"
        )
    if missing:
        raise StudyError(f"{where}: {dist} needs {missing}")
    params = {k: _finite(spec[k], f"{where}.{k}") for k in [*needed, *optional] if k in spec}
    _check(dist, params, where)
    return Prior(dist, params)


def _finite(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise StudyError(f"{where}: expected a finite number, got {value!r}")
    return float(value)


def _check(dist: str, p: dict[str, float], where: str) -> None:
    """The parameters' own constraints."""
    if dist in ("uniform", "integers") and not p["low"] <= p["high"]:
        raise StudyError(f"{where}: low {p['low']:g} must not exceed high {p['high']:g}")
    if dist == "integers" and not (p["low"].is_integer() and p["high"].is_integer()):
        raise StudyError(f"{where}: integers needs whole low and high, got {p}")
    if dist == "normal":
        if p["sd"] <= 0:
            raise StudyError(f"{where}.sd: must be > 0, got {p['sd']:g}")
        if p.get("low", -math.inf) >= p.get("high", math.inf):
            raise StudyError(f"{where}: low {p['low']:g} must be below high {p['high']:g}")
    if dist == "beta":
        for key in ("a", "b"):
            if p[key] <= 0:
                raise StudyError(f"{where}.{key}: must be > 0, got {p[key]:g}")
    if dist == "lognormal" and p["sigma"] <= 0:
        raise StudyError(f"{where}.sigma: must be > 0, got {p['sigma']:g}")
