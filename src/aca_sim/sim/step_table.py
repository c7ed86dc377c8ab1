"""The device steps as the simulator runs them: for each action, its procedure, the devices
it books, and how its result becomes the step's result values; and how a run of it ends as a
StepOutcome. The sim node's action servers and the in-process driver both use this table, so
a step means the same over ROS and without it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aca_sim.model.codes import Code
from aca_sim.model.status import StepStatus
from aca_sim.model.steps import RESULT_VALUES, StepOutcome
from aca_sim.sim import procedures
from aca_sim.sim.aca import Aca
from aca_sim.sim.errors import StepError
from aca_sim.sim.operation import Operation

CANCELED_MESSAGE = "canceled; devices stopped"
PREEMPTED_MESSAGE = "preempted by a newer goal"


@dataclass(frozen=True)
class StepProcedure:
    """One device step: its procedure (called with the goal fields as keywords) and its
    result values from the procedure's result. The devices it holds: STEP_DEVICES."""

    procedure: Callable[..., Operation]
    values: Callable[[Any], dict[str, Any]]


STEPS: dict[str, StepProcedure] = {
    "move_arm": StepProcedure(
        procedures.move_arm,
        lambda r: {
            "joint_positions": [float(v) for v in r.joint_positions],
            "planning_time_s": float(r.planning_time_s),
        },
    ),
    "retrieve_tube": StepProcedure(procedures.retrieve_tube, lambda r: {"tube_id": r.tube_id}),
    "transfer_tube_to_bit": StepProcedure(
        procedures.transfer_tube_to_bit,
        lambda r: {"tube_id": r.tube_id, "bit_slot": r.location.index},
    ),
    "core_sample": StepProcedure(
        procedures.core_sample,
        lambda r: {
            "bit_slot": r.bit_slot,
            "contact_travel_m": float(r.contact_travel_m),
            "peak_drag_n": float(r.peak_drag_n),
        },
    ),
    "receive_tube_from_bit": StepProcedure(
        procedures.receive_tube_from_bit, lambda r: {"tube_id": r.tube_id}
    ),
    "assess_volume": StepProcedure(
        procedures.assess_volume,
        lambda r: {
            "contact_detected": r.contact,
            "sample_height_m": float(r.sample_height_m),
            "probe_travel_m": float(r.travel_m),
        },
    ),
    "capture_image": StepProcedure(
        procedures.capture_image,
        lambda r: {"rim_dust_estimate": float(r.rim_dust_estimate)},
    ),
    "dispense_seal": StepProcedure(
        procedures.dispense_seal,
        lambda r: {
            "dispenser": r.dispenser,
            "seal_present": r.seal_present,
            "peak_force_n": float(r.peak_force_n),
            "release_limit_n": float(r.release_limit_n),
        },
    ),
    "activate_seal": StepProcedure(
        procedures.activate_seal,
        lambda r: {
            "hermetic": r.hermetic,
            "peak_force_n": float(r.peak_force_n),
            "stroke_m": float(r.stroke_m),
        },
    ),
    "sweep_bore": StepProcedure(
        procedures.sweep_bore,
        lambda r: {
            "sweeps_done": r.sweeps_done,
            "rim_dust_after": float(r.rim_dust),
            "bore_dust_after": float(r.bore_dust),
            "predicted_insertion_force_n": float(r.predicted_insertion_force_n),
        },
    ),
    "store_tube": StepProcedure(
        procedures.store_tube,
        lambda r: {"tube_id": r.tube_id, "slot": r.location.index},
    ),
    "clear_debris": StepProcedure(
        procedures.clear_debris,
        lambda r: {
            "bit_slot": r.bit_slot,
            "pebbles_removed": r.pebbles_removed,
            "core_dumped": r.core_dumped,
            "contact_travel_m": float(r.contact_travel_m),
        },
    ),
    "drop_tube": StepProcedure(
        procedures.drop_tube, lambda r: {"dropped": True, "landed_on_end": r.landed_on_end}
    ),
}


def start(aca: Aca, action: str, goal: Mapping[str, Any]) -> Operation:
    """The operation of a device step for goal fields (the action's goal field names);
    StepError INVALID_GOAL for an unknown action or field (raised when the operation runs,
    like every precondition)."""
    if action not in STEPS:
        return _failing(StepError(Code.INVALID_GOAL, f"no device step {action!r}"))
    try:
        return STEPS[action].procedure(aca, **goal)
    except TypeError as error:  # a goal field the procedure does not take
        return _failing(StepError(Code.INVALID_GOAL, f"{action}: {error}"))


def _failing(error: StepError) -> Operation:
    raise error
    yield  # a generator: the error is raised when it runs


def outcome(
    action: str,
    status: StepStatus,
    value: Any = None,
    error: StepError | None = None,
    duration_s: float = 0.0,
    preempted: bool = False,
) -> StepOutcome:
    """How a run of a step ended (SUCCEEDED with its procedure's value, FAILED with its
    StepError, or CANCELED) as a StepOutcome with all of the action's result values (a
    failure keeps the measurements its error carries, e.g. a stuck seal's force)."""
    values = dict(RESULT_VALUES[action])
    if status == StepStatus.SUCCEEDED:
        values.update(STEPS[action].values(value))
        return StepOutcome(action, Code.NONE, "", duration_s, values)
    if status == StepStatus.CANCELED:
        code, message = (
            (Code.PREEMPTED, PREEMPTED_MESSAGE) if preempted else (Code.CANCELED, CANCELED_MESSAGE)
        )
        return StepOutcome(action, code, message, duration_s, values)
    assert error is not None, "an aborted step has its error"
    for name, measured in error.measurements.items():
        if isinstance(values.get(name), float):
            values[name] = float(measured)
    return StepOutcome(action, error.code, error.message, duration_s, values)
