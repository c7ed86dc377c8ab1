"""Documented faults reproduced by the physics: Mageik dust, Roubion empty tube, Issole pebbles."""

from dataclasses import replace

import numpy as np
import pytest

from aca_sim.sim import procedures as steps
from aca_sim.sim.errors import StepError
from aca_sim.sim.state import Contents, SealState
from aca_sim.sim.world import AcaWorld

MAGEIK_RIM_DUST = 0.95


def dusty_core(world, dust):
    """Retrieve, core with a dusty rim, take the tube back; return its id."""
    world.inject_fault("rim_dust", dust)
    world.run(steps.retrieve_tube(world, 3))
    world.run(steps.transfer_tube_to_bit(world))
    world.run(steps.core_sample(world))
    world.run(steps.receive_tube_from_bit(world))
    return world.held_tube


def test_dusty_rim_keeps_the_seal_in_its_dispenser_and_the_tube_intact(cored_world):
    world = cored_world
    tube_id = world.held_tube
    world.set_tube(replace(world.tubes[tube_id], rim_dust=MAGEIK_RIM_DUST))
    carousel = world.devices.seal_carousel
    seal_id = carousel.seal_id(1)
    with pytest.raises(StepError) as failure:
        world.run(steps.dispense_seal(world, dispenser=1))
    error = failure.value
    assert error.code == "SEAL_NOT_RELEASED"
    limit = world.config.seal_carousel.release_limit_n
    assert error.measurements["peak_force_n"] == pytest.approx(limit, rel=0.05)
    # The seal body is still at the dispenser, the dispenser count is unchanged ...
    seal_pos = np.array(world.p.getBasePositionAndOrientation(world.seal_bodies[seal_id])[0])
    assert np.allclose(seal_pos, carousel.seal_pose(1)[0], atol=1e-6)
    assert world.dispensers[1].seals_remaining == world.config.seal_carousel.seals_per_dispenser
    # ... and the tube is still held, unsealed, with its sample, back at the transit height.
    tube = world.tubes[tube_id]
    assert (world.held_tube, tube.seal_state, tube.contents) == (
        tube_id,
        SealState.NONE,
        Contents.ROCK_CORE,
    )
    assert not carousel.seal_sensor(tube_id)
    assert world.joint_position("sha_z") == pytest.approx(world.config.sha.transit_z_m, abs=1e-3)


def test_bore_sweeps_lower_the_force_until_a_mageik_like_seal_goes_in(cored_world):
    world = cored_world
    tube_id = world.held_tube
    world.set_tube(replace(world.tubes[tube_id], rim_dust=MAGEIK_RIM_DUST))
    forces, sweeps = [], 0
    while True:
        try:
            result = world.run(steps.dispense_seal(world, dispenser=2))
            forces.append(result.peak_force_n)
            break
        except StepError as error:
            assert error.code == "SEAL_NOT_RELEASED"
        predicted = []
        for _ in range(5):
            sweep = world.run(steps.sweep_bore(world, 1))
            predicted.append(sweep.predicted_insertion_force_n)
            sweeps += 1
        assert predicted == sorted(predicted, reverse=True), (
            "each sweep lowers the insertion force"
        )
        forces.append(predicted[-1])
        assert sweeps <= 60
    assert sweeps > 19, "the rover needed more than 19 sweeps for Mageik"
    assert forces[-1] < world.config.seal_carousel.release_limit_n
    assert world.tubes[tube_id].seal_state == SealState.INSERTED
    assert world.tubes[tube_id].bore_dust > 0.3  # the dust went deeper into the bore


def test_empty_core_reads_as_empty(world):
    world.inject_fault("empty_core")
    world.run(steps.retrieve_tube(world, 2))
    world.run(steps.transfer_tube_to_bit(world))
    world.run(steps.core_sample(world))
    world.run(steps.receive_tube_from_bit(world))
    probe = world.run(steps.assess_volume(world))
    assert (probe.contact, probe.sample_height_m) == (False, 0.0)
    assert probe.travel_m == pytest.approx(world.config.volume_probe.travel_m, abs=1e-3)


def test_pebbles_give_drag_a_centimetre_early_and_halt_caching(world):
    world.inject_fault("carousel_debris", 4)
    world.run(steps.retrieve_tube(world, 2))
    world.run(steps.transfer_tube_to_bit(world))
    with pytest.raises(StepError) as failure:
        world.run(steps.core_sample(world))
    assert failure.value.code == "EARLY_DRAG"
    travel = failure.value.measurements["contact_travel_m"]
    nominal = world.config.bit_carousel.dropoff_contact_travel_m
    assert nominal - travel == pytest.approx(
        2 * world.config.bit_carousel.pebble_radius_m, abs=0.003
    )
    assert world.caching_halted
    with pytest.raises(StepError) as refused:
        world.run(steps.receive_tube_from_bit(world))
    assert refused.value.code == "CAROUSEL_HALTED"


def test_unknown_fault_is_refused_with_its_name():
    world = AcaWorld.create(seed=1)
    try:
        with pytest.raises(StepError, match="unknown fault 'gremlins'"):
            world.inject_fault("gremlins")
        with pytest.raises(StepError, match=r"rim_dust must be in 0\.\.1"):
            world.inject_fault("rim_dust", 1.5)
        assert world.pending_faults == {}
    finally:
        world.close()
