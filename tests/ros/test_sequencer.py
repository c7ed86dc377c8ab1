"""The cache_sample sequencer over real DDS, with the SQLite inventory checked against the
hardware, and the documented fault responses (Roubion, Mageik)."""

import contextlib
import threading
import time

import pytest
from aca_client import AcaClient, assert_inventory_matches, wait_until
from aca_interfaces.action import (
    CacheSample,
    ClearDebris,
    CoreSample,
    DispenseSeal,
    ReceiveTubeFromBit,
    RecoverSeal,
    RetrieveTube,
    StoreTube,
)
from aca_interfaces.srv import Reconcile
from action_msgs.msg import GoalStatus
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import DurabilityPolicy, QoSProfile
from visualization_msgs.msg import MarkerArray

from aca_sim.caching.inventory import Inventory
from aca_sim.nodes.sequencer_node import SequencerNode
from aca_sim.nodes.sim_node import SimNode
from aca_sim.nodes.state_publisher_node import StatePublisherNode
from aca_sim.ros import blocking
from aca_sim.ros.blocking import cancel_goal
from aca_sim.ros.spinning import BackgroundSpinner
from aca_sim.ros.world_watch import WorldWatch
from aca_sim.teleop import menus


@pytest.fixture
def cell_with_sim(ros_context, tmp_path):
    """A sim node, a sequencer with an inventory file, and a client, spun together."""
    path = tmp_path / "inventory.db"
    sim = SimNode(context=ros_context, parameter_overrides=[Parameter("seed", value=4)])
    sequencer = SequencerNode(
        context=ros_context, parameter_overrides=[Parameter("inventory_path", value=str(path))]
    )
    client = AcaClient(Node("cell_client", context=ros_context))
    with BackgroundSpinner([sim, sequencer, client.node], context=ros_context):
        yield client, path, sim
    sequencer.destroy_node()
    sim.destroy_node()
    client.node.destroy_node()


@pytest.fixture
def cell(cell_with_sim):
    client, path, _sim = cell_with_sim
    return client, path


def cache(client, **goal):
    run = client.send(CacheSample, "cache_sample", **goal)
    return run, run.result


def inventory_matches_hardware(client, path):
    inventory = Inventory(path)
    try:
        assert_inventory_matches(inventory.tubes(), client.state().tubes)
        assert inventory.open_step() is None
        return inventory.history()
    finally:
        inventory.close()


def test_a_rock_core_is_cached_and_catalogued(cell, ros_context):
    client, path = cell
    publisher = StatePublisherNode(context=ros_context)
    labels = {}
    latched = QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL)
    client.node.create_subscription(
        MarkerArray,
        "/aca/markers",
        lambda m: labels.update({x.id: x.text for x in m.markers if x.ns == "tube_labels"}),
        latched,
    )
    extra = BackgroundSpinner([publisher], context=ros_context).start()
    run, result = cache(
        client, kind=CacheSample.Goal.KIND_ROCK_CORE, sample_name="Montdenier", slot=1
    )
    try:  # the sequencer's /aca/inventory names the sample on the tube's label
        deadline = time.monotonic() + 30
        while "Montdenier" not in labels.get(201, "") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert labels[201].startswith("201 Montdenier"), labels.get(201)
    finally:
        extra.stop()
        publisher.destroy_node()
    assert result.error_code == CacheSample.Result.NONE, result.error_msg
    assert (result.tube_id, result.sealed, result.catalogued_kind) == (201, True, "rock_core")
    assert 0.02 < result.sample_height_m < 0.09 and result.duration_s > 300
    steps = [f.step for f in run.feedback]
    assert steps[0] == "retrieve_tube" and steps[-1] == "store_tube"
    assert [f.progress for f in run.feedback] == sorted(f.progress for f in run.feedback)
    assert any("insertion force" in f.last_measurement for f in run.feedback)
    history = inventory_matches_hardware(client, path)
    events = [(h.step, h.event) for h in history if h.tube_id == 201]
    assert events[:2] == [("retrieve_tube", "started"), ("retrieve_tube", "succeeded")]
    assert ("store_tube", "succeeded") in events and events[-1] == ("catalogue", "succeeded")
    inventory = Inventory(path)
    assert inventory.tube(201).sample_name == "Montdenier" and inventory.tube(201).seal_state == 2
    inventory.close()


def test_an_empty_core_is_sealed_as_an_atmospheric_sample(cell):
    client, path = cell
    assert client.inject("empty_core").success
    _, result = cache(client, kind=CacheSample.Goal.KIND_ROCK_CORE, sample_name="Roubion", slot=2)
    assert result.error_code == CacheSample.Result.NONE, result.error_msg
    assert (result.sealed, result.catalogued_kind, result.sample_height_m) == (
        True,
        "atmospheric",
        0.0,
    )
    inventory_matches_hardware(client, path)


