"""A records-only stand-in for the hardware: a DevicePort whose steps change tube and seal
records the way the simulator's do (no physics), for fast tests of the sequence logic."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from aca_sim.caching.sequence_types import HardwareLost
from aca_sim.model.codes import Code
from aca_sim.model.kinds import BitType, Contents, SealState, TubeKind
from aca_sim.model.locations import GRIPPER, GROUND, Location
from aca_sim.model.records import BitSlot, Dispenser, HardwareState, Tube
from aca_sim.model.steps import RESULT_VALUES, Step, StepOutcome

STEP_S = 10.0  # sim time of every fake step


class FakeHardware:
    """43 tubes (38 sample, 5 witness), 7 dispensers of 7 seals, nine bits (4..9 coring)."""

    def __init__(self) -> None:
        self.tubes = {
            200 + s: Tube(
                200 + s,
                TubeKind.SAMPLE if s <= 38 else TubeKind.WITNESS,
                s,
                Location.storage(s),
                Contents.EMPTY if s <= 38 else Contents.WITNESS_MEDIA,
            )
            for s in range(1, 44)
        }
        self.seals = {d: 7 for d in range(1, 8)}
        self.held = 0
        self.time_s = 0.0
        self.next_core = Contents.ROCK_CORE
        self.rim_dust = 0.0  # of the next core
        self.outcomes: dict[str, StepOutcome] = {}

    def state(self) -> HardwareState:
        in_bits = {t.location.index: t.tube_id for t in self.tubes.values() if t.location.in_bit}
        return HardwareState(
            self.time_s,
            self.held,
            dict(self.tubes),
            {d: Dispenser(d, n, 150.0) for d, n in self.seals.items()},
            {b: BitSlot(b, BitType.CORING, in_bits.get(b, 0)) for b in range(4, 10)},
        )

    def perform(self, step: Step) -> StepOutcome:
        """Do a step to the records; its outcome."""
        self.time_s += STEP_S
        action, goal, values = step.action, step.goal, dict(RESULT_VALUES[step.action])

        def failed(code: Code, message: str, **measured: float) -> StepOutcome:
            values.update(measured)
            return StepOutcome(action, code, message, STEP_S, values)

        held = self.tubes.get(self.held)
        if action == "retrieve_tube":
            where = Location.storage(goal["slot"])
            tube = next((t for t in self.tubes.values() if t.location == where), None)
            if tube is None:
                return failed(Code.SLOT_EMPTY, f"storage slot {goal['slot']} holds no tube")
            self._set(tube, location=GRIPPER)
            self.held, values["tube_id"] = tube.tube_id, tube.tube_id
        elif action == "transfer_tube_to_bit":
            self._set(held, location=Location.bit(4))
            self.held, values["tube_id"], values["bit_slot"] = 0, held.tube_id, 4
        elif action == "core_sample":
            tube = next(t for t in self.tubes.values() if t.location.in_bit)
            height = 0.05 if self.next_core != Contents.EMPTY else 0.0
            self._set(
                tube, contents=self.next_core, sample_height_m=height, rim_dust=self.rim_dust
            )
            values.update(bit_slot=4, contact_travel_m=0.131, peak_drag_n=40.0)
        elif action == "receive_tube_from_bit":
            tube = next(t for t in self.tubes.values() if t.location.in_bit)
            self._set(tube, location=GRIPPER)
            self.held, values["tube_id"] = tube.tube_id, tube.tube_id
        elif action == "assess_volume":
            values.update(
                contact_detected=held.contents != Contents.EMPTY,
                sample_height_m=held.sample_height_m,
            )
        elif action == "dispense_seal":
            dispenser = goal.get("dispenser") or min(d for d, n in self.seals.items() if n)
            force = 60.0 + 200.0 * held.rim_dust
            if force >= 150.0:
                return failed(Code.SEAL_NOT_RELEASED, "the seal stayed", peak_force_n=150.2)
            self.seals[dispenser] -= 1
            self._set(held, seal_state=SealState.INSERTED)
            values.update(dispenser=dispenser, seal_present=True, peak_force_n=force)
        elif action == "activate_seal":
            self._set(held, seal_state=SealState.ACTIVATED)
            values.update(hermetic=True, peak_force_n=400.0)
        elif action == "capture_image":
            values["rim_dust_estimate"] = held.rim_dust
        elif action == "sweep_bore":
            for _ in range(goal["sweeps"]):
                held = self._set(held, rim_dust=held.rim_dust * 0.9)
            values["sweeps_done"] = goal["sweeps"]
        elif action == "store_tube":
            slot = goal.get("slot") or held.home_slot
            self._set(held, location=Location.storage(slot))
            self.held, values["tube_id"], values["slot"] = 0, held.tube_id, slot
        elif action == "drop_tube":
            self._set(held, location=GROUND)
            self.held, values["dropped"] = 0, True
        return StepOutcome(action, Code.NONE, "", STEP_S, values)

    def _set(self, tube: Tube, **changes: object) -> Tube:
        self.tubes[tube.tube_id] = replace(tube, **changes)
        return self.tubes[tube.tube_id]


class FakePort:
    """A DevicePort on a FakeHardware. lose_at: the action whose goal the hardware takes and
    finishes but whose answer never comes (HardwareLost, as when the simulator dies);
    cancel_at: the action during which `on_cancel_point` runs (a cancel arriving); a step
    asked to stop ends CANCELED with its effect done (the device stopped at its end)."""

    def __init__(
        self,
        hardware: FakeHardware,
        lose_at: str = "",
        cancel_at: str = "",
        on_cancel_point: Callable[[], None] = lambda: None,
    ) -> None:
        self.hw, self.lose_at, self.cancel_at = hardware, lose_at, cancel_at
        self.on_cancel_point = on_cancel_point
        self.stop_asked = False
        self.steps: list[str] = []

    async def hardware(self) -> HardwareState:
        return self.hw.state()

    async def run_step(self, step: Step, goal_id: str) -> StepOutcome:
        self.steps.append(step.action)
        if step.action == self.cancel_at:
            self.on_cancel_point()
        outcome = self.hw.perform(step)
        if self.stop_asked:
            outcome = replace(outcome, code=Code.CANCELED, message="canceled; devices stopped")
        self.hw.outcomes[goal_id] = outcome
        if step.action == self.lose_at:
            raise HardwareLost("the simulator stopped answering (fake)")
        return outcome

    async def step_result(self, action: str, goal_id: str) -> StepOutcome | None:
        return self.hw.outcomes.get(goal_id)

    def cancel_step(self) -> None:
        self.stop_asked = True
