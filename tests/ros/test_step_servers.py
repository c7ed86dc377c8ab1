"""The sim node's action servers over real DDS: nominal paths, feedback, cancel, goal policy,
bad goals and the dusty-seal fault. Every assertion checks the world afterwards."""

import time

import pytest
from aca_client import WAIT_S
from aca_interfaces.action import (
    ActivateSeal,
    AssessVolume,
    CaptureImage,
    CoreSample,
    DispenseSeal,
    DropTube,
    MoveArm,
    ReceiveTubeFromBit,
    RetrieveTube,
    StoreTube,
    SweepBore,
    TransferTubeToBit,
)
from action_msgs.msg import GoalStatus

from aca_sim.ros.blocking import cancel_goal
from conftest import start_sim

SUCCEEDED, ABORTED, CANCELED = (
    GoalStatus.STATUS_SUCCEEDED,
    GoalStatus.STATUS_ABORTED,
    GoalStatus.STATUS_CANCELED,
)


def ok(run):
    assert run.status == SUCCEEDED, f"{run.result.error_code}: {run.result.error_msg}"
    progress = [f.progress for f in run.feedback]
    assert progress == sorted(progress), "feedback progress must be monotone"
    assert all(0.0 <= p <= 1.0 for p in progress)
    return run.result


def failed(run, code):
    assert run.status == ABORTED
    assert run.result.error_code == code, run.result.error_msg
    assert run.result.error_msg
    return run.result


def core_a_tube(client, slot):
    tube_id = ok(client.send(RetrieveTube, "retrieve_tube", slot=slot)).tube_id
    bit = ok(client.send(TransferTubeToBit, "transfer_tube_to_bit", bit_slot=0)).bit_slot
    ok(client.send(CoreSample, "core_sample", bit_slot=bit, kind=CoreSample.Goal.KIND_ROCK_CORE))
    ok(client.send(ReceiveTubeFromBit, "receive_tube_from_bit", bit_slot=bit))
    return tube_id


def test_every_step_on_its_nominal_path(aca):
    client, sim = aca
    transit = sim.model.sha.transit_z_m

    moved = ok(client.send(MoveArm, "move_arm", station="station_cachecam", engage=False))
    expected = sim.aca.devices.sha.station_joints(
        sim.aca.stations["station_cachecam"], transit + 0.16
    )
    assert moved.joint_positions == pytest.approx(list(expected), abs=1e-3)

    retrieved = client.send(RetrieveTube, "retrieve_tube", slot=4)
    tube_id = ok(retrieved).tube_id
    assert retrieved.feedback and retrieved.result.duration_s > 10.0
    state = client.state()
    assert state.held_tube_id == tube_id == 204
    assert state.joint_positions[0] == pytest.approx(transit, abs=1e-3)
    assert client.tube(tube_id).location == "sha"

    transfer = ok(client.send(TransferTubeToBit, "transfer_tube_to_bit", bit_slot=0))
    assert client.tube(tube_id).location == f"bit_{transfer.bit_slot}"
    assert client.state().held_tube_id == 0
    coring = client.send(
        CoreSample, "core_sample", bit_slot=0, kind=CoreSample.Goal.KIND_ROCK_CORE
    )
    assert ok(coring).contact_travel_m == pytest.approx(0.131, abs=0.002)
    assert any(f.drag_n > 0 for f in coring.feedback)
    ok(client.send(ReceiveTubeFromBit, "receive_tube_from_bit", bit_slot=transfer.bit_slot))
    assert client.tube(tube_id).contents == "rock_core"

    volume = ok(client.send(AssessVolume, "assess_volume", tube_id=tube_id))
    assert volume.contact_detected and 0.02 < volume.sample_height_m < 0.09
    image = ok(client.send(CaptureImage, "capture_image", tube_id=tube_id)).image
    assert (image.width, image.height, image.encoding) == (640, 480, "rgb8")
    assert len(image.data) == 640 * 480 * 3

    dispense = ok(client.send(DispenseSeal, "dispense_seal", tube_id=tube_id, dispenser=0))
    assert dispense.seal_present and dispense.peak_force_n < dispense.release_limit_n
    seals = {d.dispenser_id: d.seals_remaining for d in client.state().dispensers}
    assert seals[dispense.dispenser] == sim.model.seal_carousel.seals_per_dispenser - 1
    assert ok(client.send(ActivateSeal, "activate_seal", tube_id=tube_id)).hermetic
    assert client.tube(tube_id).seal_state == 2
    before = client.state().state_hash
    again = client.send(DispenseSeal, "dispense_seal", tube_id=tube_id, dispenser=0)
    failed(again, DispenseSeal.Result.TUBE_ALREADY_SEALED)
    assert client.state().state_hash == before

    stored = ok(client.send(StoreTube, "store_tube", slot=0))
    assert (stored.slot, client.tube(tube_id).location) == (4, "slot_04")

    ok(client.send(RetrieveTube, "retrieve_tube", slot=4))
    dropped = ok(client.send(DropTube, "drop_tube", tube_id=tube_id, allow_unsealed=False))
    assert dropped.dropped and client.tube(tube_id).location == "ground"
    empty = client.send(RetrieveTube, "retrieve_tube", slot=4)
    failed(empty, RetrieveTube.Result.SLOT_EMPTY)


