"""Sequences in the documented order and the onboard fault responses."""

import pytest

from aca_sim.caching.fault_protection import after_failure, after_volume
from aca_sim.caching.sequences import plan
from aca_sim.model.codes import Code
from aca_sim.model.kinds import Catalogue, EmptyTubePolicy, SampleKind
from aca_sim.model.steps import Step


def actions(kind):
    return [step.action for step in plan(kind, slot=5, dispenser=2)]


def test_rock_core_follows_the_documented_order():
    assert actions(SampleKind.ROCK_CORE) == [
        "retrieve_tube",
        "transfer_tube_to_bit",
        "core_sample",
        "receive_tube_from_bit",
        "assess_volume",
        "capture_image",
        "dispense_seal",
        "activate_seal",
        "store_tube",
    ]
    steps = plan(SampleKind.REGOLITH, slot=5, dispenser=2)
    assert steps[0] == Step("retrieve_tube", {"slot": 5})
    assert steps[2].goal["contents"] == "regolith" and steps[6].goal == {"dispenser": 2}


def test_atmospheric_witness_and_depot_sequences():
    assert actions(SampleKind.ATMOSPHERIC) == [
        "retrieve_tube",
        "move_arm",
        "assess_volume",
        "capture_image",
        "dispense_seal",
        "activate_seal",
        "store_tube",
    ]
    assert actions(SampleKind.WITNESS) == [
        "retrieve_tube",
        "move_arm",
        "dispense_seal",
        "activate_seal",
        "capture_image",
        "store_tube",
    ]
    assert actions(SampleKind.DEPOT_DROP) == ["retrieve_tube", "capture_image", "drop_tube"]


def test_stuck_seal_stores_the_tube_unsealed_and_waits():
    response = after_failure("dispense_seal", Code.SEAL_NOT_RELEASED, holding_tube=True)
    assert response.replace_remaining == (Step("store_tube", {"slot": 0}),)
    assert response.await_ground and response.error_code == "SEAL_NOT_RELEASED"


def test_early_drag_halts_everything():
    response = after_failure("core_sample", Code.EARLY_DRAG, holding_tube=False)
    assert response.replace_remaining == () and response.await_ground
    assert response.error_code == "EARLY_DRAG"


def test_other_failures_stop_safe_with_the_tube_stored():
    held = after_failure("activate_seal", Code.ACTIVATION_FAILED, holding_tube=True)
    assert (
        held.replace_remaining == (Step("store_tube", {"slot": 0}),)
        and held.error_code == "STEP_FAILED"
    )
    assert "ACTIVATION_FAILED" in held.reason
    assert after_failure("store_tube", Code.TIMEOUT, holding_tube=True).replace_remaining == ()


@pytest.mark.parametrize(
    ("policy", "remaining", "code", "catalogue"),
    [
        (EmptyTubePolicy.SEAL_AS_ATMOSPHERIC, None, Code.NONE, Catalogue.ATMOSPHERIC),
        (EmptyTubePolicy.HOLD_UNSEALED, (Step("store_tube", {"slot": 0}),), "EMPTY_TUBE", ""),
        (EmptyTubePolicy.ABORT, (Step("store_tube", {"slot": 0}),), "EMPTY_TUBE", ""),
    ],
)
def test_empty_tube_follows_its_policy(policy, remaining, code, catalogue):
    response = after_volume(contact=False, policy=policy)
    assert (response.replace_remaining, response.error_code, response.catalogue_as) == (
        remaining,
        code,
        catalogue,
    )
    assert after_volume(contact=True, policy=policy).replace_remaining is None
