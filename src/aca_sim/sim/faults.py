"""Fault arming: faults wait here until the process they affect (the next coring) takes them.

Kinds and values: aca_sim.model.fault_kinds. Scenario files (config/faults/*.yaml) and
campaign files' faults arm several at once, all or none.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml

from aca_sim.model.codes import Code
from aca_sim.model.fault_kinds import fault_problem
from aca_sim.sim.errors import StepError


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
        problem = fault_problem(kind, value)
        if problem is not None:
            raise StepError(Code.INVALID_GOAL, problem)
        value = float(value)
        self.pending[kind] = 1.0 if kind == "empty_core" else value

    def arm_scenario(self, path: str | Path) -> list[str]:
        """Arm every fault of a scenario file; return their kinds. All faults are checked
        before any is armed."""
        with open(path) as stream:
            data = yaml.safe_load(stream)
        if not isinstance(data, dict) or not isinstance(data.get("faults"), list):
            raise StepError(Code.INVALID_GOAL, f"{path}: expected a mapping with a 'faults' list")
        try:
            faults = [(str(f["kind"]), float(f.get("value", 1.0))) for f in data["faults"]]
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise StepError(Code.INVALID_GOAL, f"{path}: bad fault entry: {error!r}") from error
        return self.arm_all(faults, str(path))

    def arm_all(self, faults: Iterable[tuple[str, float]], where: str) -> list[str]:
        """Arm every (kind, value), all or none (StepError INVALID_GOAL naming `where` and
        the bad entry); return the kinds."""
        armed = dict(self.pending)
        kinds = []
        try:
            for kind, value in faults:
                self.arm(kind, value)
                kinds.append(kind)
        except StepError as error:
            self.pending = armed
            raise StepError(
                Code.INVALID_GOAL, f"{where}: bad fault entry: {error.message}"
            ) from error
        return kinds

    def take(self, *kinds: str) -> dict[str, float]:
        """Remove and return the armed faults of the given kinds."""
        return {k: self.pending.pop(k) for k in kinds if k in self.pending}