def test_bore_sweep_reports_less_rim_dust(aca):
    client, _ = aca
    tube_id = core_a_tube(client, slot=2)
    dust_before = client.tube(tube_id).rim_dust
    sweep = client.send(SweepBore, "sweep_bore", tube_id=tube_id, sweeps=3)
    result = ok(sweep)
    assert result.sweeps_done == 3 and result.rim_dust_after < dust_before
    assert client.tube(tube_id).rim_dust == pytest.approx(result.rim_dust_after, abs=1e-6)


def test_cancel_mid_goal_stops_the_arm(aca):
    client, sim = aca
    start = client.state().joint_positions[:3]
    run = client.start(MoveArm, "move_arm", station="station_sealing", engage=True)
    assert run.accepted

    def moving():
        return any(f.phase == "transit" and f.progress > 0.15 for f in run.feedback)

    deadline = time.monotonic() + 30
    while not moving() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert moving(), "no transit feedback before cancel"
    cancel = cancel_goal(client.node, run.handle, WAIT_S)
    assert len(cancel.goals_canceling) == 1
    client.finish(run)
    assert run.status == CANCELED and run.result.error_code == MoveArm.Result.CANCELED
    stopped = client.state().joint_positions[:3]
    goal = sim.aca.devices.sha.station_joints(sim.aca.stations["station_sealing"])
    assert stopped != pytest.approx(list(goal), abs=1e-3), "the arm must stop short of the goal"
    assert stopped != pytest.approx(list(start), abs=1e-6), "the arm had started moving"
    commands = sim.runner.call(
        lambda aca: {j: aca.world.mech.commands[j] for j in ("sha_z", "sha_shoulder", "sha_elbow")}
    ).result(5)
    for name, value in zip(("sha_z", "sha_shoulder", "sha_elbow"), stopped, strict=True):
        assert commands[name].target == pytest.approx(value, abs=2e-3), (
            f"{name} holds where it stopped"
        )
    ok(client.send(RetrieveTube, "retrieve_tube", slot=1))  # and the arm still works


def test_goal_while_busy_is_rejected_and_move_arm_preempts(aca):
    client, _ = aca
    running = client.start(RetrieveTube, "retrieve_tube", slot=5)
    assert running.accepted
    refused = client.start(StoreTube, "store_tube", slot=0)
    assert not refused.accepted, "the SHA is busy: the goal must be rejected"
    ok(client.finish(running))

    first = client.start(MoveArm, "move_arm", station="station_bst", engage=False)
    second = client.start(MoveArm, "move_arm", station="pose_stow", engage=False)
    assert first.accepted and second.accepted
    failed(client.finish(first), MoveArm.Result.PREEMPTED)
    ok(client.finish(second))


