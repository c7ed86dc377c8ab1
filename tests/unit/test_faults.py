"""Documented faults reproduced by the physics: Mageik dust, Roubion empty tube, Issole pebbles."""

import itertools

import numpy as np
import pytest

from aca_sim.model.kinds import Contents, SealState
from aca_sim.sim import procedures as steps
from aca_sim.sim.aca import Aca
from aca_sim.sim.errors import StepError

MAGEIK_RIM_DUST = 0.95


def test_dusty_rim_keeps_the_seal_in_its_dispenser_and_the_tube_intact(cored_aca):
    aca, world = cored_aca, cored_aca.world
    tube_id = world.held_tube
    world.update_tube(tube_id, rim_dust=MAGEIK_RIM_DUST)
    carousel = aca.devices.seal_carousel
    seal_id = carousel.seal_id(1)
    with pytest.raises(StepError) as failure:
        aca.run(steps.dispense_seal(aca, dispenser=1))
    error = failure.value
    assert error.code == "SEAL_NOT_RELEASED"
    limit = aca.config.seal_carousel.release_limit_n
    assert error.measurements["peak_force_n"] == pytest.approx(limit, rel=0.05)
    # The seal body is still at the dispenser, the dispenser count is unchanged ...
    seal_pos = world.holds.seal_position(seal_id)
    assert np.allclose(seal_pos, carousel.seal_pose(1)[0], atol=1e-6)
    assert world.dispensers[1].seals_remaining == aca.config.seal_carousel.seals_per_dispenser
    # ... and the tube is still held, unsealed, with its sample, back at the transit height.
    tube = world.tubes[tube_id]
    assert (world.held_tube, tube.seal_state, tube.contents) == (
        tube_id,
        SealState.NONE,
        Contents.ROCK_CORE,
    )
    assert not carousel.seal_sensor(tube_id)
    z = world.mech.joint_position("sha_z")
    assert z == pytest.approx(aca.config.sha.transit_z_m, abs=1e-3)


def test_bore_sweeps_lower_the_force_until_a_mageik_like_seal_goes_in(cored_aca):
    aca, world = cored_aca, cored_aca.world
    tube_id = world.held_tube
    world.update_tube(tube_id, rim_dust=MAGEIK_RIM_DUST)
    forces, sweeps = [], 0
    while True:
        try:
            result = aca.run(steps.dispense_seal(aca, dispenser=2))
            forces.append(result.peak_force_n)
            break
        except StepError as error:
            assert error.code == "SEAL_NOT_RELEASED"
        predicted = []
        for _ in range(5):
            sweep = aca.run(steps.sweep_bore(aca, 1))
            predicted.append(sweep.predicted_insertion_force_n)
            sweeps += 1
        assert predicted == sorted(predicted, reverse=True), (
            "each sweep lowers the insertion force"
        )
        forces.append(predicted[-1])
        assert sweeps <= 60
    assert sweeps > 19, "the rover needed more than 19 sweeps for Mageik"
    assert forces[-1] < aca.config.seal_carousel.release_limit_n
    assert world.tubes[tube_id].seal_state == SealState.INSERTED
    assert world.tubes[tube_id].bore_dust > 0.3  # the dust went deeper into the bore


def test_empty_core_reads_as_empty(aca):
    aca.faults.arm("empty_core")
    aca.run(steps.retrieve_tube(aca, 2))
    aca.run(steps.transfer_tube_to_bit(aca))
    aca.run(steps.core_sample(aca))
    aca.run(steps.receive_tube_from_bit(aca))
    probe = aca.run(steps.assess_volume(aca))
    assert (probe.contact, probe.sample_height_m) == (False, 0.0)
    assert probe.travel_m == pytest.approx(aca.config.volume_probe.travel_m, abs=1e-3)