@pytest.mark.slow
def test_mageik_stuck_seal_then_ground_commanded_sweeps_seal_it(cell):
    client, path = cell
    assert client.inject("rim_dust", 0.95).success
    _, result = cache(client, kind=CacheSample.Goal.KIND_ROCK_CORE, sample_name="Mageik", slot=3)
    assert result.error_code == CacheSample.Result.SEAL_NOT_RELEASED
    assert "stored unsealed" in result.error_msg and "insertion force" in result.error_msg
    assert result.awaiting_ground and not result.sealed and result.catalogued_kind == ""
    assert client.tube(203).location == "slot_03" and client.tube(203).seal_state == 0
    history = inventory_matches_hardware(client, path)
    story = [
        (h.step, h.event, h.error_code)
        for h in history
        if h.tube_id == 203 and h.event != "started"
    ]
    assert ("dispense_seal", "failed", "SEAL_NOT_RELEASED") in story
    assert story.index(("dispense_seal", "failed", "SEAL_NOT_RELEASED")) < story.index(
        ("store_tube", "succeeded", "")
    )
    assert not any(step == "activate_seal" for step, _, _ in story)

    # Ground: sweep the bore and retry, round after round, as the Mageik team did.
    rounds, sweeps = [], 0
    while True:
        run = client.send(RecoverSeal, "recover_seal", tube_id=203, sweeps=12, dispenser=0)
        rounds.append(run.result)
        sweeps += run.result.sweeps_done
        if run.result.error_code == RecoverSeal.Result.NONE:
            break
        assert run.result.error_code == RecoverSeal.Result.SEAL_NOT_RELEASED, run.result.error_msg
        assert client.tube(203).location == "slot_03" and client.tube(203).seal_state == 0
        assert len(rounds) < 5
    assert rounds[-1].sealed and sweeps > 19
    assert client.tube(203).seal_state == 2 and client.tube(203).location == "slot_03"
    history = inventory_matches_hardware(client, path)
    story = [(h.step, h.event) for h in history if h.tube_id == 203 and h.event != "started"]
    attempts = [event for step, event in story if step == "dispense_seal"]
    assert attempts == ["failed"] * len(rounds) + ["succeeded"]
    assert sum(1 for step, event in story if step == "sweep_bore" and event == "succeeded") == len(
        rounds
    )
    inventory = Inventory(path)
    assert (inventory.tube(203).sample_name, inventory.tube(203).catalogued_kind) == (
        "Mageik",
        "rock_core",
    )
    inventory.close()
    refused = client.send(RecoverSeal, "recover_seal", tube_id=203, sweeps=1, dispenser=0).result
    assert refused.error_code == RecoverSeal.Result.TUBE_SEALED


def test_bad_kind_is_refused_with_its_value(cell):
    client, _ = cell
    _, result = cache(client, kind=9, sample_name="nothing")
    assert result.error_code == CacheSample.Result.INVALID_GOAL and "kind 9" in result.error_msg


def clearing_offered(view):
    port = menus.station_menu(view, "station_bitcar_port")
    return any(c.action == "clear_debris" for c in menus.commands(port))


def test_pebbles_halt_caching_with_the_documented_code(cell, ros_context):
    client, path = cell
    watcher = Node("teleop_watch", context=ros_context)  # what the teleop menus see
    watch = WorldWatch(watcher, lambda _view: None)
    spinner = BackgroundSpinner([watcher], context=ros_context)
    spinner.start()
    try:
        halt_and_clear(client, path, watch)
    finally:
        spinner.stop()
        watcher.destroy_node()


