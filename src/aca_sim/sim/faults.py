"""Fault arming: faults wait here until the process they affect (the next coring) takes them.

Kinds: empty_core (the next core comes back empty), rim_dust (value = rim dust coverage of
the next core, 0..1), carousel_debris (value = pebbles that fall into the bit carousel at the
next drop-off). Scenario files (config/faults/*.yaml) arm several at once, all or none.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import yaml

from aca_sim.model.codes import Code
from aca_sim.sim.errors import StepError

FAULT_KINDS = ("empty_core", "rim_dust", "carousel_debris")
MAX_PEBBLES = 20  # more pebbles than the bit carousel's pockets hold is not a fault we model


class FaultArming:
    """The faults armed for the next coring, by kind (value as injected)."""

    def __init__(self, pending: Mapping[str, float] | None = None) -> None:
        self.pending: dict[str, float] = dict(pending or {})

    def describe(self) -> dict[str, float]:
        """The armed faults as plain data, sorted by kind."""
        return dict(sorted(self.pending.items()))

    def arm(self, kind: str, value: float = 1.0) -> None:
        """Arm one fault; StepError INVALID_GOAL naming a bad kind or value (see
        InjectFault.srv for the ranges)."""
        if kind not in FAULT_KINDS:
            raise StepError(
                Code.INVALID_GOAL, f"unknown fault {kind!r}; known: {', '.join(FAULT_KINDS)}"
            )
        value = float(value)
        if kind == "rim_dust" and not 0.0 <= value <= 1.0:
            raise StepError(Code.INVALID_GOAL, f"rim_dust value must be in 0..1, got {value}")
        if kind == "empty_core" and value not in (0.0, 1.0):
            raise StepError(Code.INVALID_GOAL, f"empty_core value must be 0 or 1, got {value}")
        if kind == "carousel_debris" and not (1 <= value <= MAX_PEBBLES and value.is_integer()):
            raise StepError(
                Code.INVALID_GOAL,
                f"carousel_debris value is a whole pebble count in 1..{MAX_PEBBLES}, got {value}",
            )
        self.pending[kind] = 1.0 if kind == "empty_core" else value

    def arm_scenario(self, path: str | Path) -> list[str]:
        """Arm every fault of a scenario file; return their kinds. All faults are checked
        before any is armed."""
        with open(path) as stream:
            data = yaml.safe_load(stream)
        if not isinstance(data, dict) or not isinstance(data.get("faults"), list):
            raise StepError(Code.INVALID_GOAL, f"{path}: expected a mapping with a 'faults' list")
        armed = dict(self.pending)
        try:
            for fault in data["faults"]:
                self.arm(str(fault["kind"]), float(fault.get("value", 1.0)))
        except (KeyError, TypeError, ValueError, StepError) as error:
            self.pending = armed
            detail = error.message if isinstance(error, StepError) else repr(error)
            raise StepError(Code.INVALID_GOAL, f"{path}: bad fault entry: {detail}") from error
        return [str(f["kind"]) for f in data["faults"]]

    def take(self, *kinds: str) -> dict[str, float]:
        """Remove and return the armed faults of the given kinds."""
        return {k: self.pending.pop(k) for k in kinds if k in self.pending}