def test_pebbles_give_drag_a_centimetre_early_and_halt_caching(aca):
    aca.faults.arm("carousel_debris", 4)
    aca.run(steps.retrieve_tube(aca, 2))
    aca.run(steps.transfer_tube_to_bit(aca))
    with pytest.raises(StepError) as failure:
        aca.run(steps.core_sample(aca))
    assert failure.value.code == "EARLY_DRAG"
    travel = failure.value.measurements["contact_travel_m"]
    nominal = aca.config.bit_carousel.dropoff_contact_travel_m
    assert nominal - travel == pytest.approx(
        2 * aca.config.bit_carousel.pebble_radius_m, abs=0.003
    )
    assert aca.world.caching_halted
    with pytest.raises(StepError) as refused:
        aca.run(steps.receive_tube_from_bit(aca))
    assert refused.value.code == "CAROUSEL_HALTED"

    # The ground's recovery (Issole, January 2022): dump the core, shed the pebbles with a
    # turn of the carousel and back, redo the drop-off; then caching goes on.
    tube = aca.world.bit_slots[1].tube_id or next(
        s.tube_id for s in aca.world.bit_slots.values() if s.tube_id
    )
    started = aca.world.time_s
    cleared = aca.run(steps.clear_debris(aca, dump_core=True))
    assert (cleared.pebbles_removed, cleared.core_dumped) == (4, True)
    assert cleared.contact_travel_m == pytest.approx(nominal, abs=0.002)
    assert aca.world.time_s - started > aca.config.bit_carousel.dump_percussion_s
    assert not aca.world.caching_halted and not aca.world.holds.pebbles
    assert all(s.debris_count == 0 for s in aca.world.bit_slots.values())
    emptied = aca.world.tubes[tube]
    assert (emptied.contents.value, emptied.sample_height_m) == ("empty", 0.0)
    with pytest.raises(StepError) as nothing:
        aca.run(steps.clear_debris(aca))
    assert nothing.value.code == "NOTHING_TO_CLEAR"
    assert aca.run(steps.receive_tube_from_bit(aca)).tube_id == tube
    aca.run(steps.store_tube(aca))
    aca.run(steps.retrieve_tube(aca, 3))
    aca.run(steps.transfer_tube_to_bit(aca))
    cored = aca.run(steps.core_sample(aca))
    assert not cored.early_drag


def test_unknown_fault_is_refused_with_its_name():
    aca = Aca.create(seed=1)
    try:
        with pytest.raises(StepError, match="unknown fault 'gremlins'"):
            aca.faults.arm("gremlins")
        with pytest.raises(StepError, match=r"rim_dust value must be in 0\.\.1"):
            aca.faults.arm("rim_dust", 1.5)
        assert aca.faults.pending == {}
    finally:
        aca.close()


def test_a_press_meets_the_rim_then_ramps_its_force_on_a_stiff_grasp(cored_aca):
    """The dispense press: a guarded rise that stops at press_contact_n, then a force that
    ramps from contact no faster than the press rate, the fork barely moving over the tube
    (the grasp is ~140 N/mm, not the 27 N/mm of a light tube on the fork), and an unload
    that gives the press back in a fraction of a second."""
    aca, world = cored_aca, cored_aca.world
    sha, cfg = aca.devices.sha, aca.config.seal_carousel
    tube_id = world.held_tube
    seen: dict[str, list[tuple[float, float]]] = {"seat": [], "press": [], "unload": []}

    def record(feedback) -> None:
        if feedback.phase in seen:
            seen[feedback.phase].append((feedback.force_n, world.mech.joint_position("sha_z")))

    result = aca.run(steps.dispense_seal(aca, dispenser=3), record)
    assert result.seal_present
    assert result.peak_force_n == result.insertion_force_needed_n  # it gave way there
    press = seen["press"]
    forces = [force for force, _ in press]
    assert cfg.press_contact_n <= forces[0] < 20.0  # the ramp starts at contact
    assert all(b > a for a, b in itertools.pairwise(forces))
    rate = (forces[-1] - forces[0]) / ((len(forces) - 1) * world.dt)
    stretch = press[-1][1] - press[0][1]  # the fork's rise while the rim stands on the face
    print(
        f"press: {len(forces)} steps, {forces[0]:.1f} -> {forces[-1]:.1f} N at {rate:.0f} N/s,"
        f" fork {1e3 * stretch:.3f} mm, unload {len(seen['unload'])} steps"
    )
    assert 300.0 < rate <= cfg.press_force_rate_npm
    assert stretch < forces[-1] / 100.0 * 1e-3  # stiffer than 100 N/mm
    assert 0 < len(seen["unload"]) < 0.5 / world.dt
    assert world.tubes[tube_id].seal_state == SealState.INSERTED
    assert sha.joint_positions().z == pytest.approx(aca.config.sha.transit_z_m, abs=1e-3)


def test_the_brush_turns_in_the_bore_without_pushing_the_tube_off_its_axis(cored_aca):
    """The brush's core clears the bore (its bristles reach the wall): a sweep leaves the
    held tube on the brush's axis and touches it nowhere."""
    aca, world = cored_aca, cored_aca.world
    tube_id = world.held_tube
    axis = np.array(aca.config.bore_sweep_tool.xy_m)
    brush = world.mech.link_pair("bst_brush")
    offsets, touches = [], 0

    def record(feedback) -> None:
        nonlocal touches
        if feedback.phase == "sweep":
            offsets.append(np.hypot(*(world.holds.tube_rim_position(tube_id)[:2] - axis)))
            touches += len(
                world.p.getContactPoints(
                    bodyA=world.holds.tube_body(tube_id), bodyB=brush[0], linkIndexB=brush[1]
                )
            )

    result = aca.run(steps.sweep_bore(aca, 2), record)
    assert result.sweeps_done == 2
    assert offsets and max(offsets) < 5e-5
    assert touches == 0
