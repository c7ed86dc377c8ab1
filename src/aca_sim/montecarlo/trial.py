"""One Monte Carlo trial: its samples cached headless in this process (no DDS), the same
world, procedures, sequencer and fault protection as the ROS nodes (campaign.headless), and
the table row it gives.

Row columns (all text in the CSV): trial, seed (the simulation seed; `aca-sim run --seed`),
status ("ok": the trial ran to its end, whatever its samples came to; "failed": it raised or
its worker died, on every attempt), attempts, wall_s, sim_s (all samples), sweeps and
seal_attempts (summed over samples), error_codes (sample=CODE for each sample that did not
end NONE), error (why a failed trial failed); then p:<model key> per drawn parameter,
f:<sample>:<kind> per drawn fault (empty when not armed at that trial), and per sample
s:<sample>:<field> (SAMPLE_FIELDS).

Thread rule: run_trial runs on the calling thread and touches nothing outside its own
temporary folder.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from aca_sim.caching.campaign import SampleOutcome
from aca_sim.campaign.headless import run_headless_items
from aca_sim.model.codes import Code
from aca_sim.model.config import load_model_config
from aca_sim.model.status import TrialStatus
from aca_sim.montecarlo.study import Study, TrialSpec

BASE_COLUMNS = [
    "trial", "seed", "status", "attempts", "wall_s", "sim_s", "sweeps", "seal_attempts",
    "error_codes", "error",
]  # fmt: skip
SAMPLE_FIELDS = [
    "outcome", "code", "catalogued", "sealed", "first_code", "sealed_first_try", "sweeps",
    "seal_attempts", "sim_s", "tube",
]  # fmt: skip


def trial_columns(study: Study) -> list[str]:
    """The table's columns for this study, in order."""
    samples = [f"s:{item.sample_name}:{field}" for item in study.items for field in SAMPLE_FIELDS]
    return BASE_COLUMNS + study.parameter_columns + study.fault_columns + samples


def run_trial(study: Study, spec: TrialSpec) -> dict[str, Any]:
    """Run trial `spec` headless; its row (status "ok"; attempts left for the caller).
    Exceptions propagate (the caller retries)."""
    config = load_model_config(study.model, spec.parameters)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="aca_trial_") as folder:
        outcomes = run_headless_items(
            spec.items, spec.seed, Path(folder) / "inventory.db", config, say=_quiet
        )
    return trial_row(study, spec, outcomes, time.perf_counter() - started)


def trial_row(
    study: Study, spec: TrialSpec, outcomes: list[SampleOutcome], wall_s: float
) -> dict[str, Any]:
    """The row of a trial that ran to its end."""
    row = _drawn(study, spec)
    row.update(
        status=TrialStatus.OK,
        wall_s=round(wall_s, 3),
        sim_s=round(sum(o.sim_s for o in outcomes), 3),
        sweeps=sum(o.sweeps for o in outcomes),
        seal_attempts=sum(o.seal_attempts for o in outcomes),
        error_codes=";".join(
            f"{o.sample_name}={o.code.name}" for o in outcomes if o.code != Code.NONE
        ),
        error="",
    )
    for o in outcomes:
        prefix = f"s:{o.sample_name}:"
        row.update({
            prefix + "outcome": o.outcome,
            prefix + "code": o.code.name,
            prefix + "catalogued": o.catalogued_kind.value,
            prefix + "sealed": int(o.sealed),
            prefix + "first_code": o.first_code.name,
            prefix + "sealed_first_try": int(o.sealed_first_try),
            prefix + "sweeps": o.sweeps,
            prefix + "seal_attempts": o.seal_attempts,
            prefix + "sim_s": round(o.sim_s, 3),
            prefix + "tube": o.tube_id,
        })  # fmt: skip
    return row


def failed_row(study: Study, spec: TrialSpec, error: str) -> dict[str, Any]:
    """The row of a trial that failed on every attempt: what was drawn, and why (attempts
    left for the caller, as for run_trial's row)."""
    row = _drawn(study, spec)
    row.update(status=TrialStatus.FAILED, error=error)
    return row


def _drawn(study: Study, spec: TrialSpec) -> dict[str, Any]:
    row: dict[str, Any] = {"trial": spec.index, "seed": spec.seed}
    row.update({f"p:{key}": value for key, value in spec.parameters.items()})
    for name, kinds in study.faults.items():
        for kind in kinds:
            row[f"f:{name}:{kind}"] = spec.faults.get(name, {}).get(kind, "")
    return row


def _quiet(_line: str) -> None:
    """A trial's progress lines go nowhere: thousands of trials would drown the console."""