def test_bad_goals_get_their_codes_and_change_nothing(aca):
    client, sim = aca
    ok(client.send(RetrieveTube, "retrieve_tube", slot=6))

    def set_dispenser_empty(aca):
        while aca.world.dispensers[3].seals_remaining:
            aca.world.take_seal(3)

    sim.runner.call(set_dispenser_empty).result(5)
    cases = [
        (RetrieveTube, "retrieve_tube", {"slot": 0}, RetrieveTube.Result.INVALID_GOAL),
        (RetrieveTube, "retrieve_tube", {"slot": 7}, RetrieveTube.Result.GRIPPER_OCCUPIED),
        (StoreTube, "store_tube", {"slot": 7}, StoreTube.Result.SLOT_OCCUPIED),
        (StoreTube, "store_tube", {"slot": 99}, StoreTube.Result.INVALID_GOAL),
        (DispenseSeal, "dispense_seal", {"dispenser": 8}, DispenseSeal.Result.INVALID_GOAL),
        (DispenseSeal, "dispense_seal", {"dispenser": 3}, DispenseSeal.Result.DISPENSER_EMPTY),
        (DispenseSeal, "dispense_seal", {"tube_id": 999}, DispenseSeal.Result.WRONG_TUBE),
        (ActivateSeal, "activate_seal", {}, ActivateSeal.Result.NO_SEAL_IN_TUBE),
        (SweepBore, "sweep_bore", {"sweeps": 0}, SweepBore.Result.INVALID_GOAL),
        (DropTube, "drop_tube", {}, DropTube.Result.TUBE_NOT_SEALED),
        (
            TransferTubeToBit,
            "transfer_tube_to_bit",
            {"bit_slot": 1},
            TransferTubeToBit.Result.BIT_NOT_SAMPLING,
        ),
        (
            ReceiveTubeFromBit,
            "receive_tube_from_bit",
            {"bit_slot": 4},
            ReceiveTubeFromBit.Result.NO_TUBE_IN_BIT,
        ),
        (CoreSample, "core_sample", {"bit_slot": 4, "kind": 1}, CoreSample.Result.NO_TUBE_IN_BIT),
        (MoveArm, "move_arm", {"station": "station_moon"}, MoveArm.Result.UNKNOWN_STATION),
        (MoveArm, "move_arm", {"joint_positions": [0.3, 0.0, 0.0]}, MoveArm.Result.OUT_OF_LIMITS),
    ]
    before = client.state().state_hash
    for action, name, goal, code in cases:
        failed(client.send(action, name, **goal), code)
        assert client.state().state_hash == before, f"{name} {goal} changed the world"
    ok(client.send(StoreTube, "store_tube", slot=0))
    failed(client.send(StoreTube, "store_tube", slot=0), StoreTube.Result.NO_TUBE_HELD)


def test_dusty_tube_keeps_its_seal_in_the_dispenser_and_stays_held(aca):
    client, sim = aca
    assert client.inject("rim_dust", 0.95).success
    tube_id = core_a_tube(client, slot=9)
    seals_before = {d.dispenser_id: d.seals_remaining for d in client.state().dispensers}
    run = client.send(DispenseSeal, "dispense_seal", tube_id=tube_id, dispenser=2)
    result = failed(run, DispenseSeal.Result.SEAL_NOT_RELEASED)
    assert "stayed in dispenser 2" in result.error_msg
    limit = sim.model.seal_carousel.release_limit_n
    assert limit <= result.peak_force_n < limit * 1.1, "the failed result carries the force"
    assert max(f.measured_force_n for f in run.feedback) == pytest.approx(
        sim.model.seal_carousel.release_limit_n, rel=0.1
    )
    state = client.state()
    assert state.held_tube_id == tube_id
    assert client.tube(tube_id).seal_state == 0
    assert {d.dispenser_id: d.seals_remaining for d in state.dispensers} == seals_before
    assert state.joint_positions[0] == pytest.approx(sim.model.sha.transit_z_m, abs=1e-3)


def test_unknown_fault_is_refused_by_name(aca):
    client, _ = aca
    response = client.inject("gremlins")
    assert not response.success and "gremlins" in response.message


def run_fixed_sequence(context, seed):
    sim, client, spinner = start_sim(context, seed)
    try:
        durations, values = [], []
        for action, name, goal in [
            (RetrieveTube, "retrieve_tube", {"slot": 11}),
            (TransferTubeToBit, "transfer_tube_to_bit", {"bit_slot": 0}),
            (CoreSample, "core_sample", {"bit_slot": 0, "kind": 1}),
            (ReceiveTubeFromBit, "receive_tube_from_bit", {"bit_slot": 0}),
            (AssessVolume, "assess_volume", {"tube_id": 0}),
        ]:
            result = ok(client.send(action, name, **goal))
            durations.append(result.duration_s)
            values.append(getattr(result, "sample_height_m", getattr(result, "tube_id", None)))
        return durations, values, client.state().state_hash
    finally:
        spinner.stop()
        sim.destroy_node()
        client.node.destroy_node()


def test_same_seed_and_goals_give_the_same_results_and_sim_durations(ros_context):
    first = run_fixed_sequence(ros_context, seed=21)
    second = run_fixed_sequence(ros_context, seed=21)
    assert first == second
