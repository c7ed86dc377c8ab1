"""Station tools coast where nothing is near (sim.tool_coast): the volume probe's descent into
the bore, the drill bit's way down at drop-off and every tool's way home. Coasted against full
physics: volume assessment gives the same probe result (contact; travel and height within a
micrometre) and sim time in a small fraction of the steps; the drop-off the same first drag
(on the seat, or early on pebbles) and code."""

import pytest

from aca_sim.model.config import load_model_config, with_fidelity
from aca_sim.sim import procedures as steps
from aca_sim.sim.aca import Aca
from aca_sim.sim.errors import StepError

SEED = 7
TOOL_PHASES = ("probe", "retract_probe")
# full physics drives the rod a little off the motor law (0.18 um over 79 mm, measured):
TRAVEL_TOLERANCE_M = 1e-6


def _assessed(fidelity: str, description: dict) -> dict:
    aca = Aca.create(config=with_fidelity(load_model_config(), fidelity), seed=SEED)
    try:
        aca.restore(description)
        physics = {phase: 0 for phase in TOOL_PHASES}

        def on_feedback(feedback) -> None:  # a look after every yield: count full steps
            if feedback.phase in physics and aca.world.coast is None:
                physics[feedback.phase] += 1

        start = aca.time_s
        result = aca.run(steps.assess_volume(aca), on_feedback)
        return {"result": result, "sim_s": aca.time_s - start, "physics": physics}
    finally:
        aca.close()


def test_a_coasted_volume_probe_finds_what_full_physics_finds(cored_snapshot):
    full, fast = (_assessed(fidelity, cored_snapshot) for fidelity in ("full", "fast"))
    assert full["result"].contact and fast["result"].contact
    for field in ("travel_m", "depth_m", "sample_height_m"):
        assert getattr(fast["result"], field) == pytest.approx(
            getattr(full["result"], field), abs=TRAVEL_TOLERANCE_M
        )
    assert fast["sim_s"] == pytest.approx(full["sim_s"], abs=0.01)
    for phase in TOOL_PHASES:  # thousands of steps on full physics, a few dozen coasted
        assert full["physics"][phase] > 1000
        assert fast["physics"][phase] < 0.1 * full["physics"][phase]


def _dropped_off(fidelity: str, pebbles: int) -> dict:
    """A coring's drop-off, nominal (pebbles 0) or onto pebbles: the travel at first drag."""
    aca = Aca.create(config=with_fidelity(load_model_config(), fidelity), seed=SEED)
    try:
        if pebbles:
            aca.faults.arm("carousel_debris", pebbles)
        aca.run(steps.retrieve_tube(aca, 2))
        aca.run(steps.transfer_tube_to_bit(aca))
        coasted = aca.world.coasted_steps
        try:
            result = aca.run(steps.core_sample(aca))
            travel, code = result.contact_travel_m, "NONE"
        except StepError as error:
            travel, code = error.measurements["contact_travel_m"], error.code
        return {"travel": travel, "code": code, "coasted": aca.world.coasted_steps - coasted}
    finally:
        aca.close()


@pytest.mark.parametrize("pebbles", [0, 4], ids=["nominal", "on pebbles"])
def test_a_coasted_drop_off_meets_the_seat_or_the_pebbles_where_full_physics_does(pebbles):
    full, fast = (_dropped_off(fidelity, pebbles) for fidelity in ("full", "fast"))
    assert full["code"] == fast["code"] == ("EARLY_DRAG" if pebbles else "NONE")
    assert fast["travel"] == pytest.approx(full["travel"], abs=TRAVEL_TOLERANCE_M)
    assert full["coasted"] == 0 and fast["coasted"] > 2000  # the bit's 13 cm way down
