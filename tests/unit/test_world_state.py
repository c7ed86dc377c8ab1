"""Determinism, snapshot/restore, bad goals that change nothing, and CacheCam images."""

import pytest

from aca_sim.sim import procedures as steps
from aca_sim.sim.aca import Aca
from aca_sim.sim.errors import StepError


def short_sequence(seed):
    aca = Aca.create(seed=seed)
    try:
        aca.run(steps.retrieve_tube(aca, 9))
        aca.run(steps.transfer_tube_to_bit(aca))
        aca.run(steps.core_sample(aca))
        return aca.state_hash(), aca.world.tubes[209].sample_height_m
    finally:
        aca.close()


def test_same_seed_gives_identical_state_hashes_and_another_seed_does_not():
    first, second, other = short_sequence(11), short_sequence(11), short_sequence(12)
    assert first == second
    assert first[0] != other[0] and first[1] != other[1]


def test_restore_returns_to_the_exact_snapshot(cored_aca):
    aca = cored_aca
    before = aca.state_hash()
    snapshot = aca.describe()
    aca.run(steps.sweep_bore(aca, 1))
    assert aca.state_hash() != before
    aca.restore(snapshot)
    assert aca.state_hash() == before


@pytest.mark.parametrize(
    ("operation", "code"),
    [
        (lambda w: steps.retrieve_tube(w, 44), "INVALID_GOAL"),
        (lambda w: steps.store_tube(w, 3), "NO_TUBE_HELD"),
        (lambda w: steps.dispense_seal(w, dispenser=8), "NO_TUBE_HELD"),
        (lambda w: steps.move_arm(w, station="station_nowhere"), "UNKNOWN_STATION"),
        (lambda w: steps.move_arm(w, joint_positions=(0.3, 0.0, 0.0)), "OUT_OF_LIMITS"),
        (lambda w: steps.receive_tube_from_bit(w, 2), "NO_TUBE_IN_BIT"),
    ],
)
def test_bad_goal_raises_its_code_and_changes_nothing(aca, operation, code):
    before = aca.state_hash()
    with pytest.raises(StepError) as failure:
        aca.run(operation(aca))
    assert failure.value.code == code
    assert aca.state_hash() == before


@pytest.mark.parametrize(
    ("operation", "code"),
    [
        (lambda w: steps.retrieve_tube(w, 2), "GRIPPER_OCCUPIED"),
        (lambda w: steps.dispense_seal(w, dispenser=9), "INVALID_GOAL"),
        (lambda w: steps.activate_seal(w), "NO_SEAL_IN_TUBE"),
        (lambda w: steps.store_tube(w, 2), "SLOT_OCCUPIED"),
        (lambda w: steps.sweep_bore(w, 0), "INVALID_GOAL"),
        (lambda w: steps.assess_volume(w, tube_id=205), "WRONG_TUBE"),
        (lambda w: steps.drop_tube(w), "TUBE_NOT_SEALED"),
    ],
)
def test_bad_goal_with_a_held_tube_changes_nothing(cored_aca, operation, code):
    before = cored_aca.state_hash()
    with pytest.raises(StepError) as failure:
        cored_aca.run(operation(cored_aca))
    assert failure.value.code == code
    assert cored_aca.state_hash() == before
