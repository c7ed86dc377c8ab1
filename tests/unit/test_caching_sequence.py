"""A scripted sequence through the device models caches one tube end to end."""

import numpy as np
import pytest

from aca_sim.sim import procedures as steps
from aca_sim.sim.state import Contents, SealState


def test_one_tube_is_cored_sealed_and_stored(world):
    world.run(steps.retrieve_tube(world, 5))
    tube_id = world.held_tube
    assert world.tubes[tube_id].location == "sha"
    world.run(steps.transfer_tube_to_bit(world))
    coring = world.run(steps.core_sample(world))
    assert not coring.early_drag
    assert coring.contact_travel_m == pytest.approx(
        world.config.bit_carousel.dropoff_contact_travel_m, abs=0.002
    )
    world.run(steps.receive_tube_from_bit(world))
    tube = world.tubes[tube_id]
    assert tube.contents == Contents.ROCK_CORE

    probe = world.run(steps.assess_volume(world))
    column = world.config.tube.bore_depth_m - tube.core_top_depth_m  # what a probe can see
    assert probe.contact and probe.sample_height_m == pytest.approx(column, abs=0.002)

    image = world.run(steps.capture_image(world))
    assert image.rgb.shape == (480, 640, 3)

    dispense = world.run(steps.dispense_seal(world))
    expected = world.config.dust.insertion_force_n(tube.rim_dust)
    assert dispense.seal_present and dispense.peak_force_n == pytest.approx(expected, rel=0.05)
    assert (
        world.dispensers[dispense.dispenser].seals_remaining
        == world.config.seal_carousel.seals_per_dispenser - 1
    )

    activation = world.run(steps.activate_seal(world))
    assert (
        activation.hermetic
        and activation.peak_force_n >= world.config.sealing_station.activation_force_n
    )
    world.run(steps.store_tube(world))

    tube = world.tubes[tube_id]
    assert (tube.location, tube.seal_state) == ("slot_05", SealState.ACTIVATED)
    assert world.held_tube == 0
    # The tube body hangs in its slot, and the seal body sits inside its bore, flush.
    slot_pos, _ = world.slot_tube_pose(5)
    assert np.allclose(world.tube_pose(tube_id)[0], slot_pos, atol=1e-6)
    rim = world.tube_rim_position(tube_id)
    seal_origin = np.array(
        world.p.getBasePositionAndOrientation(world.seal_bodies[tube.seal_id])[0]
    )
    assert np.hypot(*(seal_origin - rim)[:2]) < 5e-4
    assert seal_origin[2] - rim[2] == pytest.approx(-world.config.seal.plug_length_m, abs=5e-4)
    assert world.devices.seal_carousel.seal_sensor(tube_id)
