"""Device steps: what a sequence asks a device to do, and what came of it.

A Step names a device action and its goal fields (the names of the action's goal fields, plain
JSON-able values, so a plan can be stored). A StepOutcome is the device's answer in domain
terms: its code (NONE = success), message, sim-time duration and result values keyed by the
action's result field names. The ROS adapters and the in-process driver both produce them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aca_sim.model.codes import Code

MAX_SWEEPS = 100  # bore sweeps one sweep_bore goal (1..) or one sequence goal (0..) may ask
DEVICE_STEPS = (
    "move_arm",
    "retrieve_tube",
    "transfer_tube_to_bit",
    "core_sample",
    "receive_tube_from_bit",
    "assess_volume",
    "capture_image",
    "dispense_seal",
    "activate_seal",
    "sweep_bore",
    "store_tube",
    "drop_tube",
    "clear_debris",
)

DEVICES = ("sha", "seal_carousel", "bit_carousel")
_SHA = frozenset({"sha"})
# The devices each step holds while it runs (the sim's goal policy rejects a goal while
# another goal holds one of them); a sequence (cache_sample, recover_seal) uses them all.
STEP_DEVICES: dict[str, frozenset[str]] = {
    "move_arm": _SHA,
    "retrieve_tube": _SHA,
    "transfer_tube_to_bit": frozenset({"sha", "bit_carousel"}),
    "core_sample": frozenset({"bit_carousel"}),
    "receive_tube_from_bit": frozenset({"sha", "bit_carousel"}),
    "assess_volume": _SHA,
    "capture_image": _SHA,
    "dispense_seal": frozenset({"sha", "seal_carousel"}),
    "activate_seal": _SHA,
    "sweep_bore": _SHA,
    "store_tube": _SHA,
    "drop_tube": _SHA,
    "clear_debris": frozenset({"bit_carousel"}),
    "cache_sample": frozenset(DEVICES),
    "recover_seal": frozenset(DEVICES),
}


@dataclass(frozen=True)
class Step:
    """One device action of a sequence and its goal fields."""

    action: str
    goal: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The JSON-able form stored with a sequence's plan."""
        return {"action": self.action, "goal": dict(self.goal)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Step:
        """The step of an as_dict() form."""
        return cls(str(data["action"]), dict(data.get("goal", {})))


@dataclass(frozen=True)
class StepOutcome:
    """How a device step ended. code NONE = succeeded; CANCELED = canceled on request."""

    action: str
    code: Code
    message: str = ""
    duration_s: float = 0.0
    values: Mapping[str, Any] = field(default_factory=dict)

    @property
    def succeeded(self) -> bool:
        return self.code == Code.NONE

    @property
    def canceled(self) -> bool:
        return self.code == Code.CANCELED

    def value(self, name: str, default: Any = 0.0) -> Any:
        """A result value by its result field name."""
        return self.values.get(name, default)


# The result values of each device step: the action's result fields other than error_code,
# error_msg, duration_s (and message-typed ones such as an image), with their defaults.
# tests/unit/test_error_codes.py checks them against the .action files.
RESULT_VALUES: dict[str, dict[str, Any]] = {
    "move_arm": {"joint_positions": [], "planning_time_s": 0.0},
    "retrieve_tube": {"tube_id": 0},
    "transfer_tube_to_bit": {"bit_slot": 0, "tube_id": 0},
    "core_sample": {"bit_slot": 0, "contact_travel_m": 0.0, "peak_drag_n": 0.0},
    "receive_tube_from_bit": {"tube_id": 0},
    "assess_volume": {"contact_detected": False, "sample_height_m": 0.0, "probe_travel_m": 0.0},
    "capture_image": {"rim_dust_estimate": 0.0},
    "dispense_seal": {
        "dispenser": 0,
        "seal_present": False,
        "peak_force_n": 0.0,
        "release_limit_n": 0.0,
    },
    "activate_seal": {"hermetic": False, "peak_force_n": 0.0, "stroke_m": 0.0},
    "sweep_bore": {
        "sweeps_done": 0,
        "rim_dust_after": 0.0,
        "bore_dust_after": 0.0,
        "predicted_insertion_force_n": 0.0,
    },
    "store_tube": {"slot": 0, "tube_id": 0},
    "drop_tube": {"dropped": False, "landed_on_end": False},
    "clear_debris": {
        "bit_slot": 0,
        "pebbles_removed": 0,
        "core_dumped": False,
        "contact_travel_m": 0.0,
    },
}
