"""What goes into and comes out of a caching sequence, and how it reaches the hardware (the
DevicePort), in domain terms (no ROS)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from aca_sim.model.codes import Code
from aca_sim.model.kinds import Catalogue, EmptyTubePolicy, SampleKind
from aca_sim.model.records import HardwareState
from aca_sim.model.steps import Step, StepOutcome


class HardwareLost(RuntimeError):  # noqa: N818 - reads as the event it is
    """The simulator (or a device server) stopped answering."""


@dataclass(frozen=True)
class CacheRequest:
    """Cache one sample: its kind and name, the storage slot (0 = the next suitable tube),
    the dispenser (0 = the next with seals) and what to do with an empty tube."""

    kind: SampleKind
    sample_name: str
    slot: int = 0
    dispenser: int = 0
    empty_policy: EmptyTubePolicy = EmptyTubePolicy.SEAL_AS_ATMOSPHERIC


@dataclass(frozen=True)
class RecoverRequest:
    """Recover an unsealed tube: bore sweeps before the new seal attempt, the dispenser."""

    tube_id: int
    sweeps: int
    dispenser: int = 0


@dataclass(frozen=True)
class SequenceFeedback:
    """Where a sequence is: the current step (1-based index of step_count), progress 0..1
    over the whole sequence, and the last step's measurement as the operator reads it."""

    step: str
    step_index: int
    step_count: int
    progress: float
    last_measurement: str = ""


@dataclass(frozen=True)
class SequenceResult:
    """How a sequence ended (code NONE: as planned) and what it came to; sim time in s."""

    code: Code
    message: str = ""
    tube_id: int = 0
    sealed: bool = False
    sample_height_m: float = 0.0
    catalogued_kind: Catalogue = Catalogue.NONE
    awaiting_ground: bool = False
    sweeps_done: int = 0
    peak_force_n: float = 0.0
    duration_s: float = 0.0


class DevicePort(Protocol):
    """How the sequencer reaches the hardware. Raise HardwareLost when it stops answering."""

    async def hardware(self) -> HardwareState:
        """What the hardware shows now."""

    async def run_step(self, step: Step, goal_id: str) -> StepOutcome:
        """Run one device step under this goal id (hex) and return how it ended."""

    async def step_result(self, action: str, goal_id: str) -> StepOutcome | None:
        """The outcome of an earlier step by goal id (waiting for it to end); None when the
        device never had that goal."""

    def cancel_step(self) -> None:
        """Ask the device running the current step (if any) to stop."""
