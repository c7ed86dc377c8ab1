"""A wait whose world stands still leaps to its end (sim.rest_coast): fast against full physics
for a wait at rest and for a wait that starts while the bit carousel still turns."""

import numpy as np
import pytest

from aca_sim.model.config import load_model_config, with_fidelity
from aca_sim.sim.aca import Aca
from aca_sim.sim.bit_carousel import Port
from aca_sim.sim.rest_coast import CHECK_EVERY, wait, world_state

SEED = 7
# a standstill is a change under STILL (1e-10) a step; over a wait that is far below this:
STATE_TOLERANCE = 1e-8  # m, rad, m/s, rad/s


def _waited(fidelity: str, description: dict, turn_first: bool) -> dict:
    aca = Aca.create(config=with_fidelity(load_model_config(), fidelity), seed=SEED)
    try:
        aca.restore(description)
        if turn_first:  # the carousel still turning when the wait begins
            carousel = aca.devices.bit_carousel
            target = carousel.joint_angle_for(3, Port.DRILL)
            aca.world.mech.command_joint(
                "bit_carousel_rot", "position", target, carousel.cfg.velocity_radps,
                carousel.cfg.effort_nm,
            )  # fmt: skip
        start, coasted = aca.time_s, aca.world.coasted_steps
        aca.run(wait(aca.world, 30.0, "coring"))
        return {
            "state": world_state(aca.world),
            "sim_s": aca.time_s - start,
            "physics_steps": round((aca.time_s - start) / aca.dt)
            - (aca.world.coasted_steps - coasted),
            "coast_left": aca.world.coast,
            "carousel": aca.world.mech.joint_position("bit_carousel_rot"),
        }
    finally:
        aca.close()


@pytest.mark.parametrize("turn_first", [False, True], ids=["at rest", "carousel turning"])
def test_a_wait_leaps_once_the_world_stands_still_and_ends_where_full_physics_does(
    cored_snapshot, turn_first
):
    full, fast = (_waited(f, cored_snapshot, turn_first) for f in ("full", "fast"))
    assert fast["sim_s"] == full["sim_s"] == pytest.approx(30.0)
    assert full["physics_steps"] == 7200
    assert fast["coast_left"] is None, "the wait's rest coast ends with it"
    assert np.max(np.abs(fast["state"] - full["state"])) <= STATE_TOLERANCE
    if turn_first:  # the turn (about 2 s at 0.5 rad/s) is stepped, the standstill leapt
        assert fast["carousel"] == pytest.approx(full["carousel"], abs=1e-9)
        assert 240 < fast["physics_steps"] < 2400
    else:  # a restored world settles for some steps (156 measured), then stands still
        assert CHECK_EVERY < fast["physics_steps"] < 0.05 * full["physics_steps"]
