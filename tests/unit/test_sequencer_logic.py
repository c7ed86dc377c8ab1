"""The caching sequence logic without ROS or physics: tube choice, plans, the result fold,
fault responses, cancel, and resuming after the process died mid-step."""

import pytest
from fake_devices import FakeHardware, FakePort

from aca_sim.caching.inventory import Inventory
from aca_sim.caching.selection import next_slot, tube_for_step
from aca_sim.caching.sequence_types import CacheRequest, RecoverRequest
from aca_sim.caching.sequencer import Sequencer
from aca_sim.caching.sequences import recovery_plan
from aca_sim.caching.summary import RunSummary, fold, measurement, measurement_text
from aca_sim.campaign.headless import run_sync
from aca_sim.model.codes import Code
from aca_sim.model.kinds import Catalogue, Contents, EmptyTubePolicy, SampleKind, SealState
from aca_sim.model.locations import GRIPPER, Location
from aca_sim.model.records import HardwareState
from aca_sim.model.steps import RESULT_VALUES, Step, StepOutcome


@pytest.fixture
def hardware():
    return FakeHardware()


@pytest.fixture
def inventory(tmp_path):
    inv = Inventory(tmp_path / "inventory.db")
    yield inv
    inv.close()


def cache(sequencer, kind=SampleKind.ROCK_CORE, name="Montdenier", **options):
    feedback = []
    canceled = options.pop("canceled", lambda: False)
    request = CacheRequest(kind, name, **options)
    result = run_sync(sequencer.cache_sample(request, feedback.append, canceled))
    return result, feedback


def matches_hardware(inventory, hardware):
    records = inventory.tubes()
    for tube in hardware.tubes.values():
        record = records[tube.tube_id]
        assert (record.location, record.contents, record.seal_state) == (
            tube.location,
            tube.contents,
            tube.seal_state,
        ), tube.tube_id
    assert inventory.seals() == hardware.seals and inventory.open_step() is None


# ---------------------------------------------------------------------- pure pieces
def test_tube_selection_takes_the_first_suitable_tube_of_the_right_kind(hardware):
    tubes = dict(hardware.tubes)
    assert next_slot(SampleKind.ROCK_CORE, tubes.values()) == 1
    assert next_slot(SampleKind.WITNESS, tubes.values()) == 39
    assert next_slot(SampleKind.DEPOT_DROP, tubes.values()) == 0
    from dataclasses import replace

    tubes[201] = replace(tubes[201], seal_state=SealState.ACTIVATED)
    tubes[202] = replace(tubes[202], catalogued_kind=Catalogue.ROCK_CORE)
    tubes[203] = replace(tubes[203], location=GRIPPER)
    assert next_slot(SampleKind.ROCK_CORE, tubes.values()) == 4
    assert next_slot(SampleKind.DEPOT_DROP, tubes.values()) == 1


def test_a_step_works_on_the_held_tube_or_the_one_in_its_slot_or_in_a_bit(hardware):
    state = hardware.state()
    assert tube_for_step(Step("retrieve_tube", {"slot": 7}), state) == 207
    assert tube_for_step(Step("core_sample", {"bit_slot": 0}), state) == 0
    hardware.perform(Step("retrieve_tube", {"slot": 3}))
    assert tube_for_step(Step("assess_volume"), hardware.state()) == 203
    hardware.perform(Step("transfer_tube_to_bit"))
    assert tube_for_step(Step("core_sample", {"bit_slot": 0}), hardware.state()) == 203


def test_the_recovery_plan_sweeps_only_when_asked_and_images_the_rim_around_the_sweeps():
    assert [s.action for s in recovery_plan(3, 12, 2)] == [
        "retrieve_tube",
        "capture_image",
        "sweep_bore",
        "capture_image",
        "dispense_seal",
        "activate_seal",
        "store_tube",
    ]
    later_round = [s.action for s in recovery_plan(3, 12, 2, image_before=False)]
    assert later_round[:3] == ["retrieve_tube", "sweep_bore", "capture_image"]
    assert recovery_plan(3, 0)[0] == Step("retrieve_tube", {"slot": 3})
    assert [s.action for s in recovery_plan(3, 0)] == [
        "retrieve_tube",
        "dispense_seal",
        "activate_seal",
        "store_tube",
    ]


