"""What a sequence's steps come to: the running summary stored with the sequence, how each
step's outcome folds into it (with the fault responses), and what the operator is shown."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from aca_sim.caching.fault_protection import Response, after_failure, after_volume
from aca_sim.model.codes import Code
from aca_sim.model.kinds import Catalogue, EmptyTubePolicy
from aca_sim.model.records import HardwareState
from aca_sim.model.steps import StepOutcome

# The result values kept with every step in the history (when the action's result has them).
MEASURED_FIELDS = (
    "peak_force_n",
    "sample_height_m",
    "contact_travel_m",
    "peak_drag_n",
    "rim_dust_estimate",
    "sweeps_done",
    "rim_dust_after",
)
# What a result says, for the sequence feedback's last_measurement.
_TEXTS: dict[str, Callable[[StepOutcome], str]] = {
    "core_sample": lambda o: (
        f"drop-off contact {o.value('contact_travel_m') * 100:.1f} cm, "
        f"drag {o.value('peak_drag_n'):.0f} N"
    ),
    "assess_volume": lambda o: (
        f"sample height {o.value('sample_height_m') * 100:.2f} cm"
        if o.value("contact_detected", False)
        else "empty"
    ),
    "capture_image": lambda o: f"rim dust ~{o.value('rim_dust_estimate'):.2f}",
    "dispense_seal": lambda o: f"insertion force {o.value('peak_force_n'):.1f} N",
    "activate_seal": lambda o: (
        f"ram {o.value('peak_force_n'):.0f} N, hermetic={o.value('hermetic', False)}"
    ),
}


@dataclass
class RunSummary:
    """What a run of steps came to so far; sim times in s. Stored with the sequence."""

    code: Code = Code.NONE
    message: str = ""
    tube_id: int = 0
    sample_height_m: float = 0.0
    awaiting_ground: bool = False
    catalogue: Catalogue = Catalogue.NONE
    sweeps_done: int = 0
    peak_force_n: float = 0.0
    sealed: bool = False
    landed_on_end: bool = False  # a depot drop: the tube stands on its end
    start_s: float | None = None
    end_s: float = 0.0
    duration_s: float = 0.0

    def as_state(self) -> dict[str, Any]:
        """The JSON-able form stored with the sequence."""
        return {**asdict(self), "code": self.code.value, "catalogue": self.catalogue.value}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> RunSummary:
        """The summary of an as_state() form."""
        return cls(
            **{
                **state,
                "code": Code(state.get("code", "NONE")),
                "catalogue": Catalogue(state.get("catalogue", "")),
            }
        )


def fold(
    summary: RunSummary,
    outcome: StepOutcome,
    hardware: HardwareState,
    empty_policy: EmptyTubePolicy,
) -> Response | None:
    """Fold a step's outcome (and the hardware after it) into the summary; return the fault
    response the sequence must apply (None: carry on with the plan)."""
    if summary.start_s is None:
        summary.start_s = hardware.sim_time_s - outcome.duration_s
    response = None
    if not outcome.succeeded:
        response = after_failure(outcome.action, outcome.code, hardware.held_tube_id != 0)
    elif outcome.action == "retrieve_tube":
        summary.tube_id = int(outcome.value("tube_id", 0))
    elif outcome.action == "assess_volume":
        summary.sample_height_m = float(outcome.value("sample_height_m"))
        response = after_volume(bool(outcome.value("contact_detected", False)), empty_policy)
    elif outcome.action == "sweep_bore":
        summary.sweeps_done += int(outcome.value("sweeps_done", 0))
    elif outcome.action == "drop_tube":
        summary.landed_on_end = bool(outcome.value("landed_on_end", False))
    if outcome.action == "dispense_seal":
        summary.peak_force_n = float(outcome.value("peak_force_n"))
    if response is not None:
        summary.catalogue = response.catalogue_as or summary.catalogue
        if response.error_code != Code.NONE:
            summary.code = response.error_code
            summary.message = f"{response.reason} ({outcome.message})"
        summary.awaiting_ground = summary.awaiting_ground or response.await_ground
    return response


def measurement_text(outcome: StepOutcome) -> str:
    """The step's measurement as the operator reads it ("" when it has none). A stuck seal's
    force is the measurement that matters most (Mageik): shown either way."""
    text = _TEXTS.get(outcome.action)
    shown = outcome.succeeded or outcome.action == "dispense_seal"
    return text(outcome) if shown and text else ""


def measurement(outcome: StepOutcome) -> dict[str, float]:
    """The values kept with the step in the history (and its sim duration), floats."""
    kept = {
        name: float(outcome.values[name]) for name in MEASURED_FIELDS if name in outcome.values
    }
    return {**kept, "duration_s": float(outcome.duration_s)}
