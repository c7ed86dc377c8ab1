"""A coring coasted against full physics (sim.carousel_coast, sim.tool_coast): the carousel's
turns with the tube latched in its bit, and the drill bit's way down at drop-off. Nominal: the
carousel angle and the tube where full physics leaves them, the same drag travel. On pebbles
(Issole): the same early drag and code, and the recovery's shedding turns on full physics
(pebbles lie on the seat), the same pebbles shed."""

import numpy as np
import pytest

from aca_sim.model.config import load_model_config, with_fidelity
from aca_sim.sim import procedures as steps
from aca_sim.sim.aca import Aca
from aca_sim.sim.errors import StepError

SEED = 7
ANGLE_TOLERANCE_RAD = 2e-4  # a turn ends within this of its target either way
POSE_TOLERANCE_M = 5e-5  # the tube rides with the carousel: that angle at its radius
TRAVEL_TOLERANCE_M = 1e-6  # full physics drives a tool a little off the motor law
TURNS = ("rotate_bit_carousel", "shed_pebbles")


def _cored(fidelity: str, pebbles: int) -> dict:
    aca = Aca.create(config=with_fidelity(load_model_config(), fidelity), seed=SEED)
    try:
        if pebbles:
            aca.faults.arm("carousel_debris", pebbles)
        aca.run(steps.retrieve_tube(aca, 2))
        aca.run(steps.transfer_tube_to_bit(aca))
        tube_id = next(s.tube_id for s in aca.world.bit_slots.values() if s.tube_id)
        turned = {phase: [0, 0] for phase in TURNS}  # yields [on full physics, coasting]

        def on_feedback(feedback) -> None:
            if feedback.phase in turned:
                turned[feedback.phase][aca.world.coast is not None] += 1

        removed = None
        try:
            result = aca.run(steps.core_sample(aca), on_feedback)
            travel, code = result.contact_travel_m, "NONE"
        except StepError as error:
            travel, code = error.measurements["contact_travel_m"], error.code
            removed = aca.run(steps.clear_debris(aca, dump_core=False), on_feedback)
            removed = removed.pebbles_removed
        return {
            "travel": travel,
            "code": code,
            "angle": aca.world.mech.joint_position("bit_carousel_rot"),
            "tube": np.array(aca.world.holds.tube_pose(tube_id)[0]),
            "turned": turned,
            "removed": removed,
        }
    finally:
        aca.close()


@pytest.mark.parametrize("pebbles", [0, 4], ids=["nominal", "on pebbles"])
def test_a_coasted_coring_turns_and_drops_off_where_full_physics_does(pebbles):
    full, fast = (_cored(fidelity, pebbles) for fidelity in ("full", "fast"))
    assert full["code"] == fast["code"] == ("EARLY_DRAG" if pebbles else "NONE")
    assert fast["travel"] == pytest.approx(full["travel"], abs=TRAVEL_TOLERANCE_M)
    assert fast["angle"] == pytest.approx(full["angle"], abs=ANGLE_TOLERANCE_RAD)
    assert np.max(np.abs(fast["tube"] - full["tube"])) <= POSE_TOLERANCE_M
    full_turn, fast_turn = (
        full["turned"]["rotate_bit_carousel"],
        fast["turned"]["rotate_bit_carousel"],
    )
    assert full_turn[1] == 0 and full_turn[0] > 1000
    assert fast_turn[1] > 0 and fast_turn[0] < 0.1 * full_turn[0]
    if pebbles:
        assert full["removed"] == fast["removed"] == pebbles
        shed = fast["turned"]["shed_pebbles"]
        assert shed[1] == 0 and shed[0] > 100, "pebbles aboard: no coast"