def halt_and_clear(client, path, watch):
    armed = client.inject("scenario", scenario="issole_pebbles")
    assert armed.success and "carousel_debris" in armed.message
    _, result = cache(client, kind=CacheSample.Goal.KIND_ROCK_CORE, sample_name="Issole", slot=6)
    assert result.error_code == CacheSample.Result.EARLY_DRAG
    assert "caching halted" in result.error_msg and result.awaiting_ground and not result.sealed
    state = client.state()
    assert state.caching_halted and state.held_tube_id == 0
    assert client.tube(206).location.startswith("bit_")  # the tube stays in its bit
    history = inventory_matches_hardware(client, path)
    story = [(h.step, h.event) for h in history if h.tube_id == 206 and h.step != "catalogue"]
    assert story[-2:] == [("core_sample", "started"), ("core_sample", "failed")]
    failed_row = next(h for h in history if h.step == "core_sample" and h.event == "failed")
    assert failed_row.error_code == "EARLY_DRAG"
    wait_until(lambda: watch.view.caching_halted and clearing_offered(watch.view))

    # The ground clears it as the Issole team did, then caching goes on.
    before = client.state().state_hash
    _, halted = cache(client, kind=CacheSample.Goal.KIND_ROCK_CORE, sample_name="Halted")
    assert halted.error_code == CacheSample.Result.INVALID_GOAL
    assert "clear_debris" in halted.error_msg and client.state().state_hash == before
    cleared = client.send(ClearDebris, "clear_debris", bit_slot=0, dump_core=True).result
    assert cleared.error_code == ClearDebris.Result.NONE, cleared.error_msg
    assert (cleared.pebbles_removed, cleared.core_dumped) == (4, True)
    assert not client.state().caching_halted
    wait_until(lambda: not watch.view.caching_halted and not clearing_offered(watch.view))
    for action, name in ((ReceiveTubeFromBit, "receive_tube_from_bit"), (StoreTube, "store_tube")):
        assert client.send(action, name).result.error_code == 0, name
    listed = reconcile(client)
    assert [line.split(":")[0] for line in listed.differences] == [
        "tube 206 location",
        "tube 206 contents",
    ]  # what the ground did: the tube is back home, empty
    assert reconcile(client, adopt=True, reason="Issole: core dumped, pebbles shed").success
    assert client.tube(206).location == "slot_06" and client.tube(206).contents == "empty"
    _, again = cache(client, kind=CacheSample.Goal.KIND_ROCK_CORE, sample_name="Malay")
    assert again.error_code == CacheSample.Result.NONE, again.error_msg
    assert again.sealed


def test_unknown_scenario_is_named(cell):
    client, _ = cell
    response = client.inject("scenario", scenario="gremlins")
    assert not response.success and "no fault scenario 'gremlins'" in response.message
    assert "mageik" in response.message


def set_location(path, tube_id, location):
    """Edit the inventory file behind the sequencer's back (a stand-in for a corrupted store)."""
    import sqlite3

    db = sqlite3.connect(path)
    with db:
        db.execute("UPDATE tubes SET location=? WHERE tube_id=?", (location, tube_id))
    db.close()


@contextlib.contextmanager
def physics_held_in(runner, operation_name):
    """Hold the physics thread at the first tick of the job running `operation_name`, so that
    the test acts while that step runs (in fast mode the step would otherwise end first);
    yields an Event set once it is held (at most 10 s); released when the block ends."""
    gate, reached = threading.Event(), threading.Event()
    ticking = runner.on_ticks

    def on_ticks(aca, ticks):
        if not reached.is_set() and any(
            getattr(job.operation, "__name__", "") == operation_name for job in runner._jobs
        ):
            reached.set()
            gate.wait(10)
        if ticking is not None:
            ticking(aca, ticks)

    runner.on_ticks = on_ticks
    try:
        yield reached
    finally:
        gate.set()
        runner.on_ticks = ticking


def test_every_step_is_checked_against_the_hardware_and_a_repaired_run_resumes(cell_with_sim):
    client, path, sim = cell_with_sim
    with physics_held_in(sim.runner, "core_sample") as reached:
        run = client.start(
            CacheSample,
            "cache_sample",
            kind=CacheSample.Goal.KIND_ROCK_CORE,
            sample_name="Bellegarde",
        )
        assert run.accepted
        assert reached.wait(120), "core_sample never started"
        set_location(path, 230, "slot_40")  # changed by hand while core_sample runs
    result = client.finish(run).result
    assert result.error_code == CacheSample.Result.INVENTORY_MISMATCH
    assert "tube 230: location: inventory 'slot_40', hardware 'slot_30'" in result.error_msg
    inventory = Inventory(path)
    ended = [(h.step, h.event) for h in inventory.history() if h.event != "started"]
    inventory.close()
    assert ended[-1] == ("core_sample", "succeeded"), "the step after which the check ran"

    other = client.send(CacheSample, "cache_sample", kind=CacheSample.Goal.KIND_WITNESS).result
    assert other.error_code == CacheSample.Result.INVENTORY_MISMATCH, "still refused"
    set_location(path, 230, "slot_30")  # repaired: a different goal is refused, naming the run
    other = client.send(CacheSample, "cache_sample", kind=CacheSample.Goal.KIND_WITNESS).result
    assert other.error_code == CacheSample.Result.INVALID_GOAL
    assert "Bellegarde" in other.error_msg and "send that goal again" in other.error_msg
    again = client.send(
        CacheSample, "cache_sample", kind=CacheSample.Goal.KIND_ROCK_CORE, sample_name="Bellegarde"
    )
    assert again.result.error_code == CacheSample.Result.NONE, again.result.error_msg
    assert again.feedback[0].step == "receive_tube_from_bit", "resumed after core_sample"
    assert again.result.sealed and again.result.catalogued_kind == "rock_core"
    history = inventory_matches_hardware(client, path)
    cored = [h for h in history if h.step == "core_sample" and h.event != "started"]
    assert [h.event for h in cored] == ["succeeded"], "cored once"


