"""Station tools coast where nothing is near (sim.tool_coast): the volume probe's descent into
the bore, the drill bit's way down at drop-off (tests/unit/test_carousel_coast.py) and every
tool's way home. Volume assessment coasted against full physics: the same probe result
(contact; travel and height within a micrometre) and sim time, and a small fraction of the
steps."""

import pytest

from aca_sim.model.config import load_model_config, with_fidelity
from aca_sim.sim import procedures as steps
from aca_sim.sim.aca import Aca

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