def outcome(action, code=Code.NONE, message="", **values):
    return StepOutcome(action, code, message, 5.0, {**RESULT_VALUES[action], **values})


def test_the_fold_records_the_sample_and_applies_the_fault_responses():
    summary = RunSummary()
    state = HardwareState(100.0, 201, {}, {})
    assert fold(summary, outcome("retrieve_tube", tube_id=201), state, "x") is None
    assert (summary.tube_id, summary.start_s) == (201, 95.0)
    empty = fold(summary, outcome("assess_volume"), state, EmptyTubePolicy.SEAL_AS_ATMOSPHERIC)
    assert empty.catalogue_as == Catalogue.ATMOSPHERIC and summary.code == Code.NONE
    stuck = outcome("dispense_seal", Code.SEAL_NOT_RELEASED, "stuck", peak_force_n=151.0)
    response = fold(summary, stuck, state, EmptyTubePolicy.SEAL_AS_ATMOSPHERIC)
    assert response.replace_remaining == (Step("store_tube", {"slot": 0}),)
    assert summary.code == Code.SEAL_NOT_RELEASED and summary.awaiting_ground
    assert summary.message.endswith("(stuck)") and summary.peak_force_n == 151.0
    assert measurement_text(stuck) == "insertion force 151.0 N"
    assert measurement(stuck) == {"peak_force_n": 151.0, "duration_s": 5.0}
    assert RunSummary.from_state(summary.as_state()) == summary


# ---------------------------------------------------------------------- whole sequences
def test_a_rock_core_is_cached_catalogued_and_matches_the_hardware(hardware, inventory):
    sequencer = Sequencer(inventory, FakePort(hardware), log=lambda _: None)
    result, feedback = cache(sequencer)
    assert result.code == Code.NONE and result.sealed and result.tube_id == 201
    assert result.catalogued_kind == Catalogue.ROCK_CORE and result.sample_height_m == 0.05
    assert result.duration_s == 90.0  # nine fake steps of 10 s
    assert [f.progress for f in feedback] == sorted(f.progress for f in feedback)
    assert inventory.tube(201).sample_name == "Montdenier"
    assert inventory.tube(201).catalogued_kind == Catalogue.ROCK_CORE
    matches_hardware(inventory, hardware)
    witness, _ = cache(sequencer, SampleKind.WITNESS, "Witness 1")
    assert (witness.tube_id, witness.catalogued_kind) == (239, Catalogue.WITNESS)


def test_an_empty_core_is_sealed_as_atmospheric_or_held_by_policy(hardware, inventory):
    sequencer = Sequencer(inventory, FakePort(hardware), log=lambda _: None)
    hardware.next_core = Contents.EMPTY
    result, _ = cache(sequencer, name="Roubion")
    assert (result.code, result.catalogued_kind, result.sealed) == (
        Code.NONE,
        Catalogue.ATMOSPHERIC,
        True,
    )
    result, _ = cache(sequencer, name="Held", empty_policy=EmptyTubePolicy.HOLD_UNSEALED)
    assert result.code == Code.EMPTY_TUBE and result.awaiting_ground and not result.sealed
    assert hardware.tubes[202].location == Location.storage(2)
    matches_hardware(inventory, hardware)


def test_a_stuck_seal_stores_the_tube_unsealed_and_recovery_seals_it(hardware, inventory):
    sequencer = Sequencer(inventory, FakePort(hardware), log=lambda _: None)
    hardware.rim_dust = 0.95
    result, _ = cache(sequencer, name="Mageik")
    assert result.code == Code.SEAL_NOT_RELEASED and result.awaiting_ground
    assert hardware.tubes[201].location == Location.storage(1) and not result.sealed
    rounds = []
    while True:
        request = RecoverRequest(201, 6)
        rounds.append(run_sync(sequencer.recover_seal(request)))
        if rounds[-1].code == Code.NONE:
            break
        assert rounds[-1].code == Code.SEAL_NOT_RELEASED and len(rounds) < 5
    assert rounds[-1].sealed and rounds[-1].catalogued_kind == Catalogue.ROCK_CORE
    # The rim imaged at caching, before the first sweep round and after every round, the
    # estimate falling (kept in the history for the run folder's captions).
    images = [
        (h.sim_time_s, h.measurement["rim_dust_estimate"])
        for h in inventory.history(201)
        if h.step == "capture_image" and h.event == "succeeded"
    ]
    assert len(images) == 2 + len(rounds)
    estimates = [dust for _, dust in images]
    assert estimates[0] == estimates[1] == 0.95
    assert estimates[1:] == sorted(estimates[1:], reverse=True) and estimates[-1] < 0.45
    assert inventory.tube(201).catalogued_kind == Catalogue.ROCK_CORE
    again = run_sync(sequencer.recover_seal(RecoverRequest(201, 1)))
    assert again.code == Code.TUBE_SEALED
    matches_hardware(inventory, hardware)


