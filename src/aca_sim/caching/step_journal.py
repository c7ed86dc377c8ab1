"""One device step at a time, with its record: the start written (with the device goal's id)
before the step runs, the outcome, the tube and seal changes and the sequence's progress
committed together after it, the whole inventory checked against the hardware.

Also what a restart needs: the step a dead process left open, settled from the device's own
outcome (fetched by goal id) or closed as interrupted when the goal never reached the device.
No ROS: the device port (caching.sequence_types.DevicePort) reaches the hardware.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aca_sim.caching.inventory import HistoryRow, Inventory, Progress
from aca_sim.caching.reconciliation import Comparison, check, reconcile
from aca_sim.caching.selection import tube_for_step
from aca_sim.caching.sequence_types import DevicePort
from aca_sim.caching.summary import measurement
from aca_sim.model.records import PHYSICAL_FIELDS, HardwareState
from aca_sim.model.status import StepStatus
from aca_sim.model.steps import Step, StepOutcome


@dataclass(frozen=True)
class CutOff:
    """The step a dead sequencer left open: its row, the device's outcome (None when the goal
    never reached the device) and what the hardware shows it changed."""

    step: HistoryRow
    outcome: StepOutcome | None
    found: Comparison


@dataclass(frozen=True)
class StepDone:
    """A finished device step: its history id, outcome, the hardware after it, and what
    changed (tube fields by id, seals used by dispenser)."""

    step_id: int
    outcome: StepOutcome
    hardware: HardwareState
    tube_changes: dict[int, dict[str, Any]]
    seals_used: dict[int, int]


class StepJournal:
    """Runs and records the device steps of one inventory over one device port."""

    def __init__(
        self, inventory: Inventory, port: DevicePort, log: Callable[[str], None] = print
    ) -> None:
        self.inventory, self.port, self.log = inventory, port, log

    async def run(self, step: Step, sample_name: str) -> StepDone:
        """Run one device step (its goal id stored with the step's start) and read what it
        changed."""
        before = await self.port.hardware()
        goal_id = uuid.uuid4().hex
        step_id = self.inventory.begin_step(
            step.action,
            tube_for_step(step, before),
            before.sim_time_s,
            sample_name,
            {"goal_id": goal_id},
        )
        outcome = await self.port.run_step(step, goal_id)
        after = await self.port.hardware()
        before_seals = before.seals()
        used = {d: before_seals[d] - n for d, n in after.seals().items() if before_seals[d] != n}
        return StepDone(step_id, outcome, after, _tube_changes(before, after), used)

    def commit(self, done: StepDone, ending: StepStatus, progress: Progress) -> None:
        """Record the step's ending (SUCCEEDED, FAILED, CANCELED), its changes and the
        sequence's progress in one transaction, then check the inventory (InventoryMismatch)."""
        outcome = done.outcome
        self.inventory.end_step(
            done.step_id,
            ending,
            done.hardware.sim_time_s,
            done.tube_changes,
            done.seals_used,
            "" if outcome.succeeded else outcome.code.value,
            outcome.message,
            measurement(outcome),
            progress=progress,
        )
        self.verify(done.hardware)

    def verify(self, hardware: HardwareState) -> None:
        """The inventory must equal the hardware (InventoryMismatch if not)."""
        check(self.inventory, hardware.tubes, hardware.seals())

    # ------------------------------------------------------------------ after a restart
    async def open_cut_off(self, sequence_running: bool) -> CutOff | None:
        """Check the inventory against the hardware; settle what a dead process left open:
        for a running sequence, the open step with the device's outcome (to resume with);
        without one, the open step is reconciled and closed at once."""
        open_step = self.inventory.open_step()
        outcome = None
        if open_step is not None and open_step.measurement.get("goal_id"):
            outcome = await self.port.step_result(open_step.step, open_step.measurement["goal_id"])
        hardware = await self.port.hardware()
        seals = hardware.seals()
        if self.inventory.is_empty:
            meta = {"created_sim_s": f"{hardware.sim_time_s:.3f}"}
            self.inventory.initialise(list(hardware.tubes.values()), seals, meta)
            return None
        found = check(self.inventory, hardware.tubes, seals)
        if open_step is not None and sequence_running:
            return CutOff(open_step, outcome, found)
        if open_step is not None:
            closed = reconcile(self.inventory, hardware.tubes, seals, hardware.sim_time_s)
            adopted = "; ".join(closed.adopted) or "nothing changed"
            self.log(f"closed cut-off step {open_step.step} as interrupted ({adopted})")
        return None

    async def settle(self, cut_off: CutOff, outcome: StepOutcome) -> StepDone:
        """A cut-off step the device completed: its outcome and what the hardware shows."""
        hardware = await self.port.hardware()
        changes = dict(cut_off.found.tube_changes)
        tube = hardware.tubes.get(cut_off.step.tube_id)
        if tube is not None:  # also the fields reconciliation does not compare
            record = self.inventory.tube(tube.tube_id)
            extra = {
                f: getattr(tube, f)
                for f in PHYSICAL_FIELDS
                if getattr(record, f) != getattr(tube, f)
            }
            changes[tube.tube_id] = {**changes.get(tube.tube_id, {}), **extra}
        return StepDone(
            cut_off.step.step_id,
            outcome,
            hardware,
            {k: v for k, v in changes.items() if v},
            cut_off.found.seals_used,
        )

    def close_unsent(self, cut_off: CutOff) -> None:
        """A cut-off step whose goal never reached the device: closed as interrupted."""
        self.inventory.end_step(
            cut_off.step.step_id,
            StepStatus.INTERRUPTED,
            cut_off.step.sim_time_s,
            cut_off.found.tube_changes,
            cut_off.found.seals_used,
            error_code="INTERRUPTED",
            error_msg="the sequencer stopped before the device had the goal; step redone",
        )


def _tube_changes(before: HardwareState, after: HardwareState) -> dict[int, dict[str, Any]]:
    """Physical tube fields that differ between two hardware readings, by tube id."""
    changes = {}
    for tube_id, tube in after.tubes.items():
        old = before.tubes[tube_id]
        diff = {
            f: getattr(tube, f) for f in PHYSICAL_FIELDS if getattr(tube, f) != getattr(old, f)
        }
        if diff:
            changes[tube_id] = diff
    return changes
