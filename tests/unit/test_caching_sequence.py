"""A scripted sequence through the device models caches one tube end to end."""

import numpy as np
import pytest

from aca_sim.model.kinds import Contents, SealState
from aca_sim.sim import procedures as steps


def test_one_tube_is_cored_sealed_and_stored(aca):
    world, holds = aca.world, aca.world.holds
    aca.run(steps.retrieve_tube(aca, 5))
    tube_id = world.held_tube
    assert str(world.tubes[tube_id].location) == "sha"
    aca.run(steps.transfer_tube_to_bit(aca))
    coring = aca.run(steps.core_sample(aca))
    assert not coring.early_drag
    assert coring.contact_travel_m == pytest.approx(
        aca.config.bit_carousel.dropoff_contact_travel_m, abs=0.002
    )
    aca.run(steps.receive_tube_from_bit(aca))
    tube = world.tubes[tube_id]
    assert tube.contents == Contents.ROCK_CORE

    probe = aca.run(steps.assess_volume(aca))
    column = aca.config.tube.bore_depth_m - tube.core_top_depth_m  # what a probe can see
    assert probe.contact and probe.sample_height_m == pytest.approx(column, abs=0.002)

    capture = aca.run(steps.capture_image(aca))
    assert [(f.focus, f.rgb.shape) for f in capture.frames] == [
        ("rim", (480, 640, 3)),
        ("sample", (480, 640, 3)),
    ]
    assert capture.rim_dust_estimate == pytest.approx(tube.rim_dust, abs=0.06)

    dispense = aca.run(steps.dispense_seal(aca))
    expected = aca.config.dust.insertion_force_n(tube.rim_dust)
    assert dispense.seal_present and dispense.peak_force_n == pytest.approx(expected, rel=0.05)
    assert (
        world.dispensers[dispense.dispenser].seals_remaining
        == aca.config.seal_carousel.seals_per_dispenser - 1
    )

    activation = aca.run(steps.activate_seal(aca))
    assert (
        activation.hermetic
        and activation.peak_force_n >= aca.config.sealing_station.activation_force_n
    )
    aca.run(steps.store_tube(aca))

    tube = world.tubes[tube_id]
    assert (str(tube.location), tube.seal_state) == ("slot_05", SealState.ACTIVATED)
    assert world.held_tube == 0
    # The tube body hangs in its slot, and the seal body sits inside its bore, flush.
    slot_pos, _ = world.slot_tube_pose(5)
    assert np.allclose(holds.tube_pose(tube_id)[0], slot_pos, atol=1e-6)
    rim = holds.tube_rim_position(tube_id)
    seal_origin = holds.seal_position(tube.seal_id)
    assert np.hypot(*(seal_origin - rim)[:2]) < 5e-4
    assert seal_origin[2] - rim[2] == pytest.approx(-aca.config.seal.plug_length_m, abs=5e-4)
    assert aca.devices.seal_carousel.seal_sensor(tube_id)