def test_bad_requests_are_refused_with_their_reason(hardware, inventory):
    sequencer = Sequencer(inventory, FakePort(hardware), log=lambda _: None)
    unknown = run_sync(sequencer.recover_seal(RecoverRequest(999, 1)))
    assert unknown.code == Code.INVALID_GOAL and "tube 999" in unknown.message
    too_many = run_sync(sequencer.recover_seal(RecoverRequest(201, 101)))
    assert too_many.code == Code.INVALID_GOAL and "101" in too_many.message
    for slot in range(39, 44):  # use up the witness tubes
        cache(sequencer, SampleKind.WITNESS, f"W{slot}")
    none_left, _ = cache(sequencer, SampleKind.WITNESS, "W44")
    assert none_left.code == Code.NO_TUBE_AVAILABLE


def test_cancel_during_a_step_closes_the_sequence_with_the_inventory_consistent(
    hardware, inventory
):
    asked = []
    port = FakePort(hardware, cancel_at="dispense_seal")
    sequencer = Sequencer(inventory, port, log=lambda _: None)
    port.on_cancel_point = lambda: (asked.append(True), sequencer.stop_step())
    result, _ = cache(sequencer, canceled=lambda: bool(asked))
    assert result.code == Code.CANCELED and "canceled during dispense_seal" in result.message
    assert "holding tube 201" in result.message
    history = [h for h in inventory.history(201) if h.step != "catalogue"]
    assert [(h.step, h.event) for h in history[-2:]] == [
        ("dispense_seal", "started"),
        ("dispense_seal", "canceled"),
    ]
    assert inventory.running_sequence() is None
    matches_hardware(inventory, hardware)
    assert port.steps[-1] == "dispense_seal", "no step after the canceled one"
    refused, _ = cache(sequencer, SampleKind.WITNESS, "W")
    assert refused.code == Code.INVALID_GOAL and "holds tube 201" in refused.message
    assert inventory.tube(201).location == GRIPPER and port.steps[-1] == "dispense_seal"


def test_cancel_before_a_step_runs_nothing_more(hardware, inventory):
    sequencer = Sequencer(inventory, FakePort(hardware), log=lambda _: None)
    result, feedback = cache(sequencer, canceled=lambda: True)
    assert result.code == Code.CANCELED and "before retrieve_tube" in result.message
    assert feedback == [] and inventory.running_sequence() is None
    then, _ = cache(sequencer, SampleKind.WITNESS, "W")
    assert then.code == Code.NONE, "a new goal runs"


def test_a_step_cut_off_by_a_dying_process_is_settled_and_the_same_goal_resumes(
    hardware, inventory
):
    first = Sequencer(inventory, FakePort(hardware, lose_at="core_sample"), log=lambda _: None)
    lost, _ = cache(first, name="Bellegarde")
    assert lost.code == Code.STEP_FAILED and "stopped answering" in lost.message
    assert inventory.open_step().step == "core_sample"

    port = FakePort(hardware)  # the restarted process: a new sequencer on the same file
    second = Sequencer(inventory, port, log=lambda _: None)
    other, _ = cache(second, SampleKind.WITNESS, "W")
    assert other.code == Code.INVALID_GOAL and "send that goal again" in other.message
    resumed, feedback = cache(second, name="Bellegarde")
    assert resumed.code == Code.NONE and resumed.sealed
    assert feedback[0].step == "core_sample" and port.steps[0] == "receive_tube_from_bit"
    cored = [h.event for h in inventory.history(201) if h.step == "core_sample"]
    assert cored == ["started", "succeeded"], "the core was drilled once"
    matches_hardware(inventory, hardware)
