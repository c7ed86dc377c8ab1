"""Messages and the domain model convert both ways without losing anything the sequencer
uses, and sim time has one resolution on both sides (whole nanoseconds)."""

import pytest
from aca_interfaces.action import CacheSample, CoreSample, DispenseSeal
from aca_interfaces.srv import GetWorldState
from hypothesis import given
from hypothesis import strategies as st

from aca_sim.model.codes import Code
from aca_sim.model.kinds import BitType, Catalogue, Contents, SampleKind, SealState, TubeKind
from aca_sim.model.locations import Location
from aca_sim.model.records import BitSlot, Dispenser, HardwareState, Tube, whole_ns
from aca_sim.model.steps import Step, StepOutcome
from aca_sim.ros.conversions import (
    fill_result,
    goal_fields,
    goal_msg,
    hardware_of,
    outcome_of,
    seconds,
    sim_time,
    world_state_response,
)
from aca_sim.ros.step_client import GoalError, build_goal


@given(st.floats(min_value=0.0, max_value=1e6, allow_nan=False))
def test_sim_time_has_the_resolution_of_a_ros_stamp_on_both_sides(t):
    assert seconds(sim_time(t)) == whole_ns(t)
    assert whole_ns(whole_ns(t)) == whole_ns(t)


def test_the_hardware_state_survives_a_get_state_response():
    tube = Tube(
        203,
        TubeKind.SAMPLE,
        3,
        Location.bit(4),
        Contents.ROCK_CORE,
        0.061,
        0.01,
        0.95,
        0.2,
        SealState.INSERTED,
        105,
        sample_name="",
        catalogued_kind=Catalogue.NONE,
    )
    hardware = HardwareState(
        whole_ns(1234.5678),
        0,
        {203: tube},
        {1: Dispenser(1, 6, 150.0)},
        {4: BitSlot(4, BitType.CORING, 203, 0)},
        True,
        {"sha_z": 0.02, "sha_shoulder": -1.0},
        "abc",
    )
    assert hardware_of(world_state_response(hardware, GetWorldState.Response())) == hardware


def test_a_core_sample_step_names_the_contents_and_its_goal_the_kind_number():
    goal = goal_msg(Step("core_sample", {"bit_slot": 4, "contents": "regolith"}))
    assert (goal.bit_slot, goal.kind) == (4, CoreSample.Goal.KIND_REGOLITH)
    assert goal_fields("core_sample", goal) == {"bit_slot": 4, "contents": Contents.REGOLITH}
    unknown = goal_fields("core_sample", CoreSample.Goal(kind=9))
    assert unknown["contents"] == "kind 9", "refused by the procedure, naming the number"


def test_an_outcome_survives_its_result_message():
    outcome = StepOutcome(
        "dispense_seal",
        Code.SEAL_NOT_RELEASED,
        "stuck",
        94.3,
        {"dispenser": 2, "seal_present": False, "peak_force_n": 150.2, "release_limit_n": 150.0},
    )
    result = fill_result(DispenseSeal.Result(), outcome)
    assert result.error_code == DispenseSeal.Result.SEAL_NOT_RELEASED == 10
    assert outcome_of("dispense_seal", result) == outcome


def test_a_goal_built_from_fields_takes_an_enumerated_field_by_number_or_domain_name():
    fields = {"kind": SampleKind.REGOLITH, "empty_tube_policy": "abort"}
    by_name = build_goal("cache_sample", fields)
    assert (by_name.kind, by_name.empty_tube_policy) == (
        CacheSample.Goal.KIND_REGOLITH,
        CacheSample.Goal.EMPTY_ABORT,
    )
    assert build_goal("cache_sample", {"kind": 3}).kind == CacheSample.Goal.KIND_ATMOSPHERIC
    assert build_goal("core_sample", {"kind": "regolith"}).kind == CoreSample.Goal.KIND_REGOLITH
    with pytest.raises(GoalError) as refused:
        build_goal("cache_sample", {"kind": "basalt"})
    assert str(refused.value) == (
        "cache_sample.kind = 'basalt': not one of rock_core, regolith, atmospheric, witness, "
        "depot_drop"
    )
    with pytest.raises(GoalError, match=r"sweep_bore.sweeps = 'many': must be an integer"):
        build_goal("sweep_bore", {"sweeps": "many"})