def test_cancel_during_a_device_step_stops_it_and_leaves_the_inventory_consistent(
    cell_with_sim,
):
    client, path, sim = cell_with_sim
    # the cancel (client -> sequencer -> device server) arrives while core_sample runs: the
    # physics thread is held until the device job has the cancel request, or for 5 s
    runner = sim.runner
    with physics_held_in(runner, "core_sample") as reached:
        run = client.start(
            CacheSample, "cache_sample", kind=CacheSample.Goal.KIND_ROCK_CORE, sample_name="Halted"
        )
        assert run.accepted
        assert reached.wait(120), "core_sample never started"
        cancel = cancel_goal(client.node, run.handle, 30)
        assert len(cancel.goals_canceling) == 1
        held_until = time.monotonic() + 5.0
        while time.monotonic() < held_until and not any(
            job.cancel_requested for job in list(runner._jobs)
        ):
            time.sleep(0.002)
    client.finish(run)
    assert run.status == GoalStatus.STATUS_CANCELED
    assert run.result.error_code == CacheSample.Result.CANCELED
    assert "canceled during core_sample" in run.result.error_msg

    inventory = Inventory(path)
    try:
        cored = [h for h in inventory.history() if h.step == "core_sample"]
        assert [h.event for h in cored] == ["started", "canceled"]
        goal_id = cored[0].measurement["goal_id"]
        assert inventory.running_sequence() is None, "the canceled sequence is closed"
    finally:
        inventory.close()
    device = device_result(client, CoreSample, "core_sample", goal_id)
    assert device.status == GoalStatus.STATUS_CANCELED, "the device goal was canceled"
    assert device.result.error_code == CoreSample.Result.CANCELED
    inventory_matches_hardware(client, path)

    witness = client.send(CacheSample, "cache_sample", kind=CacheSample.Goal.KIND_WITNESS)
    assert witness.result.error_code == CacheSample.Result.NONE, witness.result.error_msg
    inventory_matches_hardware(client, path)


def device_result(client, action_type, name, goal_id):
    """The device server's own record of a goal (status and result) by goal id."""
    service = client.node.create_client(
        action_type.Impl.GetResultService, f"/aca/{name}/_action/get_result"
    )
    try:
        assert service.wait_for_service(timeout_sec=10.0)
        request = action_type.Impl.GetResultService.Request()
        request.goal_id.uuid = list(bytes.fromhex(goal_id))
        return blocking.wait_future(service.call_async(request), 30, "device result")
    finally:
        client.node.destroy_client(service)


def reconcile(client, adopt=False, reason=""):
    service = client.node.create_client(Reconcile, "/aca/sequencer/reconcile")
    assert service.wait_for_service(timeout_sec=10)
    try:
        request = Reconcile.Request(adopt=adopt, reason=reason)
        return blocking.wait_future(service.call_async(request), 60, "reconcile")
    finally:
        client.node.destroy_client(service)


def test_a_by_hand_change_is_listed_then_adopted_with_a_reason_and_caching_goes_on(cell):
    client, path = cell
    assert reconcile(client).message == "no difference"  # (seeds the inventory)
    # An operator seals tube 201 by hand with the device actions, outside any sequence.
    for action, name, goal in (
        (RetrieveTube, "retrieve_tube", {"slot": 1}),
        (DispenseSeal, "dispense_seal", {"dispenser": 2}),
        (StoreTube, "store_tube", {"slot": 0}),
    ):
        run = client.send(action, name, **goal)
        assert run.result.error_code == 0, (name, run.result.error_msg)
    _, refused = cache(client, kind=CacheSample.Goal.KIND_WITNESS, sample_name="W1")
    assert refused.error_code == CacheSample.Result.INVENTORY_MISMATCH
    listed = reconcile(client)
    assert listed.success and listed.message == "2 difference(s)"
    assert list(listed.differences) == [
        "tube 201 seal_state: inventory 0, hardware 1",
        "dispenser 2: inventory 7 seals, hardware 6",
    ]
    no_reason = reconcile(client, adopt=True, reason=" ")
    assert not no_reason.success and "reason" in no_reason.message
    adopted = reconcile(client, adopt=True, reason="seal inserted by hand, ticket 42")
    assert adopted.success and list(adopted.differences) == list(listed.differences)
    assert reconcile(client).message == "no difference"
    history = inventory_matches_hardware(client, path)
    rows = [h for h in history if h.step == "operator_adopt"]
    assert len(rows) == 2 and all(
        h.measurement["reason"] == "seal inserted by hand, ticket 42" for h in rows
    )
    _, result = cache(client, kind=CacheSample.Goal.KIND_WITNESS, sample_name="W1")
    assert result.error_code == CacheSample.Result.NONE, result.error_msg
    assert result.sealed and result.tube_id != 201
